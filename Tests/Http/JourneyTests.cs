using FlexFunctions.Functions.Http;
using FlexFunctions.Shared.CustomerAuth;
using FlexFunctions.Shared.Http;
using FlexFunctions.Shared.Secrets;
using FlexFunctions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace FlexFunctions.Tests.Http;

/// <summary>
/// The whole customer journey through the real registration against a fake FlexShopper: lookup, passcode, login,
/// key rotation, customer, application, KBA, routing number, payment method, lease, sign, finalize.
/// </summary>
public sealed class JourneyTests : IDisposable
{
    // Sensitive values the redaction check looks for in every captured log line.
    internal const string Passcode = "482913";
    internal const string Token = "cust-token-7f3a9c";
    internal const string Ssn = "123-45-6789";
    internal const string Account = "000123456789";
    internal const string Routing = "011000015";
    internal const string DateOfBirth = "1988-04-12";
    internal const string KeyV1 = "api-key-value-v1-SECRET";
    internal const string KeyV2 = "api-key-value-v2-SECRET";

    private readonly FakeFlexShopper _flex = new();
    private readonly RotatingKeys _keys = new(KeyV1, "v1");

    internal const string ApplicationBody = $$"""
        {"street1":"1 Main St","city":"Boca Raton","region":"FL","postalCode":"33431","country":"US","mobilePhone":"561-555-0100",
         "dateOfBirth":"{{DateOfBirth}}","ssn":"{{Ssn}}","employmentInformation":{"payFrequency":"biweekly","monthlyIncome":4200.50},
         "bankAccount":{"routing":"{{Routing}}","account":"{{Account}}","type":"checking"},"customerIp":"203.0.113.7"}
        """;

    public JourneyTests()
    {
        var s = _flex.Server;
        s.StubJson("GET", "/v3/user-exists", 200, """{"status":200,"data":{"exists":true,"userId":"u123"}}""");
        s.StubJson("POST", "/v3/users/u123/send-passcode", 200, """{"status":200,"data":{}}""");
        s.StubJson("POST", "/v3/users/u123/passcode-login", 200, $$$"""{"status":200,"data":{"token":"{{{Token}}}"}}""");
        s.StubJson("GET", "/v3/users/me", 200, """{"status":200,"data":{"userId":"u123","email":"ana@example.com","verificationStatus":"pending","decision":{"approved":true,"status":"approved","spendingLimit":1500.00}}}""");
        s.StubJson("POST", "/v3/users/me/apply", 200, """{"status":200,"data":{"userId":"u123","verificationStatus":"pending","decision":{"status":"pending"}}}""");
        s.StubJson("GET", "/v3/users/me/verify-questions", 200, """{"status":200,"data":{"id":"kba1","questions":[{"id":"q1","label":"Street?","choices":[{"id":"c1","label":"Main"}]}]}}""");
        s.StubJson("POST", "/v3/users/me/verify-answers", 200, """{"status":200,"data":{"userId":"u123","verificationStatus":"succeeded","decision":{"approved":true,"spendingLimit":1500}}}""");
        s.StubJson("GET", "/v3/routing-numbers/" + Routing, 200, """{"status":200,"data":{"valid":true,"bankName":"FRB Boston"}}""");
        s.StubJson("POST", "/v3/paymentMethods/add", 200, """{"status":200,"data":{}}""");
        s.StubJson("POST", "/v3/leases", 200, """{"status":200,"data":{"leaseId":"L1","payment":24.99,"term":52,"cashPrice":599.99}}""");
        s.StubJson("POST", "/v3/leases/L1/sign", 200, """{"status":200,"data":{}}""");
        s.StubJson("GET", "/v3/transactions/T1", 200, """{"status":200,"data":{"id":"T1","lease":{"id":"L1","status":"signed"}}}""");
        s.StubJson("POST", "/v3/transactions/T1/finalize", 200, """{"status":200,"data":{"transactionId":"T1","leaseNumber":"LN-9"}}""");
    }

    private TestServices App() => HttpApp.Build(_flex, configure: s => s.AddSingleton<IApiKeyProvider>(_keys));

