using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using FlexFunctions.Shared.AbuseLimits;
using FlexFunctions.Shared.Observability;
using FlexFunctions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace FlexFunctions.Tests.AbuseLimits;

/// <summary>The Table Storage limiter against the shared Azurite, with a fake clock so windows and lockouts need no waiting.</summary>
public sealed class AbuseLimiterTests : IAsyncDisposable
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly Dictionary<string, string?> _settings;
    private readonly List<TestServices> _apps = [];

    public AbuseLimiterTests()
    {
        _settings = TestServices.DefaultSettings("http://127.0.0.1:9/v3/");
        _settings["AbuseLimits:PasscodeRequestsPerCustomer"] = "3";
        _settings["AbuseLimits:PasscodeRequestsPerClientIp"] = "4";
        _settings["AbuseLimits:LoginAttemptsPerCustomer"] = "10";
        _settings["AbuseLimits:LoginAttemptsPerClientIp"] = "50";
        _settings["AbuseLimits:Window"] = "00:10:00";
        _settings["AbuseLimits:FailedLoginsBeforeLockout"] = "3";
        _settings["AbuseLimits:LockoutDuration"] = "00:30:00";
    }

    /// <summary>One app instance; several share the same table, as scaled-out instances do.</summary>
    private IAbuseLimiter Instance() => NewApp().Get<IAbuseLimiter>();

    private TestServices NewApp(Action<IServiceCollection>? configure = null)
    {
        var app = TestServices.Build(_settings, s =>
        {
            s.AddSingleton<TimeProvider>(_clock);
            configure?.Invoke(s);
        });
        _apps.Add(app);
        return app;
    }

    [Fact]
    public async Task Logins_over_the_customer_limit_are_refused_until_the_window_that_began_with_the_first_ends()
    {
        var limiter = Instance();
        for (var i = 0; i < 10; i++)
        {
            // Right passcodes: only the attempt limit can refuse, never the lockout.
            var admitted = await limiter.TryAcquireAsync(LimitKind.LoginAttempt, "u-many", null);
            Assert.True(admitted.Allowed, $"attempt {i + 1} of 10 was refused by {admitted.Scope}");
            await limiter.CompleteLoginAsync(admitted, LoginOutcome.Succeeded);
            _clock.Advance(TimeSpan.FromSeconds(30));
        }

        var refused = await limiter.TryAcquireAsync(LimitKind.LoginAttempt, "u-many", null);
        Assert.Equal((false, LimitScopes.Customer), (refused.Allowed, refused.Scope));
        Assert.Equal(TimeSpan.FromMinutes(5), refused.RetryAfter); // the window began with the first attempt, 5 minutes ago
        Assert.True((await limiter.TryAcquireAsync(LimitKind.LoginAttempt, "u-other", null)).Allowed);

        _clock.Advance(TimeSpan.FromMinutes(5) - TimeSpan.FromSeconds(1));
        Assert.False((await limiter.TryAcquireAsync(LimitKind.LoginAttempt, "u-many", null)).Allowed); // refusals are not counted, nor do they move the window
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True((await limiter.TryAcquireAsync(LimitKind.LoginAttempt, "u-many", null)).Allowed);
    }

    [Fact]
    public async Task Passcode_requests_over_the_customer_limit_are_refused_until_the_window_ends()
    {
        var limiter = Instance();
        for (var i = 0; i < 3; i++)
        {
            Assert.True((await limiter.TryAcquireAsync(LimitKind.PasscodeRequest, "u1", null)).Allowed);
        }

        _clock.Advance(TimeSpan.FromMinutes(4));
        var refused = await limiter.TryAcquireAsync(LimitKind.PasscodeRequest, "u1", null);
        Assert.False(refused.Allowed);
        Assert.Equal(LimitScopes.Customer, refused.Scope);
        Assert.Equal(TimeSpan.FromMinutes(6), refused.RetryAfter); // what is left of the 10-minute window

        // Another customer and the other limit kind are counted apart.
        Assert.True((await limiter.TryAcquireAsync(LimitKind.PasscodeRequest, "u2", null)).Allowed);
        Assert.True((await limiter.TryAcquireAsync(LimitKind.LoginAttempt, "u1", null)).Allowed);

        _clock.Advance(TimeSpan.FromMinutes(6));
        Assert.True((await limiter.TryAcquireAsync(LimitKind.PasscodeRequest, "u1", null)).Allowed);
    }

    [Fact]
    public async Task One_client_ip_is_limited_across_customers_and_an_ipv6_block_counts_as_one()
    {
        var limiter = Instance();
        foreach (var customer in new[] { "a", "b", "c", "d" })
        {
            Assert.True((await limiter.TryAcquireAsync(LimitKind.PasscodeRequest, customer, "203.0.113.9")).Allowed);
        }

        var refused = await limiter.TryAcquireAsync(LimitKind.PasscodeRequest, "e", "203.0.113.9");
        Assert.Equal(LimitScopes.ClientIp, refused.Scope);
        Assert.True((await limiter.TryAcquireAsync(LimitKind.PasscodeRequest, "e", "203.0.113.10")).Allowed);
        // The same address written as IPv4-mapped IPv6 is the same shopper.
        Assert.False((await limiter.TryAcquireAsync(LimitKind.PasscodeRequest, "f", "::ffff:203.0.113.9")).Allowed);

        // Rotating addresses inside one /64 does not escape the limit.
        for (var i = 1; i <= 4; i++)
        {
            Assert.True((await limiter.TryAcquireAsync(LimitKind.PasscodeRequest, "v" + i, $"2001:db8:1:2::{i:x}")).Allowed);
        }

        Assert.False((await limiter.TryAcquireAsync(LimitKind.PasscodeRequest, "v5", "2001:db8:1:2:ffff::1")).Allowed);
        Assert.True((await limiter.TryAcquireAsync(LimitKind.PasscodeRequest, "v5", "2001:db8:1:3::1")).Allowed);
    }

    [Fact]
    public async Task Limits_hold_across_instances_racing_on_the_same_customer()
    {
        var instances = new[] { Instance(), Instance(), Instance() };
        var requests = Enumerable.Range(0, 18).Select(i => instances[i % 3].TryAcquireAsync(LimitKind.PasscodeRequest, "racer", null));

        var decisions = await Task.WhenAll(requests);

        // Exactly the limit got through: no count was lost to a concurrent write on another instance.
        Assert.Equal(3, decisions.Count(d => d.Allowed));
    }

    [Fact]
    public async Task Logins_racing_across_instances_are_admitted_no_more_than_the_lockout_allows_while_their_answers_are_out()
    {
        var instances = new[] { Instance(), Instance(), Instance() };
        var attempts = Enumerable.Range(0, 18).Select(i => instances[i % 3].TryAcquireAsync(LimitKind.LoginAttempt, "racer", null));

        var decisions = await Task.WhenAll(attempts);

        // Three wrong passcodes lock: three attempts in flight could be those three, so the rest wait for their answers.
        var admitted = decisions.Where(d => d.Allowed).ToList();
        Assert.Equal(3, admitted.Count);
        Assert.All(decisions.Where(d => !d.Allowed), d => Assert.Equal(LimitScopes.InFlight, d.Scope));
        Assert.All(admitted, d => Assert.NotNull(d.Reservation));

        // All three were wrong: the customer is locked, not merely busy.
        await Task.WhenAll(admitted.Select((d, i) => instances[i % 3].CompleteLoginAsync(d, LoginOutcome.WrongPasscode)));
        Assert.Equal(LimitScopes.Lockout, (await instances[0].TryAcquireAsync(LimitKind.LoginAttempt, "racer", null)).Scope);
    }

    [Fact]
    public async Task An_attempt_without_a_verdict_gives_its_place_back_and_one_whose_instance_died_lapses_after_the_hold()
    {
        var limiter = Instance();
        var held = new List<LimitDecision>();
        for (var i = 0; i < 3; i++)
        {
            held.Add(await limiter.TryAcquireAsync(LimitKind.LoginAttempt, "u5", null));
        }

        Assert.Equal(LimitScopes.InFlight, (await limiter.TryAcquireAsync(LimitKind.LoginAttempt, "u5", null)).Scope);
        await limiter.CompleteLoginAsync(held[0], LoginOutcome.NoVerdict); // FlexShopper did not answer
        var next = await limiter.TryAcquireAsync(LimitKind.LoginAttempt, "u5", null);
        Assert.True(next.Allowed);
        Assert.Equal(LimitScopes.InFlight, (await limiter.TryAcquireAsync(LimitKind.LoginAttempt, "u5", null)).Scope);

        // The instances holding the other three die: their places lapse with the hold (one minute by default).
        _clock.Advance(TimeSpan.FromSeconds(61));
        var afterLapse = new List<LimitDecision>();
        for (var i = 0; i < 3; i++)
        {
            afterLapse.Add(await limiter.TryAcquireAsync(LimitKind.LoginAttempt, "u5", null));
        }

        Assert.All(afterLapse, d => Assert.True(d.Allowed));
        // A late answer to a lapsed attempt does not free a place the new ones hold.
        await limiter.CompleteLoginAsync(held[1], LoginOutcome.NoVerdict);
        Assert.Equal(LimitScopes.InFlight, (await limiter.TryAcquireAsync(LimitKind.LoginAttempt, "u5", null)).Scope);
    }

    [Fact]
    public async Task A_login_the_ip_limit_refuses_holds_no_place_against_the_customers_lockout()
    {
        _settings["AbuseLimits:LoginAttemptsPerClientIp"] = "2";
        var limiter = Instance();
        await Complete(limiter, "a", LoginOutcome.Succeeded, "203.0.113.5");
        await Complete(limiter, "b", LoginOutcome.Succeeded, "203.0.113.5");
        Assert.Equal(LimitScopes.ClientIp, (await limiter.TryAcquireAsync(LimitKind.LoginAttempt, "v", "203.0.113.5")).Scope);

        // Three attempts may be in flight for "v" (the lockout limit): the refused one took none of them.
        var held = new List<LimitDecision>();
        for (var i = 0; i < 3; i++)
        {
            held.Add(await limiter.TryAcquireAsync(LimitKind.LoginAttempt, "v", "198.51.100." + i));
        }

        Assert.All(held, d => Assert.True(d.Allowed));
    }

    [Fact]
    public async Task Wrong_passcodes_lock_the_customer_until_the_lockout_ends_and_a_success_clears_the_run()
    {
        var limiter = Instance();
        await Wrong(limiter, "u9");
        await Wrong(limiter, "u9");
        await Complete(limiter, "u9", LoginOutcome.Succeeded);
        await Wrong(limiter, "u9");
        await Wrong(limiter, "u9");
        var third = await limiter.TryAcquireAsync(LimitKind.LoginAttempt, "u9", null);
        Assert.True(third.Allowed); // 2 in a row, not 4
        await limiter.CompleteLoginAsync(third, LoginOutcome.WrongPasscode);

        _clock.Advance(TimeSpan.FromMinutes(1));
        var locked = await limiter.TryAcquireAsync(LimitKind.LoginAttempt, "u9", null);
        Assert.False(locked.Allowed);
        Assert.Equal(LimitScopes.Lockout, locked.Scope);
        Assert.Equal(TimeSpan.FromMinutes(29), locked.RetryAfter);
        // The lockout is on logins only, and on this customer only.
        Assert.True((await limiter.TryAcquireAsync(LimitKind.PasscodeRequest, "u9", null)).Allowed);
        Assert.True((await limiter.TryAcquireAsync(LimitKind.LoginAttempt, "u8", null)).Allowed);

        _clock.Advance(TimeSpan.FromMinutes(29));
        Assert.True((await limiter.TryAcquireAsync(LimitKind.LoginAttempt, "u9", null)).Allowed);
    }

    [Fact]
    public async Task Spellings_of_one_customer_id_share_one_lockout_and_one_set_of_counters()
    {
        var (first, second) = (Instance(), Instance());
        await Wrong(first, " ABC");
        await Wrong(second, "abc");
        await Wrong(first, "\uFF21\uFF22\uFF23"); // full-width ABC

        foreach (var spelling in new[] { "abc", "ABC", " ABC", "abc\t", "Abc" })
        {
            var refused = await second.TryAcquireAsync(LimitKind.LoginAttempt, spelling, null);
            Assert.True(LimitScopes.Lockout == refused.Scope, $"'{spelling}' was {refused}");
        }

        // Passcode requests count on one counter too.
        foreach (var spelling in new[] { "xyz", " XYZ", "Xyz " })
        {
            Assert.True((await first.TryAcquireAsync(LimitKind.PasscodeRequest, spelling, null)).Allowed);
        }

        Assert.Equal(LimitScopes.Customer, (await second.TryAcquireAsync(LimitKind.PasscodeRequest, "xYZ", null)).Scope);
    }

    [Fact]
    public async Task A_login_costs_one_storage_round_trip_before_FlexShopper_and_one_after_unless_another_instance_wrote_the_row()
    {
        var requests = new StorageRequestCounter();
        var app = TestServices.Build(_settings, s =>
        {
            s.AddSingleton<TimeProvider>(_clock);
            s.AddSingleton(Azurite.Instance.TablesObservedBy(requests));
        });
        _apps.Add(app);
        var limiter = app.Get<IAbuseLimiter>();
        await Complete(limiter, "warm-up", LoginOutcome.Succeeded); // creates the table

        var before = requests.Count;
        var admitted = await limiter.TryAcquireAsync(LimitKind.LoginAttempt, "clean", null);
        Assert.Equal(1, requests.Count - before); // a customer with no row: the row inserted, nothing read
        before = requests.Count;
        await limiter.CompleteLoginAsync(admitted, LoginOutcome.Succeeded);
        Assert.Equal(1, requests.Count - before); // written on the ETag the admission got back: no read

        // With the shopper's IP the IP counter is written alongside: more requests, not more round trips.
        before = requests.Count;
        admitted = await limiter.TryAcquireAsync(LimitKind.LoginAttempt, "clean", "198.51.100.7");
        Assert.Equal(2, requests.Count - before); // the customer's row as this instance wrote it, and the new IP counter
        before = requests.Count;
        await limiter.CompleteLoginAsync(admitted, LoginOutcome.WrongPasscode);
        Assert.Equal(1, requests.Count - before);

        // Another instance writes the row: this one's conditional write fails, it reads and decides again, and the
        // wrong passcode the other instance saw is counted.
        var other = Instance();
        await Wrong(other, "clean");
        before = requests.Count;
        admitted = await limiter.TryAcquireAsync(LimitKind.LoginAttempt, "clean", null);
        Assert.Equal(3, requests.Count - before); // write refused (412), read, write
        await limiter.CompleteLoginAsync(admitted, LoginOutcome.WrongPasscode);
        Assert.Equal(LimitScopes.Lockout, (await other.TryAcquireAsync(LimitKind.LoginAttempt, "clean", null)).Scope); // 3 wrong in all

        // A row this instance never saw, first met through an insert that finds it there: insert refused (409), read, write.
        var third = TestServices.Build(_settings, s =>
        {
            s.AddSingleton<TimeProvider>(_clock);
            s.AddSingleton(Azurite.Instance.TablesObservedBy(requests));
        });
        _apps.Add(third);
        await Complete(other, "seen-elsewhere", LoginOutcome.Succeeded);
        var newcomer = third.Get<IAbuseLimiter>();
        await Complete(newcomer, "warm-up-third", LoginOutcome.Succeeded);
        before = requests.Count;
        Assert.True((await newcomer.TryAcquireAsync(LimitKind.LoginAttempt, "seen-elsewhere", null)).Allowed);
        Assert.Equal(3, requests.Count - before);
    }

    [Fact]
    public async Task A_refusal_is_decided_on_the_row_as_stored_not_on_what_this_instance_last_saw()
    {
        var first = Instance();
        var second = Instance();
        // Two wrong passcodes through the first instance, then an attempt in flight: it now remembers 2 wrong + 1 in
        // flight, which reaches the lockout limit of 3 and would refuse the next attempt.
        await Wrong(first, "stale");
        await Wrong(first, "stale");
        var inFlight = await first.TryAcquireAsync(LimitKind.LoginAttempt, "stale", null);
        Assert.True(inFlight.Allowed);

        // The second instance settles that attempt and sees a success that clears the run of wrong passcodes...
        await second.CompleteLoginAsync(inFlight, LoginOutcome.NoVerdict);
        await Complete(second, "stale", LoginOutcome.Succeeded);

        // ...so the first instance, whose memory says "refuse", must look at the row and admit.
        Assert.True((await first.TryAcquireAsync(LimitKind.LoginAttempt, "stale", null)).Allowed);
    }

    [Fact]
    public async Task Failures_spread_beyond_the_window_do_not_lock()
    {
        var limiter = Instance();
        await Wrong(limiter, "slow");
        await Wrong(limiter, "slow");
        _clock.Advance(TimeSpan.FromMinutes(11));
        await Wrong(limiter, "slow");
        Assert.True((await limiter.TryAcquireAsync(LimitKind.LoginAttempt, "slow", null)).Allowed);
    }

    [Fact]
    public async Task No_customer_id_or_ip_is_stored_in_clear()
    {
        var limiter = Instance();
        await limiter.TryAcquireAsync(LimitKind.PasscodeRequest, "customer-4711", "198.51.100.23");
        await Wrong(limiter, "customer-4711");

        var table = new TableClient(Azurite.Instance.ConnectionString, _settings["Tables:RateLimits"]);
        var rows = new List<TableEntity>();
        await foreach (var row in table.QueryAsync<TableEntity>())
        {
            rows.Add(row);
        }

        Assert.Equal(3, rows.Count); // customer's passcode counter, IP's passcode counter, customer's login row
        var text = string.Join(" ", rows.SelectMany(r => r.Select(kv => kv.Key + "=" + kv.Value)));
        Assert.DoesNotContain("4711", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("198.51.100", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refusal_is_counted_on_the_rejections_metric_by_kind_and_scope_named_on_its_span_and_warned_in_the_log()
    {
        var app = NewApp();
        var limiter = app.Get<IAbuseLimiter>();
        var counter = app.Get<FlexTelemetry>().AbuseLimitRejections;
        var measured = new ConcurrentQueue<string>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (ReferenceEquals(instrument, counter))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            measured.Enqueue(value + " " + string.Join(" ", tags.ToArray().Select(t => t.Key + "=" + t.Value))));
        listener.Start();
        // A parent span of our own: the limiter's spans are told apart from those of tests running alongside.
        using var parent = new Activity("test").SetIdFormat(ActivityIdFormat.W3C);
        parent.ActivityTraceFlags = ActivityTraceFlags.Recorded;
        parent.Start();

        for (var i = 0; i < 3; i++)
        {
            Assert.True((await limiter.TryAcquireAsync(LimitKind.PasscodeRequest, "u-signal", null)).Allowed);
        }

        Assert.Empty(measured); // admissions are not rejections
        Assert.Equal(LimitScopes.Customer, (await limiter.TryAcquireAsync(LimitKind.PasscodeRequest, "u-signal", null)).Scope);
        for (var i = 0; i < 3; i++)
        {
            await Wrong(limiter, "u-signal");
        }

        Assert.Equal(LimitScopes.Lockout, (await limiter.TryAcquireAsync(LimitKind.LoginAttempt, "u-signal", null)).Scope);
        parent.Stop();

        Assert.Equal(["1 kind=PasscodeRequest scope=customer", "1 kind=LoginAttempt scope=lockout"], measured.ToArray());
        var spans = app.Spans.Spans.Where(s => s.TraceId == parent.TraceId.ToHexString() && s.Source == FlexTelemetry.Name).ToList();
        Assert.Equal(4, spans.Count(s => s.Name == "AbuseLimits PasscodeRequest"));
        Assert.Equal([LimitScopes.Customer], spans.Where(s => s.Name == "AbuseLimits PasscodeRequest").Select(s => s.Tag("abuse_limit.scope")).OfType<string>());
        Assert.Equal([LimitScopes.Lockout], spans.Where(s => s.Name == "AbuseLimits LoginAttempt").Select(s => s.Tag("abuse_limit.scope")).OfType<string>());
        var refused = app.Logs.GetSnapshot().Where(r => r.Message.Contains("refused by the", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, refused.Count);
        Assert.All(refused, r => Assert.Equal(LogLevel.Warning, r.Level));
        Assert.Contains("PasscodeRequest refused by the customer limit for customer u-signal", refused[0].Message, StringComparison.Ordinal);
        Assert.Contains("LoginAttempt refused by the lockout limit for customer u-signal", refused[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rows_the_release_before_wrote_still_count_after_a_deployment()
    {
        // The stored keys are a contract with the release before: counters, lockouts and IP counts it left must hold
        // after a deployment, else a deployment hands every locked-out customer and every busy IP a fresh start.
        var secret = Encoding.UTF8.GetBytes(_settings["KeyedHashing:Secret"]!);
        string Partition(string text) => Convert.ToHexString(HMACSHA256.HashData(secret, Encoding.UTF8.GetBytes(text)));
        var now = _clock.GetUtcNow();
        var table = new TableClient(Azurite.Instance.ConnectionString, _settings["Tables:RateLimits"]);
        await table.CreateIfNotExistsAsync();
        var customer = Partition("customer\nU-FORMAT");
        var ip = Partition("clientIp\n203.0.113.77");
        await table.UpsertEntityAsync(new TableEntity(customer, "PasscodeRequest-customer") { ["WindowStart"] = now, ["Count"] = 3 });
        await table.UpsertEntityAsync(new TableEntity(customer, "lockout") { ["LockedUntil"] = now.AddMinutes(10) });
        await table.UpsertEntityAsync(new TableEntity(ip, "PasscodeRequest-clientIp") { ["WindowStart"] = now, ["Count"] = 4 });
        await table.UpsertEntityAsync(new TableEntity(ip, "LoginAttempt-clientIp") { ["WindowStart"] = now, ["Count"] = 50 });
        var limiter = Instance();

        Assert.Equal(LimitScopes.Customer, (await limiter.TryAcquireAsync(LimitKind.PasscodeRequest, " u-format", null)).Scope);
        var locked = await limiter.TryAcquireAsync(LimitKind.LoginAttempt, "u-format", null);
        Assert.Equal((LimitScopes.Lockout, TimeSpan.FromMinutes(10)), (locked.Scope, locked.RetryAfter));
        Assert.Equal(LimitScopes.ClientIp, (await limiter.TryAcquireAsync(LimitKind.PasscodeRequest, "someone-else", "203.0.113.77")).Scope);
        Assert.Equal(LimitScopes.ClientIp, (await limiter.TryAcquireAsync(LimitKind.LoginAttempt, "someone-else", "203.0.113.77")).Scope);
        Assert.True((await limiter.TryAcquireAsync(LimitKind.PasscodeRequest, "someone-else", null)).Allowed);
    }

    [Fact]
    public async Task A_lockout_is_warned_once_and_when_it_ends_the_customer_has_the_full_run_of_wrong_passcodes_again()
    {
        _settings["AbuseLimits:LockoutDuration"] = "00:05:00"; // shorter than the 10-minute window the failures were counted in
        var app = NewApp();
        var limiter = app.Get<IAbuseLimiter>();
        for (var i = 0; i < 3; i++)
        {
            await Wrong(limiter, "u-lock");
        }

        var warned = Assert.Single(app.Logs.GetSnapshot(), r => r.Message.Contains("locked out", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Warning, warned.Level);
        Assert.Contains("Customer u-lock locked out of passcode login after 3 wrong passcodes, until 2026-03-01T12:05:00", warned.Message, StringComparison.Ordinal);

        _clock.Advance(TimeSpan.FromMinutes(5));
        await Wrong(limiter, "u-lock");
        await Wrong(limiter, "u-lock");
        Assert.True((await limiter.TryAcquireAsync(LimitKind.LoginAttempt, "u-lock", null)).Allowed); // 2 wrong since the lockout, not 5
        Assert.Single(app.Logs.GetSnapshot(), r => r.Message.Contains("locked out", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_window_of_wrong_passcodes_begins_with_the_first_and_one_exactly_at_its_end_starts_a_new_run()
    {
        var limiter = Instance();
        // 0, 6 and 12 minutes: the window (10 minutes) began with the first, so the third starts a new run.
        await Wrong(limiter, "u-slide");
        _clock.Advance(TimeSpan.FromMinutes(6));
        await Wrong(limiter, "u-slide");
        _clock.Advance(TimeSpan.FromMinutes(6));
        await Wrong(limiter, "u-slide");
        Assert.True((await limiter.TryAcquireAsync(LimitKind.LoginAttempt, "u-slide", null)).Allowed);

        await Wrong(limiter, "u-edge");
        await Wrong(limiter, "u-edge");
        _clock.Advance(TimeSpan.FromMinutes(10));
        await Wrong(limiter, "u-edge"); // exactly when the window ends: the two before no longer count
        Assert.True((await limiter.TryAcquireAsync(LimitKind.LoginAttempt, "u-edge", null)).Allowed);
    }

    [Fact]
    public async Task A_late_answer_to_a_lapsed_attempt_neither_lifts_a_lockout_nor_is_lost_once_the_lockout_has_ended()
    {
        var limiter = Instance();
        var lapsedSuccess = await limiter.TryAcquireAsync(LimitKind.LoginAttempt, "u-late", null);
        var lapsedWrong = await limiter.TryAcquireAsync(LimitKind.LoginAttempt, "u-late", null);
        _clock.Advance(TimeSpan.FromSeconds(61)); // their instances died: the places lapse with the hold
        for (var i = 0; i < 3; i++)
        {
            await Wrong(limiter, "u-late");
        }

        // The lapsed attempt's success arrives while the customer is locked: the lockout stays.
        await limiter.CompleteLoginAsync(lapsedSuccess, LoginOutcome.Succeeded);
        var locked = await limiter.TryAcquireAsync(LimitKind.LoginAttempt, "u-late", null);
        Assert.Equal((LimitScopes.Lockout, TimeSpan.FromMinutes(30)), (locked.Scope, locked.RetryAfter));

        // The other's wrong passcode arrives exactly when the lockout ends: it counts, so two more lock again.
        _clock.Advance(TimeSpan.FromMinutes(30));
        await limiter.CompleteLoginAsync(lapsedWrong, LoginOutcome.WrongPasscode);
        await Wrong(limiter, "u-late");
        await Wrong(limiter, "u-late");
        Assert.Equal(LimitScopes.Lockout, (await limiter.TryAcquireAsync(LimitKind.LoginAttempt, "u-late", null)).Scope);
    }

    [Theory]
    [InlineData("00:01:00", 55_000)] // the default: five seconds kept for the settling write
    [InlineData("00:00:05", 4_000)] // a short hold keeps a fifth of it
    public async Task An_admitted_login_must_be_answered_before_its_hold_lapses(string hold, int timeLimitMs)
    {
        _settings["AbuseLimits:LoginAttemptHold"] = hold;
        var admitted = await Instance().TryAcquireAsync(LimitKind.LoginAttempt, "u-hold", null);

        Assert.Equal(TimeSpan.FromMilliseconds(timeLimitMs), admitted.Reservation!.TimeLimit);
    }

    [Fact]
    public async Task A_blank_customer_id_or_a_missing_decision_is_refused_rather_than_counted_on_a_shared_subject()
    {
        var limiter = Instance();

        await Assert.ThrowsAsync<ArgumentException>(() => limiter.TryAcquireAsync(LimitKind.PasscodeRequest, " ", null));
        await Assert.ThrowsAsync<ArgumentNullException>(() => limiter.CompleteLoginAsync(null!, LoginOutcome.WrongPasscode));
    }

    [Fact]
    public void A_limit_configured_out_of_range_stops_the_app_instead_of_running_without_a_lockout()
    {
        _settings["AbuseLimits:FailedLoginsBeforeLockout"] = "0";
        var app = NewApp();

        var error = Assert.Throws<OptionsValidationException>(() => app.Get<IOptions<AbuseLimitsOptions>>().Value);
        Assert.Contains("FailedLoginsBeforeLockout", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_row_that_keeps_changing_is_given_up_on_after_its_races_a_brief_refusal_before_and_a_412_after_FlexShopper()
    {
        var before = Instance();
        var admitted = await before.TryAcquireAsync(LimitKind.LoginAttempt, "u-hammered", null);
        var hostile = new EveryUpdateLosesItsRace();
        var limiter = NewApp(s => s.AddSingleton(Azurite.Instance.TablesObservedBy(hostile))).Get<IAbuseLimiter>();
        Assert.True((await limiter.TryAcquireAsync(LimitKind.PasscodeRequest, "warm-up-hostile", null)).Allowed); // a new row: inserted, never replaced

        var start = hostile.Count;
        var busy = await limiter.TryAcquireAsync(LimitKind.LoginAttempt, "u-hammered", null);
        Assert.Equal((false, LimitScopes.Customer, TimeSpan.FromSeconds(1)), (busy.Allowed, busy.Scope, busy.RetryAfter));
        Assert.Equal(1 + (7 * 2), hostile.Count - start); // an insert that finds the row, then 7 reads each with a lost write: 8 races

        var error = await Assert.ThrowsAsync<RequestFailedException>(() => limiter.CompleteLoginAsync(admitted, LoginOutcome.WrongPasscode));
        Assert.Equal(412, error.Status);
        Assert.Contains("kept changing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_place_held_by_an_unanswered_attempt_lapses_exactly_when_its_hold_ends()
    {
        var limiter = Instance();
        for (var i = 0; i < 3; i++)
        {
            Assert.True((await limiter.TryAcquireAsync(LimitKind.LoginAttempt, "u-lapse", null)).Allowed);
        }

        _clock.Advance(TimeSpan.FromMinutes(1) - TimeSpan.FromTicks(1)); // the default hold is one minute
        Assert.Equal(LimitScopes.InFlight, (await limiter.TryAcquireAsync(LimitKind.LoginAttempt, "u-lapse", null)).Scope);
        _clock.Advance(TimeSpan.FromTicks(1));
        Assert.True((await limiter.TryAcquireAsync(LimitKind.LoginAttempt, "u-lapse", null)).Allowed);
    }

    [Fact]
    public async Task A_refusal_costs_one_read_of_the_row_once_this_instance_has_seen_it()
    {
        var requests = new StorageRequestCounter();
        var limiter = NewApp(s => s.AddSingleton(Azurite.Instance.TablesObservedBy(requests))).Get<IAbuseLimiter>();
        var other = Instance();
        for (var i = 0; i < 3; i++)
        {
            await Wrong(other, "u-refused");
        }

        Assert.True((await limiter.TryAcquireAsync(LimitKind.PasscodeRequest, "warm-up-refusals", null)).Allowed); // creates the table
        var before = requests.Count;
        Assert.Equal(LimitScopes.Lockout, (await limiter.TryAcquireAsync(LimitKind.LoginAttempt, "u-refused", null)).Scope);
        Assert.Equal(2, requests.Count - before); // never seen here: an insert that finds the row, then the read that refuses
        for (var i = 0; i < 3; i++)
        {
            before = requests.Count;
            Assert.Equal(LimitScopes.Lockout, (await limiter.TryAcquireAsync(LimitKind.LoginAttempt, "u-refused", null)).Scope);
            Assert.Equal(1, requests.Count - before); // seen now: one read of the row as stored, and no write
        }
    }

    /// <summary>A login admitted and answered with a wrong passcode, as the login service does it.</summary>
    private static Task Wrong(IAbuseLimiter limiter, string customer) => Complete(limiter, customer, LoginOutcome.WrongPasscode);

    private static async Task Complete(IAbuseLimiter limiter, string customer, LoginOutcome outcome, string? clientIp = null)
    {
        var admitted = await limiter.TryAcquireAsync(LimitKind.LoginAttempt, customer, clientIp);
        Assert.True(admitted.Allowed);
        await limiter.CompleteLoginAsync(admitted, outcome);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var app in _apps)
        {
            await app.DisposeAsync();
        }
    }

    /// <summary>Another instance always writes first: every conditional replace is sent with an ETag the row no longer has.</summary>
    private sealed class EveryUpdateLosesItsRace : HttpPipelineSynchronousPolicy
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public override void OnSendingRequest(HttpMessage message)
        {
            Interlocked.Increment(ref _count);
            if (message.Request.Method == RequestMethod.Put && message.Request.Headers.Contains("If-Match"))
            {
                message.Request.Headers.SetValue("If-Match", "W/\"datetime'2000-01-01T00%3A00%3A00.0000000Z'\"");
            }
        }
    }
}
