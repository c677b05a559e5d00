using System.Net;
using FlexFunctions.Functions.Http;
using FlexFunctions.Shared.Applications;
using FlexFunctions.Shared.CustomerAuth;
using FlexFunctions.Shared.FlexShopper;
using FlexFunctions.Shared.FlexShopper.Models;
using FlexFunctions.Shared.Http;
using FlexFunctions.Shared.Idempotency;
using FlexFunctions.Shared.Leases;
using FlexFunctions.Shared.Secrets;
using FlexFunctions.Shared.Webhooks;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Moq;

namespace FlexFunctions.Tests.Http;

/// <summary>Each function class on its own: DefaultHttpContext in, services mocked, the executed response out.</summary>
public sealed class FunctionUnitTests
{
    private static readonly CustomerCredential Customer = new("tok-1", "kv-7");
    private readonly IServiceProvider _services = new ServiceCollection().BuildServiceProvider();
    private readonly CustomerSessions _sessions;
    private readonly Mock<IIdempotencyStore> _idempotency = new(MockBehavior.Strict);

    public FunctionUnitTests()
    {
        var unsealed = new KeyRingSeal(Options.Create(new CustomerSessionOptions()), Options.Create(new KeyVaultOptions()), _services, TimeProvider.System, NullLogger<KeyRingSeal>.Instance);
        _sessions = new(new EphemeralDataProtectionProvider(), Options.Create(new CustomerSessionOptions()), TimeProvider.System, unsealed);
    }

    private readonly Mock<ICustomerAuthService> _customers = new(MockBehavior.Strict);
    private readonly Mock<IApplicationService> _applications = new(MockBehavior.Strict);
    private readonly Mock<ILeaseService> _leases = new(MockBehavior.Strict);

    private ApiEndpoint Api => new(
        new WebhookSignature(Options.Create(new WebhookOptions()), Options.Create(new KeyVaultOptions()), TimeProvider.System, _services, NullLogger<WebhookSignature>.Instance),
        _sessions, _idempotency.Object, TimeProvider.System, NullLogger<ApiEndpoint>.Instance, Options.Create(new FlexFunctions.Shared.InputRules.OrderLimitsOptions()));

    private Dictionary<string, string> SessionHeader => new() { [CustomerSessions.Header] = _sessions.Seal(Customer).Value };

