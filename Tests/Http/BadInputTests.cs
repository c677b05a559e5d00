using System.Text;
using FlexFunctions.Functions.Http;
using FlexFunctions.Shared.CustomerAuth;
using FlexFunctions.Shared.Http;
using FlexFunctions.Shared.Webhooks;
using FlexFunctions.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;

namespace FlexFunctions.Tests.Http;

/// <summary>Every kind of bad input gets its documented 4xx problem, and FlexShopper is never called.</summary>
public sealed class BadInputTests : IDisposable
{
    private const string Secret = "a-webhook-signing-secret-of-32-chars-or-more";
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    private readonly FakeFlexShopper _flex = new();
    private readonly TestServices _app;

    public BadInputTests()
    {
        // Any upstream call at all would be answered, so only the absence of log entries proves none was made.
        _flex.Server.StubJson("GET", "/*", 200, """{"status":200,"data":{}}""");
        _app = HttpApp.Build(_flex);
    }

    private IServiceProvider Sp => _app.Provider;

    private string Session => Sp.GetRequiredService<CustomerSessions>().Seal(new("tok", "cfg-x")).Value;

    public static TheoryData<string, string, string?, string> Bodies => new()
    {
        // route, body, expected field (null: any), case name
        { "verify", "{not json", "body", "malformed JSON" },
        { "verify", "", "body", "empty body" },
        { "verify", "[1,2]", "body", "array instead of object" },
        { "verify", """{"email":42,"phone":"5615550100","address":{}}""", "email", "wrong type" },
        { "verify", """{"email":"ana@example.com","phone":"5615550100"}""", "address", "missing object" },
        { "verify", """{"email":"not-an-email","phone":"5615550100","address":{"street1":"1 Main","city":"X","region":"FL","postalCode":"33431"}}""", "email", "bad email" },
        { "verify", """{"email":"ana@example.com","phone":"12","address":{"street1":"1 Main","city":"X","region":"FL","postalCode":"33431"}}""", "phone", "bad phone" },
        { "verify", """{"email":"ana@example.com","phone":"5615550100","address":{"street1":"1 Main","city":"X","region":"Florida","postalCode":"334"}}""", "address.postalCode", "bad zip" },
        { "create", """{"firstName":"Ana","email":"ana@example.com"}""", "lastName", "missing field" },
        { "create", """{"firstName":"Ana","lastName":"B","email":"ana@@example"}""", "email", "bad email on create" },
        { "passcode", """{"transport":"pigeon"}""", "transport", "bad transport" },
        { "passcode", """{"transport":1}""", "transport", "transport wrong type" },
        { "passcode", "{}", "transport", "missing transport" },
        { "login", """{"passcode":"12ab"}""", "passcode", "bad passcode" },
        { "login", "{}", "passcode", "missing passcode" },
        { "apply", JourneyTests.ApplicationBody.Replace("011000015", "011000016", StringComparison.Ordinal), "bankAccount.routing", "bad routing checksum in application" },
        { "apply", JourneyTests.ApplicationBody.Replace("1988-04-12", "2020-01-01", StringComparison.Ordinal), "dateOfBirth", "applicant under 18" },
        { "apply", JourneyTests.ApplicationBody.Replace("123-45-6789", "12345", StringComparison.Ordinal), "ssn", "short SSN" },
        { "apply", JourneyTests.ApplicationBody.Replace("4200.50", "\"lots\"", StringComparison.Ordinal), "employmentInformation.monthlyIncome", "income wrong type" },
        { "answers", """{"id":"k","answers":[{"questionId":"q1"}]}""", "answers[0].choiceId", "missing answer choice" },
        { "payment", """{"ach":{"routing":"011000015","account":"12345678","accountType":"checking"},"card":{"cardType":"visa","token":"t","billingZip":"33431"}}""", "ach", "both ach and card" },
        { "payment", """{"ach":{"routing":"123456789","account":"12345678","accountType":"checking"}}""", "ach.routing", "bad routing in payment method" },
        { "lease", """{"transactionId":"T1","items":[{"brand":"A","sku":"S","description":"D","cost":10}]}""", "items", "below the $49.95 minimum" },
        { "lease", """{"transactionId":"T1","items":[{"brand":"A","sku":"S","description":"D","cost":-5,"quantity":0}]}""", "items[0].cost", "negative cost" },
        { "lease", """{"items":[]}""", "transactionId", "missing transaction id" },
        { "sign", """{"customerIp":"999.1.1.1"}""", "customerIp", "bad IP" },
        { "checkout", """{"transactionId":"T1","items":[]}""", "items", "no items" },

        // The findings, one example each (the generated suite, GeneratedBadInputTests, covers them at large).
        { "login", """{"passcode":"\u0664\u0668\u0662\u0669\u0661\u0663"}""", "passcode", "Arabic-Indic digits" },
        { "login", """{"passcode":"\uff10\uff11\uff12\uff13"}""", "passcode", "full-width digits" },
        { "login", """{"passcode":"482913\n"}""", "passcode", "a passcode with a trailing newline" },
        { "verify", """{"email":"ana@example.com","phone":"5615550100\n","address":{"street1":"1 Main","city":"X","region":"FL","postalCode":"33431"}}""", "phone", "a phone with a trailing newline" },
        { "verify", """{"email":"ana@example.com","phone":"5615550100","address":{"street1":"1 Main","city":"X","region":"FL","postalCode":"\u0663\u0663\u0664\u0663\u0661"}}""", "address.postalCode", "an Arabic-Indic ZIP" },
        { "apply", JourneyTests.ApplicationBody.Replace("123-45-6789", "000-00-0000", StringComparison.Ordinal), "ssn", "SSN 000-00-0000" },
        { "apply", JourneyTests.ApplicationBody.Replace("123-45-6789", "666-12-3456", StringComparison.Ordinal), "ssn", "SSN area 666" },
        { "apply", JourneyTests.ApplicationBody.Replace("123-45-6789", "912-34-5678", StringComparison.Ordinal), "ssn", "SSN area 9xx" },
        { "apply", JourneyTests.ApplicationBody.Replace("123-45-6789", "123-00-4567", StringComparison.Ordinal), "ssn", "SSN group 00" },
        { "apply", JourneyTests.ApplicationBody.Replace("123-45-6789", "123-45-0000", StringComparison.Ordinal), "ssn", "SSN serial 0000" },
        { "apply", JourneyTests.ApplicationBody.Replace("000123456789", "0001234\u0665\u0666789", StringComparison.Ordinal), "bankAccount.account", "a bank account with Arabic-Indic digits" },
        { "payment", """{"card":{"cardType":"visa","token":"t","billingZip":"33431","lastFour":"\uff14\uff12\uff14\uff12"}}""", "card.lastFour", "full-width card digits" },
        { "lease", """{"transactionId":"..","items":[{"brand":"A","sku":"S","description":"D","cost":100}]}""", "transactionId", "a dot-segment transaction id" },
        { "lease", """{"transactionId":"T1\u0000","items":[{"brand":"A","sku":"S","description":"D","cost":100}]}""", "transactionId", "NUL in the transaction id" },
        { "lease", """{"transactionId":"T1' or PartitionKey ne '","items":[{"brand":"A","sku":"S","description":"D","cost":100}]}""", "transactionId", "an OData-looking transaction id" },
        { "lease", """{"transactionId":"T1","items":[{"brand":"A","sku":"S","description":"D","cost":79228162514264337593543950335}]}""", "items[0].cost", "cost at decimal.MaxValue" },
        { "lease", """{"transactionId":"T1","items":[{"brand":"A","sku":"S","description":"D","cost":25000,"quantity":100},{"brand":"A","sku":"S2","description":"D","cost":25000,"quantity":100}]}""", "items", "a total over OrderLimits__MaxTotal" },
        { "lease", """{"transactionId":"T1","items":[""" + string.Join(",", Enumerable.Repeat("""{"brand":"A","sku":"S","description":"D","cost":1}""", 1_001)) + "]}", "items", "1,001 lines" },
        { "checkout", """{"transactionId":"T1","items":[""" + string.Join(",", Enumerable.Repeat("""{"description":"D","sku":"S","cost":1,"brand":"B","quantity":1}""", 1_001)) + "]}", "items", "1,001 checkout lines" },
        { "checkout", """{"transactionId":"a/../b","items":[{"description":"D","sku":"S","cost":60,"brand":"B","quantity":1}]}""", "transactionId", "a checkout transaction id with dot segments" },
        { "checkout", """{"transactionId":"T1","items":[{"description":"D","sku":"S","cost":60,"brand":"B","quantity":1}],"customer":{"firstName":"A","lastName":"B","email":"a@example.com","address":{"street1":"1 Main","city":"X","region":"FL","postalCode":"334310"}}}""", "customer.address.postalCode", "a checkout customer's bad ZIP" },
    };

