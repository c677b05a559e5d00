using FlexFunctions.Functions.Http;
using FlexFunctions.Shared.CustomerAuth;
using FlexFunctions.Shared.Health;
using FlexFunctions.Shared.Secrets;
using FlexFunctions.Tests.Confirmations;
using FlexFunctions.Tests.Http;
using FlexFunctions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace FlexFunctions.Tests.Observability;

/// <summary>
/// No passcode, customer token, API key, SSN, date of birth, bank account or routing number, or email in any log
/// record, exported span (name, tags, events, status, links) or metric measurement (tags). Scope: the journeys
/// driven here (lookup by email, passcode request, wrong and right passcode, application with SSN, date of birth
/// and bank account, routing number check, payment method, lease, sign, upstream errors echoing every value, a
/// warehouse event, a readiness check) and everything every other app of this test run emitted before this check.
/// It sits in a collection with parallelization disabled, which xunit runs after every parallel collection has
/// finished, so "before this check" is the whole rest of the suite.
/// </summary>
[Collection(RunsLastCollection.Name)]
public sealed class SuiteRedactionTests : IDisposable
{
    private const string Email = "ana.sensitive@example.com";
    private const string ShopperIp = "198.51.100.201";

    private static readonly string[] Sensitive =
    [
        JourneyTests.Passcode, "000111", JourneyTests.Token, JourneyTests.Ssn, "123456789", JourneyTests.Account, JourneyTests.Routing,
        JourneyTests.DateOfBirth, JourneyTests.KeyV1, JourneyTests.KeyV2, "test-api-key-0001", Email, "ana.sensitive",
    ];

    private readonly FakeFlexShopper _flex = new();

    [Fact]
    public async Task No_sensitive_value_reaches_any_log_record_span_or_metric_of_the_suite()
    {
        var echo = $$$"""{"error":{"code":"Invalid","message":"bad 000111 {{{JourneyTests.Ssn}}} {{{JourneyTests.Account}}} {{{JourneyTests.Routing}}} {{{JourneyTests.DateOfBirth}}} {{{Email}}}","statusCode":400}}""";
        var s = _flex.Server;
        s.StubJson("GET", "/v3/user-exists", 200, """{"status":200,"data":{"exists":true,"userId":"u123"}}""");
        s.StubJson("POST", "/v3/users/u123/send-passcode", 200, """{"status":200,"data":{}}""");
        s.Given(WireMock.RequestBuilders.Request.Create().WithPath("/v3/users/u123/passcode-login").WithBody(b => b != null && b.Contains("000111", StringComparison.Ordinal)).UsingPost())
            .AtPriority(1)
            .RespondWith(WireMock.ResponseBuilders.Response.Create().WithStatusCode(400).WithHeader("Content-Type", "application/json").WithBody(echo));
        s.Given(WireMock.RequestBuilders.Request.Create().WithPath("/v3/users/u123/passcode-login").UsingPost()).AtPriority(2)
            .RespondWith(WireMock.ResponseBuilders.Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody($$$"""{"status":200,"data":{"token":"{{{JourneyTests.Token}}}"}}"""));
        s.StubJson("POST", "/v3/users/me/apply", 400, echo);
        s.StubJson("GET", "/v3/routing-numbers/" + JourneyTests.Routing, 200, """{"status":200,"data":{"valid":true,"bankName":"FRB Boston"}}""");
        s.StubJson("POST", "/v3/paymentMethods/add", 500, echo);
        s.StubJson("POST", "/v3/leases", 200, """{"status":200,"data":{"leaseId":"L1","payment":24.99,"term":52,"cashPrice":599.99}}""");
        s.StubJson("POST", "/v3/leases/L1/sign", 200, """{"status":200,"data":{}}""");
        s.StubJson("GET", "/v3/settings/lease", 200, """{"status":200,"data":{"minimumOrderValue":50}}""");
        var keys = new RotatingKeys(JourneyTests.KeyV1, "v1");
        await using var app = HttpApp.Build(_flex, configure: c => c.AddSingleton<IApiKeyProvider>(keys));
        var sp = app.Provider;
        var customers = HttpTestKit.Create<CustomerFunctions>(sp);
        var applications = HttpTestKit.Create<ApplicationFunctions>(sp);
        var leases = HttpTestKit.Create<LeaseFunctions>(sp);

        var lookup = await HttpTestKit.RunAsync(HttpTestKit.Request(sp, "GET", "/api/v1/customers/lookup", query: "?email=" + Uri.EscapeDataString(Email)), r => customers.LookupCustomer(r, default));
        var sent = await HttpTestKit.RunAsync(HttpTestKit.Request(sp, "POST", "/api/v1/customers/u123/passcode", $$"""{"transport":"sms","customerIp":"{{ShopperIp}}"}"""), r => customers.RequestPasscode(r, "u123", default));
        var wrong = await HttpTestKit.RunAsync(HttpTestKit.Request(sp, "POST", "/api/v1/customers/u123/login", $$"""{"passcode":"000111","customerIp":"{{ShopperIp}}"}"""), r => customers.LoginCustomer(r, "u123", default));
        var login = await HttpTestKit.RunAsync(HttpTestKit.Request(sp, "POST", "/api/v1/customers/u123/login", $$"""{"passcode":"{{JourneyTests.Passcode}}","customerIp":"{{ShopperIp}}"}"""), r => customers.LoginCustomer(r, "u123", default));
        var session = new Dictionary<string, string> { [CustomerSessions.Header] = login.Json.GetProperty("session").GetString()! };
        var apply = await HttpTestKit.RunAsync(HttpTestKit.Request(sp, "POST", "/api/v1/applications", JourneyTests.ApplicationBody, session), r => applications.StartApplication(r, default));
        var routing = await HttpTestKit.RunAsync(HttpTestKit.Request(sp, "GET", "/api/v1/routing-numbers/" + JourneyTests.Routing), r => applications.ValidateRoutingNumber(r, JourneyTests.Routing, default));
        var pay = await HttpTestKit.RunAsync(
            HttpTestKit.Request(sp, "POST", "/api/v1/payment-methods", $$$"""{"ach":{"routing":"{{{JourneyTests.Routing}}}","account":"{{{JourneyTests.Account}}}","accountType":"checking"}}""", session),
            r => applications.AddPaymentMethod(r, default));
        var lease = await HttpTestKit.RunAsync(HttpTestKit.Request(sp, "POST", "/api/v1/leases", """{"transactionId":"T1","items":[{"brand":"Acme","sku":"TV-55","description":"TV","cost":599.99,"quantity":1}]}""", session), r => leases.CreateLease(r, default));
        var sign = await HttpTestKit.RunAsync(HttpTestKit.Request(sp, "POST", "/api/v1/leases/L1/sign", $$"""{"customerIp":"{{ShopperIp}}"}""", session), r => leases.SignLease(r, "L1", default));
        var ready = await app.Get<HealthReporter>().CheckReadyAsync();
        // The payment method meets FlexShopper's 500 after it was sent: its outcome is unknown (503 OutcomeUnknown).
        Assert.Equal([200, 202, 400, 200, 400, 200, 503, 201, 200], new[] { lookup.Status, sent.Status, wrong.Status, login.Status, apply.Status, routing.Status, pay.Status, lease.Status, sign.Status });
        Assert.Equal("Healthy", ready.Checks.Single(c => c.Name == "flexShopper").Status);

        await using (var warehouse = new ConfirmationHarness())
        {
            warehouse.Answer($"transactions/{ConfirmationHarness.Transaction}/confirm-shipment", 404, echo.Replace("400", "404", StringComparison.Ordinal));
            await warehouse.Deliver(ConfirmationHarness.Shipment());
            AssertClean("warehouse logs", warehouse.Services.AllLogText(), extra: []);
        }

        // This test's own app: what it logged and exported, the shopper's IP included (it is classified too).
        var spans = app.Spans.Spans;
        Assert.Contains(spans, x => x.Name == "FlexShopper PasscodeLogin" && x.Tag("outcome") == "Validation");
        Assert.Contains(spans, x => x.Name == "FlexShopper UserExists");
        AssertClean("this app's logs", app.AllLogText(), [ShopperIp]);
        AssertClean("this app's spans", spans.Select(x => x.AllText()), [ShopperIp]);

        // Everything every app of the run so far emitted.
        AssertClean("suite logs", SuiteTelemetry.Logs.GetSnapshot().Select(r =>
            $"{r.Category} {r.Message} {string.Join(" ", r.StructuredState?.Select(kv => kv.Key + "=" + kv.Value) ?? [])} {r.Exception}"), []);
        AssertClean("suite spans", SuiteTelemetry.Spans.Spans.Select(x => x.AllText()), []);
        var measurements = SuiteTelemetry.Measurements;
        Assert.Contains(measurements, m => m.Contains("flexshopper.client.calls", StringComparison.Ordinal) && m.Contains("PasscodeLogin", StringComparison.Ordinal));
        AssertClean("suite metrics", measurements, [ShopperIp]);
    }

