using System.Text.Json.Nodes;
using static FlexFunctions.Tests.StorePlatforms.PlatformSamples;

namespace FlexFunctions.Tests.StorePlatforms;

/// <summary>WooCommerce's own webhooks (order.updated), signed as WooCommerce signs them, by the order's status.</summary>
public sealed class WooCommerceWebhookTests
{
    private static readonly Line Tv = new(315, "TV-55", 1, "Television");
    private static readonly Line Soundbar = new(316, "SB-2", 2, "Soundbar");

    [Fact]
    public async Task The_ping_WooCommerce_sends_when_a_webhook_is_saved_answers_200_and_queues_nothing()
    {
        await using var bed = new PlatformBed();
        await bed.CreateQueueAsync();

        var ping = await bed.WooCommercePing(7);

        Assert.Equal((200, "ping"), (ping.Status, ping.Json.GetProperty("outcome").GetString()));
        Assert.Empty(await bed.QueuedAsync());
        Assert.Empty(await bed.SkippedAsync());
    }

    [Fact]
    public async Task Anything_else_unsigned_is_401()
    {
        await using var bed = new PlatformBed();
        await bed.CreateQueueAsync();

        var unsigned = await bed.WooCommerce("order.updated", WooOrder("completed", lines: [Tv]).ToJsonString(), secret: null);
        var forged = await bed.WooCommerce("order.updated", WooOrder("completed", lines: [Tv]).ToJsonString(), secret: "not the webhook's secret");

        Assert.Equal((401, 401), (unsigned.Status, forged.Status));
        Assert.Empty(await bed.QueuedAsync());
    }

    [Fact]
    public async Task A_completed_order_is_a_shipment_with_the_tracking_the_shipment_tracking_plugin_keeps_in_its_meta()
    {
        await using var bed = new PlatformBed();
        await bed.CreateQueueAsync();
        var shipped = new DateTimeOffset(2026, 3, 2, 15, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds();

        var answer = await bed.WooCommerce("order.updated", WooOrder("completed", meta: [TrackingItems("fedex", "794698512345", shipped)], lines: [Tv, Soundbar]).ToJsonString());

        Assert.True(answer.Status == 200, answer.Body);
        var e = Assert.Single(await bed.QueuedAsync());
        Assert.Equal(("shipment", "4750", "woocommerce-order-4750-completed"), (e.GetProperty("type").GetString(), e.GetProperty("transactionId").GetString(), e.GetProperty("reference").GetString()));
        var items = e.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal([("TV-55", 1), ("SB-2", 2)], items.Select(i => (i.GetProperty("sku").GetString(), i.GetProperty("quantity").GetInt32())));
        Assert.All(items, i => Assert.Equal(("fedex", "794698512345", "2026-03-02"),
            (i.GetProperty("carrier").GetString(), i.GetProperty("trackingNumber").GetString(), i.GetProperty("shipDate").GetString())));
    }

    [Fact]
    public async Task Without_tracking_meta_the_carrier_setting_and_the_completion_date_are_used_and_flat_tracking_keys_are_read()
    {
        await using var bed = new PlatformBed(s => s["WooCommerce:DefaultCarrier"] = "freight");
        await bed.CreateQueueAsync();

        await bed.WooCommerce("order.updated", WooOrder("completed", lines: [Tv]).ToJsonString());
        var flat = WooOrder("completed", meta: [("_tracking_number", JsonValue.Create("1Z999AA10123456784")), ("_tracking_provider", JsonValue.Create("UPS"))], lines: [Tv]);
        flat["id"] = 4751;
        await bed.WooCommerce("order.updated", flat.ToJsonString());

        var queued = await bed.QueuedAsync();
        Assert.Equal(("freight", "2026-03-01"), (queued[0].GetProperty("items")[0].GetProperty("carrier").GetString(), queued[0].GetProperty("items")[0].GetProperty("shipDate").GetString()));
        Assert.Equal(("UPS", "1Z999AA10123456784"), (queued[1].GetProperty("items")[0].GetProperty("carrier").GetString(), queued[1].GetProperty("items")[0].GetProperty("trackingNumber").GetString()));
    }

    [Theory]
    [InlineData("cancelled", "2026-03-01T10:15:00", "cancel")]
    [InlineData("refunded", "2026-03-01T10:15:00", "return")]
    [InlineData("refunded", null, "cancel")] // refunded before it ever completed: nothing shipped
    public async Task Cancelled_and_refunded_orders_become_a_cancel_or_a_return(string status, string? completed, string type)
    {
        await using var bed = new PlatformBed();
        await bed.CreateQueueAsync();

        await bed.WooCommerce("order.updated", WooOrder(status, dateCompleted: completed, lines: [Tv, Soundbar]).ToJsonString());

        var e = Assert.Single(await bed.QueuedAsync());
        Assert.Equal((type, $"woocommerce-order-4750-{status}"), (e.GetProperty("type").GetString(), e.GetProperty("reference").GetString()));
        if (type == "return")
        {
            Assert.Equal(["TV-55", "SB-2"], e.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("sku").GetString()));
        }
        else
        {
            Assert.False(e.TryGetProperty("items", out _)); // the whole transaction
        }
    }