    [Theory]
    [MemberData(nameof(Bodies))]
    public async Task Bad_bodies_get_400_naming_the_field_without_an_upstream_call(string route, string body, string? field, string name)
    {
        var result = await Call(route, body);

        Assert.True(result.Status == 400, $"{name}: got {result.Status} {result.Body}");
        Assert.Equal(Problems.ContentType, result.ContentType);
        if (field is not null)
        {
            Assert.Contains(field, result.ErrorFields);
        }

        Assert.Empty(_flex.Server.LogEntries);
    }

    [Fact]
    public async Task Oversized_bodies_get_413()
    {
        var big = "{\"passcode\":\"" + new string('1', (int)JsonBody.DefaultLimitBytes) + "\"}";
        var result = await Call("login", big);
        Assert.Equal(413, result.Status);

        // Also when the length is not announced up front (chunked).
        var ctx = HttpTestKit.Request(Sp, "POST", "/api/v1/customers/u1/login", big);
        ctx.Request.ContentLength = null;
        var chunked = await HttpTestKit.RunAsync(ctx, r => HttpTestKit.Create<CustomerFunctions>(Sp).LoginCustomer(r, "u1", default));
        Assert.Equal(413, chunked.Status);
        Assert.Empty(_flex.Server.LogEntries);
    }

