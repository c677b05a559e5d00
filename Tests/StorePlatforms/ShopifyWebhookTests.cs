using System.Text.Json;
using System.Text.Json.Nodes;
using FlexFunctions.Functions.Http;
using FlexFunctions.Shared.Confirmations;
using FlexFunctions.Shared.Http;
using Microsoft.AspNetCore.Http;
using static FlexFunctions.Tests.StorePlatforms.PlatformSamples;

namespace FlexFunctions.Tests.StorePlatforms;

/// <summary>Shopify's own webhooks, signed as Shopify signs them, each topic to the warehouse event it becomes.</summary>
public sealed class ShopifyWebhookTests
{
    private static readonly Line Tv = new(866550311766439020, "TV-55", 1, "Television");
    private static readonly Line Soundbar = new(141249953214522974, "SB-2", 2, "Soundbar");
    private static readonly Line GiftWrap = new(518995019, null, 1, "Gift wrap");

    [Fact]
    public async Task A_fulfilment_with_tracking_becomes_one_shipment_with_its_tracking_for_the_order_id()
    {
        await using var bed = new PlatformBed();
        await bed.CreateQueueAsync();

        var answer = await bed.Shopify("fulfillments/create", ShopifyFulfillment(255858046, "1Z999AA10123456784", Tv, Soundbar));

        Assert.True(answer.Status == 200, answer.Body);
        Assert.Equal(("accepted", 1, 0), (answer.Json.GetProperty("outcome").GetString(), answer.Json.GetProperty("events").GetInt32(), answer.Json.GetProperty("skipped").GetInt32()));
        var e = Assert.Single(await bed.QueuedAsync());
        Assert.Equal((1, "shipment", "5551234567", "shopify-fulfillment-255858046"),
            (e.GetProperty("version").GetInt32(), e.GetProperty("type").GetString(), e.GetProperty("transactionId").GetString(), e.GetProperty("reference").GetString()));
        var items = e.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(["TV-55", "SB-2"], items.Select(i => i.GetProperty("sku").GetString()));
        Assert.Equal([1, 2], items.Select(i => i.GetProperty("quantity").GetInt32()));
        Assert.All(items, i =>
        {
            Assert.Equal("UPS", i.GetProperty("carrier").GetString());
            Assert.Equal("1Z999AA10123456784", i.GetProperty("trackingNumber").GetString());
            Assert.Equal("https://www.ups.com/track?tracknum=1Z999AA10123456784", i.GetProperty("trackingLink").GetString());
            Assert.Equal("2026-03-01", i.GetProperty("shipDate").GetString()); // the shop's date, not UTC's (2026-03-02)
        });
        Assert.Empty(await bed.SkippedAsync());
    }

    [Fact]
    public async Task Tracking_added_later_by_fulfillments_update_is_a_shipment_carrying_it_and_a_status_only_update_is_the_same_event()
    {
        await using var bed = new PlatformBed();
        await bed.CreateQueueAsync();

        await bed.Shopify("fulfillments/create", ShopifyFulfillment(255858046, null, "success", null, Tv));
        await bed.Shopify("fulfillments/update", ShopifyFulfillment(255858046, "9400111899223100000000", "success", "USPS", Tv));
        await bed.Shopify("fulfillments/update", ShopifyFulfillment(255858046, "9400111899223100000000", "success", "USPS", Tv)); // shipment_status moved on

        var queued = await bed.QueuedAsync();
        Assert.Equal(3, queued.Count);
        Assert.Equal("ground", queued[0].GetProperty("items")[0].GetProperty("carrier").GetString()); // no tracking company: Shopify__DefaultCarrier
        Assert.False(queued[0].GetProperty("items")[0].TryGetProperty("trackingNumber", out _));
        Assert.Equal(("USPS", "9400111899223100000000"), (queued[1].GetProperty("items")[0].GetProperty("carrier").GetString(), queued[1].GetProperty("items")[0].GetProperty("trackingNumber").GetString()));
        // The ledger's identity of the two updates is the same event: FlexShopper hears it once.
        var reader = bed.App.Get<WarehouseMessageReader>();
        var keys = queued.Select(q => reader.Read(q.GetRawText()).Event!.Key).ToList();
        Assert.Equal(keys[1], keys[2]);
        Assert.NotEqual(keys[0], keys[1]);
    }