    [Fact]
    public async Task Full_journey_keeps_the_token_with_the_key_that_minted_it_across_rotation()
    {
        await using var app = App();
        var sp = app.Provider;
        var customers = HttpTestKit.Create<CustomerFunctions>(sp);
        var applications = HttpTestKit.Create<ApplicationFunctions>(sp);
        var leases = HttpTestKit.Create<LeaseFunctions>(sp);

        var lookup = await HttpTestKit.RunAsync(HttpTestKit.Request(sp, "GET", "/api/v1/customers/lookup", query: "?email=ana@example.com"), r => customers.LookupCustomer(r, default));
        Assert.Equal(200, lookup.Status);
        Assert.Equal("u123", lookup.Json.GetProperty("userId").GetString());

        var sent = await HttpTestKit.RunAsync(HttpTestKit.Request(sp, "POST", "/api/v1/customers/u123/passcode", """{"transport":"sms"}"""), r => customers.RequestPasscode(r, "u123", default));
        Assert.Equal(202, sent.Status);

        var login = await HttpTestKit.RunAsync(HttpTestKit.Request(sp, "POST", "/api/v1/customers/u123/login", $$"""{"passcode":"{{Passcode}}"}"""), r => customers.LoginCustomer(r, "u123", default));
        Assert.Equal(200, login.Status);
        var session = login.Json.GetProperty("session").GetString()!;
        Assert.DoesNotContain(Token, session, StringComparison.Ordinal); // sealed, not readable by the store
        var headers = new Dictionary<string, string> { [CustomerSessions.Header] = session };

        // The secret rotates in Key Vault between login and the next call.
        _keys.Rotate(KeyV2, "v2");

        var me = await HttpTestKit.RunAsync(HttpTestKit.Request(sp, "GET", "/api/v1/customers/me", headers: headers), r => customers.GetCurrentCustomer(r, default));
        Assert.Equal(200, me.Status);
        Assert.Equal(1500m, me.Json.GetProperty("decision").GetProperty("spendingLimit").GetDecimal());

        var applied = await HttpTestKit.RunAsync(HttpTestKit.Request(sp, "POST", "/api/v1/applications", ApplicationBody, headers), r => applications.StartApplication(r, default));
        Assert.Equal(200, applied.Status);

        var questions = await HttpTestKit.RunAsync(HttpTestKit.Request(sp, "GET", "/api/v1/applications/questions", headers: headers), r => applications.GetVerificationQuestions(r, default));
        Assert.Equal("kba1", questions.Json.GetProperty("id").GetString());

        var answered = await HttpTestKit.RunAsync(HttpTestKit.Request(sp, "POST", "/api/v1/applications/answers", """{"id":"kba1","answers":[{"questionId":"q1","choiceId":"c1"}]}""", headers), r => applications.SubmitVerificationAnswers(r, default));
        Assert.Equal("succeeded", answered.Json.GetProperty("verificationStatus").GetString());

        var routing = await HttpTestKit.RunAsync(HttpTestKit.Request(sp, "GET", "/api/v1/routing-numbers/" + Routing), r => applications.ValidateRoutingNumber(r, Routing, default));
        Assert.True(routing.Json.GetProperty("valid").GetBoolean());

        var paid = await HttpTestKit.RunAsync(HttpTestKit.Request(sp, "POST", "/api/v1/payment-methods", $$$"""{"primary":true,"ach":{"routing":"{{{Routing}}}","account":"{{{Account}}}","accountType":"checking"}}""", headers), r => applications.AddPaymentMethod(r, default));
        Assert.Equal(201, paid.Status);

        var lease = await HttpTestKit.RunAsync(HttpTestKit.Request(sp, "POST", "/api/v1/leases", """{"transactionId":"T1","items":[{"brand":"Acme","sku":"TV-55","description":"55in TV","cost":599.99,"quantity":1}]}""", headers), r => leases.CreateLease(r, default));
        Assert.Equal(201, lease.Status);
        Assert.Equal("L1", lease.Json.GetProperty("leaseId").GetString());

        var signed = await HttpTestKit.RunAsync(HttpTestKit.Request(sp, "POST", "/api/v1/leases/L1/sign", """{"customerIp":"203.0.113.7"}""", headers), r => leases.SignLease(r, "L1", default));
        Assert.Equal(200, signed.Status);
        Assert.Equal("203.0.113.7", signed.Json.GetProperty("ipAddress").GetString());

        var finalized = await HttpTestKit.RunAsync(HttpTestKit.Request(sp, "POST", "/api/v1/transactions/T1/finalize"), r => leases.FinalizeTransaction(r, "T1", default));
        Assert.Equal(200, finalized.Status);
        Assert.Equal("LN-9", finalized.Json.GetProperty("leaseNumber").GetString());

        // Every upstream call that carried the customer token carried the key that minted it (v1), even after
        // the rotation; calls without a token moved on to the current key (v2).
        var entries = _flex.Server.LogEntries.Select(e => e.RequestMessage!).ToList();
        var withToken = entries.Where(m => m.Headers?.ContainsKey("Customer-Token") == true).ToList();
        Assert.Equal(7, withToken.Count); // me, apply, questions, answers, payment method, lease, sign
        Assert.All(withToken, m =>
        {
            Assert.Equal(Token, m.Headers!["Customer-Token"].Single());
            Assert.Equal(KeyV1, m.Headers!["Authorization"].Single());
        });
        Assert.Equal(KeyV2, entries.Single(m => m.Path == "/v3/transactions/T1/finalize").Headers!["Authorization"].Single());

        // The sign call recorded the customer's IP and a time.
        var signBody = entries.Single(m => m.Path == "/v3/leases/L1/sign").Body!;
        Assert.Contains("203.0.113.7", signBody, StringComparison.Ordinal);
        Assert.Contains("timestamp", signBody, StringComparison.OrdinalIgnoreCase);

        HttpRedaction.AssertClean(app);
    }