    [Theory]
    [InlineData("?email=nobody", "email")]
    [InlineData("", "email")]
    [InlineData("?email=a%20b@example.com", "email")]
    public async Task Lookup_with_a_bad_email_is_400(string query, string field)
    {
        var result = await HttpTestKit.RunAsync(HttpTestKit.Request(Sp, "GET", "/api/v1/customers/lookup", query: query),
            r => HttpTestKit.Create<CustomerFunctions>(Sp).LookupCustomer(r, default));
        Assert.Equal(400, result.Status);
        Assert.Contains(field, result.ErrorFields);
        Assert.Empty(_flex.Server.LogEntries);
    }

    [Theory]
    [InlineData("abc\n")]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("T1\u0000")]
    [InlineData("\u0664\u0668\u0662")]
    [InlineData("T1%2F..")]
    public async Task Route_ids_that_could_change_the_upstream_path_are_400(string id)
    {
        var result = await HttpTestKit.RunAsync(HttpTestKit.Request(Sp, "GET", "/api/v1/transactions/_"),
            r => HttpTestKit.Create<LeaseFunctions>(Sp).GetTransaction(r, id, default));
        Assert.Equal(400, result.Status);
        Assert.Contains("id", result.ErrorFields);
        Assert.Empty(_flex.Server.LogEntries);
    }

    [Theory]
    [InlineData("failed", "a/b", "id")]
    [InlineData("failed", "..", "id")]
    [InlineData("failed", "../failed/5d41402abc4b2a76b9719d911017c592aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "id")]
    [InlineData("..", "5d41402abc4b2a76b9719d911017c592aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "kind")]
    [InlineData("failed/x", "5d41402abc4b2a76b9719d911017c592aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "kind")]
    public async Task Replaying_a_failed_event_with_a_bad_address_is_400_naming_it_and_never_reaches_storage(string kind, string id, string field)
    {
        var requests = new StorageRequestCounter();
        await using var app = HttpApp.Build(_flex, configure: s => s.AddSingleton(Azurite.Instance.TablesObservedBy(requests)));
        var admin = HttpTestKit.Create<WarehouseAdminFunctions>(app.Provider);

        var result = await HttpTestKit.RunAsync(HttpTestKit.Request(app.Provider, "POST", "/api/v1/admin/warehouse-events/failed/_/_/replay"),
            r => admin.ReplayOne(r, kind, id, default));

        Assert.Equal(400, result.Status);
        Assert.Contains(field, result.ErrorFields);
        Assert.Equal(0, requests.Count);
    }

    [Fact]
    public async Task Replaying_an_unknown_well_formed_failed_event_is_404()
    {
        var result = await HttpTestKit.RunAsync(HttpTestKit.Request(Sp, "POST", "/api/v1/admin/warehouse-events/failed/_/_/replay"),
            r => HttpTestKit.Create<WarehouseAdminFunctions>(Sp).ReplayOne(r, "failed", new string('a', 64), default));
        Assert.Equal(404, result.Status);
    }

    [Fact]
    public async Task A_store_that_raises_OrderLimits_MaxTotal_may_lease_more()
    {
        _flex.Server.StubJson("POST", "/v3/leases", 200, """{"status":200,"data":{"leaseId":"L1"}}""");
        await using var app = HttpApp.Build(_flex, s => s["OrderLimits:MaxTotal"] = "60000");
        var body = """{"transactionId":"T1","items":[{"brand":"A","sku":"S","description":"D","cost":30000,"quantity":2}]}""";
        var headers = new Dictionary<string, string> { [CustomerSessions.Header] = app.Provider.GetRequiredService<CustomerSessions>().Seal(new("tok", (await app.Get<FlexFunctions.Shared.Secrets.IApiKeyProvider>().GetCurrentAsync()).Version)).Value };

        var result = await HttpTestKit.RunAsync(HttpTestKit.Request(app.Provider, "POST", "/api/v1/leases", body, headers),
            r => HttpTestKit.Create<LeaseFunctions>(app.Provider).CreateLease(r, default));

        // Past the default $25,000 bound, within the store's: validation lets it through to FlexShopper.
        Assert.NotEqual(400, result.Status);
        Assert.Single(_flex.Server.LogEntries, e => e.RequestMessage!.Path == "/v3/leases");
    }

    [Theory]
    [InlineData("OrderLimits:MaxTotal", "49.94")]
    [InlineData("OrderLimits:MaxTotal", "1000001")]
    [InlineData("OrderLimits:MaxLines", "0")]
    [InlineData("OrderLimits:MaxQuantity", "10001")]
    public void An_order_limit_out_of_range_stops_the_app_at_start(string setting, string value)
    {
        var error = Assert.ThrowsAny<Exception>(() =>
        {
            using var app = HttpApp.Build(_flex, s => s[setting] = value);
            _ = app.Get<Microsoft.Extensions.Options.IOptions<FlexFunctions.Shared.InputRules.OrderLimitsOptions>>().Value;
        });
        Assert.Contains(setting[(setting.IndexOf(':', StringComparison.Ordinal) + 1)..], error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("011000016")] // checksum off by one
    [InlineData("12345678")] // 8 digits
    [InlineData("01100001a")]
    [InlineData("000000000")]
    public async Task Bad_routing_numbers_are_refused_locally(string routing)
    {
        var result = await HttpTestKit.RunAsync(HttpTestKit.Request(Sp, "GET", "/api/v1/routing-numbers/" + routing),
            r => HttpTestKit.Create<ApplicationFunctions>(Sp).ValidateRoutingNumber(r, routing, default));
        Assert.Equal(400, result.Status);
        Assert.Contains("routing", result.ErrorFields);
        Assert.Empty(_flex.Server.LogEntries);
    }

    [Theory]
    [InlineData("leaseStatus=done", "leaseStatus")]
    [InlineData("limit=1000", "limit")]
    [InlineData("page=zero", "page")]
    [InlineData("fromDate=2024-13-01", "fromDate")]
    public async Task Bad_transaction_queries_are_400(string query, string field)
    {
        var result = await HttpTestKit.RunAsync(HttpTestKit.Request(Sp, "GET", "/api/v1/transactions", query: "?" + query),
            r => HttpTestKit.Create<LeaseFunctions>(Sp).ListTransactions(r, default));
        Assert.Equal(400, result.Status);
        Assert.Contains(field, result.ErrorFields);
        Assert.Empty(_flex.Server.LogEntries);
    }

    [Theory]
    [InlineData(null, "CustomerSessionRequired")]
    [InlineData("garbage", "CustomerSessionInvalid")]
    public async Task Customer_routes_without_a_valid_session_are_401(string? session, string code)
    {
        var headers = session is null ? null : new Dictionary<string, string> { [CustomerSessions.Header] = session };
        var result = await HttpTestKit.RunAsync(HttpTestKit.Request(Sp, "GET", "/api/v1/customers/me", headers: headers),
            r => HttpTestKit.Create<CustomerFunctions>(Sp).GetCurrentCustomer(r, default));
        Assert.Equal(401, result.Status);
        Assert.Equal(code, result.Json.GetProperty("code").GetString());
        Assert.Empty(_flex.Server.LogEntries);
    }

    [Fact]
    public async Task A_tampered_session_is_401()
    {
        var good = Session;
        var tampered = good[..^4] + (good[^4] == 'A' ? 'B' : 'A') + good[^3..];
        var result = await HttpTestKit.RunAsync(
            HttpTestKit.Request(Sp, "GET", "/api/v1/customers/me", headers: new Dictionary<string, string> { [CustomerSessions.Header] = tampered }),
            r => HttpTestKit.Create<CustomerFunctions>(Sp).GetCurrentCustomer(r, default));
        Assert.Equal(401, result.Status);
        Assert.Empty(_flex.Server.LogEntries);
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("forged")]
    [InlineData("stale")]
    [InlineData("future")]
    [InlineData("malformed")]
    [InlineData("body-changed")]
    public async Task Forged_and_stale_signatures_are_401_when_signatures_are_required(string kind)
    {
        await using var app = HttpApp.Build(_flex, s =>
        {
            s["Webhook:RequireSignature"] = "true";
            s["Webhook:SigningSecret"] = Secret;
        });
        var body = """{"transport":"sms"}""";
        var bytes = Encoding.UTF8.GetBytes(body);
        var header = kind switch
        {
            "missing" => null,
            "forged" => WebhookSignature.Sign(Encoding.UTF8.GetBytes("another-secret-another-secret-xx"), Now, bytes),
            "stale" => WebhookSignature.Sign(Encoding.UTF8.GetBytes(Secret), Now.AddMinutes(-6), bytes),
            "future" => WebhookSignature.Sign(Encoding.UTF8.GetBytes(Secret), Now.AddMinutes(6), bytes),
            "malformed" => "t=abc,v1=zz",
            _ => WebhookSignature.Sign(Encoding.UTF8.GetBytes(Secret), Now, Encoding.UTF8.GetBytes("""{"transport":"all"}""")),
        };
        var headers = header is null ? null : new Dictionary<string, string> { [WebhookSignature.Header] = header };

        var result = await HttpTestKit.RunAsync(HttpTestKit.Request(app.Provider, "POST", "/api/v1/customers/u1/passcode", body, headers),
            r => HttpTestKit.Create<CustomerFunctions>(app.Provider).RequestPasscode(r, "u1", default));

        Assert.Equal(401, result.Status);
        Assert.Equal("InvalidSignature", result.Json.GetProperty("code").GetString());
        Assert.Empty(_flex.Server.LogEntries);
    }

    [Fact]
    public async Task A_valid_signature_passes()
    {
        _flex.Server.StubJson("POST", "/v3/users/u1/send-passcode", 200, """{"status":200,"data":{}}""");
        await using var app = HttpApp.Build(_flex, s =>
        {
            s["Webhook:RequireSignature"] = "true";
            s["Webhook:SigningSecret"] = Secret;
        });
        var body = """{"transport":"sms"}""";
        var header = WebhookSignature.Sign(Encoding.UTF8.GetBytes(Secret), Now.AddMinutes(-4), Encoding.UTF8.GetBytes(body));

        var result = await HttpTestKit.RunAsync(
            HttpTestKit.Request(app.Provider, "POST", "/api/v1/customers/u1/passcode", body, new Dictionary<string, string> { [WebhookSignature.Header] = header }),
            r => HttpTestKit.Create<CustomerFunctions>(app.Provider).RequestPasscode(r, "u1", default));

        Assert.Equal(202, result.Status);
        Assert.Single(_flex.Server.LogEntries);
    }

    [Fact]
    public void Requiring_signatures_without_a_secret_stops_the_app_at_start()
    {
        var error = Assert.ThrowsAny<Exception>(() =>
        {
            using var app = HttpApp.Build(_flex, s => s["Webhook:RequireSignature"] = "true");
            _ = app.Get<Microsoft.Extensions.Options.IOptions<WebhookOptions>>().Value;
        });
        Assert.Contains("Webhook__SigningSecret", error.Message, StringComparison.Ordinal);
    }

    private Task<HttpResult> Call(string route, string body)
    {
        var session = new Dictionary<string, string> { [CustomerSessions.Header] = Session };
        var customers = HttpTestKit.Create<CustomerFunctions>(Sp);
        var applications = HttpTestKit.Create<ApplicationFunctions>(Sp);
        var leases = HttpTestKit.Create<LeaseFunctions>(Sp);
        (string Path, Dictionary<string, string>? Headers, Func<HttpRequest, Task<IActionResult>> Fn) target = route switch
        {
            "verify" => ("/api/v1/customers/verify", null, r => customers.VerifyCustomer(r, default)),
            "create" => ("/api/v1/customers", null, r => customers.CreateCustomer(r, default)),
            "passcode" => ("/api/v1/customers/u1/passcode", null, r => customers.RequestPasscode(r, "u1", default)),
            "login" => ("/api/v1/customers/u1/login", null, r => customers.LoginCustomer(r, "u1", default)),
            "apply" => ("/api/v1/applications", session, r => applications.StartApplication(r, default)),
            "answers" => ("/api/v1/applications/answers", session, r => applications.SubmitVerificationAnswers(r, default)),
            "payment" => ("/api/v1/payment-methods", session, r => applications.AddPaymentMethod(r, default)),
            "lease" => ("/api/v1/leases", session, r => leases.CreateLease(r, default)),
            "sign" => ("/api/v1/leases/L1/sign", session, r => leases.SignLease(r, "L1", default)),
            "checkout" => ("/api/v1/checkout", null, r => leases.Checkout(r, default)),
            _ => throw new ArgumentOutOfRangeException(nameof(route)),
        };
        return HttpTestKit.RunAsync(HttpTestKit.Request(Sp, "POST", target.Path, body, target.Headers), target.Fn);
    }

    public void Dispose()
    {
        _app.Dispose();
        _flex.Dispose();
    }
}