    [Fact]
    public async Task A_status_FlexShopper_need_not_hear_about_queues_nothing_and_keeps_nothing()
    {
        await using var bed = new PlatformBed();
        await bed.CreateQueueAsync();

        var answer = await bed.WooCommerce("order.updated", WooOrder("processing", dateCompleted: null, lines: [Tv]).ToJsonString());

        Assert.Equal((200, 0, 0), (answer.Status, answer.Json.GetProperty("events").GetInt32(), answer.Json.GetProperty("skipped").GetInt32()));
        Assert.Contains("'processing'", answer.Json.GetProperty("note").GetString(), StringComparison.Ordinal);
        Assert.Empty(await bed.QueuedAsync());
        Assert.Empty(await bed.SkippedAsync());
    }

    [Fact]
    public async Task A_partial_refund_is_kept_for_the_operator_because_the_order_does_not_say_which_items()
    {
        await using var bed = new PlatformBed();
        await bed.CreateQueueAsync();
        var order = WooOrder("processing", dateCompleted: null, lines: [Tv, Soundbar]);
        order["refunds"] = new JsonArray(new JsonObject { ["id"] = 726, ["reason"] = "Ada asked", ["total"] = "-75.00" });

        await bed.WooCommerce("order.updated", order.ToJsonString());
        await bed.WooCommerce("order.updated", order.ToJsonString()); // saved again: the same row, not a second one

        Assert.Empty(await bed.QueuedAsync());
        var skipped = Assert.Single(await bed.SkippedAsync());
        Assert.Contains("partial refund(s) #726 (-75.00)", skipped.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("Ada", skipped.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_order_paid_another_way_is_kept_not_sent_when_the_payment_methods_are_set()
    {
        await using var bed = new PlatformBed(s => s["WooCommerce:PaymentMethods"] = "flexshopper");
        await bed.CreateQueueAsync();

        await bed.WooCommerce("order.updated", WooOrder("completed", paymentMethod: "stripe", lines: [Tv]).ToJsonString());

        Assert.Empty(await bed.QueuedAsync());
        Assert.Contains("was paid with 'Credit card (Stripe)' (stripe), not FlexShopper", Assert.Single(await bed.SkippedAsync()).Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("number", "WC-4750")]
    [InlineData("meta:_flexshopper_transaction_id", "FS-4750")]
    public async Task The_transaction_id_setting_picks_the_order_number_or_a_meta_value(string setting, string expected)
    {
        await using var bed = new PlatformBed(s => s["WooCommerce:TransactionId"] = setting);
        await bed.CreateQueueAsync();

        await bed.WooCommerce("order.updated", WooOrder("cancelled", meta: [("_flexshopper_transaction_id", JsonValue.Create("FS-4750"))], lines: [Tv]).ToJsonString());

        Assert.Equal(expected, Assert.Single(await bed.QueuedAsync()).GetProperty("transactionId").GetString());
    }

    [Fact]
    public async Task A_redelivery_is_deduplicated_but_two_orders_sharing_a_delivery_id_within_one_second_both_go_through()
    {
        await using var bed = new PlatformBed();
        await bed.CreateQueueAsync();
        var first = WooOrder("cancelled", lines: [Tv]).ToJsonString();
        var other = WooOrder("cancelled", lines: [Tv]);
        other["id"] = 4751;

        // WooCommerce's delivery id hashes the webhook id and the current second: the same for both orders here.
        var a = await bed.WooCommerce("order.updated", first, deliveryId: "36e520ebabc2fa725092ff4a47acedf2");
        var b = await bed.WooCommerce("order.updated", other.ToJsonString(), deliveryId: "36e520ebabc2fa725092ff4a47acedf2");
        var again = await bed.WooCommerce("order.updated", first, deliveryId: "36e520ebabc2fa725092ff4a47acedf2");

        Assert.Equal(("accepted", "accepted", "duplicate"), (a.Json.GetProperty("outcome").GetString(), b.Json.GetProperty("outcome").GetString(), again.Json.GetProperty("outcome").GetString()));
        Assert.Equal(["4750", "4751"], (await bed.QueuedAsync()).Select(q => q.GetProperty("transactionId").GetString()));
    }

    [Fact]
    public async Task A_secret_WooCommerce_stores_with_HTML_entities_signs_as_WooCommerce_decodes_it()
    {
        // WooCommerce keys the HMAC with wp_specialchars_decode(secret): "&amp;" in the stored secret is "&".
        await using var bed = new PlatformBed(s => s["WooCommerce:Secret"] = "tom&amp;jerry-0123456789");
        await bed.CreateQueueAsync();

        var answer = await bed.WooCommerce("order.updated", WooOrder("cancelled", lines: [Tv]).ToJsonString(), secret: "tom&jerry-0123456789");

        Assert.Equal(200, answer.Status);
    }
}
