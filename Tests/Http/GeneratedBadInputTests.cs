using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using CsCheck;
using FlexFunctions.Functions.Http;
using FlexFunctions.Shared.Applications;
using FlexFunctions.Shared.Confirmations;
using FlexFunctions.Shared.CustomerAuth;
using FlexFunctions.Shared.Http;
using FlexFunctions.Shared.InputRules;
using FlexFunctions.Shared.Leases;
using FlexFunctions.Shared.Secrets;
using FlexFunctions.Shared.Webhooks;
using FlexFunctions.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Primitives;
using Xunit.Abstractions;
using static FlexFunctions.Tests.Http.BadValues;

namespace FlexFunctions.Tests.Http;

/// <summary>
/// The generated bad-input suite (CsCheck): for every HTTP function, generated bad values in every field, route value,
/// query parameter or guard header. Each case must be a 4xx problem naming the field (the guard's code for a bad session
/// or signature), never a 5xx, and FlexShopper (a WireMock that would answer anything) must see no request at all.
/// A failure prints the route, the field, the value and CsCheck's seed to replay it. Each route writes a summary line:
/// <c>dotnet test Tests -c Release --no-build --filter "FullyQualifiedName~GeneratedBadInputTests" --logger "console;verbosity=detailed"</c>.
/// </summary>
public sealed partial class GeneratedBadInputTests : IDisposable
{
    private const string Secret = "a-webhook-signing-secret-of-32-chars-or-more";
    private const string Sha = "5d41402abc4b2a76b9719d911017c592aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    private static readonly OrderLimitsOptions Limits = new();

    private readonly ITestOutputHelper _output;
    private readonly FakeFlexShopper _flex = new();
    private readonly TestServices _app;
    private readonly TestServices _signed;
    private readonly Lazy<string> _session;

    public GeneratedBadInputTests(ITestOutputHelper output)
    {
        _output = output;
        // FlexShopper answers every request, so only its request log can show that something got through.
        foreach (var method in new[] { "GET", "POST" })
        {
            _flex.Server.StubJson(method, "/*", 200, """{"status":200,"data":{}}""");
        }

        _app = HttpApp.Build(_flex, StorePlatforms.PlatformBed.AddSecrets);
        _byName = new(() => HttpApp.Build(_flex, s =>
        {
            StorePlatforms.PlatformBed.AddSecrets(s);
            s["Shopify:TransactionId"] = "name";
            s["WooCommerce:TransactionId"] = "number";
        }));
        _signed = HttpApp.Build(_flex, s =>
        {
            s["Webhook:RequireSignature"] = "true";
            s["Webhook:SigningSecret"] = Secret;
        });
        _session = new(() => _app.Get<CustomerSessions>().Seal(new("tok", _app.Get<IApiKeyProvider>().GetCurrentAsync().AsTask().Result.Version)).Value);
    }

    /// <summary>One generated request: the field it spoils, how, and how to send it.</summary>
    public sealed record Case(string Field, string What, Func<Task<HttpResult>> Send, IReadOnlyList<string>? Codes = null)
    {
        public override string ToString() => $"{Field}: {What}";
    }

    /// <summary>A route under test: its generated cases, how many a run, and a valid request that FlexShopper does receive.</summary>
    private sealed record RouteUnderTest(int Iterations, Gen<Case> Cases, Func<Task<HttpResult>> Baseline, bool BaselineReachesFlexShopper = true);

    /// <summary>Every HTTP function with input, by function name.</summary>
    private static readonly string[] InputRoutes =
    [
        "LookupCustomer", "VerifyCustomer", "CreateCustomer", "RequestPasscode", "LoginCustomer", "GetCurrentCustomer",
        "StartApplication", "GetVerificationQuestions", "SubmitVerificationAnswers", "ValidateRoutingNumber", "AddPaymentMethod", "GetPaymentChildKey",
        "CreateLease", "GetLease", "SignLease", "Checkout", "FinalizeTransaction", "GetTransaction", "ListTransactions",
        "CatalogList", "CatalogGetProduct", "WarehouseFailedEventsList", "WarehouseFailedEventReplay", "WarehouseFailedEventsReplayAll",
    ];

    /// <summary>Functions that read no input at all: junk query parameters and bodies must change nothing.</summary>
    private static readonly string[] NoInputRoutes = ["GetOpenApiDocument", "CatalogStatus", "CatalogLeaseSettings", "HealthLive"];

    public static TheoryData<string> RoutesWithInput => new(InputRoutes);

    public static TheoryData<string> RoutesWithoutInput => new(NoInputRoutes);

    /// <summary>Functions left out, with why: they call FlexShopper by design and read no input.</summary>
    private static readonly Dictionary<string, string> Excluded = new(StringComparer.Ordinal)
    {
        ["HealthReady"] = "probes FlexShopper on every call and reads no input",
        ["CatalogRefreshNow"] = "pages FlexShopper's catalog on every call and reads no input",
    };

