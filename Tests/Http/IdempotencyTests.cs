using FlexFunctions.Functions.Http;
using FlexFunctions.Shared.CustomerAuth;
using FlexFunctions.Shared.Http;
using FlexFunctions.Shared.Idempotency;
using FlexFunctions.Shared.Secrets;
using FlexFunctions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using WireMock.ResponseBuilders;

namespace FlexFunctions.Tests.Http;

/// <summary>Duplicate webhooks with one Idempotency-Key act once and get the first outcome again (Azurite).</summary>
public sealed class IdempotencyTests : IDisposable
{
    private const string LeaseBody = """{"transactionId":"T1","items":[{"brand":"Acme","sku":"TV-55","description":"55in TV","cost":599.99}]}""";
    private readonly FakeFlexShopper _flex = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);

    // Sessions outlive the 24-hour window here so only the idempotency record's age matters.
    private TestServices App() => HttpApp.Build(_flex, s => s["CustomerSession:Lifetime"] = "3.00:00:00", s => s.AddSingleton<TimeProvider>(_time));

    private static Dictionary<string, string> Headers(IServiceProvider sp, string key, string token = "tok") => new()
    {
        [CustomerSessions.Header] = sp.GetRequiredService<CustomerSessions>().Seal(new(token, sp.GetRequiredService<IApiKeyProvider>().GetCurrentAsync().AsTask().Result.Version)).Value,
        [ApiEndpoint.IdempotencyKeyHeader] = key,
    };

    private static Task<HttpResult> CreateLease(IServiceProvider sp, Dictionary<string, string> headers, string body = LeaseBody) =>
        HttpTestKit.RunAsync(HttpTestKit.Request(sp, "POST", "/api/v1/leases", body, headers), r => HttpTestKit.Create<LeaseFunctions>(sp).CreateLease(r, default));

    private int CreateCalls => _flex.Server.LogEntries.Count(e => e.RequestMessage!.Path == "/v3/leases");

    [Fact]
    public async Task A_repeated_key_returns_the_first_outcome_without_acting_again()
    {
        _flex.Server.StubJson("POST", "/v3/leases", 200, """{"status":200,"data":{"leaseId":"L1","payment":24.99}}""");
        await using var app = App();
        var headers = Headers(app.Provider, Guid.NewGuid().ToString());

        var first = await CreateLease(app.Provider, headers);
        var second = await CreateLease(app.Provider, headers);

        Assert.Equal(201, first.Status);
        Assert.Equal(201, second.Status);
        Assert.Equal(first.Body, second.Body);
        Assert.Equal("true", second.Headers["Idempotent-Replayed"].ToString());
        Assert.Equal(1, CreateCalls);
    }

    [Fact]
    public async Task Another_customer_reusing_a_key_never_receives_the_first_customers_outcome()
    {
        _flex.Server.StubJson("POST", "/v3/leases", 200, """{"status":200,"data":{"leaseId":"L-of-customer-one","payment":24.99}}""");
        await using var app = App();
        var key = Guid.NewGuid().ToString();

        var first = await CreateLease(app.Provider, Headers(app.Provider, key, token: "token-of-customer-one"));
        var other = await CreateLease(app.Provider, Headers(app.Provider, key, token: "token-of-customer-two"));

        Assert.Equal(201, first.Status);
        Assert.Equal(422, other.Status);
        Assert.DoesNotContain("L-of-customer-one", other.Body, StringComparison.Ordinal);
        Assert.Equal(1, CreateCalls);
    }

    [Fact]
    public async Task Concurrent_duplicates_act_once_and_the_other_is_told_to_retry()
    {
        _flex.Server.Given(WireMock.RequestBuilders.Request.Create().WithPath("/v3/leases").UsingPost())
            .RespondWith(Response.Create().WithDelay(TimeSpan.FromMilliseconds(300)).WithStatusCode(200)
                .WithHeader("Content-Type", "application/json").WithBody("""{"status":200,"data":{"leaseId":"L1"}}"""));
        await using var app = App();
        var headers = Headers(app.Provider, Guid.NewGuid().ToString());

        var results = await Task.WhenAll(CreateLease(app.Provider, headers), CreateLease(app.Provider, headers));

        Assert.Equal(1, CreateCalls);
        Assert.Contains(results, r => r.Status == 201);
        var waiting = Assert.Single(results, r => r.Status == 409);
        Assert.Equal("IdempotentRequestInProgress", waiting.Json.GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(waiting.Headers.RetryAfter));
    }

    [Fact]
    public async Task The_same_key_for_a_different_body_is_422()
    {
        _flex.Server.StubJson("POST", "/v3/leases", 200, """{"status":200,"data":{"leaseId":"L1"}}""");
        await using var app = App();
        var headers = Headers(app.Provider, Guid.NewGuid().ToString());

        await CreateLease(app.Provider, headers);
        var other = await CreateLease(app.Provider, headers, LeaseBody.Replace("T1", "T9", StringComparison.Ordinal));

        Assert.Equal(422, other.Status);
        Assert.Equal(1, CreateCalls);
    }

    [Fact]
    public async Task An_upstream_outage_is_not_recorded_so_the_same_key_can_try_again()
    {
        _flex.Server.StubJson("POST", "/v3/leases", 503, """{"error":{"code":"Down","message":"down","statusCode":503}}""");
        await using var app = App();
        var headers = Headers(app.Provider, Guid.NewGuid().ToString());

        var failed = await CreateLease(app.Provider, headers);
        _flex.Server.Reset();
        _flex.Server.StubJson("POST", "/v3/leases", 200, """{"status":200,"data":{"leaseId":"L2"}}""");
        var retried = await CreateLease(app.Provider, headers);

        Assert.Equal(503, failed.Status);
        Assert.Equal(201, retried.Status);
        Assert.Equal("L2", retried.Json.GetProperty("leaseId").GetString());
    }

    [Theory]
    [InlineData(400, "InvalidItems")]
    [InlineData(402, "PaymentRequired")]
    [InlineData(404, "CustomerNotFound")]
    [InlineData(409, "LeaseExists")]
    [InlineData(422, "ItemsRejected")]
    public async Task A_final_refusal_is_recorded_and_replayed_to_the_same_key_without_asking_FlexShopper_again(int upstream, string code)
    {
        var (first, replay) = await RefusedThenRetried(upstream, code);

        Assert.InRange(first.Status, 400, 499);
        Assert.Equal(code, first.Json.GetProperty("code").GetString());
        Assert.Equal((first.Status, first.Body), (replay.Status, replay.Body));
        Assert.Equal("true", replay.Headers["Idempotent-Replayed"].ToString());
        Assert.Equal(0, CreateCalls); // the replay never reached FlexShopper (the first call's log was reset)
    }

    [Theory]
    [InlineData(401, "TokenExpired")]
    [InlineData(429, "TooManyRequests")]
    public async Task A_refusal_for_now_is_not_recorded_so_the_same_key_acts_again(int upstream, string code)
    {
        var (first, retried) = await RefusedThenRetried(upstream, code);

        Assert.Equal(upstream, first.Status);
        Assert.Equal(201, retried.Status);
        Assert.Equal("L2", retried.Json.GetProperty("leaseId").GetString());
        Assert.False(retried.Headers.ContainsKey("Idempotent-Replayed"));
        Assert.Equal(1, CreateCalls);
    }

    /// <summary>FlexShopper refuses the first lease with <paramref name="upstream"/>, then would accept it: a retry with the same key.</summary>
    private async Task<(HttpResult First, HttpResult Retried)> RefusedThenRetried(int upstream, string code)
    {
        _flex.Server.StubJson("POST", "/v3/leases", upstream, $$$"""{"error":{"code":"{{{code}}}","message":"refused {{{upstream}}}","statusCode":{{{upstream}}}}}""");
        await using var app = App();
        var headers = Headers(app.Provider, Guid.NewGuid().ToString());

        var first = await CreateLease(app.Provider, headers);
        _flex.Server.Reset();
        _flex.Server.StubJson("POST", "/v3/leases", 200, """{"status":200,"data":{"leaseId":"L2"}}""");
        return (first, await CreateLease(app.Provider, headers));
    }

    [Fact]
    public async Task Records_expire_after_24_hours()
    {
        _flex.Server.StubJson("POST", "/v3/leases", 200, """{"status":200,"data":{"leaseId":"L1"}}""");
        await using var app = App();
        var headers = Headers(app.Provider, Guid.NewGuid().ToString());

        await CreateLease(app.Provider, headers);
        _time.Advance(TimeSpan.FromHours(23));
        await CreateLease(app.Provider, headers);
        Assert.Equal(1, CreateCalls);

        _time.Advance(TimeSpan.FromHours(1.1));
        var later = await CreateLease(app.Provider, headers);
        Assert.Equal(201, later.Status);
        Assert.Equal(2, CreateCalls);
    }

    [Fact]
    public async Task Passcode_login_is_never_recorded_even_with_a_key()
    {
        _flex.Server.StubJson("POST", "/v3/users/u1/passcode-login", 200, """{"status":200,"data":{"token":"t"}}""");
        await using var app = App();
        var store = new Moq.Mock<IIdempotencyStore>(Moq.MockBehavior.Strict);
        await using var strict = HttpApp.Build(_flex, configure: s => s.AddSingleton(store.Object));
        var sp = strict.Provider;
        var headers = new Dictionary<string, string> { [ApiEndpoint.IdempotencyKeyHeader] = "k1" };

        var login = await HttpTestKit.RunAsync(HttpTestKit.Request(sp, "POST", "/api/v1/customers/u1/login", """{"passcode":"123456"}""", headers),
            r => HttpTestKit.Create<CustomerFunctions>(sp).LoginCustomer(r, "u1", default));

        Assert.Equal(200, login.Status);
        store.VerifyNoOtherCalls(); // strict mock: any record attempt would have thrown
    }

    [Fact]
    public async Task Sign_and_finalize_honour_the_key_too()
    {
        _flex.Server.StubJson("POST", "/v3/leases/L1/sign", 200, """{"status":200,"data":{}}""");
        _flex.Server.StubJson("GET", "/v3/transactions/T1", 200, """{"status":200,"data":{"id":"T1","lease":{"status":"signed"}}}""");
        _flex.Server.StubJson("POST", "/v3/transactions/T1/finalize", 200, """{"status":200,"data":{"transactionId":"T1"}}""");
        await using var app = App();
        var sp = app.Provider;
        var signHeaders = Headers(sp, Guid.NewGuid().ToString());
        var finalizeHeaders = new Dictionary<string, string> { [ApiEndpoint.IdempotencyKeyHeader] = Guid.NewGuid().ToString() };

        for (var i = 0; i < 2; i++)
        {
            var signed = await HttpTestKit.RunAsync(HttpTestKit.Request(sp, "POST", "/api/v1/leases/L1/sign", """{"customerIp":"203.0.113.7"}""", signHeaders),
                r => HttpTestKit.Create<LeaseFunctions>(sp).SignLease(r, "L1", default));
            var finalized = await HttpTestKit.RunAsync(HttpTestKit.Request(sp, "POST", "/api/v1/transactions/T1/finalize", headers: finalizeHeaders),
                r => HttpTestKit.Create<LeaseFunctions>(sp).FinalizeTransaction(r, "T1", default));
            Assert.Equal(200, signed.Status);
            Assert.Equal(200, finalized.Status);
        }

        Assert.Equal(1, _flex.Server.LogEntries.Count(e => e.RequestMessage!.Path == "/v3/leases/L1/sign"));
        Assert.Equal(1, _flex.Server.LogEntries.Count(e => e.RequestMessage!.Path == "/v3/transactions/T1/finalize"));
    }

    public void Dispose() => _flex.Dispose();
}
