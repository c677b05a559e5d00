using System.Net;
using System.Text.Json;
using FlexShopper.Emulator;

namespace FlexFunctions.Tests.Emulator;

/// <summary>
/// The emulator is as strict as the public sources and no stricter (docs/flexshopper-api.md, "Review
/// 2026-12"): it takes what they send (quantities as integers, integer strings or whole decimals; checkout as a GET
/// with a body; both names of Return Items), refuses what FlexShopper refuses (banks it does not accept), and keeps
/// the rules no source states behind strictness settings that are off by default.
/// </summary>
public sealed class FidelityTests
{
    private const string Application = """
        {"street1":"1 Ocean Blvd","city":"Boca Raton","regionAbbr":"FL","postalCode":"33431","country":"US","mobilePhone":"5615550100",
         "dateOfBirth":"1990-04-01","ssn":"123456781","employmentInformation":{"payFrequency":"biweekly","monthlyIncome":4000PAYDATES},
         "bankAccount":{"routing":"ROUTING","account":"000123456789","type":"checking"}}
        """;

    public static TheoryData<string> WholeQuantities => new() { "1", "\"1\"", "1.0", "\"1.0000\"", "1e0" };

    [Theory]
    [MemberData(nameof(WholeQuantities))]
    public async Task Cancel_return_and_confirm_shipment_take_a_quantity_as_the_sources_send_it(string quantity)
    {
        await using var emulator = await RunningEmulator.StartAsync();
        await SignedLeaseAsync(emulator, "T-QTY", ("SKU-A", 3));

        var shipped = await Send(emulator, "transactions/T-QTY/confirm-shipment", $$"""{"items":[{"sku":"SKU-A","quantity":{{quantity}},"carrier":"ground","shipDate":"2026-01-06"}]}""");
        var canceled = await Send(emulator, "transactions/T-QTY/cancel", $$"""{"items":[{"sku":"SKU-A","quantity":{{quantity}}}]}""");
        var returned = await Send(emulator, "transactions/T-QTY/return", $$"""{"items":[{"sku":"SKU-A","quantity":{{quantity}}}]}""");

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK), (shipped.Status, canceled.Status, returned.Status));
        Assert.Equal(1, Assert.Single(canceled.Body.GetProperty("data").GetProperty("canceled").EnumerateArray()).GetProperty("quantity").GetInt32());
        Assert.Equal(1, Assert.Single(returned.Body.GetProperty("data").GetProperty("returned").EnumerateArray()).GetProperty("quantity").GetInt32());
        var item = Assert.Single(emulator.State.GetTransaction("T-QTY").Items);
        Assert.Equal((1, 1, 1), (item.QuantityByStatus["shipped"], item.QuantityByStatus["canceled"], item.QuantityByStatus["returned"]));
    }

    [Theory]
    [InlineData("1.5")]
    [InlineData("\"1.5\"")]
    [InlineData("\"one\"")]
    [InlineData("true")]
    public async Task A_quantity_that_is_not_a_whole_number_is_refused_naming_the_field(string quantity)
    {
        await using var emulator = await RunningEmulator.StartAsync();
        await SignedLeaseAsync(emulator, "T-BADQTY", ("SKU-A", 2));

        var canceled = await Send(emulator, "transactions/T-BADQTY/cancel", $$"""{"items":[{"sku":"SKU-A","quantity":{{quantity}}}]}""");

        Assert.Equal(HttpStatusCode.BadRequest, canceled.Status);
        Assert.True(canceled.Body.GetProperty("error").GetProperty("data").TryGetProperty("items[0].quantity", out _), canceled.Body.ToString());
    }

    [Fact]
    public async Task Checkout_is_a_get_with_a_body_and_a_post_meets_the_gateways_no_route()
    {
        await using var emulator = await RunningEmulator.StartAsync();
        const string body = """{"transactionId":"CO-1","items":[{"description":"Sofa","sku":"SOFA-1","cost":899.5,"brand":"Comfy","quantity":1}]}""";

        using var get = await emulator.SendAsync(HttpMethod.Get, "checkout", json: body);
        using var post = await emulator.SendAsync(HttpMethod.Post, "checkout", json: body);
        using var noBody = await emulator.SendAsync(HttpMethod.Get, "checkout");

        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Contains("transactionId=CO-1", (await RunningEmulator.JsonOf(get)).GetProperty("data").GetProperty("redirectUri").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, post.StatusCode);
        Assert.Equal("no Route matched with those values", (await RunningEmulator.JsonOf(post)).GetProperty("message").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, noBody.StatusCode);
    }

    [Theory]
    [InlineData("000000000")]
    [InlineData("084009519")]
    public async Task Banks_FlexShopper_does_not_accept_are_refused_although_their_checksum_is_valid(string routing)
    {
        await using var emulator = await RunningEmulator.StartAsync();
        var token = await CustomerAsync(emulator, "refused.bank@example.com");

        using var validated = await emulator.SendAsync(HttpMethod.Get, "routing-numbers/" + routing);
        var applied = await Send(emulator, "users/me/apply", ApplicationWith(routing), token);
        var added = await Send(emulator, "paymentMethods/add", $$$"""{"ach":{"routing":"{{{routing}}}","account":"000123456789","accountType":"checking"}}""", token);

        Assert.True(EmulatorState.IsAbaRoutingNumber(routing));
        Assert.False((await RunningEmulator.JsonOf(validated)).GetProperty("data").GetProperty("valid").GetBoolean());
        Assert.Equal(HttpStatusCode.BadRequest, applied.Status);
        Assert.Contains("We do not accept this bank", applied.Body.GetProperty("error").GetProperty("data").GetProperty("bankAccount.routing").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, added.Status);
        Assert.True(added.Body.GetProperty("error").GetProperty("data").TryGetProperty("ach.routing", out _));
    }

    [Fact]
    public async Task The_bank_FlexShoppers_ui_names_is_named_and_others_pass_the_checksum_as_before()
    {
        await using var emulator = await RunningEmulator.StartAsync();

        using var chase = await emulator.SendAsync(HttpMethod.Get, "routing-numbers/325070760");
        using var other = await emulator.SendAsync(HttpMethod.Get, "routing-numbers/021000021");
        using var badChecksum = await emulator.SendAsync(HttpMethod.Get, "routing-numbers/021000022");

        Assert.Equal("JPMorgan Chase", (await RunningEmulator.JsonOf(chase)).GetProperty("data").GetProperty("bankName").GetString());
        Assert.True((await RunningEmulator.JsonOf(other)).GetProperty("data").GetProperty("valid").GetBoolean());
        Assert.False((await RunningEmulator.JsonOf(badChecksum)).GetProperty("data").GetProperty("valid").GetBoolean());
    }

    [Theory]
    [InlineData(false, HttpStatusCode.OK, null)]
    [InlineData(true, HttpStatusCode.BadRequest, "TransactionNotFinalized")]
    public async Task Confirming_before_finalize_is_refused_only_under_the_strictness_setting(bool strict, HttpStatusCode expected, string? code)
    {
        await using var emulator = await RunningEmulator.StartAsync(new EmulatorOptions { Strictness = new StrictnessSettings { RequireFinalizeBeforeDelivery = strict } });
        await SignedLeaseAsync(emulator, "T-EARLY", ("SKU-A", 1), ("SKU-B", 1));

        var shipped = await Send(emulator, "transactions/T-EARLY/confirm-shipment", """{"items":[{"sku":"SKU-A","carrier":"ground","shipDate":"2026-01-06"}]}""");
        var received = await Send(emulator, "transactions/T-EARLY/confirm-receipt", """{"items":[{"sku":"SKU-B","quantity":1}]}""");

        Assert.Equal((expected, expected), (shipped.Status, received.Status));
        Assert.Equal(code, shipped.Status == HttpStatusCode.OK ? null : shipped.Body.GetProperty("error").GetProperty("code").GetString());
    }

    [Theory]
    [InlineData(false, 1, 0)]
    [InlineData(true, 0, 1)]
    public async Task A_signed_unit_never_shipped_comes_back_unless_the_strictness_setting_says_otherwise(bool strict, int returned, int failed)
    {
        await using var emulator = await RunningEmulator.StartAsync(new EmulatorOptions { Strictness = new StrictnessSettings { ReturnOnlyDelivered = strict } });
        await SignedLeaseAsync(emulator, "T-UNSHIPPED", ("SKU-A", 1));

        var result = await Send(emulator, "transactions/T-UNSHIPPED/return", """{"items":[{"sku":"SKU-A","quantity":1}]}""");
        var again = await Send(emulator, "transactions/T-UNSHIPPED/return", """{"items":[{"sku":"SKU-A","quantity":1}]}""");

        var data = result.Body.GetProperty("data");
        Assert.Equal((returned, failed), (data.GetProperty("returned").GetArrayLength(), data.GetProperty("failed").GetArrayLength()));
        Assert.Equal(1, again.Body.GetProperty("data").GetProperty("failed").GetArrayLength()); // never twice, never when strict
    }

    [Fact]
    public async Task The_accounts_minimum_order_value_is_a_setting_that_settings_lease_answers_and_create_lease_enforces()
    {
        await using var emulator = await RunningEmulator.StartAsync(new EmulatorOptions { MinimumOrderValue = 500m });
        var token = await ApprovedCustomerAsync(emulator, "minimum@example.com");

        using var leaseSettings = await emulator.SendAsync(HttpMethod.Get, "settings/lease");
        var below = await Send(emulator, "leases", Lease("T-499", ("SKU-A", 1), 499.99m), token);
        var at = await Send(emulator, "leases", Lease("T-500", ("SKU-A", 1), 500m), token);

        Assert.Equal(500m, (await RunningEmulator.JsonOf(leaseSettings)).GetProperty("data").GetProperty("minimumOrderValue").GetDecimal());
        Assert.Equal("LeaseAmountNotSatisfied", below.Body.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.OK, at.Status);
        Assert.Throws<ArgumentException>(() => new EmulatorState(new EmulatorOptions { MinimumOrderValue = -1m }, TimeProvider.System));
    }

    [Theory]
    [InlineData(",\"nextPay\":\"2026-01-16\"", HttpStatusCode.OK, null)]
    [InlineData(",\"nextPayDate\":\"2026-01-16\",\"lastPayDate\":\"2026-01-02\"", HttpStatusCode.OK, null)]
    [InlineData(",\"nextPay\":\"16/01/2026\"", HttpStatusCode.BadRequest, "employmentInformation.nextPay")]
    [InlineData(",\"nextPayDate\":\"soon\"", HttpStatusCode.BadRequest, "employmentInformation.nextPayDate")]
    public async Task The_next_pay_date_is_read_under_both_names_the_pages_give_it(string payDates, HttpStatusCode expected, string? field)
    {
        await using var emulator = await RunningEmulator.StartAsync();
        var token = await CustomerAsync(emulator, "paydate@example.com");

        var applied = await Send(emulator, "users/me/apply", Application.Replace("PAYDATES", payDates, StringComparison.Ordinal).Replace("ROUTING", "021000021", StringComparison.Ordinal), token);

        Assert.Equal(expected, applied.Status);
        Assert.True(field is null || applied.Body.GetProperty("error").GetProperty("data").TryGetProperty(field, out _), applied.Body.ToString());
    }

    [Theory]
    [InlineData(EmulatorOptions.BothReturnPaths, HttpStatusCode.OK, HttpStatusCode.OK)]
    [InlineData("return", HttpStatusCode.OK, HttpStatusCode.NotFound)]
    [InlineData("return-items", HttpStatusCode.NotFound, HttpStatusCode.OK)]
    public async Task Return_items_answers_on_the_names_the_setting_picks(string setting, HttpStatusCode atReturn, HttpStatusCode atReturnItems)
    {
        await using var emulator = await RunningEmulator.StartAsync(new EmulatorOptions { ReturnItemsPath = setting });
        await SignedLeaseAsync(emulator, "T-RET", ("SKU-A", 2));

        var documented = await Send(emulator, "transactions/T-RET/return", """{"items":[{"sku":"SKU-A","quantity":1}]}""");
        var magento = await Send(emulator, "transactions/T-RET/return-items", """{"items":[{"sku":"SKU-A","quantity":1}]}""");

        Assert.Equal((atReturn, atReturnItems), (documented.Status, magento.Status));
        Assert.Equal(new[] { atReturn, atReturnItems }.Count(s => s == HttpStatusCode.OK), emulator.State.AppliedCount("ReturnItems", "T-RET"));
        Assert.True(documented.Status == HttpStatusCode.OK || documented.Body.GetProperty("message").GetString() == "no Route matched with those values");
        Assert.Throws<ArgumentException>(() => EmulatorApp.Build(new EmulatorOptions { ReturnItemsPath = "returns" }, "http://127.0.0.1:5099"));
    }

    // ---- Helpers: raw v3 calls, so the test sends exactly the JSON a source sends ----

    private static string ApplicationWith(string routing) =>
        Application.Replace("PAYDATES", "", StringComparison.Ordinal).Replace("ROUTING", routing, StringComparison.Ordinal);

    private static string Lease(string transactionId, (string Sku, int Quantity) item, decimal cost) =>
        $$"""{"transactionId":"{{transactionId}}","items":[{"brand":"Acme","sku":"{{item.Sku}}","description":"Item","cost":{{cost.ToString(System.Globalization.CultureInfo.InvariantCulture)}},"quantity":{{item.Quantity}}}]}""";

    private static async Task<(HttpStatusCode Status, JsonElement Body)> Send(RunningEmulator emulator, string path, string json, string? token = null)
    {
        using var response = await emulator.SendAsync(HttpMethod.Post, path, token: token, json: json);
        return (response.StatusCode, await RunningEmulator.JsonOf(response));
    }

    private static async Task<string> CustomerAsync(RunningEmulator emulator, string email)
    {
        var created = await Send(emulator, "users", $$"""{"firstName":"Ada","lastName":"Fidelity","email":"{{email}}"}""");
        return created.Body.GetProperty("data").GetProperty("token").GetString()!;
    }

    private static async Task<string> ApprovedCustomerAsync(RunningEmulator emulator, string email)
    {
        var token = await CustomerAsync(emulator, email);
        var applied = await Send(emulator, "users/me/apply", ApplicationWith("021000021"), token);
        Assert.Equal(HttpStatusCode.OK, applied.Status);
        return token;
    }

    /// <summary>An approved customer's signed (not finalized) lease, each line at $60 a unit.</summary>
    private static async Task SignedLeaseAsync(RunningEmulator emulator, string transactionId, params (string Sku, int Quantity)[] items)
    {
        var token = await ApprovedCustomerAsync(emulator, transactionId.ToLowerInvariant() + "@example.com");
        var lines = string.Join(",", items.Select(i => $$"""{"brand":"Acme","sku":"{{i.Sku}}","description":"Item","cost":60,"quantity":{{i.Quantity}}}"""));
        var lease = await Send(emulator, "leases", $$"""{"transactionId":"{{transactionId}}","items":[{{lines}}]}""", token);
        Assert.Equal(HttpStatusCode.OK, lease.Status);
        var leaseId = lease.Body.GetProperty("data").GetProperty("leaseId").GetString();
        var signed = await Send(emulator, $"leases/{leaseId}/sign", """{"ipAddress":"203.0.113.7","signed":true}""", token);
        Assert.Equal(HttpStatusCode.OK, signed.Status);
    }
}