    [Theory]
    [MemberData(nameof(RoutesWithInput))]
    public async Task Generated_bad_input_is_a_4xx_problem_naming_the_field_and_never_reaches_FlexShopper(string function)
    {
        var route = Route(function);
        var cases = 0;
        var serverErrors = 0;
        var upstream = 0;
        await route.Cases.SampleAsync(async c =>
        {
            Interlocked.Increment(ref cases);
            var before = _flex.Server.LogEntries.Count();
            var result = await c.Send();
            var reached = _flex.Server.LogEntries.Count() - before;
            upstream += reached;
            serverErrors += result.Status >= 500 ? 1 : 0;
            var where = $"{function} {c}: got {result.Status} {result.Body}";
            Assert.True(result.Status is >= 400 and < 500, where);
            Assert.True(reached == 0, $"{where}: {reached} request(s) reached FlexShopper");
            Assert.Equal(Problems.ContentType, result.ContentType);
            if (c.Codes is { } codes)
            {
                Assert.True(result.Json.TryGetProperty("code", out var code) && codes.Contains(code.GetString()), where);
            }
            else
            {
                Assert.True(result.Status == 400 && result.ErrorFields.Contains(c.Field), $"{where}: the problem must name '{c.Field}'");
            }
        }, iter: route.Iterations, threads: 1);

        _output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"bad-input route={function} cases={cases} 5xx={serverErrors} upstream-calls={upstream}"));
    }

    [Theory]
    [MemberData(nameof(RoutesWithInput))]
    public async Task The_valid_request_each_route_mutates_is_accepted(string function)
    {
        // Proves the generated cases fail because of the spoiled field, not because the rest of the request was bad.
        var route = Route(function);
        var before = _flex.Server.LogEntries.Count();
        var result = await route.Baseline();
        if (route.BaselineReachesFlexShopper)
        {
            Assert.True(_flex.Server.LogEntries.Count() > before, $"{function}: the valid request got {result.Status} {result.Body} without reaching FlexShopper");
        }
        else
        {
            Assert.True(result.Status is 200 or 404, $"{function}: the valid request got {result.Status} {result.Body}");
        }
    }

    [Theory]
    [MemberData(nameof(RoutesWithoutInput))]
    public async Task Routes_without_input_ignore_generated_junk(string function)
    {
        var send = NoInput(function);
        var baseline = await send(null, null);
        var junk = Gen.Select(Gen.String[Gen.Char[' ', '~'], 1, 20], Strings(FieldRules.Identifier, "x", required: false, [.. PathAndQueryAttacks]), (name, value) => (name, value));
        var cases = 0;
        var upstream = 0;
        await junk.SampleAsync(async j =>
        {
            cases++;
            var before = _flex.Server.LogEntries.Count();
            var result = await send(new Dictionary<string, StringValues> { [j.name] = j.value.Text ?? j.value.Json ?? "" }, j.value.Json ?? JsonString(j.value.Text ?? ""));
            upstream += _flex.Server.LogEntries.Count() - before;
            Assert.True(result.Status == baseline.Status, $"{function} with junk {j.name}={j.value}: {result.Status}, without: {baseline.Status}");
        }, iter: 10, threads: 1);

        Assert.Equal(0, upstream);
        _output.WriteLine($"bad-input route={function} cases={cases} 5xx=0 upstream-calls={upstream} (no input: junk ignored, status {baseline.Status} as without it)");
    }

    [Fact]
    public void Every_http_function_is_in_the_suite()
    {
        var all = FunctionMetadata.Functions.Where(f => f.TriggerType == "httpTrigger").Select(f => f.Name).ToHashSet(StringComparer.Ordinal);
        var covered = InputRoutes.Concat(NoInputRoutes).Concat(PlatformRoutes).Concat(Excluded.Keys).ToHashSet(StringComparer.Ordinal);
        Assert.True(all.SetEquals(covered), "Not in the generated suite: " + string.Join(", ", all.Except(covered)) + "; gone: " + string.Join(", ", covered.Except(all)));
        foreach (var function in InputRoutes)
        {
            Assert.True(Route(function).Iterations >= 20, function);
        }

        foreach (var function in PlatformRoutes)
        {
            Assert.True(PlatformRoute(function).Iterations >= 20, function);
        }
    }

    [Fact]
    public void A_run_generates_at_least_500_cases()
    {
        var total = InputRoutes.Sum(r => Route(r).Iterations) + PlatformRoutes.Sum(r => PlatformRoute(r).Iterations);
        _output.WriteLine($"bad-input total HTTP cases a run: {total} over {InputRoutes.Length + PlatformRoutes.Length} routes with input");
        Assert.True(total >= 500, $"only {total}");
    }

    private IServiceProvider Sp => _app.Provider;

    private RouteUnderTest Route(string function) => function switch
    {
        "LookupCustomer" => new(40,
            QueryCases("email", FieldRules.Email, "ana@example.com", true, q => Get("/api/v1/customers/lookup", q, r => Customers.LookupCustomer(r, default)), Extras.Email),
            () => Get("/api/v1/customers/lookup", Query(("email", "ana@example.com")), r => Customers.LookupCustomer(r, default))),
        "VerifyCustomer" => Body(80, "/api/v1/customers/verify", Baselines.Verify, r => Customers.VerifyCustomer(r, default), customer: false,
        [
            Text("email", FieldRules.Email, "ana@example.com", Extras.Email),
            Text("phone", FieldRules.Phone, "5615550100", Extras.Phone),
            .. Address("address.", optionalCountry: true),
            new FieldSpec("address", Gen.OneOf(new BadValue("missing", Missing: true), new BadValue("a string", Json: "\"1 Main St\""))),
        ]),
        "CreateCustomer" => Body(60, "/api/v1/customers", Baselines.Create, r => Customers.CreateCustomer(r, default), customer: false,
        [
            Text("firstName", FieldRules.Text, "Ana"),
            Text("lastName", FieldRules.Text, "Silva"),
            Text("email", FieldRules.Email, "ana@example.com", Extras.Email),
            Text("locale", CreateCustomerInput.Locales, "en", required: false, extra: ["EN", "fr", "en-US"]),
        ]),
        "RequestPasscode" => new(80, Gen.OneOf(
                RouteCases("userId", FieldRules.Identifier, "u123", v => PostBody("/api/v1/customers/_/passcode", Baselines.Passcode.ToJsonString(), r => Customers.RequestPasscode(r, v, default), false), PathAndQueryAttacks),
                BodyCases(Baselines.Passcode, [Text("transport", PasscodeRequestInput.Transports, "sms", extra: ["SMS", "pigeon", "sms,email"]), Text("customerIp", FieldRules.IpAddress, "203.0.113.7", required: false, extra: Extras.Ip)],
                    b => PostBody("/api/v1/customers/u123/passcode", b, r => Customers.RequestPasscode(r, "u123", default), false))),
            () => PostBody("/api/v1/customers/u123/passcode", Baselines.Passcode.ToJsonString(), r => Customers.RequestPasscode(r, "u123", default), false)),
        "LoginCustomer" => new(80, Gen.OneOf(
                RouteCases("userId", FieldRules.Identifier, "u123", v => PostBody("/api/v1/customers/_/login", Baselines.Login.ToJsonString(), r => Customers.LoginCustomer(r, v, default), false), PathAndQueryAttacks),
                BodyCases(Baselines.Login, [Text("passcode", FieldRules.Passcode, "482913", extra: Extras.Passcode), Text("customerIp", FieldRules.IpAddress, "2001:db8::1", required: false, extra: Extras.Ip)],
                    b => PostBody("/api/v1/customers/u123/login", b, r => Customers.LoginCustomer(r, "u123", default), false))),
            () => PostBody("/api/v1/customers/u123/login", Baselines.Login.ToJsonString(), r => Customers.LoginCustomer(r, "u123", default), false)),
        "GetCurrentCustomer" => new(30, SessionCases(h => Get("/api/v1/customers/me", null, r => Customers.GetCurrentCustomer(r, default), h)),
            () => Get("/api/v1/customers/me", null, r => Customers.GetCurrentCustomer(r, default), SessionHeader)),
        "StartApplication" => Body(120, "/api/v1/applications", Baselines.Apply, r => Applications.StartApplication(r, default), customer: true,
        [
            .. Address(string.Empty, optionalCountry: true),
            Text("mobilePhone", FieldRules.Phone, "561-555-0100", required: false, extra: Extras.Phone),
            Text("dateOfBirth", FieldRules.Date, "1988-04-12", extra: [.. Extras.Date, "2020-01-01", DateTime.UtcNow.AddYears(-17).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)]),
            Text("ssn", FieldRules.Ssn, "123-45-6789", extra: Extras.Ssn),
            Text("employmentInformation.payFrequency", EmploymentInput.Frequencies, "biweekly", extra: ["fortnightly", "bi-weekly"]),
            new FieldSpec("employmentInformation.monthlyIncome", Money(EmploymentInput.MaxMonthlyIncome, required: true, allowZero: false)),
            Text("employmentInformation.name", FieldRules.Text, "Acme Corp", required: false),
            Text("employmentInformation.phone", FieldRules.Phone, "3055550100", required: false, extra: Extras.Phone),
            Text("employmentInformation.lastPayDate", FieldRules.Date, "2026-01-02", required: false, extra: Extras.Date),
            Text("employmentInformation.nextPayDate", FieldRules.Date, "2026-01-16", required: false, extra: Extras.Date),
            Text("bankAccount.routing", FieldRules.RoutingNumber, "011000015", extra: Extras.Routing),
            Text("bankAccount.account", FieldRules.BankAccount, "000123456789", extra: ["123", "123456789012345678", "1234-5678"]),
            Text("bankAccount.type", BankAccountInput.AccountTypes, "checking", extra: ["Checking", "brokerage"]),
            Text("driversLicenseNumber", FieldRules.Code, "D123-456-789", required: false, extra: Extras.Code),
            Text("driversLicenseState", FieldRules.UsState, "FL", required: false, extra: Extras.State),
            Text("deviceFingerprint", FieldRules.Token, "fp-0a1b2c3d", required: false, extra: ["a b", " fp"]),
            Text("customerIp", FieldRules.IpAddress, "203.0.113.7", required: false, extra: Extras.Ip),
            new FieldSpec("expectedPurchaseAmount", Money(Limits.MaxTotal, required: false, allowZero: true)),
            new FieldSpec("employmentInformation", Gen.OneOf(new BadValue("missing", Missing: true), new BadValue("null", Json: "null"))),
            new FieldSpec("bankAccount", Gen.OneOf(new BadValue("missing", Missing: true), new BadValue("null", Json: "null"))),
        ]),
        "GetVerificationQuestions" => new(30, SessionCases(h => Get("/api/v1/applications/questions", null, r => Applications.GetVerificationQuestions(r, default), h)),
            () => Get("/api/v1/applications/questions", null, r => Applications.GetVerificationQuestions(r, default), SessionHeader)),
        "SubmitVerificationAnswers" => Body(60, "/api/v1/applications/answers", Baselines.Answers, r => Applications.SubmitVerificationAnswers(r, default), customer: true,
        [
            Text("id", FieldRules.Identifier, "kba-1", extra: PathAndQueryAttacks),
            Text("answers[0].questionId", FieldRules.Identifier, "q1", extra: PathAndQueryAttacks),
            Text("answers[0].choiceId", FieldRules.Identifier, "c2", extra: PathAndQueryAttacks),
            new FieldSpec("answers", Lines("""{"questionId":"q1","choiceId":"c1"}""", AnswersInput.MaxAnswers)),
        ]),
        "ValidateRoutingNumber" => new(40,
            RouteCases("routing", FieldRules.RoutingNumber, "011000015", v => Get("/api/v1/routing-numbers/_", null, r => Applications.ValidateRoutingNumber(r, v, default)), Extras.Routing),
            () => Get("/api/v1/routing-numbers/011000015", null, r => Applications.ValidateRoutingNumber(r, "011000015", default))),
        "AddPaymentMethod" => new(80, Gen.OneOf(
                BodyCases(Baselines.Ach,
                [
                    Text("ach.routing", FieldRules.RoutingNumber, "011000015", extra: Extras.Routing),
                    Text("ach.account", FieldRules.BankAccount, "12345678", extra: ["123", "123456789012345678"]),
                    Text("ach.accountType", BankAccountInput.AccountTypes, "checking", extra: ["CHECKING", "loan"]),
                    Text("label", FieldRules.Text, "Main checking", required: false),
                ], b => PostBody("/api/v1/payment-methods", b, r => Applications.AddPaymentMethod(r, default), true)),
                BodyCases(Baselines.Card,
                [
                    Text("card.cardType", FieldRules.Code, "visa", extra: Extras.Code),
                    Text("card.token", FieldRules.Token, "tok_abc123", extra: ["a b", " tok"]),
                    Text("card.billingZip", FieldRules.Zip, "33431", extra: Extras.Zip),
                    Text("card.lastFour", FieldRules.CardLastFour, "4242", required: false, extra: ["424", "42424", "abcd"]),
                    Text("card.firstSix", FieldRules.CardFirstSix, "424242", required: false, extra: ["42424", "4242424"]),
                    Text("card.expirationDate", FieldRules.CardExpiry, "12/29", required: false, extra: ["13/29", "00/29", "1/29", "12/2", "12-29"]),
                ], b => PostBody("/api/v1/payment-methods", b, r => Applications.AddPaymentMethod(r, default), true))),
            () => PostBody("/api/v1/payment-methods", Baselines.Ach.ToJsonString(), r => Applications.AddPaymentMethod(r, default), true)),
        "GetPaymentChildKey" => new(30, SignatureCases(), () => PostBody("/api/v1/payment-methods/child-key", "{}", r => Applications.GetPaymentChildKey(r, default), false)),
        "CreateLease" => new(150, Gen.OneOf(
                BodyCases(Baselines.Lease, LeaseFields(), b => PostBody("/api/v1/leases", b, r => Leases.CreateLease(r, default), true)),
                BodyCases(Baselines.Lease, LeaseFields(), b => PostBody("/api/v1/leases", b, r => Leases.CreateLease(r, default), true, IdempotencyKey())),
                Gen.Int[256, 5_000].Select(n => new Case(ApiEndpoint.IdempotencyKeyHeader, $"a {n}-character key",
                    () => PostBody("/api/v1/leases", Baselines.Lease.ToJsonString(), r => Leases.CreateLease(r, default), true, new() { [ApiEndpoint.IdempotencyKeyHeader] = new string('k', n) })))),
            () => PostBody("/api/v1/leases", Baselines.Lease.ToJsonString(), r => Leases.CreateLease(r, default), true)),
        "GetLease" => new(40,
            RouteCases("leaseId", FieldRules.LeaseId, "eyJhbGciOiJIUzI1NiJ9.eyJsZWFzZSI6MX0.c2ln", v => Get("/api/v1/leases/_", null, r => Leases.GetLease(r, v, default), SessionHeader), PathAndQueryAttacks),
            () => Get("/api/v1/leases/L1", null, r => Leases.GetLease(r, "L1", default), SessionHeader)),
        "SignLease" => new(60, Gen.OneOf(
                RouteCases("leaseId", FieldRules.LeaseId, "L1", v => PostBody("/api/v1/leases/_/sign", Baselines.Sign.ToJsonString(), r => Leases.SignLease(r, v, default), true), PathAndQueryAttacks),
                BodyCases(Baselines.Sign, [Text("customerIp", FieldRules.IpAddress, "203.0.113.7", extra: Extras.Ip)],
                    b => PostBody("/api/v1/leases/L1/sign", b, r => Leases.SignLease(r, "L1", default), true))),
            () => PostBody("/api/v1/leases/L1/sign", Baselines.Sign.ToJsonString(), r => Leases.SignLease(r, "L1", default), true)),
        "Checkout" => Body(150, "/api/v1/checkout", Baselines.Checkout, r => Leases.Checkout(r, default), customer: false,
        [
            Text("transactionId", FieldRules.Identifier, "T-2001", extra: PathAndQueryAttacks),
            Text("couponCode", FieldRules.Code, "SAVE10", required: false, extra: Extras.Code),
            .. LineFields("items[0].", quantityRequired: true),
            Text("items[0].images[0]", FieldRules.HttpUrl, "https://img.example.com/sofa.jpg", extra: Extras.Url),
            new FieldSpec("items[0].shipping.cost", Money(Limits.MaxTotal, required: false, allowZero: true)),
            Text("items[0].shipping.date", FieldRules.Date, "2026-03-02", required: false, extra: Extras.Date),
            Text("items[0].shipping.method", OrderRules.ShippingMethods, "freight", required: false, extra: ["FREIGHT", "teleport"]),
            new FieldSpec("items", Gen.OneOf(
                Lines("""{"description":"D","sku":"S","cost":1,"brand":"B","quantity":1}""", Limits.MaxLines),
                Gen.Const(new BadValue("two lines at the maximum total each", Json: $$"""[{"description":"D","sku":"S","cost":{{Limits.MaxTotal}},"brand":"B","quantity":1},{"description":"D","sku":"S2","cost":{{Limits.MaxTotal}},"brand":"B","quantity":1}]""")))),
            Text("customer.firstName", FieldRules.Text, "Ana"),
            Text("customer.lastName", FieldRules.Text, "Silva"),
            Text("customer.email", FieldRules.Email, "ana@example.com", Extras.Email),
            Text("customer.phones.home", FieldRules.Phone, "5615550100", required: false, extra: Extras.Phone),
            Text("customer.phones.mobile", FieldRules.Phone, "3055550100", required: false, extra: Extras.Phone),
            .. Address("customer.address.", optionalCountry: false),
        ]),
        "FinalizeTransaction" => new(60, Gen.OneOf(
                RouteCases("id", FieldRules.Identifier, "T-1001", v => PostBody("/api/v1/transactions/_/finalize", null, r => Leases.FinalizeTransaction(r, v, default), false), PathAndQueryAttacks),
                RouteCases("id", FieldRules.Identifier, "T-1001", v => PostBody("/api/v1/transactions/_/finalize", null, r => Leases.FinalizeTransaction(r, v, default), false, IdempotencyKey()), PathAndQueryAttacks)),
            () => PostBody("/api/v1/transactions/T1/finalize", null, r => Leases.FinalizeTransaction(r, "T1", default), false)),
        "GetTransaction" => new(40,
            RouteCases("id", FieldRules.Identifier, "T-1001", v => Get("/api/v1/transactions/_", null, r => Leases.GetTransaction(r, v, default)), PathAndQueryAttacks),
            () => Get("/api/v1/transactions/T1", null, r => Leases.GetTransaction(r, "T1", default))),
        "ListTransactions" => new(60, TransactionQueryCases(),
            () => Get("/api/v1/transactions", Query(("leaseStatus", "signed"), ("page", "2"), ("limit", "50"), ("fromDate", "2026-01-01"), ("toDate", "2026-02-01")), r => Leases.ListTransactions(r, default))),
        "CatalogList" => new(40, CatalogListCases(),
            () => Get("/api/v1/catalog/products", Query(("pageSize", "10")), r => Catalog.List(r, default)), BaselineReachesFlexShopper: false),
        "CatalogGetProduct" => new(40,
            RouteCases("sku", FieldRules.Code, "EMU-00005", v => Get("/api/v1/catalog/products/_", null, r => Catalog.Get(r, v, default)), Extras.Code),
            () => Get("/api/v1/catalog/products/EMU-00005", null, r => Catalog.Get(r, "EMU-00005", default)), BaselineReachesFlexShopper: false),
        "WarehouseFailedEventsList" => new(30,
            QueryCases("kind", FailedEventKinds.Rule, "failed", false, q => Get("/api/v1/admin/warehouse-events/failed", q, r => Admin.List(r, default)), "FAILED", "done", "failed,poisoned"),
            () => Get("/api/v1/admin/warehouse-events/failed", Query(("kind", "failed")), r => Admin.List(r, default)), BaselineReachesFlexShopper: false),
        "WarehouseFailedEventReplay" => new(60, Gen.OneOf(
                RouteCases("kind", FailedEventKinds.Rule, "failed", v => Post("/api/v1/admin/warehouse-events/failed/_/_/replay", r => Admin.ReplayOne(r, v, Sha, default)), "FAILED", "done", ".."),
                RouteCases("id", FailedEventKinds.IdRule, Sha, v => Post("/api/v1/admin/warehouse-events/failed/failed/_/replay", r => Admin.ReplayOne(r, "failed", v, default)),
                    [.. PathAndQueryAttacks, Sha.ToUpperInvariant(), Sha[..63], Sha + "a", "../" + Sha[3..]])),
            () => Post($"/api/v1/admin/warehouse-events/failed/failed/{Sha}/replay", r => Admin.ReplayOne(r, "failed", Sha, default)), BaselineReachesFlexShopper: false),
        "WarehouseFailedEventsReplayAll" => new(30,
            QueryCases("kind", FailedEventKinds.Rule, "failed", false, q => Post("/api/v1/admin/warehouse-events/failed/replay", r => Admin.ReplayAll(r, default), q), "FAILED", "done", "review,failed"),
            () => Post("/api/v1/admin/warehouse-events/failed/replay", r => Admin.ReplayAll(r, default), Query(("kind", "failed"))), BaselineReachesFlexShopper: false),
        _ => throw new ArgumentOutOfRangeException(nameof(function), function, null),
    };

    private static FieldSpec[] LeaseFields() =>
    [
        Text("transactionId", FieldRules.Identifier, "T-1001", extra: PathAndQueryAttacks),
        Text("orderId", FieldRules.Identifier, "order-1001", required: false, extra: PathAndQueryAttacks),
        .. LineFields("items[0].", quantityRequired: false),
        Text("items[0].mpn", FieldRules.Code, "MPN-1", required: false, extra: Extras.Code),
        Text("items[0].gtin", FieldRules.Gtin, "012345678905", required: false, extra: ["1234567", "123456789", "12345678901", "123456789012345"]),
        new FieldSpec("shipping.cost", Money(Limits.MaxTotal, required: false, allowZero: true)),
        Text("shipping.date", FieldRules.Date, "2026-03-01", required: false, extra: Extras.Date),
        Text("shipping.method", OrderRules.ShippingMethods, "ground", required: false, extra: ["Ground", "drone"]),
        new FieldSpec("totalDiscount", Money(Limits.MaxTotal, required: false, allowZero: true)),
        new FieldSpec("items", Gen.OneOf(
            Lines("""{"brand":"A","sku":"S","description":"D","cost":1}""", Limits.MaxLines),
            Gen.Const(new BadValue("below the $49.95 minimum after shipping and discount", Json: """[{"brand":"A","sku":"S","description":"D","cost":44.94}]""")),
            Gen.Int[1, 100].Select(q => new BadValue($"max cost x {q + 1} units past the total", Json: $$"""[{"brand":"A","sku":"S","description":"D","cost":{{Limits.MaxTotal}},"quantity":{{Math.Min(q + 1, Limits.MaxQuantity)}}}]""")))),
    ];

    private static FieldSpec[] LineFields(string prefix, bool quantityRequired) =>
    [
        Text(prefix + "brand", FieldRules.Text, "Acme"),
        Text(prefix + "sku", FieldRules.Code, "TV-55", extra: Extras.Code),
        Text(prefix + "description", FieldRules.Text, "55 inch TV"),
        Text(prefix + "productId", FieldRules.Code, "P-1", required: false, extra: Extras.Code),
        Text(prefix + "condition", OrderRules.Conditions, "new", required: false, extra: ["New", "broken"]),
        new FieldSpec(prefix + "cost", Money(Limits.MaxTotal, required: true, allowZero: false)),
        new FieldSpec(prefix + "quantity", quantityRequired ? Gen.OneOf(Quantity(Limits.MaxQuantity), Gen.Const(new BadValue("missing", Missing: true))) : Quantity(Limits.MaxQuantity)),
    ];

    private static FieldSpec[] Address(string prefix, bool optionalCountry)
    {
        var fields = new List<FieldSpec>
        {
            Text(prefix + "street1", FieldRules.Text, "1 Main St"),
            Text(prefix + "street2", FieldRules.Text, "Apt 2", required: false),
            Text(prefix + "city", FieldRules.Text, "Boca Raton"),
            Text(prefix + "region", FieldRules.UsState, "FL", extra: Extras.State),
            Text(prefix + "postalCode", FieldRules.Zip, "33431", extra: Extras.Zip),
        };
        if (optionalCountry)
        {
            fields.Add(Text(prefix + "country", FieldRules.Country, "US", required: false, extra: ["CA", "United States", "U.S."]));
        }

        return [.. fields];
    }

    private static FieldSpec Text(string path, FieldRule rule, string valid, params string[] extra) => Text(path, rule, valid, true, extra);

    private static FieldSpec Text(string path, FieldRule rule, string valid, bool required, string[]? extra = null) =>
        new(path, Strings(rule, valid, required, extra ?? []));

    private RouteUnderTest Body(int iterations, string path, JsonObject baseline, Func<HttpRequest, Task<IActionResult>> fn, bool customer, FieldSpec[] fields) =>
        new(iterations, BodyCases(baseline, fields, b => PostBody(path, b, fn, customer)), () => PostBody(path, baseline.ToJsonString(), fn, customer));

    private static Gen<Case> BodyCases(JsonObject baseline, FieldSpec[] fields, Func<string, Task<HttpResult>> send) =>
        Gen.OneOf(fields.Select(f => f.Bad.Select(b => new Case(f.Path, b.What, () => send(Mutate(baseline, f.Path, b))))).ToArray());

    /// <summary>A route value: only strings arrive there (the host decodes %-escapes before the function sees it).</summary>
    private static Gen<Case> RouteCases(string field, FieldRule rule, string valid, Func<string, Task<HttpResult>> send, params string[] extra) =>
        Strings(rule, valid, required: true, extra).Where(b => b.Text is not null).Select(b => new Case(field, b.What, () => send(b.Text!)));

    private static Gen<Case> QueryCases(string field, FieldRule rule, string valid, bool required, Func<Dictionary<string, StringValues>, Task<HttpResult>> send, params string[] extra) =>
        Strings(rule, valid, required, extra).Where(b => b.Text is not null)
            .Select(b => new Case(field, b.What, () => send(new Dictionary<string, StringValues> { [field] = b.Text })));

    private Gen<Case> TransactionQueryCases()
    {
        var valid = new Dictionary<string, string> { ["leaseStatus"] = "signed", ["page"] = "2", ["limit"] = "50", ["fromDate"] = "2026-01-01", ["toDate"] = "2026-02-01" };
        Gen<Case> One(string field, Gen<BadValue> bad) => bad.Where(b => b.Text is not null).Select(b => new Case(field, b.What, () =>
            Get("/api/v1/transactions", new Dictionary<string, StringValues>(valid.ToDictionary(kv => kv.Key, kv => new StringValues(kv.Value))) { [field] = b.Text }, r => Leases.ListTransactions(r, default))));
        return Gen.OneOf(
            One("leaseStatus", Strings(TransactionQueryParser.LeaseStatuses, "signed", required: false, "SIGNED", "done", "signed,pending")),
            One("page", WholeNumbers(1, 1000)),
            One("limit", WholeNumbers(1, 100)),
            One("fromDate", Strings(FieldRules.Date, "2026-01-01", required: false, Extras.Date)),
            One("toDate", Strings(FieldRules.Date, "2026-02-01", required: false, Extras.Date)),
            Gen.Int[1, 3650].Select(days => new Case("fromDate", $"{days} days after toDate", () => Get("/api/v1/transactions",
                Query(("fromDate", new DateOnly(2026, 1, 1).AddDays(days).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)), ("toDate", "2026-01-01")), r => Leases.ListTransactions(r, default)))));
    }

    private Gen<Case> CatalogListCases()
    {
        Task<HttpResult> Send(string field, string value) =>
            Get("/api/v1/catalog/products", new Dictionary<string, StringValues> { [field] = value }, r => Catalog.List(r, default));
        var foreign = Gen.OneOf(
            Strings(FieldRules.Base64UrlToken, "YzE6MDAgYWJj", required: false, "abc$", "a b", "a+b/c=", "YzE6", "!!!!"),
            Gen.String[Gen.Char['a', 'z'], 1, 40].Select(s => new BadValue("base64url of text without the c1: prefix", Convert.ToBase64String(Encoding.UTF8.GetBytes("x" + s)).TrimEnd('=').Replace('+', '-').Replace('/', '_'))),
            Gen.OneOf(Controls).Select(c => new BadValue($"c1: with U+{(int)c:X4}", Convert.ToBase64String(Encoding.UTF8.GetBytes("c1:00 a" + c)).TrimEnd('=').Replace('+', '-').Replace('/', '_'))));
        return Gen.OneOf(
            WholeNumbers(1, 100).Where(b => b.Text is { Length: > 0 }).Select(b => new Case("pageSize", b.What, () => Send("pageSize", b.Text!))),
            foreign.Where(b => b.Text is { Length: > 0 } && b.Text.Trim(' ').Length > 0).Select(b => new Case("continuationToken", b.What, () => Send("continuationToken", b.Text!))));
    }

    /// <summary>Query numbers outside min..max, signed, fractional, spaced or in other scripts' digits.</summary>
    private static Gen<BadValue> WholeNumbers(int min, int max) => Gen.OneOf(
        Gen.Int[max + 1, int.MaxValue].Select(n => new BadValue(n.ToString(CultureInfo.InvariantCulture), n.ToString(CultureInfo.InvariantCulture))),
        Gen.Int[int.MinValue, min - 1].Select(n => new BadValue(n.ToString(CultureInfo.InvariantCulture), n.ToString(CultureInfo.InvariantCulture))),
        Gen.Select(Gen.Int[min, max], Gen.OneOf(DigitZeros)).Select((n, zero) => new BadValue($"{n} in digits from U+{zero:X4}",
            new string(n.ToString(CultureInfo.InvariantCulture).Select(c => (char)(zero + (c - '0'))).ToArray()))),
        Gen.Int[min, max].Select(n => new BadValue($"{n} with a trailing newline", n + "\n")),
        Gen.OneOf(new BadValue("1.5", "1.5"), new BadValue("+1", "+1"), new BadValue("1e3", "1e3"), new BadValue("' 1'", " 1"), new BadValue("2147483648", "2147483648"),
            new BadValue("0x10", "0x10"), new BadValue("1,000", "1,000"), new BadValue("zero", "zero"), new BadValue("5,000 digits", new string('9', 5_000))));

    private Gen<Case> SessionCases(Func<Dictionary<string, string>?, Task<HttpResult>> send)
    {
        string[] codes = ["CustomerSessionRequired", "CustomerSessionInvalid"];
        Case One(string what, string? header) => new(CustomerSessions.Header, what,
            () => send(header is null ? null : new Dictionary<string, string> { [CustomerSessions.Header] = header }), codes);
        return Gen.OneOf(
            Gen.OneOf(One("missing", null), One("empty", ""), One("spaces", "   "), One("garbage", "garbage"), One("newline", "\n"), One("5,000 characters", new string('A', 5_000))),
            Gen.Byte.Array[1, 300].Select(bytes => One($"{bytes.Length} random bytes as base64url", Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_'))),
            Gen.Select(Gen.Int[0, 1_000], Gen.Char['A', 'Z']).Select((at, c) =>
            {
                var good = _session.Value;
                var i = at % good.Length;
                var tampered = good[..i] + (good[i] == c ? (char)(c == 'Z' ? 'Y' : c + 1) : c) + good[(i + 1)..];
                return One($"a real session with char {i} changed", tampered);
            }),
            Gen.Int[1, 200].Select(n => One($"a real session cut by {n}", _session.Value[..Math.Max(1, _session.Value.Length - n)])));
    }

    private Gen<Case> SignatureCases()
    {
        var body = "{}"u8.ToArray();
        var now = DateTimeOffset.UtcNow;
        string[] codes = ["InvalidSignature"];
        Case One(string what, string? header) => new(WebhookSignature.Header, what, () =>
        {
            var headers = header is null ? null : new Dictionary<string, string> { [WebhookSignature.Header] = header };
            var fn = HttpTestKit.Create<ApplicationFunctions>(_signed.Provider);
            return HttpTestKit.RunAsync(HttpTestKit.Request(_signed.Provider, "POST", "/api/v1/payment-methods/child-key", "{}", headers), r => fn.GetPaymentChildKey(r, default));
        }, codes);
        return Gen.OneOf(
            Gen.OneOf(One("missing", null), One("malformed", "t=abc,v1=zz"), One("no v1", $"t={now.ToUnixTimeSeconds()}"), One("newline", "\n"), One("5,000 characters", new string('v', 5_000))),
            Gen.Int[301, 100_000].Select(s => One($"signed {s} s ago", WebhookSignature.Sign(Encoding.UTF8.GetBytes(Secret), now.AddSeconds(-s), body))),
            Gen.Int[301, 100_000].Select(s => One($"signed {s} s ahead", WebhookSignature.Sign(Encoding.UTF8.GetBytes(Secret), now.AddSeconds(s), body))),
            Gen.String[Gen.Char['a', 'z'], 32, 64].Select(other => One("signed with another secret", WebhookSignature.Sign(Encoding.UTF8.GetBytes(other), now, body))),
            Gen.Byte.Array[32].Select(mac => One("a random MAC", $"t={now.ToUnixTimeSeconds()},v1={Convert.ToHexStringLower(mac)}")));
    }

    private Func<Dictionary<string, StringValues>?, string?, Task<HttpResult>> NoInput(string function) => (query, body) =>
    {
        var context = HttpTestKit.Request(Sp, body is null ? "GET" : "GET", "/api/v1/x", body);
        if (query is not null)
        {
            context.Request.Query = new QueryCollection(query);
        }

        return function switch
        {
            "GetOpenApiDocument" => HttpTestKit.RunAsync(context, r => Task.FromResult(OpenApiFunction.GetOpenApiDocument(r))),
            "CatalogStatus" => HttpTestKit.RunAsync(context, r => Catalog.Status(r, default)),
            "CatalogLeaseSettings" => HttpTestKit.RunAsync(context, r => Catalog.LeaseSettings(r, default)),
            "HealthLive" => HttpTestKit.RunAsync(context, r => Task.FromResult(HttpTestKit.Create<HealthFunctions>(Sp).Live(r))),
            _ => throw new ArgumentOutOfRangeException(nameof(function), function, null),
        };
    };

    private CustomerFunctions Customers => HttpTestKit.Create<CustomerFunctions>(Sp);

    private ApplicationFunctions Applications => HttpTestKit.Create<ApplicationFunctions>(Sp);

    private LeaseFunctions Leases => HttpTestKit.Create<LeaseFunctions>(Sp);

    private CatalogFunctions Catalog => HttpTestKit.Create<CatalogFunctions>(Sp);

    private WarehouseAdminFunctions Admin => HttpTestKit.Create<WarehouseAdminFunctions>(Sp);

    private Dictionary<string, string> SessionHeader => new() { [CustomerSessions.Header] = _session.Value };

    private static Dictionary<string, string> IdempotencyKey() => new() { [ApiEndpoint.IdempotencyKeyHeader] = Guid.NewGuid().ToString("N") };

    private static Dictionary<string, StringValues> Query(params (string Name, string Value)[] values) =>
        values.ToDictionary(v => v.Name, v => new StringValues(v.Value));

    private Task<HttpResult> PostBody(string path, string? body, Func<HttpRequest, Task<IActionResult>> fn, bool customer, Dictionary<string, string>? headers = null)
    {
        var all = new Dictionary<string, string>(headers ?? []);
        if (customer)
        {
            all[CustomerSessions.Header] = _session.Value;
        }

        return Run(HttpTestKit.Request(Sp, "POST", path, body, all), fn);
    }

    private Task<HttpResult> Post(string path, Func<HttpRequest, Task<IActionResult>> fn, Dictionary<string, StringValues>? query = null)
    {
        var context = HttpTestKit.Request(Sp, "POST", path);
        if (query is not null)
        {
            context.Request.Query = new QueryCollection(query);
        }

        return Run(context, fn);
    }

    private Task<HttpResult> Get(string path, Dictionary<string, StringValues>? query, Func<HttpRequest, Task<IActionResult>> fn, Dictionary<string, string>? headers = null)
    {
        var context = HttpTestKit.Request(Sp, "GET", path, headers: headers);
        if (query is not null)
        {
            context.Request.Query = new QueryCollection(query);
        }

        return Run(context, fn);
    }

    /// <summary>
    /// Runs the function; the admin routes' <see cref="ContentResult"/> is written here because its executor belongs to MVC,
    /// which this graph (like the worker's) does not register.
    /// </summary>
    private static async Task<HttpResult> Run(HttpContext context, Func<HttpRequest, Task<IActionResult>> fn)
    {
        var result = await fn(context.Request);
        if (result is not ContentResult content)
        {
            return await HttpTestKit.RunAsync(context, _ => Task.FromResult(result));
        }

        IHeaderDictionary headers = new HeaderDictionary();
        headers.ContentType = content.ContentType;
        return new HttpResult(content.StatusCode ?? 200, headers, content.Content ?? "");
    }

    public void Dispose()
    {
        if (_byName.IsValueCreated)
        {
            _byName.Value.Dispose();
        }

        _app.Dispose();
        _signed.Dispose();
        _flex.Dispose();
    }

    /// <summary>Valid requests, every optional field filled, that the generated cases spoil one field at a time.</summary>
    private static class Baselines
    {
        public static JsonObject Verify => Parse("""{"email":"ana@example.com","phone":"5615550100","address":{"street1":"1 Main St","street2":"Apt 2","city":"Boca Raton","region":"FL","postalCode":"33431","country":"US"}}""");

        public static JsonObject Create => Parse("""{"firstName":"Ana","lastName":"Silva","email":"ana@example.com","locale":"en"}""");

        public static JsonObject Passcode => Parse("""{"transport":"sms","customerIp":"203.0.113.7"}""");

        public static JsonObject Login => Parse("""{"passcode":"482913","customerIp":"2001:db8::1"}""");

        public static JsonObject Apply => Parse("""
            {"street1":"1 Main St","street2":"Apt 2","city":"Boca Raton","region":"FL","postalCode":"33431","country":"US","mobilePhone":"561-555-0100",
             "dateOfBirth":"1988-04-12","ssn":"123-45-6789",
             "employmentInformation":{"payFrequency":"biweekly","monthlyIncome":4200.50,"name":"Acme Corp","phone":"3055550100","lastPayDate":"2026-01-02","nextPayDate":"2026-01-16"},
             "bankAccount":{"routing":"011000015","account":"000123456789","type":"checking"},
             "driversLicenseNumber":"D123-456-789","driversLicenseState":"FL","deviceFingerprint":"fp-0a1b2c3d","expectedPurchaseAmount":1500.00,"customerIp":"203.0.113.7"}
            """);

        public static JsonObject Answers => Parse("""{"id":"kba-1","answers":[{"questionId":"q1","choiceId":"c2"}]}""");

        public static JsonObject Ach => Parse("""{"primary":true,"label":"Main checking","ach":{"routing":"011000015","account":"12345678","accountType":"checking"}}""");

        public static JsonObject Card => Parse("""{"card":{"cardType":"visa","token":"tok_abc123","billingZip":"33431","expirationDate":"12/29","lastFour":"4242","firstSix":"424242"}}""");

        public static JsonObject Lease => Parse("""
            {"transactionId":"T-1001","orderId":"order-1001",
             "items":[{"brand":"Acme","sku":"TV-55","description":"55 inch TV","cost":499.99,"quantity":1,"mpn":"MPN-1","gtin":"012345678905","productId":"P-1","condition":"new"}],
             "shipping":{"cost":10.00,"date":"2026-03-01","method":"ground"},"totalDiscount":5.00}
            """);

        public static JsonObject Sign => Parse("""{"customerIp":"203.0.113.7"}""");

        public static JsonObject Checkout => Parse("""
            {"transactionId":"T-2001","couponCode":"SAVE10",
             "items":[{"description":"55 inch TV","sku":"TV-55","cost":899.00,"brand":"Acme","quantity":1,"productId":"P-1","condition":"new",
                       "images":["https://img.example.com/sofa.jpg"],"shipping":{"cost":0,"date":"2026-03-02","method":"freight"}}],
             "customer":{"firstName":"Ana","lastName":"Silva","email":"ana@example.com","phones":{"home":"5615550100","mobile":"3055550100"},
                         "address":{"street1":"1 Main St","street2":"Apt 2","city":"Boca Raton","region":"FL","postalCode":"33431"}}}
            """);

        private static JsonObject Parse(string json) => JsonNode.Parse(json)!.AsObject();
    }
}

/// <summary>Fixed bad examples per kind of field, beside the generated ones.</summary>
internal static class Extras
{
    public static readonly string[] Email = ["nobody", "a@b", "a@@example.com", "a b@example.com", "ä@example.com", "\"a b\"@example.com", "ana@example.com\n", new string('a', 65) + "@example.com", "ana@exa_mple.com"];
    public static readonly string[] Phone = ["12", "123-456-7890", "+1 561 555 0100", "(561)555-01000", "٥٦١٥٥٥٠١٠٠", "５６１５５５０１００"];
    public static readonly string[] Zip = ["00000", "3343", "33431-", "33431-12", "334311", "٣٣٤٣١"];
    public static readonly string[] State = ["XX", "Florida", "F", "F1", "ZZ"];
    public static readonly string[] Ssn = ["000-00-0000", "000-12-3456", "666-12-3456", "900-12-3456", "123-00-4567", "123-45-0000", "123-456789", "12345678", "1234567890", "٤٨٢-٩١-٣٤٥٦", "１２３-４５-６７８９"];
    public static readonly string[] Passcode = ["12ab", "123", "12345678901", "٤٨٢٩١٣", "０１２３", "4829 13"];
    public static readonly string[] Routing = ["011000016", "000000000", "12345678", "01100001a", "٠١١٠٠٠٠١٥"];
    public static readonly string[] Ip = ["1", "127.1", "0x7f.0.0.1", "1.2.3.04", "256.1.1.1", "fe80::1%eth0", "[::1]", "1.2.3.4/24", "999.1.1.1", "٣.٣.٣.٣", "localhost"];
    public static readonly string[] Date = ["2026-13-01", "2026-02-30", "26-01-01", "2026/01/01", "1899-12-31", "2101-01-01", "٢٠٢٦-٠١-٠١", "2026-01-01T00:00:00Z"];
    public static readonly string[] Url = ["ftp://x.example/a", "javascript:alert(1)", "//x.example/a", "http://", "https://exa mple.com/a", "http://ä.example/", "file:///etc/passwd"];
    public static readonly string[] Code = [".", "..", "...", " TV-55", "TV-55 ", "\tTV-55"];
}
