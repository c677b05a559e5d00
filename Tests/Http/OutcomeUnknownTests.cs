using System.Text;
using FlexFunctions.Functions.Http;
using FlexFunctions.Shared.CustomerAuth;
using FlexFunctions.Shared.Http;
using FlexFunctions.Shared.Idempotency;
using FlexFunctions.Shared.Secrets;
using FlexFunctions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace FlexFunctions.Tests.Http;

/// <summary>
/// The "outcome unknown" record against a fake FlexShopper (Azurite for the records): what proves neither way stays
/// unknown and is never resent, a process that died mid-call leaves its key unknown, and unknown never ages into fresh.
/// </summary>
public sealed class OutcomeUnknownTests : IDisposable
{
    private const string SignBody = """{"customerIp":"203.0.113.7"}""";
    private const string LeaseBody = """{"transactionId":"T1","items":[{"brand":"Acme","sku":"TV-55","description":"55in TV","cost":599.99}]}""";
    private readonly FakeFlexShopper _flex = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);

    private TestServices App() => HttpApp.Build(_flex, s => s["CustomerSession:Lifetime"] = "3.00:00:00", s => s.AddSingleton<TimeProvider>(_time));

    private int Calls(string method, string path) => _flex.Server.LogEntries.Count(e => e.RequestMessage!.Method == method && e.RequestMessage.Path == path);

    private static Dictionary<string, string> Headers(IServiceProvider sp, string key, bool customer = true)
    {
        var headers = new Dictionary<string, string> { [ApiEndpoint.IdempotencyKeyHeader] = key };
        if (customer)
        {
            var version = sp.GetRequiredService<IApiKeyProvider>().GetCurrentAsync().AsTask().Result.Version;
            headers[CustomerSessions.Header] = sp.GetRequiredService<CustomerSessions>().Seal(new("tok", version)).Value;
        }

        return headers;
    }

    private static Task<HttpResult> Finalize(IServiceProvider sp, string key) =>
        HttpTestKit.RunAsync(HttpTestKit.Request(sp, "POST", "/api/v1/transactions/T1/finalize", headers: Headers(sp, key, customer: false)),
            r => HttpTestKit.Create<LeaseFunctions>(sp).FinalizeTransaction(r, "T1", default));

    private static Task<HttpResult> Sign(IServiceProvider sp, string key) =>
        HttpTestKit.RunAsync(HttpTestKit.Request(sp, "POST", "/api/v1/leases/L1/sign", SignBody, Headers(sp, key)),
            r => HttpTestKit.Create<LeaseFunctions>(sp).SignLease(r, "L1", default));

    private static Task<HttpResult> CreateLease(IServiceProvider sp, string key) =>
        HttpTestKit.RunAsync(HttpTestKit.Request(sp, "POST", "/api/v1/leases", LeaseBody, Headers(sp, key)),
            r => HttpTestKit.Create<LeaseFunctions>(sp).CreateLease(r, default));

    [Fact]
    public async Task A_finalize_FlexShoppers_state_cannot_settle_is_never_resent_and_a_new_key_is_the_operators_way_out()
    {
        // Signed, and no lease number on the transaction (what the real API may well show): finalized or not?
        _flex.Server.StubJson("GET", "/v3/transactions/T1", 200, """{"data":{"id":"T1","lease":{"id":"L1","status":"signed"}}}""");
        _flex.Server.StubJson("POST", "/v3/transactions/T1/finalize", 504, """{"message":"The upstream server is timing out"}""");
        await using var app = App();
        var key = Guid.NewGuid().ToString();

        var lost = await Finalize(app.Provider, key);
        var first = await Finalize(app.Provider, key);
        var second = await Finalize(app.Provider, key);

        Assert.Equal((503, "OutcomeUnknown"), (lost.Status, lost.Json.GetProperty("code").GetString()));
        foreach (var retry in new[] { first, second })
        {
            Assert.Equal((409, "OutcomeUnverifiable"), (retry.Status, retry.Json.GetProperty("code").GetString()));
            Assert.Contains("new Idempotency-Key", retry.Json.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        Assert.Equal(1, Calls("POST", "/v3/transactions/T1/finalize"));
        Assert.Equal(3, Calls("GET", "/v3/transactions/T1")); // each retry read the state again

        // The operator learns from FlexShopper that it was not finalized and sends it with a new key.
        _flex.Server.Reset();
        _flex.Server.StubJson("GET", "/v3/transactions/T1", 200, """{"data":{"id":"T1","lease":{"id":"L1","status":"signed"}}}""");
        _flex.Server.StubJson("POST", "/v3/transactions/T1/finalize", 200, """{"data":{"transactionId":"T1","loanNumber":"LN-1","leaseNumber":"LS-1"}}""");
        var fresh = await Finalize(app.Provider, Guid.NewGuid().ToString());
        Assert.Equal((200, "LS-1"), (fresh.Status, fresh.Json.GetProperty("leaseNumber").GetString()));
    }

    [Fact]
    public async Task A_key_whose_attempt_died_mid_call_is_settled_from_FlexShoppers_state_not_sent_again()
    {
        _flex.Server.StubJson("GET", "/v3/leases/L1", 200, """{"data":{"leaseId":"L1","leaseStatus":"signed"}}""");
        _flex.Server.StubJson("POST", "/v3/leases/L1/sign", 200, """{"data":{}}""");
        await using var app = App();
        var key = Guid.NewGuid().ToString();
        // An attempt began (its pending record written) and its process died before recording anything.
        await app.Get<IIdempotencyStore>().BeginAsync("SignLease", key,
            TableIdempotencyStore.Fingerprint("POST", "/api/v1/leases/L1/sign", Encoding.UTF8.GetBytes(SignBody), "tok"));

        var meanwhile = await Sign(app.Provider, key);
        _time.Advance(TableIdempotencyStore.PendingLease + TimeSpan.FromSeconds(1));
        var after = await Sign(app.Provider, key);

        Assert.Equal((409, "IdempotentRequestInProgress"), (meanwhile.Status, meanwhile.Json.GetProperty("code").GetString()));
        Assert.True(after.Status == 200, after.Body);
        Assert.True(after.Json.GetProperty("signed").GetBoolean());
        Assert.Equal(0, Calls("POST", "/v3/leases/L1/sign"));
    }

    [Fact]
    public async Task An_unknown_outcome_never_ages_into_a_fresh_send()
    {
        _flex.Server.StubJson("POST", "/v3/leases", 502, """{"error":{"statusCode":502,"code":"BadGateway","message":"upstream"}}""");
        _flex.Server.StubJson("GET", "/v3/transactions/T1", 200, """{"data":{"id":"T1","lease":{"id":"L9","status":"pending"}}}""");
        _flex.Server.StubJson("GET", "/v3/leases/L9", 200, """{"data":{"leaseId":"L9","contract":"PGh0bWw+","leaseStatus":"unsigned","term":52}}""");
        await using var app = App();
        var key = Guid.NewGuid().ToString();

        var lost = await CreateLease(app.Provider, key);
        _time.Advance(TableIdempotencyStore.Retention + TimeSpan.FromHours(1));
        var later = await CreateLease(app.Provider, key);

        Assert.Equal((503, "OutcomeUnknown"), (lost.Status, lost.Json.GetProperty("code").GetString()));
        Assert.Equal((201, "L9", 52), (later.Status, later.Json.GetProperty("leaseId").GetString(), later.Json.GetProperty("term").GetInt32()));
        Assert.Equal(1, Calls("POST", "/v3/leases"));
    }

    [Fact]
    public async Task A_write_FlexShopper_certainly_refused_for_now_releases_the_key_as_before()
    {
        _flex.Server.StubJson("POST", "/v3/leases/L1/sign", 503, """{"error":{"statusCode":503,"code":"ServiceUnavailable","message":"maintenance"}}""");
        await using var app = App();
        var key = Guid.NewGuid().ToString();

        var refused = await Sign(app.Provider, key);
        _flex.Server.Reset();
        _flex.Server.StubJson("POST", "/v3/leases/L1/sign", 200, """{"data":{}}""");
        var retried = await Sign(app.Provider, key);

        Assert.Equal(503, refused.Status);
        Assert.NotEqual("OutcomeUnknown", refused.Json.GetProperty("code").GetString());
        Assert.Equal(200, retried.Status);
        Assert.Equal(0, Calls("GET", "/v3/leases/L1")); // a 503 proves nothing was done: no state to read
    }

    public void Dispose() => _flex.Dispose();
}