    [Fact]
    public async Task Login_returns_a_sealed_session_and_passes_the_passcode_only_to_the_service()
    {
        _customers.Setup(c => c.LoginAsync("u1", It.Is<LoginInput>(i => i.Passcode == "654321"), It.IsAny<CancellationToken>()))
            .ReturnsAsync(new SessionResult("u1", "sealed", DateTimeOffset.UnixEpoch));
        var fn = new CustomerFunctions(Api, _customers.Object);

        var result = await HttpTestKit.RunAsync(HttpTestKit.Request(_services, "POST", "/api/v1/customers/u1/login", """{"passcode":"654321"}"""), r => fn.LoginCustomer(r, "u1", default));

        Assert.Equal(200, result.Status);
        Assert.Equal("sealed", result.Json.GetProperty("session").GetString());
        Assert.DoesNotContain("654321", result.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Me_opens_the_session_and_hands_the_exact_credential_to_the_service()
    {
        _customers.Setup(c => c.GetMeAsync(Customer, It.IsAny<CancellationToken>()))
            .ReturnsAsync(new FlexShopperUser { UserId = "u1", VerificationStatus = "succeeded", Decision = new CreditDecision { SpendingLimit = 1200.50m } });
        var fn = new CustomerFunctions(Api, _customers.Object);

        var result = await HttpTestKit.RunAsync(HttpTestKit.Request(_services, "GET", "/api/v1/customers/me", headers: SessionHeader), r => fn.GetCurrentCustomer(r, default));

        Assert.Equal(200, result.Status);
        Assert.Equal(1200.50m, result.Json.GetProperty("decision").GetProperty("spendingLimit").GetDecimal());
    }

    [Fact]
    public async Task Create_customer_is_201_and_a_duplicate_email_is_409_with_FlexShoppers_code()
    {
        _customers.SetupSequence(c => c.CreateAsync(It.IsAny<CreateCustomerInput>(), It.Is<IdempotentAttempt>(a => !a.EarlierOutcomeUnknown), It.IsAny<CancellationToken>()))
            .ReturnsAsync(new SignUpOutcome("u9", new SessionResult("u9", "s", DateTimeOffset.UnixEpoch)))
            .ThrowsAsync(new FlexShopperApiException(FlexShopperErrorKind.Conflict, HttpStatusCode.Conflict, "UserAlreadyExists", "exists"));
        var fn = new CustomerFunctions(Api, _customers.Object);
        const string body = """{"firstName":"Ana","lastName":"Diaz","email":"ana@example.com"}""";

        var created = await HttpTestKit.RunAsync(HttpTestKit.Request(_services, "POST", "/api/v1/customers", body), r => fn.CreateCustomer(r, default));
        var duplicate = await HttpTestKit.RunAsync(HttpTestKit.Request(_services, "POST", "/api/v1/customers", body), r => fn.CreateCustomer(r, default));

        Assert.Equal(201, created.Status);
        Assert.Equal(409, duplicate.Status);
        Assert.Equal("UserAlreadyExists", duplicate.Json.GetProperty("code").GetString());
    }

    [Theory]
    [InlineData(FlexShopperErrorKind.NotFound, 404, 404, null)]
    [InlineData(FlexShopperErrorKind.PaymentRequired, 402, 402, null)]
    [InlineData(FlexShopperErrorKind.RateLimited, 429, 429, "7")]
    [InlineData(FlexShopperErrorKind.Transient, 500, 502, null)]
    [InlineData(FlexShopperErrorKind.Transient, null, 503, "5")]
    [InlineData(FlexShopperErrorKind.Unauthorized, 401, 401, null)]
    public async Task Upstream_failures_map_to_meaningful_statuses_with_FlexShoppers_code(FlexShopperErrorKind kind, int? upstream, int expected, string? retryAfter)
    {
        _leases.Setup(l => l.GetAsync(Customer, "L1", It.IsAny<CancellationToken>()))
            .ThrowsAsync(new FlexShopperApiException(kind, (HttpStatusCode?)upstream, "Code" + kind, "failed")
            {
                RetryAfter = kind == FlexShopperErrorKind.RateLimited ? TimeSpan.FromSeconds(7) : null,
            });
        var fn = new LeaseFunctions(Api, _leases.Object);

        var result = await HttpTestKit.RunAsync(HttpTestKit.Request(_services, "GET", "/api/v1/leases/L1", headers: SessionHeader), r => fn.GetLease(r, "L1", default));

        Assert.Equal(expected, result.Status);
        Assert.Equal(Problems.ContentType, result.ContentType);
        Assert.Equal("Code" + kind, result.Json.GetProperty("code").GetString());
        Assert.Equal(retryAfter ?? "", result.Headers.RetryAfter.ToString()); // "": no Retry-After where waiting would not help
    }

    [Fact]
    public async Task FlexShopper_refusing_our_API_key_on_a_store_call_is_502_not_401()
    {
        _leases.Setup(l => l.GetTransactionAsync("T1", It.IsAny<CancellationToken>()))
            .ThrowsAsync(new FlexShopperApiException(FlexShopperErrorKind.Unauthorized, HttpStatusCode.Unauthorized, "InvalidApiKey", "no"));
        var fn = new LeaseFunctions(Api, _leases.Object);

        var result = await HttpTestKit.RunAsync(HttpTestKit.Request(_services, "GET", "/api/v1/transactions/T1"), r => fn.GetTransaction(r, "T1", default));

        Assert.Equal(502, result.Status);
    }

    [Fact]
    public async Task An_unexpected_error_is_a_500_problem_without_a_stack_trace()
    {
        _leases.Setup(l => l.GetTransactionAsync("T1", It.IsAny<CancellationToken>())).ThrowsAsync(new InvalidOperationException("internal detail at Foo.Bar()"));
        var fn = new LeaseFunctions(Api, _leases.Object);

        var result = await HttpTestKit.RunAsync(HttpTestKit.Request(_services, "GET", "/api/v1/transactions/T1"), r => fn.GetTransaction(r, "T1", default));

        Assert.Equal(500, result.Status);
        Assert.Equal(Problems.ContentType, result.ContentType);
        Assert.DoesNotContain("internal detail", result.Body, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", result.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_storage_outage_is_a_503_with_Retry_After_not_a_500()
    {
        _leases.Setup(l => l.GetTransactionAsync("T1", It.IsAny<CancellationToken>())).ThrowsAsync(new Azure.RequestFailedException(503, "Server busy"));
        var fn = new LeaseFunctions(Api, _leases.Object);

        var result = await HttpTestKit.RunAsync(HttpTestKit.Request(_services, "GET", "/api/v1/transactions/T1"), r => fn.GetTransaction(r, "T1", default));

        Assert.Equal(503, result.Status);
        Assert.Equal("DependencyUnavailable", result.Json.GetProperty("code").GetString());
        Assert.Equal("5", result.Headers["Retry-After"].ToString());
    }

    [Fact]
    public async Task Sign_passes_the_customer_ip_and_returns_what_was_recorded()
    {
        var at = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
        _leases.Setup(l => l.SignAsync(Customer, "L1", It.Is<SignLeaseInput>(i => i.CustomerIp == "2001:db8::1"), It.IsAny<IdempotentAttempt>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(new SignedLease("L1", true, "2001:db8::1", at));
        var fn = new LeaseFunctions(Api, _leases.Object);

        var result = await HttpTestKit.RunAsync(HttpTestKit.Request(_services, "POST", "/api/v1/leases/L1/sign", """{"customerIp":"2001:db8::1"}""", SessionHeader), r => fn.SignLease(r, "L1", default));

        Assert.Equal(200, result.Status);
        Assert.Equal(at, result.Json.GetProperty("signedAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task Finalize_of_an_unsigned_lease_is_409_LeaseNotSigned()
    {
        _leases.Setup(l => l.FinalizeAsync("T1", It.IsAny<IdempotentAttempt>(), It.IsAny<CancellationToken>())).ThrowsAsync(new LeaseNotSignedException("T1", "unsigned"));
        var fn = new LeaseFunctions(Api, _leases.Object);

        var result = await HttpTestKit.RunAsync(HttpTestKit.Request(_services, "POST", "/api/v1/transactions/T1/finalize"), r => fn.FinalizeTransaction(r, "T1", default));

        Assert.Equal(409, result.Status);
        Assert.Equal("LeaseNotSigned", result.Json.GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_replayed_idempotent_outcome_is_returned_without_calling_the_service()
    {
        _idempotency.Setup(i => i.BeginAsync("Finalize", "key-1", It.IsAny<string>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(new IdempotencyBegin(IdempotencyState.Completed, new IdempotencyOutcome(200, "application/json", """{"transactionId":"T1"}"""u8.ToArray())));
        var fn = new LeaseFunctions(Api, _leases.Object); // strict mock: a service call would throw

        var result = await HttpTestKit.RunAsync(
            HttpTestKit.Request(_services, "POST", "/api/v1/transactions/T1/finalize", headers: new Dictionary<string, string> { [ApiEndpoint.IdempotencyKeyHeader] = "key-1" }),
            r => fn.FinalizeTransaction(r, "T1", default));

        Assert.Equal(200, result.Status);
        Assert.Equal("T1", result.Json.GetProperty("transactionId").GetString());
    }

    [Fact]
    public async Task List_transactions_binds_the_query()
    {
        _leases.Setup(l => l.ListTransactionsAsync(It.Is<TransactionQuery>(q => q.LeaseStatus == "signed" && q.Page == 2 && q.Limit == 50 && q.FromDate == new DateOnly(2026, 1, 1)), It.IsAny<CancellationToken>()))
            .ReturnsAsync(new TransactionPage([new PurchaseTransaction { Id = "T1" }], new PageMeta(1, 1, 2, 50)));
        var fn = new LeaseFunctions(Api, _leases.Object);

        var result = await HttpTestKit.RunAsync(HttpTestKit.Request(_services, "GET", "/api/v1/transactions", query: "?leaseStatus=signed&page=2&limit=50&fromDate=2026-01-01"),
            r => fn.ListTransactions(r, default));

        Assert.Equal(200, result.Status);
        Assert.Equal("T1", result.Json.GetProperty("transactions")[0].GetProperty("id").GetString());
    }

    [Fact]
    public async Task Checkout_returns_the_redirect()
    {
        _leases.Setup(l => l.CheckoutAsync(It.Is<CheckoutInput>(i => i.TransactionId == "T5"), It.IsAny<CancellationToken>()))
            .ReturnsAsync(new CheckoutResult("c1", new Uri("https://pay.example.com/c1")));
        var fn = new LeaseFunctions(Api, _leases.Object);

        var result = await HttpTestKit.RunAsync(
            HttpTestKit.Request(_services, "POST", "/api/v1/checkout", """{"transactionId":"T5","items":[{"description":"TV","sku":"S","cost":99.5,"brand":"A","quantity":1}]}"""),
            r => fn.Checkout(r, default));

        Assert.Equal(200, result.Status);
        Assert.Equal("https://pay.example.com/c1", result.Json.GetProperty("redirectUri").GetString());
    }

    [Fact]
    public async Task Application_routes_call_their_service_with_the_session_credential()
    {
        _applications.Setup(a => a.GetQuestionsAsync(Customer, It.IsAny<CancellationToken>()))
            .ReturnsAsync(new VerificationQuestions("k1", [new VerificationQuestion("q1", "Street?", [new VerificationChoice("c1", "Main")])]));
        _applications.Setup(a => a.GetChildKeyAsync(It.IsAny<CancellationToken>())).ReturnsAsync(new ChildKeyResult("child-123"));
        _applications.Setup(a => a.ValidateRoutingNumberAsync("011000015", It.IsAny<CancellationToken>())).ReturnsAsync(new RoutingNumberInfo { Valid = true, BankName = "FRB" });
        _applications.Setup(a => a.AddPaymentMethodAsync(Customer, It.Is<PaymentMethodInput>(p => p.Card != null), It.IsAny<IdempotentAttempt>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(new PaymentMethodAdded(true, "card"));
        var fn = new ApplicationFunctions(Api, _applications.Object);

        var questions = await HttpTestKit.RunAsync(HttpTestKit.Request(_services, "GET", "/api/v1/applications/questions", headers: SessionHeader), r => fn.GetVerificationQuestions(r, default));
        var child = await HttpTestKit.RunAsync(HttpTestKit.Request(_services, "POST", "/api/v1/payment-methods/child-key"), r => fn.GetPaymentChildKey(r, default));
        var routing = await HttpTestKit.RunAsync(HttpTestKit.Request(_services, "GET", "/api/v1/routing-numbers/011000015"), r => fn.ValidateRoutingNumber(r, "011000015", default));
        var card = await HttpTestKit.RunAsync(
            HttpTestKit.Request(_services, "POST", "/api/v1/payment-methods", """{"card":{"cardType":"visa","token":"tok_abc","billingZip":"33431","lastFour":"4242"}}""", SessionHeader),
            r => fn.AddPaymentMethod(r, default));

        Assert.Equal("q1", questions.Json.GetProperty("questions")[0].GetProperty("id").GetString());
        Assert.Equal("child-123", child.Json.GetProperty("childKey").GetString());
        Assert.True(routing.Json.GetProperty("valid").GetBoolean());
        Assert.Equal(201, card.Status);
    }
}
