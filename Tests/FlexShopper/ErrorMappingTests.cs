using System.Net;
using FlexFunctions.Shared.FlexShopper;
using FlexFunctions.Shared.FlexShopper.Models;

namespace FlexFunctions.Tests.FlexShopper;

/// <summary>
/// Every documented error shape and status becomes one <see cref="FlexShopperApiException"/> a caller can act on,
/// and a success status with a body we cannot use never passes as success. Retries are off here (the lead's
/// resilience tests cover them), so each request is answered exactly once.
/// </summary>
public sealed class ErrorMappingTests
{
    public static TheoryData<int, string, FlexShopperErrorKind, string?, string> Shapes => new()
    {
        // Enveloped errors, code as a string or as a number.
        { 400, """{"error":{"statusCode":400,"code":"LeaseAmountNotSatisfied","message":"The lease total must be at least 49.95","data":{"minimum":49.95}}}""", FlexShopperErrorKind.Validation, "LeaseAmountNotSatisfied", "The lease total must be at least 49.95" },
        { 400, """{"error":{"statusCode":400,"code":11503,"message":"Payment method is not primary eligible","data":{}}}""", FlexShopperErrorKind.Validation, "11503", "Payment method is not primary eligible" },
        { 402, """{"error":{"statusCode":402,"code":"PaymentRequired","message":"A first payment is required","data":{}}}""", FlexShopperErrorKind.PaymentRequired, "PaymentRequired", "A first payment is required" },
        { 404, """{"error":{"statusCode":404,"code":"LeaseNotFound","message":"The lease was not found","data":{}}}""", FlexShopperErrorKind.NotFound, "LeaseNotFound", "The lease was not found" },
        { 409, """{"error":{"statusCode":409,"code":"UserAlreadyExists","message":"User already exists","data":{"email":"ada@example.com"}}}""", FlexShopperErrorKind.Conflict, "UserAlreadyExists", "User already exists" },
        { 429, """{"error":{"statusCode":429,"code":"TooManyRequests","message":"Slow down","data":{}}}""", FlexShopperErrorKind.RateLimited, "TooManyRequests", "Slow down" },
        { 500, """{"error":{"statusCode":500,"code":"InternalError","message":"Something broke","data":{}}}""", FlexShopperErrorKind.Transient, "InternalError", "Something broke" },
        { 503, """{"error":{"statusCode":503,"code":"Maintenance","message":"Down for maintenance","data":{}}}""", FlexShopperErrorKind.Transient, "Maintenance", "Down for maintenance" },

        // Bare gateway bodies (Kong key-auth style) have no code.
        { 401, """{"message":"No API key found in request"}""", FlexShopperErrorKind.Unauthorized, null, "No API key found in request" },
        { 401, """{"message":"Invalid authentication credentials"}""", FlexShopperErrorKind.Unauthorized, null, "Invalid authentication credentials" },

        // Odd but plausible shapes still map by status, never to a crash.
        { 404, """{"error":{"statusCode":"404","code":"TransactionNotFound","message":"The transaction with the provided id was not found"}}""", FlexShopperErrorKind.NotFound, "TransactionNotFound", "The transaction with the provided id was not found" },
        { 400, """{"error":{"statusCode":null,"code":"BadRequest","message":"Missing field"}}""", FlexShopperErrorKind.Validation, "BadRequest", "Missing field" },
        { 500, """{"error":"Upstream exploded"}""", FlexShopperErrorKind.Transient, null, "Upstream exploded" },
        { 503, "", FlexShopperErrorKind.Transient, null, "503" },
        { 502, "<html><body>Bad gateway</body></html>", FlexShopperErrorKind.Transient, null, "502" },

        // A 200 whose body is an error: the status inside wins.
        { 200, """{"error":{"statusCode":404,"code":"TransactionNotFound","message":"The transaction with the provided id was not found","data":{}}}""", FlexShopperErrorKind.NotFound, "TransactionNotFound", "The transaction with the provided id was not found" },
        { 200, """{"error":{"code":"SomethingOdd","message":"no status given"}}""", FlexShopperErrorKind.Transient, "SomethingOdd", "no status given" },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task Error_responses_map_to_kind_status_code_and_message(int status, string body, FlexShopperErrorKind kind, string? code, string message)
    {
        using var harness = ClientHarness.Start();
        harness.RespondToAll(status, body, body.StartsWith('<') ? "text/html" : "application/json");

        // Finalize is key-only and never resent, so the answer reaches the mapping exactly once.
        var error = await Assert.ThrowsAsync<FlexShopperApiException>(() => harness.Client.FinalizeAsync("order-1001"));

        Assert.Equal(kind, error.Kind);
        Assert.Equal(code, error.Code);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Equal("POST Finalize", error.Operation);
        Assert.NotNull(error.StatusCode);
        if (status >= 400)
        {
            Assert.Equal((HttpStatusCode)status, error.StatusCode);
        }

        Assert.Single(harness.Requests);
    }

    [Fact]
    public async Task Error_data_is_kept_for_the_caller()
    {
        using var harness = ClientHarness.Start();
        harness.RespondToAll(409, """{"error":{"statusCode":409,"code":"UserAlreadyExists","message":"User already exists","data":{"email":"ada@example.com"}}}""");

        var error = await Assert.ThrowsAsync<FlexShopperApiException>(() => harness.Client.CreateUserAsync(new CreateUserRequest("Ada", "Lovelace", "ada@example.com")));

        Assert.Equal(FlexShopperErrorKind.Conflict, error.Kind);
        Assert.Equal("ada@example.com", error.ErrorData?.GetProperty("email").GetString());
    }

    [Theory]
    [InlineData(429, FlexShopperErrorKind.RateLimited)]
    [InlineData(503, FlexShopperErrorKind.Transient)]
    public async Task Retry_after_seconds_are_surfaced(int status, FlexShopperErrorKind kind)
    {
        using var harness = ClientHarness.Start();
        harness.RespondToAll(status, "{}", headers: new Dictionary<string, string> { ["Retry-After"] = "42" });

        var customer = await harness.CustomerAsync();
        var error = await Assert.ThrowsAsync<FlexShopperApiException>(() => harness.Client.CreateLeaseAsync(
            customer, new CreateLeaseRequest("order-1001", [new LeaseItem("Acme", "TV-55", "55in TV")])));

        Assert.Equal(kind, error.Kind);
        Assert.True(error.IsTransient);
        Assert.Equal(TimeSpan.FromSeconds(42), error.RetryAfter);
    }

    [Fact]
    public async Task Retry_after_as_a_date_is_surfaced_as_the_wait_until_then()
    {
        using var harness = ClientHarness.Start();
        var at = DateTimeOffset.UtcNow.AddMinutes(2);
        harness.RespondToAll(429, "{}", headers: new Dictionary<string, string> { ["Retry-After"] = at.ToString("R") });

        var error = await Assert.ThrowsAsync<FlexShopperApiException>(() => harness.Client.FinalizeAsync("order-1001"));

        Assert.Equal(FlexShopperErrorKind.RateLimited, error.Kind);
        Assert.InRange(error.RetryAfter!.Value, TimeSpan.FromSeconds(100), TimeSpan.FromSeconds(121));
    }

    [Fact]
    public async Task No_retry_after_means_none_is_invented()
    {
        using var harness = ClientHarness.Start();
        harness.RespondToAll(429, """{"error":{"statusCode":429,"code":"TooManyRequests","message":"Slow down"}}""");

        var error = await Assert.ThrowsAsync<FlexShopperApiException>(() => harness.Client.FinalizeAsync("order-1001"));

        Assert.Null(error.RetryAfter);
    }

    // A body that is not JSON at all is not here: it has a kind of its own (NonJsonAnswerTests).
    public static TheoryData<string, string> UnexpectedBodies => new()
    {
        { "empty", "" },
        { "truncated JSON", """{"data":{"id":"order-1001","lea""" },
        { "no data", """{"status":"ok"}""" },
        { "data null", """{"data":null}""" },
        { "data a string", """{"data":"order-1001"}""" },
        { "array", """[{"id":"order-1001"}]""" },
        { "id missing", """{"data":{"lease":{"id":"l-1","status":"signed"}}}""" },
        { "id a number", """{"data":{"id":1001}}""" },
        { "money not a number", """{"data":{"id":"order-1001","shippingCost":"free"}}""" },
        { "items not a list", """{"data":{"id":"order-1001","items":{"sku":"TV-55"}}}""" },
    };

    [Theory]
    [MemberData(nameof(UnexpectedBodies))]
    public async Task A_success_status_with_an_unusable_body_is_an_unexpected_response(string what, string body)
    {
        using var harness = ClientHarness.Start();
        harness.RespondToAll(200, body, body.StartsWith('<') ? "text/html" : "application/json");

        var error = await Assert.ThrowsAsync<FlexShopperApiException>(() => harness.Client.GetTransactionAsync("order-1001"));

        Assert.True(error.Kind == FlexShopperErrorKind.UnexpectedResponse, $"{what}: got {error.Kind}");
        Assert.Equal(HttpStatusCode.OK, error.StatusCode);
        Assert.Equal("GET GetTransaction", error.Operation);
        Assert.Single(harness.Requests); // a body we cannot read is not worth asking again
    }

    /// <summary>Calls whose documented success carries fields we depend on: a body without them is not a success.</summary>
    public static TheoryData<string, string> MissingRequiredFields => new()
    {
        { "CreateUser", """{"data":{"userId":"u-1"}}""" },
        { "PasscodeLogin", """{"data":{}}""" },
        { "ChildKeyEnveloped", """{"data":{"childKey":"6f1c2a9e"}}""" },
        { "ChildKeyMissing", """{"status":"Success"}""" },
        { "UserExists", """{"data":{"userId":"u-1"}}""" },
        { "DeepUserExists", """{"data":{"emailExists":true}}""" },
        { "Checkout", """{"data":{"id":"co-1"}}""" },
        { "CreateLease", """{"data":{"contract":"PGh0bWw+"}}""" },
        { "LeaseSettings", """{"data":{}}""" },
        { "RoutingNumber", """{"data":{"bankName":"Federal Reserve Bank"}}""" },
        { "GetProducts", """{"data":{"items":[{"sku":"TV-55"}]}}""" },
    };

    [Theory]
    [MemberData(nameof(MissingRequiredFields))]
    public async Task A_success_without_the_fields_we_rely_on_is_an_unexpected_response(string call, string body)
    {
        using var harness = ClientHarness.Start();
        harness.RespondToAll(200, body);
        var customer = await harness.CustomerAsync();
        var client = harness.Client;
        Func<Task> act = call switch
        {
            "CreateUser" => () => client.CreateUserAsync(new CreateUserRequest("Ada", "Lovelace", "ada@example.com")),
            "PasscodeLogin" => () => client.PasscodeLoginAsync("u-1", "482913"),
            "ChildKeyEnveloped" or "ChildKeyMissing" => () => client.GetLoanPaymentProChildKeyAsync(),
            "UserExists" => () => client.UserExistsAsync("ada@example.com"),
            "DeepUserExists" => () => client.DeepUserExistsAsync(new DeepUserExistsRequest("ada@example.com", "3055550100", new PostalAddress("1 Main St", "Miami", "FL", "33101", "US"))),
            "Checkout" => () => client.CheckoutAsync(new CheckoutRequest("order-2002", [new CheckoutItem("Sofa", "SOFA-1", 899.5m, "Comfy", 1)])),
            "CreateLease" => () => client.CreateLeaseAsync(customer, new CreateLeaseRequest("order-1001", [new LeaseItem("Acme", "TV-55", "55in TV")])),
            "LeaseSettings" => () => client.GetLeaseSettingsAsync(),
            "RoutingNumber" => () => client.ValidateRoutingNumberAsync("011000015"),
            "GetProducts" => () => client.GetProductsAsync(1), // a renamed list is not an empty (last) page
            _ => throw new ArgumentOutOfRangeException(nameof(call)),
        };

        var error = await Assert.ThrowsAsync<FlexShopperApiException>(act);

        Assert.Equal(FlexShopperErrorKind.UnexpectedResponse, error.Kind);
    }

    [Fact]
    public async Task A_success_with_a_null_error_member_is_still_a_success()
    {
        using var harness = ClientHarness.Start();
        harness.RespondToAll(200, """{"data":{"transactionId":"order-1001","loanNumber":"LN-1","leaseNumber":"LS-1"},"error":null}""");

        var result = await harness.Client.FinalizeAsync("order-1001");

        Assert.Equal("LN-1", result.LoanNumber);
    }

    [Fact]
    public async Task A_call_without_a_result_accepts_an_empty_success_but_not_a_non_json_one()
    {
        using (var empty = ClientHarness.Start())
        {
            empty.RespondToAll(200, null);
            await empty.Client.ConfirmShipmentAsync("order-1001", new ShipmentConfirmation(null));
        }

        using var html = ClientHarness.Start();
        html.RespondToAll(200, "<html>maintenance</html>", "text/html");
        var error = await Assert.ThrowsAsync<FlexShopperApiException>(() => html.Client.ConfirmShipmentAsync("order-1001", new ShipmentConfirmation(null)));
        Assert.Equal(FlexShopperErrorKind.NonJsonResponse, error.Kind);
    }

    // ---- Return Items: the configured name (return by default), and the other only when it is an unknown URI ----

    [Theory]
    [InlineData(null)]
    [InlineData("""{"message":"no Route matched with those values"}""")]
    [InlineData("""{"error":{"statusCode":404,"message":"Not Found"}}""")]
    public async Task Return_items_falls_back_to_return_items_when_return_is_an_unknown_uri(string? notFoundBody)
    {
        using var harness = ClientHarness.Start();
        harness.Respond("transactions/order-1001/return", 404, notFoundBody);
        harness.Respond("transactions/order-1001/return-items", 200, """{"data":{"returned":[{"sku":"TV-55","quantity":1}],"failed":[]}}""");

        var result = await harness.Client.ReturnItemsAsync("order-1001", new ItemsRequest([new ItemQuantity("TV-55", 1)]));

        Assert.Equal([new ItemQuantity("TV-55", 1)], result.Returned);
        var requests = harness.Requests;
        Assert.Equal(2, requests.Count);
        const string body = """{"items":[{"sku":"TV-55","quantity":1}]}""";
        ClientHarness.AssertRequest(requests[0], "POST", "transactions/order-1001/return", null, body);
        ClientHarness.AssertRequest(requests[1], "POST", "transactions/order-1001/return-items", null, body);
    }

    [Fact]
    public async Task Return_items_goes_to_the_configured_name_first_and_says_which_to_set_when_it_falls_back()
    {
        using var harness = ClientHarness.Start(configure: null, settings: s => s["FlexShopper:ReturnItemsPath"] = FlexShopperPaths.ReturnItemsMagento);
        harness.Respond("transactions/order-1001/return-items", 404, """{"message":"no Route matched with those values"}""");
        harness.Respond("transactions/order-1001/return", 200, """{"data":{"returned":[{"sku":"TV-55","quantity":1}],"failed":[]}}""");

        var result = await harness.Client.ReturnItemsAsync("order-1001", new ItemsRequest([new ItemQuantity("TV-55", 1)]));

        Assert.Equal([new ItemQuantity("TV-55", 1)], result.Returned);
        Assert.Equal(["transactions/order-1001/return-items", "transactions/order-1001/return"], harness.Requests.Select(ClientHarness.PathAndQuery));
        Assert.Contains(harness.Services.AllLogText(), line => line.Contains("set FlexShopper__ReturnItemsPath=return", StringComparison.Ordinal));
    }

    [Fact]
    public void Only_the_two_names_of_return_items_are_accepted_as_the_setting()
    {
        var error = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() =>
        {
            using var harness = ClientHarness.Start(settings: s => s["FlexShopper:ReturnItemsPath"] = "returns");
            _ = harness.Services.Get<Microsoft.Extensions.Options.IOptions<FlexShopperOptions>>().Value;
        });

        Assert.Contains("FlexShopper__ReturnItemsPath", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Return_items_does_not_fall_back_when_the_transaction_is_not_found()
    {
        using var harness = ClientHarness.Start();
        harness.Respond("transactions/order-1001/return", 404, """{"error":{"statusCode":404,"code":"TransactionNotFound","message":"The transaction with the provided id was not found","data":{}}}""");
        harness.Respond("transactions/order-1001/return-items", 200, """{"data":{"returned":[],"failed":[]}}""");

        var error = await Assert.ThrowsAsync<FlexShopperApiException>(() => harness.Client.ReturnItemsAsync("order-1001", new ItemsRequest(null)));

        Assert.Equal(FlexShopperErrorKind.NotFound, error.Kind);
        Assert.Equal("TransactionNotFound", error.Code);
        Assert.Equal("transactions/order-1001/return", ClientHarness.PathAndQuery(harness.SingleRequest()));
    }

    [Fact]
    public async Task Return_items_falls_back_once_and_reports_the_fallbacks_answer()
    {
        using var harness = ClientHarness.Start();
        harness.Respond("transactions/order-1001/return", 404, null);
        harness.Respond("transactions/order-1001/return-items", 404, """{"error":{"statusCode":404,"code":"TransactionNotFound","message":"The transaction with the provided id was not found"}}""");

        var error = await Assert.ThrowsAsync<FlexShopperApiException>(() => harness.Client.ReturnItemsAsync("order-1001", new ItemsRequest(null)));

        Assert.Equal("TransactionNotFound", error.Code);
        Assert.Equal(2, harness.Requests.Count);
    }

    [Fact]
    public async Task Return_items_does_not_fall_back_on_other_failures()
    {
        using var harness = ClientHarness.Start();
        harness.Respond("transactions/order-1001/return", 400, """{"error":{"statusCode":400,"code":"ItemsInvalid","message":"Unknown SKU"}}""");

        var error = await Assert.ThrowsAsync<FlexShopperApiException>(() => harness.Client.ReturnItemsAsync("order-1001", new ItemsRequest(null)));

        Assert.Equal(FlexShopperErrorKind.Validation, error.Kind);
        Assert.Single(harness.Requests);
    }

    [Fact]
    public void Status_table_covers_the_documented_statuses()
    {
        var expected = new Dictionary<int, FlexShopperErrorKind>
        {
            [400] = FlexShopperErrorKind.Validation,
            [401] = FlexShopperErrorKind.Unauthorized,
            [402] = FlexShopperErrorKind.PaymentRequired,
            [403] = FlexShopperErrorKind.Forbidden,
            [404] = FlexShopperErrorKind.NotFound,
            [408] = FlexShopperErrorKind.Transient,
            [409] = FlexShopperErrorKind.Conflict,
            [429] = FlexShopperErrorKind.RateLimited,
            [500] = FlexShopperErrorKind.Transient,
            [502] = FlexShopperErrorKind.Transient,
            [503] = FlexShopperErrorKind.Transient,
        };
        Assert.Equal(expected, expected.Keys.ToDictionary(s => s, s => FlexShopperApiException.KindFor((HttpStatusCode)s)));
    }
}