    [Fact]
    public async Task A_withdrawn_key_version_means_log_in_again_and_the_token_is_never_sent_with_another_key()
    {
        await using var app = App();
        var sp = app.Provider;
        var session = sp.GetRequiredService<CustomerSessions>().Seal(HttpApp.Credential(Token, "v1")).Value;
        _keys.Rotate(KeyV2, "v2");
        _keys.Withdraw("v1");

        var me = await HttpTestKit.RunAsync(
            HttpTestKit.Request(sp, "GET", "/api/v1/customers/me", headers: new Dictionary<string, string> { [CustomerSessions.Header] = session }),
            r => HttpTestKit.Create<CustomerFunctions>(sp).GetCurrentCustomer(r, default));

        Assert.Equal(401, me.Status);
        Assert.Equal(Problems.ContentType, me.ContentType);
        Assert.Contains("log in again", me.Json.GetProperty("title").GetString(), StringComparison.Ordinal);
        Assert.Equal("KeyVersionUnavailable", me.Json.GetProperty("code").GetString());
        Assert.Empty(_flex.Server.LogEntries);
    }

    [Fact]
    public async Task A_token_FlexShopper_rejects_gives_401_log_in_again()
    {
        _flex.Server.Reset();
        _flex.Server.StubJson("GET", "/v3/users/me", 401, """{"error":{"code":"InvalidCustomerToken","message":"expired","statusCode":401}}""");
        await using var app = App();
        var sp = app.Provider;
        var session = sp.GetRequiredService<CustomerSessions>().Seal(HttpApp.Credential(Token, "v1")).Value;

        var me = await HttpTestKit.RunAsync(
            HttpTestKit.Request(sp, "GET", "/api/v1/customers/me", headers: new Dictionary<string, string> { [CustomerSessions.Header] = session }),
            r => HttpTestKit.Create<CustomerFunctions>(sp).GetCurrentCustomer(r, default));

        Assert.Equal(401, me.Status);
        Assert.Equal("InvalidCustomerToken", me.Json.GetProperty("code").GetString());
        Assert.Single(_flex.Server.LogEntries); // not retried with another key
    }

    [Fact]
    public async Task Finalize_before_the_lease_is_signed_is_a_409_and_never_finalizes()
    {
        _flex.Server.Reset();
        _flex.Server.StubJson("GET", "/v3/transactions/T2", 200, """{"status":200,"data":{"id":"T2","lease":{"id":"L2","status":"unsigned"}}}""");
        await using var app = App();
        var sp = app.Provider;

        var result = await HttpTestKit.RunAsync(HttpTestKit.Request(sp, "POST", "/api/v1/transactions/T2/finalize"),
            r => HttpTestKit.Create<LeaseFunctions>(sp).FinalizeTransaction(r, "T2", default));

        Assert.Equal(409, result.Status);
        Assert.Equal("LeaseNotSigned", result.Json.GetProperty("code").GetString());
        Assert.DoesNotContain(_flex.Server.LogEntries, e => e.RequestMessage!.Path.EndsWith("/finalize", StringComparison.Ordinal));
    }

    public void Dispose() => _flex.Dispose();
}
