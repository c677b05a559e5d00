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
        _settings["AbuseLimits:LoginAttemptsPerCustomer"] = "7";
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
        var attempts = Enumerable.Range(0, 18).Select(i => instances[i % 3].TryAcquireAsync(LimitKind.LoginAttempt, "racer", null));

        var decisions = await Task.WhenAll(attempts);

        // Exactly the limit got through: no count was lost to a concurrent write on another instance.
        Assert.Equal(7, decisions.Count(d => d.Allowed));
    }

    [Fact]
    public async Task Wrong_passcodes_lock_the_customer_until_the_lockout_ends_and_a_success_clears_the_run()
    {
        var limiter = Instance();
        await limiter.RecordFailedLoginAsync("u9");
        await limiter.RecordFailedLoginAsync("u9");
        var admitted = await limiter.TryAcquireAsync(LimitKind.LoginAttempt, "u9", null);
        Assert.True(admitted.FailedLoginsOnRecord);
        await limiter.RecordSuccessfulLoginAsync("u9", admitted);
        await limiter.RecordFailedLoginAsync("u9");
        await limiter.RecordFailedLoginAsync("u9");
        Assert.True((await limiter.TryAcquireAsync(LimitKind.LoginAttempt, "u9", null)).Allowed); // 2 in a row, not 3

        await limiter.RecordFailedLoginAsync("u9");
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
    public async Task A_login_admitted_with_no_wrong_passcodes_on_record_records_its_success_without_a_storage_call()
    {
        var requests = new RequestCounter();
        var app = TestServices.Build(_settings, s =>
        {
            s.AddSingleton<TimeProvider>(_clock);
            s.AddSingleton(Azurite.Instance.TablesObservedBy(requests));
        });
        _apps.Add(app);
        var limiter = app.Get<IAbuseLimiter>();

        var admitted = await limiter.TryAcquireAsync(LimitKind.LoginAttempt, "clean", null);
        Assert.False(admitted.FailedLoginsOnRecord);
        var before = requests.Count;
        await limiter.RecordSuccessfulLoginAsync("clean", admitted);
        Assert.Equal(before, requests.Count);

        // With a wrong passcode on record the success does go to storage, and clears the run.
        await limiter.RecordFailedLoginAsync("clean");
        await limiter.RecordFailedLoginAsync("clean");
        admitted = await limiter.TryAcquireAsync(LimitKind.LoginAttempt, "clean", null);
        before = requests.Count;
        await limiter.RecordSuccessfulLoginAsync("clean", admitted);
        Assert.True(requests.Count > before);
        await limiter.RecordFailedLoginAsync("clean");
        await limiter.RecordFailedLoginAsync("clean");
        Assert.True((await limiter.TryAcquireAsync(LimitKind.LoginAttempt, "clean", null)).Allowed); // 2 in a row, not 4
    }

    [Fact]
    public async Task Failures_spread_beyond_the_window_do_not_lock()
    {
        var limiter = Instance();
        await limiter.RecordFailedLoginAsync("slow");
        await limiter.RecordFailedLoginAsync("slow");
        _clock.Advance(TimeSpan.FromMinutes(11));
        await limiter.RecordFailedLoginAsync("slow");
        Assert.True((await limiter.TryAcquireAsync(LimitKind.LoginAttempt, "slow", null)).Allowed);
    }

    [Fact]
    public async Task No_customer_id_or_ip_is_stored_in_clear()
    {
        var limiter = Instance();
        await limiter.TryAcquireAsync(LimitKind.PasscodeRequest, "customer-4711", "198.51.100.23");
        await limiter.RecordFailedLoginAsync("customer-4711");

        var table = new TableClient(Azurite.Instance.ConnectionString, _settings["Tables:RateLimits"]);
        var rows = new List<TableEntity>();
        await foreach (var row in table.QueryAsync<TableEntity>())
        {
            rows.Add(row);
        }

        Assert.Equal(3, rows.Count); // customer counter, IP counter, lockout counter
        var text = string.Join(" ", rows.SelectMany(r => r.Select(kv => kv.Key + "=" + kv.Value)));
        Assert.DoesNotContain("4711", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("198.51.100", text, StringComparison.Ordinal);
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
