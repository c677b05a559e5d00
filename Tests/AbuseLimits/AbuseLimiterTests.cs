using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using FlexFunctions.Shared.AbuseLimits;
using FlexFunctions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
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
    private IAbuseLimiter Instance()
    {
        var app = TestServices.Build(_settings, s => s.AddSingleton<TimeProvider>(_clock));
        _apps.Add(app);
        return app.Get<IAbuseLimiter>();
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
        var requests = new RequestCounter();
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

    private sealed class RequestCounter : HttpPipelineSynchronousPolicy
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public override void OnSendingRequest(HttpMessage message) => Interlocked.Increment(ref _count);
    }
}