    [Theory]
    [InlineData("cancelled")]
    [InlineData("failure")]
    public async Task A_cancelled_or_failed_fulfilment_is_acknowledged_and_kept_for_the_operator(string status)
    {
        await using var bed = new PlatformBed();
        await bed.CreateQueueAsync();

        var answer = await bed.Shopify("fulfillments/update", ShopifyFulfillment(255858046, "1Z1", status, "UPS", Tv));

        Assert.Equal(200, answer.Status);
        Assert.Empty(await bed.QueuedAsync());
        var skipped = Assert.Single(await bed.SkippedAsync());
        Assert.Contains($"is '{status}'", skipped.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cancelled_order_with_nothing_refunded_or_shipped_cancels_the_whole_transaction()
    {
        await using var bed = new PlatformBed();
        await bed.CreateQueueAsync();

        Assert.Equal(200, (await bed.Shopify("orders/cancelled", Cancelled(ShopifyOrderObject(lines: [Tv, Soundbar])).ToJsonString())).Status);

        var e = Assert.Single(await bed.QueuedAsync());
        Assert.Equal(("cancel", "5551234567", "shopify-order-5551234567-cancelled"), (e.GetProperty("type").GetString(), e.GetProperty("transactionId").GetString(), e.GetProperty("reference").GetString()));
        Assert.False(e.TryGetProperty("items", out _)); // no items: every unit
    }

    [Fact]
    public async Task A_cancelled_order_cancels_only_what_its_refunds_and_fulfilments_did_not_settle()
    {
        await using var bed = new PlatformBed();
        await bed.CreateQueueAsync();
        var order = Cancelled(ShopifyOrderObject(lines: [Tv, Soundbar with { Quantity = 3 }]));
        order["fulfillments"] = new JsonArray(JsonNode.Parse(ShopifyFulfillment(1, "1Z1", Tv)));
        order["refunds"] = new JsonArray(ShopifyRefundObject(2, (Soundbar, 1, "cancel")));

        await bed.Shopify("orders/cancelled", order.ToJsonString());

        var e = Assert.Single(await bed.QueuedAsync());
        var item = Assert.Single(e.GetProperty("items").EnumerateArray());
        Assert.Equal(("SB-2", 2), (item.GetProperty("sku").GetString(), item.GetProperty("quantity").GetInt32()));
    }

    [Fact]
    public async Task A_refund_cancels_the_units_restocked_as_cancel_and_returns_those_restocked_as_return()
    {
        await using var bed = new PlatformBed();
        await bed.CreateQueueAsync();

        var body = ShopifyRefund(509562969, (Tv with { FulfillmentStatus = "fulfilled" }, 1, "return"), (Soundbar, 2, "cancel"));
        Assert.Equal(200, (await bed.Shopify("refunds/create", body)).Status);

        var queued = await bed.QueuedAsync();
        Assert.Equal(2, queued.Count);
        var cancel = Assert.Single(queued, q => q.GetProperty("type").GetString() == "cancel");
        var ret = Assert.Single(queued, q => q.GetProperty("type").GetString() == "return");
        Assert.Equal(("SB-2", 2), (cancel.GetProperty("items")[0].GetProperty("sku").GetString(), cancel.GetProperty("items")[0].GetProperty("quantity").GetInt32()));
        Assert.Equal(("TV-55", 1), (ret.GetProperty("items")[0].GetProperty("sku").GetString(), ret.GetProperty("items")[0].GetProperty("quantity").GetInt32()));
        Assert.All(queued, q => Assert.Equal("shopify-refund-509562969", q.GetProperty("reference").GetString()));
    }

    [Fact]
    public async Task A_refund_without_restocking_goes_by_the_lines_fulfilment_and_an_amount_only_refund_is_kept_for_the_operator()
    {
        await using var bed = new PlatformBed();
        await bed.CreateQueueAsync();

        await bed.Shopify("refunds/create", ShopifyRefund(1, (Tv with { FulfillmentStatus = "fulfilled" }, 1, "no_restock"), (Soundbar, 1, "no_restock")));
        await bed.Shopify("refunds/create", ShopifyRefund(2));

        var queued = await bed.QueuedAsync();
        Assert.Equal(["cancel", "return"], queued.Select(q => q.GetProperty("type").GetString()).Order());
        var skipped = Assert.Single(await bed.SkippedAsync());
        Assert.Contains("no items", skipped.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_line_without_SKU_is_kept_with_its_reason_and_the_other_lines_still_ship()
    {
        await using var bed = new PlatformBed();
        await bed.CreateQueueAsync();

        var partly = await bed.Shopify("fulfillments/create", ShopifyFulfillment(10, "1Z1", Tv, GiftWrap));
        var none = await bed.Shopify("fulfillments/create", ShopifyFulfillment(11, "1Z2", GiftWrap));

        Assert.Equal((1, 1), (partly.Json.GetProperty("events").GetInt32(), partly.Json.GetProperty("skipped").GetInt32()));
        Assert.Equal((0, 1), (none.Json.GetProperty("events").GetInt32(), none.Json.GetProperty("skipped").GetInt32()));
        Assert.Equal(["TV-55"], (await bed.QueuedAsync()).Select(q => q.GetProperty("items")[0].GetProperty("sku").GetString()));
        var skipped = await bed.SkippedAsync();
        Assert.Equal(2, skipped.Count);
        Assert.All(skipped, s =>
        {
            Assert.Contains("'Gift wrap' (line 518995019) x1 has no SKU", s.Reason, StringComparison.Ordinal);
            Assert.Equal("shopify fulfillments/create", s.EventType);
            Assert.Equal(FailedEventKinds.Skipped, s.Kind);
            // What is kept for replay is the projection: no customer email or address.
            Assert.DoesNotContain(CustomerEmail, s.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("Ocean", s.Message, StringComparison.Ordinal);
        });
        Assert.Contains(skipped, s => s.Reason.EndsWith("nothing was sent.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_order_FlexShopper_did_not_finance_is_acknowledged_and_kept_with_the_gateway_it_was_paid_with()
    {
        await using var bed = new PlatformBed(s => s["Shopify:PaymentGateways"] = "FlexShopper");
        await bed.CreateQueueAsync();

        // The index learns the order from orders/create; its fulfilment then knows the order was paid by card.
        await bed.Shopify("orders/create", ShopifyOrderObject(gateway: "shopify_payments", lines: [Tv]).ToJsonString());
        var answer = await bed.Shopify("fulfillments/create", ShopifyFulfillment(20, "1Z1", Tv));
        await bed.Shopify("orders/cancelled", Cancelled(ShopifyOrderObject(gateway: "shopify_payments", lines: [Tv])).ToJsonString());

        Assert.Equal((200, 0, 1), (answer.Status, answer.Json.GetProperty("events").GetInt32(), answer.Json.GetProperty("skipped").GetInt32()));
        Assert.Empty(await bed.QueuedAsync());
        var skipped = await bed.SkippedAsync();
        Assert.Equal(2, skipped.Count);
        Assert.All(skipped, s => Assert.Contains("was paid with 'shopify_payments', not FlexShopper", s.Reason, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_order_name_is_the_transaction_id_when_chosen_even_on_a_fulfilment_that_names_only_itself()
    {
        await using var bed = new PlatformBed(s => s["Shopify:TransactionId"] = "name");
        await bed.CreateQueueAsync();

        await bed.Shopify("fulfillments/create", ShopifyFulfillment(30, "1Z1", Tv)); // name "#1001.1", order unknown

        // Without its '#': the transaction id is a segment of FlexShopper's URL path, where '#' would start a fragment.
        // The store created its lease with "1001" too (README, Shopify).
        var e = Assert.Single(await bed.QueuedAsync());
        Assert.Equal("1001", e.GetProperty("transactionId").GetString());
        Assert.NotNull(bed.App.Get<WarehouseMessageReader>().Read(e.GetRawText()).Event);
        Assert.Empty(await bed.SkippedAsync());
    }

    [Fact]
    public async Task The_order_name_without_its_hash_is_used_for_cancels_and_refunds_and_a_name_that_makes_no_transaction_id_is_kept()
    {
        await using var bed = new PlatformBed(s => s["Shopify:TransactionId"] = "name");
        await bed.CreateQueueAsync();

        // orders/create teaches the name; the refund, which carries only the order id, then finds it.
        await bed.Shopify("orders/create", ShopifyOrderObject(name: "#1002", lines: [Tv, Soundbar]).ToJsonString());
        await bed.Shopify("refunds/create", ShopifyRefund(90, (Soundbar, 1, "cancel")));
        await bed.Shopify("orders/cancelled", Cancelled(ShopifyOrderObject(name: "#1003", lines: [Tv])).ToJsonString());
        Assert.Equal(["1002", "1003"], (await bed.QueuedAsync()).Select(q => q.GetProperty("transactionId").GetString()).Order());

        // A custom order prefix with a space (or anything else an identifier refuses) cannot be a transaction id: kept.
        var spaced = ShopifyOrderObject(lines: [Tv]);
        spaced["name"] = "FS 1004";
        var answer = await bed.Shopify("orders/cancelled", Cancelled(spaced).ToJsonString());

        Assert.Equal((200, 0, 1), (answer.Status, answer.Json.GetProperty("events").GetInt32(), answer.Json.GetProperty("skipped").GetInt32()));
        Assert.Equal(2, (await bed.QueuedAsync()).Count);
        var kept = Assert.Single(await bed.SkippedAsync());
        Assert.Contains("Shopify__TransactionId=name", kept.Reason, StringComparison.Ordinal);
        Assert.Contains("is not one FlexShopper can take", kept.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_note_attribute_transaction_id_learned_from_orders_create_reaches_the_refund_and_an_unknown_order_is_replayed_once_learned()
    {
        await using var bed = new PlatformBed(s => s["Shopify:TransactionId"] = "note:flexshopper_transaction_id");
        await bed.CreateQueueAsync();

        // The refund arrives before the app has seen the order: kept, with what to do.
        var early = await bed.Shopify("refunds/create", ShopifyRefund(40, (Soundbar, 1, "cancel")));
        Assert.Equal((200, 0), (early.Status, early.Json.GetProperty("events").GetInt32()));
        var kept = Assert.Single(await bed.SkippedAsync());
        Assert.Contains("subscribe", kept.Reason, StringComparison.OrdinalIgnoreCase);

        var learned = await bed.Shopify("orders/create", ShopifyOrderObject(notes: [("gift_note", "Happy birthday"), ("flexshopper_transaction_id", "FS-77001")], lines: [Tv, Soundbar]).ToJsonString());
        Assert.Equal(0, learned.Json.GetProperty("events").GetInt32());
        await bed.Shopify("fulfillments/create", ShopifyFulfillment(41, "1Z1", Tv));
        Assert.Equal("FS-77001", Assert.Single(await bed.QueuedAsync()).GetProperty("transactionId").GetString());

        // The operator replays the kept refund: translated again, it now finds the transaction id.
        var admin = new WarehouseAdminFunctions(bed.App.Get<FailedEventReplayer>(), bed.App.Get<DependencyGuard>());
        var replay = await admin.ReplayOne(new DefaultHttpContext().Request, kept.Kind, kept.Id, CancellationToken.None);
        var report = JsonSerializer.Deserialize(Body(replay), ConfirmationsJson.Default.ReplayReport)!;
        Assert.Equal([kept.Id], report.Replayed);
        var cancel = Assert.Single(await bed.QueuedAsync(), q => q.GetProperty("type").GetString() == "cancel");
        Assert.Equal(("FS-77001", "shopify-refund-40"), (cancel.GetProperty("transactionId").GetString(), cancel.GetProperty("reference").GetString()));
        Assert.Empty(await bed.SkippedAsync());
    }

    [Fact]
    public async Task An_order_without_the_note_attribute_is_not_cancelled_and_is_kept()
    {
        await using var bed = new PlatformBed(s => s["Shopify:TransactionId"] = "note:flexshopper_transaction_id");
        await bed.CreateQueueAsync();

        await bed.Shopify("orders/cancelled", Cancelled(ShopifyOrderObject(lines: [Tv])).ToJsonString());

        Assert.Empty(await bed.QueuedAsync());
        Assert.Contains("has no note attribute 'flexshopper_transaction_id'", Assert.Single(await bed.SkippedAsync()).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_topic_is_acknowledged_and_kept_for_the_operator()
    {
        await using var bed = new PlatformBed();
        await bed.CreateQueueAsync();

        var answer = await bed.Shopify("products/update", """{"id":632910392,"title":"IPod Nano - 8GB","variants":[{"sku":"IPOD2008PINK"}]}""");

        Assert.Equal((200, 1), (answer.Status, answer.Json.GetProperty("skipped").GetInt32()));
        Assert.Empty(await bed.QueuedAsync());
        Assert.Contains("'products/update' is not one FlexFunctions", Assert.Single(await bed.SkippedAsync()).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_same_webhook_id_delivered_again_is_acknowledged_without_queueing_again()
    {
        await using var bed = new PlatformBed();
        await bed.CreateQueueAsync();
        var body = ShopifyFulfillment(50, "1Z1", Tv);

        var first = await bed.Shopify("fulfillments/create", body, webhookId: "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043");
        var again = await bed.Shopify("fulfillments/create", body, webhookId: "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043");

        Assert.Equal(("accepted", "duplicate"), (first.Json.GetProperty("outcome").GetString(), again.Json.GetProperty("outcome").GetString()));
        Assert.Equal(200, again.Status);
        Assert.Single(await bed.QueuedAsync());
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("another secret")]
    [InlineData("not base64")]
    [InlineData("body changed")]
    public async Task A_bad_or_missing_signature_is_401_and_nothing_is_queued(string kind)
    {
        await using var bed = new PlatformBed();
        await bed.CreateQueueAsync();
        var body = ShopifyFulfillment(60, "1Z1", Tv);

        var answer = kind switch
        {
            "missing" => await bed.Shopify("fulfillments/create", body, secret: null),
            "another secret" => await bed.Shopify("fulfillments/create", body, secret: "shpss_ffffffffffffffffffffffffffffffff"),
            _ => await SendWithSignature(bed, body, kind == "not base64" ? "not-a-signature!" : PlatformBed.Base64Hmac(PlatformBed.ShopifySecret, body + " ")),
        };

        Assert.Equal((401, "InvalidSignature"), (answer.Status, answer.Json.GetProperty("code").GetString()));
        Assert.Empty(await bed.QueuedAsync());
        Assert.Empty(await bed.SkippedAsync());
    }

    [Fact]
    public async Task During_a_rotation_both_secrets_on_the_two_lines_are_accepted()
    {
        await using var bed = new PlatformBed(s => s["Shopify:Secret"] = "shpss_new_0000000000000000000000000000\nshpss_old_1111111111111111111111111111");
        await bed.CreateQueueAsync();

        var byNew = await bed.Shopify("fulfillments/create", ShopifyFulfillment(70, "1Z1", Tv), secret: "shpss_new_0000000000000000000000000000");
        var byOld = await bed.Shopify("fulfillments/create", ShopifyFulfillment(71, "1Z1", Tv), secret: "shpss_old_1111111111111111111111111111");
        var byOther = await bed.Shopify("fulfillments/create", ShopifyFulfillment(72, "1Z1", Tv), secret: PlatformBed.ShopifySecret);

        Assert.Equal((200, 200, 401), (byNew.Status, byOld.Status, byOther.Status));
        Assert.Equal(2, (await bed.QueuedAsync()).Count);
    }

    [Fact]
    public async Task Malformed_oversized_foreign_shop_and_headerless_deliveries_are_refused_with_the_right_status()
    {
        await using var bed = new PlatformBed(s => s["Shopify:ShopDomain"] = "flex-demo.myshopify.com");
        await bed.CreateQueueAsync();

        var malformed = await bed.Shopify("fulfillments/create", """{"id":"not a number","line_items":[]""");
        var wrongType = await bed.Shopify("fulfillments/create", """{"id":1,"order_id":2,"line_items":[{"id":3,"quantity":"lots"}]}""");
        var oversized = await bed.Shopify("fulfillments/create", new string(' ', 1024 * 1024 + 1));
        var foreign = await bed.Shopify("fulfillments/create", ShopifyFulfillment(80, "1Z1", Tv), shop: "someone-else.myshopify.com");
        var noTopic = await bed.Shopify("", ShopifyFulfillment(81, "1Z1", Tv));

        Assert.Equal((400, "InvalidPayload"), (malformed.Status, malformed.Json.GetProperty("code").GetString()));
        Assert.Contains("'line_items[0].quantity'", wrongType.Json.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(413, oversized.Status);
        Assert.Equal((403, "ShopNotServed"), (foreign.Status, foreign.Json.GetProperty("code").GetString()));
        Assert.Equal(["X-Shopify-Topic"], noTopic.ErrorFields);
        Assert.Empty(await bed.QueuedAsync());
    }

    private static async Task<Http.HttpResult> SendWithSignature(PlatformBed bed, string body, string signature)
    {
        var functions = Http.HttpTestKit.Create<StorePlatformFunctions>(bed.App.Provider);
        var context = Http.HttpTestKit.Request(bed.App.Provider, "POST", "/api/v1/webhooks/shopify", body, new Dictionary<string, string>
        {
            ["X-Shopify-Topic"] = "fulfillments/create",
            ["X-Shopify-Webhook-Id"] = Guid.NewGuid().ToString(),
            ["X-Shopify-Shop-Domain"] = "flex-demo.myshopify.com",
            ["X-Shopify-Hmac-SHA256"] = signature,
        });
        return await Http.HttpTestKit.RunAsync(context, r => functions.Shopify(r, default));
    }

    private static string Body(Microsoft.AspNetCore.Mvc.IActionResult result) =>
        JsonSerializer.Serialize(Assert.IsType<JsonResponse<ReplayReport>>(result).Value, ConfirmationsJson.Default.ReplayReport);
}