    private static void AssertClean(string what, IEnumerable<string> records, string[] extra)
    {
        var all = records.ToList();
        Assert.True(all.Count > 0, what + ": nothing captured, so the check would prove nothing");
        // Each record as written and URL-decoded (twice: a value encoded into a query that is encoded again), so a
        // value inside a URL, a query or a form body is found too.
        var readable = all.Select(r => (Record: r, Text: r + "\n" + Decode(r) + "\n" + Decode(Decode(r)))).ToList();
        foreach (var value in Sensitive.Concat(extra))
        {
            var leak = readable.FirstOrDefault(r => Contains(r.Text, value)).Record;
            Assert.True(leak is null, $"{what}: '{value}' found in: {leak}");
        }
    }

    /// <summary>
    /// Long values anywhere, even inside another word or number. Short ones (six-digit passcodes) only as a whole
    /// value: they also turn up by chance inside random request ids ("...a34829134a0a") and in the decimals of a
    /// measured duration ("0.000111" s), which are not leaks.
    /// </summary>
    private static bool Contains(string text, string value) => value.Length >= 8
        ? text.Contains(value, StringComparison.OrdinalIgnoreCase)
        : System.Text.RegularExpressions.Regex.IsMatch(text,
            @"(?<![0-9A-Za-z])(?<![0-9]\.)" + System.Text.RegularExpressions.Regex.Escape(value) + "(?![0-9A-Za-z])",
            System.Text.RegularExpressions.RegexOptions.IgnoreCase);

    private static string Decode(string text)
    {
        try
        {
            return Uri.UnescapeDataString(text.Replace('+', ' '));
        }
        catch (UriFormatException)
        {
            return text;
        }
    }

    public void Dispose() => _flex.Dispose();
}

/// <summary>Tests that must see the whole suite's output: xunit runs non-parallel collections after the parallel ones.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunsLastCollection
{
    public const string Name = "Runs after the rest of the suite";
}
