using FlexFunctions.Shared.FlexShopper;
using FlexFunctions.Shared.FlexShopper.Models;
using FlexFunctions.Shared.Secrets;
using Microsoft.Extensions.DependencyInjection;
using Moq;

namespace FlexFunctions.Tests.FlexShopper;

/// <summary>
/// Which API key goes with which call: a customer token only with the key version that minted it (or no call at
/// all), and a key-only call that FlexShopper refuses is resent once with a refreshed key only when safe to repeat.
/// </summary>
public sealed class KeyHandlingTests
{
    private static readonly ApiKey OldKey = new("key-old-value", "v1");
    private static readonly ApiKey NewKey = new("key-new-value", "v2");

    /// <summary>Every call that carries a customer token.</summary>
    public static readonly Dictionary<string, Func<IFlexShopperClient, CustomerCredential, Task>> CustomerCalls = new()
    {
        ["GetMe"] = (c, t) => c.GetMeAsync(t),
        ["AddPaymentMethod"] = (c, t) => c.AddPaymentMethodAsync(t, new AddPaymentMethodRequest { Ach = new AchAccount("011000015", "000123456789", "checking") }),
        ["Apply"] = (c, t) => c.ApplyAsync(t, new ApplicationRequest
        {
            Street1 = "1 Main St",
            City = "Miami",
            Region = "FL",
            PostalCode = "33101",
            Country = "US",
            EmploymentInformation = new EmploymentInformation("weekly", 3000m),
            BankAccount = new BankAccount("011000015", "000123456789", "checking"),
        }),
        ["VerifyQuestions"] = (c, t) => c.GetVerificationQuestionsAsync(t),
        ["VerifyAnswers"] = (c, t) => c.VerifyAnswersAsync(t, new VerifyAnswersRequest("qs-1", [new VerificationAnswer("q1", "c1")])),
        ["CreateLease"] = (c, t) => c.CreateLeaseAsync(t, new CreateLeaseRequest("order-1001", [new LeaseItem("Acme", "TV-55", "55in TV")])),
        ["GetLease"] = (c, t) => c.GetLeaseAsync(t, "lease-42"),
        ["SignLease"] = (c, t) => c.SignLeaseAsync(t, "lease-42", new SignLeaseRequest("203.0.113.7", DateTimeOffset.UtcNow)),
    };

    public static TheoryData<string> CustomerCallNames => new(CustomerCalls.Keys);

    [Theory]
    [MemberData(nameof(CustomerCallNames))]
    public async Task A_customer_call_sends_the_token_with_the_key_version_that_minted_it(string call)
    {
        var keys = Keys();
        keys.Setup(k => k.GetVersionAsync("v1", It.IsAny<CancellationToken>())).ReturnsAsync(OldKey);
        using var harness = ClientHarness.Start(s => s.AddSingleton(keys.Object));
        harness.RespondToAll(200, """{"data":{"leaseId":"lease-42","id":"qs-1","questions":[]}}""");

        await CustomerCalls[call](harness.Client, new CustomerCredential("tok-minted-by-v1", "v1"));

        var request = harness.SingleRequest();
        Assert.Equal(OldKey.Value, ClientHarness.Header(request, "Authorization"));
        Assert.Equal("tok-minted-by-v1", ClientHarness.Header(request, FlexShopperPaths.CustomerTokenHeader));
        keys.Verify(k => k.GetCurrentAsync(It.IsAny<CancellationToken>()), Times.Never);
    }

