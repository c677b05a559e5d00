using FlexFunctions.Functions.Http;
using FlexFunctions.Shared.Http;
using FlexFunctions.Tests.Http;
using FlexFunctions.Tests.Infrastructure;

namespace FlexFunctions.Tests.AbuseLimits;

/// <summary>The login functions as a store calls them: over a limit they answer 429 with Retry-After and FlexShopper is not called.</summary>
public sealed class LoginLimitTests : IDisposable
{
    private const string ShopperIp = "198.51.100.77";
    private readonly FakeFlexShopper _flex = new();

    private TestServices App() => HttpApp.Build(_flex, settings =>
    {
        settings["AbuseLimits:PasscodeRequestsPerCustomer"] = "2";
        settings["AbuseLimits:FailedLoginsBeforeLockout"] = "2";
        settings["AbuseLimits:LockoutDuration"] = "00:20:00";
    });

    [Fact]
    public async Task A_passcode_request_over_the_limit_is_429_with_Retry_After_and_no_sms_is_sent()
    {
        _flex.Server.StubJson("POST", "/v3/users/u1/send-passcode", 200, """{"status":200,"data":{}}""");
        await using var app = App();
        var customers = HttpTestKit.Create<CustomerFunctions>(app.Provider);
        HttpResult Send() => HttpTestKit.RunAsync(HttpTestKit.Request(app.Provider, "POST", "/api/v1/customers/u1/passcode", $$"""{"transport":"sms","customerIp":"{{ShopperIp}}"}"""),
            r => customers.RequestPasscode(r, "u1", default)).GetAwaiter().GetResult();

        Assert.Equal(202, Send().Status);
        Assert.Equal(202, Send().Status);
        var third = Send();

        Assert.Equal(429, third.Status);
        Assert.Equal(Problems.ContentType, third.ContentType);
        Assert.Equal("TooManyPasscodeRequests", third.Json.GetProperty("code").GetString());
        var retryAfter = int.Parse(third.Headers.RetryAfter.ToString(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 800, 900); // the rest of the 15-minute default window
        Assert.Equal(2, _flex.Server.LogEntries.Count());
        // The shopper's IP is classified: the refusal's log line names the customer but erases the address.
        Assert.Contains(app.Logs.GetSnapshot(), r => r.Message.Contains("u1", StringComparison.Ordinal) && r.Message.Contains("refused", StringComparison.Ordinal));
        Assert.DoesNotContain(app.AllLogText(), line => line.Contains(ShopperIp, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Wrong_passcodes_answered_400_lock_passcode_login_for_the_customer()
    {
        _flex.Server.StubJson("POST", "/v3/users/u2/passcode-login", 400, """{"error":{"code":"InvalidPasscode","message":"wrong passcode","statusCode":400}}""");
        await using var app = App();
        var customers = HttpTestKit.Create<CustomerFunctions>(app.Provider);
        Task<HttpResult> Login(string passcode) => HttpTestKit.RunAsync(HttpTestKit.Request(app.Provider, "POST", "/api/v1/customers/u2/login", $$"""{"passcode":"{{passcode}}"}"""),
            r => customers.LoginCustomer(r, "u2", default));

        Assert.Equal(400, (await Login("111111")).Status);
        Assert.Equal(400, (await Login("222222")).Status);
        var locked = await Login("333333");

        Assert.Equal(429, locked.Status);
        Assert.Equal("LoginLocked", locked.Json.GetProperty("code").GetString());
        Assert.InRange(int.Parse(locked.Headers.RetryAfter.ToString(), System.Globalization.CultureInfo.InvariantCulture), 1100, 1200);
        Assert.Equal(2, _flex.Server.LogEntries.Count()); // the third passcode never reached FlexShopper
        Assert.DoesNotContain(app.AllLogText(), line => line.Contains("111111", StringComparison.Ordinal) || line.Contains("333333", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_login_FlexShopper_leaves_unanswered_past_its_hold_is_a_503_and_frees_its_place()
    {
        var arrived = 0;
        using var release = new CancellationTokenSource();
        _flex.Server.Given(WireMock.RequestBuilders.Request.Create().WithPath("/v3/users/u4/passcode-login").UsingPost())
            .RespondWith(WireMock.ResponseBuilders.Response.Create().WithCallback(async _ =>
            {
                Interlocked.Increment(ref arrived); // counted on arrival: the fake logs a request only once it has answered
                await Task.Delay(TimeSpan.FromSeconds(8), release.Token).ContinueWith(_ => { }, TaskScheduler.Default);
                return new WireMock.ResponseMessage { StatusCode = 200 };
            }));
        await using var app = HttpApp.Build(_flex, settings =>
        {
            settings["AbuseLimits:FailedLoginsBeforeLockout"] = "1";
            settings["AbuseLimits:LoginAttemptHold"] = "00:00:05"; // the call is cut at 4 s, well before the client's own timeouts
            settings["FlexShopper:AttemptTimeout"] = "00:00:20";
            settings["FlexShopper:TotalTimeout"] = "00:00:30";
            settings["FlexShopper:CircuitBreakerSamplingDuration"] = "00:01:00";
        });
        var customers = HttpTestKit.Create<CustomerFunctions>(app.Provider);
        Task<HttpResult> Login() => HttpTestKit.RunAsync(HttpTestKit.Request(app.Provider, "POST", "/api/v1/customers/u4/login", """{"passcode":"444444"}"""),
            r => customers.LoginCustomer(r, "u4", default));

        var cut = await Login();

        Assert.Equal(503, cut.Status);
        Assert.False(string.IsNullOrEmpty(cut.Headers.RetryAfter.ToString()));
        // No verdict: the one place the lockout allows is free again, so the next attempt is admitted (and cut too).
        Assert.Equal(503, (await Login()).Status);
        Assert.Equal(2, Volatile.Read(ref arrived));
        await release.CancelAsync();
    }

    [Fact]
    public async Task A_customer_ip_that_is_not_an_address_is_a_400_naming_the_field()
    {
        await using var app = App();
        var result = await HttpTestKit.RunAsync(
            HttpTestKit.Request(app.Provider, "POST", "/api/v1/customers/u3/login", """{"passcode":"123456","customerIp":"not-an-ip"}"""),
            r => HttpTestKit.Create<CustomerFunctions>(app.Provider).LoginCustomer(r, "u3", default));

        Assert.Equal(400, result.Status);
        Assert.Contains("customerIp", result.ErrorFields);
        Assert.Empty(_flex.Server.LogEntries);
    }

    public void Dispose() => _flex.Dispose();
}