    [Theory]
    [MemberData(nameof(CustomerCallNames))]
    public async Task A_customer_call_whose_key_version_is_gone_fails_without_calling_flexshopper(string call)
    {
        var keys = Keys();
        keys.Setup(k => k.GetVersionAsync("v0", It.IsAny<CancellationToken>()))
            .ThrowsAsync(new ApiKeyUnavailableException("v0", "the secret version is disabled"));
        using var harness = ClientHarness.Start(s => s.AddSingleton(keys.Object));
        harness.RespondToAll(200, """{"data":{}}""");

        var error = await Assert.ThrowsAsync<FlexShopperApiException>(() => CustomerCalls[call](harness.Client, new CustomerCredential("tok-minted-by-v0", "v0")));

        Assert.Equal(FlexShopperErrorKind.Unauthorized, error.Kind);
        Assert.Equal("KeyVersionUnavailable", error.Code);
        Assert.Null(error.StatusCode);
        Assert.Empty(harness.Requests);
        Assert.DoesNotContain("tok-minted-by-v0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_a_configured_key_a_login_token_works_until_the_key_setting_changes()
    {
        CustomerCredential credential;
        using (var before = ClientHarness.Start(apiKey: "configured-key-A"))
        {
            before.RespondToAll(200, """{"data":{"token":"tok-login","userId":"u-1"}}""");
            credential = await before.Client.PasscodeLoginAsync("u-1", "482913");
            await before.Client.GetMeAsync(credential);

            Assert.Matches("^cfg-[0-9a-f]{12}$", credential.KeyVersion);
            var me = before.Requests[1];
            Assert.Equal("configured-key-A", ClientHarness.Header(me, "Authorization"));
            Assert.Equal("tok-login", ClientHarness.Header(me, FlexShopperPaths.CustomerTokenHeader));
        }

        // The app restarted with another key: the old token must not travel with it.
        using var after = ClientHarness.Start(apiKey: "configured-key-B");
        after.RespondToAll(200, """{"data":{"userId":"u-1"}}""");

        var error = await Assert.ThrowsAsync<FlexShopperApiException>(() => after.Client.GetMeAsync(credential));

        Assert.Equal(FlexShopperErrorKind.Unauthorized, error.Kind);
        Assert.Equal("KeyVersionUnavailable", error.Code);
        Assert.Empty(after.Requests);
    }

    [Fact]
    public async Task Credentials_from_create_user_and_login_carry_the_version_of_the_key_used()
    {
        var keys = Keys();
        using var harness = ClientHarness.Start(s => s.AddSingleton(keys.Object));
        harness.RespondToAll(200, """{"data":{"token":"tok-1","userId":"u-1"}}""");

        var created = await harness.Client.CreateUserAsync(new CreateUserRequest("Ada", "Lovelace", "ada@example.com"));
        var login = await harness.Client.PasscodeLoginAsync("u-1", "482913");

        Assert.Equal("v2", created.Credential.KeyVersion);
        Assert.Equal("v2", login.KeyVersion);
        Assert.All(harness.Requests, r => Assert.Equal(NewKey.Value, ClientHarness.Header(r, "Authorization")));
    }

    /// <summary>Key-only calls the client may send again: GETs, the deep user-exists check and the confirmations.</summary>
    public static readonly Dictionary<string, Func<IFlexShopperClient, Task>> RetrySafeCalls = new()
    {
        ["GetTransaction"] = c => c.GetTransactionAsync("order-1001"),
        ["ListUsers"] = c => c.ListUsersAsync(),
        ["DeepUserExists"] = c => c.DeepUserExistsAsync(new DeepUserExistsRequest("ada@example.com", "3055550100", new PostalAddress("1 Main St", "Miami", "FL", "33101", "US"))),
        ["CancelItems"] = c => c.CancelItemsAsync("order-1001", new ItemsRequest(null)),
        ["ConfirmShipment"] = c => c.ConfirmShipmentAsync("order-1001", new ShipmentConfirmation(null)),
        ["ConfirmReceipt"] = c => c.ConfirmReceiptAsync("order-1001", new ReceiptConfirmation(null)),
    };

    /// <summary>Key-only calls that must be sent at most once.</summary>
    public static readonly Dictionary<string, Func<IFlexShopperClient, Task>> SendOnceCalls = new()
    {
        ["CreateUser"] = c => c.CreateUserAsync(new CreateUserRequest("Ada", "Lovelace", "ada@example.com")),
        ["SendPasscode"] = c => c.SendPasscodeAsync("u-1", PasscodeTransport.Email),
        ["PasscodeLogin"] = c => c.PasscodeLoginAsync("u-1", "482913"),
        ["Finalize"] = c => c.FinalizeAsync("order-1001"),
        ["Checkout"] = c => c.CheckoutAsync(new CheckoutRequest("order-2002", [new CheckoutItem("Sofa", "SOFA-1", 899.5m, "Comfy", 1)])),
        ["ChildKey"] = c => c.GetLoanPaymentProChildKeyAsync(),
    };

    public static TheoryData<string> RetrySafeNames => new(RetrySafeCalls.Keys);

    public static TheoryData<string> SendOnceNames => new(SendOnceCalls.Keys);

    private const string AnySuccess = """
        {"data":{"id":"order-1001","users":[],"emailExists":true,"phoneExists":false,"addressExists":false,"canceled":[],"failed":[]}}
        """;

    [Theory]
    [MemberData(nameof(RetrySafeNames))]
    public async Task A_refused_key_is_refreshed_and_a_retry_safe_call_resent_once_with_the_new_version(string call)
    {
        var keys = Keys();
        keys.Setup(k => k.GetCurrentAsync(It.IsAny<CancellationToken>())).ReturnsAsync(OldKey);
        keys.Setup(k => k.RefreshAfterRejectionAsync(OldKey, It.IsAny<CancellationToken>())).ReturnsAsync(NewKey);
        using var harness = ClientHarness.Start(s => s.AddSingleton(keys.Object));
        harness.Respond(null, 401, """{"message":"Invalid authentication credentials"}""", authorization: OldKey.Value);
        harness.Respond(null, 200, AnySuccess, authorization: NewKey.Value);

        await RetrySafeCalls[call](harness.Client);

        var requests = harness.Requests;
        Assert.Equal(2, requests.Count);
        Assert.Equal(OldKey.Value, ClientHarness.Header(requests[0], "Authorization"));
        Assert.Equal(NewKey.Value, ClientHarness.Header(requests[1], "Authorization"));
        Assert.Equal(ClientHarness.PathAndQuery(requests[0]), ClientHarness.PathAndQuery(requests[1]));
        Assert.Equal(requests[0].Body, requests[1].Body);
        keys.Verify(k => k.RefreshAfterRejectionAsync(OldKey, It.IsAny<CancellationToken>()), Times.Once);
    }

    [Theory]
    [MemberData(nameof(RetrySafeNames))]
    public async Task A_retry_safe_call_refused_again_after_the_refresh_is_not_resent_a_third_time(string call)
    {
        var keys = Keys();
        keys.Setup(k => k.GetCurrentAsync(It.IsAny<CancellationToken>())).ReturnsAsync(OldKey);
        keys.Setup(k => k.RefreshAfterRejectionAsync(It.IsAny<ApiKey>(), It.IsAny<CancellationToken>())).ReturnsAsync(NewKey);
        using var harness = ClientHarness.Start(s => s.AddSingleton(keys.Object));
        harness.RespondToAll(401, """{"message":"Invalid authentication credentials"}""");

        var error = await Assert.ThrowsAsync<FlexShopperApiException>(() => RetrySafeCalls[call](harness.Client));

        Assert.Equal(FlexShopperErrorKind.Unauthorized, error.Kind);
        Assert.Equal(2, harness.Requests.Count);
    }

    [Theory]
    [MemberData(nameof(SendOnceNames))]
    public async Task A_refused_key_is_refreshed_but_a_send_once_call_is_not_resent(string call)
    {
        var keys = Keys();
        keys.Setup(k => k.GetCurrentAsync(It.IsAny<CancellationToken>())).ReturnsAsync(OldKey);
        keys.Setup(k => k.RefreshAfterRejectionAsync(OldKey, It.IsAny<CancellationToken>())).ReturnsAsync(NewKey);
        using var harness = ClientHarness.Start(s => s.AddSingleton(keys.Object));
        harness.Respond(null, 401, """{"message":"Invalid authentication credentials"}""", authorization: OldKey.Value);
        harness.Respond(null, 200, """{"data":{"token":"t","userId":"u"}}""", authorization: NewKey.Value);

        var error = await Assert.ThrowsAsync<FlexShopperApiException>(() => SendOnceCalls[call](harness.Client));

        Assert.Equal(FlexShopperErrorKind.Unauthorized, error.Kind);
        Assert.Equal(OldKey.Value, ClientHarness.Header(harness.SingleRequest(), "Authorization"));
        // The refused key is still dropped, so the next call uses the new one.
        keys.Verify(k => k.RefreshAfterRejectionAsync(OldKey, It.IsAny<CancellationToken>()), Times.Once);
    }

    [Fact]
    public async Task A_refused_customer_call_is_not_resent_and_the_key_is_kept()
    {
        var keys = Keys();
        keys.Setup(k => k.GetVersionAsync("v1", It.IsAny<CancellationToken>())).ReturnsAsync(OldKey);
        using var harness = ClientHarness.Start(s => s.AddSingleton(keys.Object));
        harness.RespondToAll(401, """{"error":{"statusCode":401,"code":"InvalidToken","message":"Customer token expired"}}""");

        var error = await Assert.ThrowsAsync<FlexShopperApiException>(() => harness.Client.GetMeAsync(new CustomerCredential("tok-expired", "v1")));

        Assert.Equal(FlexShopperErrorKind.Unauthorized, error.Kind);
        Assert.Equal("InvalidToken", error.Code);
        Assert.Single(harness.Requests);
        // A customer-token refusal says nothing about the key: it is not dropped.
        keys.Verify(k => k.RefreshAfterRejectionAsync(It.IsAny<ApiKey>(), It.IsAny<CancellationToken>()), Times.Never);
    }

    [Fact]
    public async Task When_the_refresh_yields_the_same_key_the_call_is_not_resent()
    {
        using var harness = ClientHarness.Start(); // the configured key: a refresh gives the same version back
        harness.RespondToAll(401, """{"message":"Invalid authentication credentials"}""");

        var error = await Assert.ThrowsAsync<FlexShopperApiException>(() => harness.Client.GetTransactionAsync("order-1001"));

        Assert.Equal(FlexShopperErrorKind.Unauthorized, error.Kind);
        Assert.Single(harness.Requests);
    }

    [Fact]
    public async Task A_key_source_failure_is_a_transient_flexshopper_error_without_an_upstream_call()
    {
        var keys = Keys();
        keys.Setup(k => k.GetCurrentAsync(It.IsAny<CancellationToken>())).ThrowsAsync(new InvalidOperationException("vault unreachable"));
        keys.Setup(k => k.GetVersionAsync("v1", It.IsAny<CancellationToken>())).ThrowsAsync(new HttpRequestException("vault unreachable"));
        using var harness = ClientHarness.Start(s => s.AddSingleton(keys.Object));
        harness.RespondToAll(200, """{"data":{"id":"order-1001","userId":"u-1"}}""");

        var keyOnly = await Assert.ThrowsAsync<FlexShopperApiException>(() => harness.Client.GetTransactionAsync("order-1001"));
        var customer = await Assert.ThrowsAsync<FlexShopperApiException>(() => harness.Client.GetMeAsync(new CustomerCredential("tok", "v1")));

        // Not the customer's doing: they are not told to log in again.
        Assert.All([keyOnly, customer], e =>
        {
            Assert.Equal(FlexShopperErrorKind.Transient, e.Kind);
            Assert.Equal("ApiKeyUnavailable", e.Code);
            Assert.Null(e.StatusCode);
        });
        Assert.Empty(harness.Requests);
    }

    [Fact]
    public async Task A_refresh_that_fails_leaves_flexshoppers_401_standing()
    {
        var keys = Keys();
        keys.Setup(k => k.RefreshAfterRejectionAsync(It.IsAny<ApiKey>(), It.IsAny<CancellationToken>())).ThrowsAsync(new InvalidOperationException("vault unreachable"));
        using var harness = ClientHarness.Start(s => s.AddSingleton(keys.Object));
        harness.RespondToAll(401, """{"message":"Invalid authentication credentials"}""");

        var error = await Assert.ThrowsAsync<FlexShopperApiException>(() => harness.Client.GetTransactionAsync("order-1001"));

        Assert.Equal(FlexShopperErrorKind.Unauthorized, error.Kind);
        Assert.Contains("Invalid authentication credentials", error.Message, StringComparison.Ordinal);
        Assert.Single(harness.Requests);
    }

    /// <summary>A key provider whose current key is <see cref="NewKey"/> unless a test says otherwise.</summary>
    private static Mock<IApiKeyProvider> Keys()
    {
        var keys = new Mock<IApiKeyProvider>(MockBehavior.Strict);
        keys.Setup(k => k.GetCurrentAsync(It.IsAny<CancellationToken>())).ReturnsAsync(NewKey);
        keys.Setup(k => k.RefreshAfterRejectionAsync(It.IsAny<ApiKey>(), It.IsAny<CancellationToken>())).ReturnsAsync(NewKey);
        return keys;
    }
}
