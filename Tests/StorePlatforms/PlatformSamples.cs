using System.Globalization;
using System.Text.Json.Nodes;

namespace FlexFunctions.Tests.StorePlatforms;

/// <summary>
/// Payloads shaped as Shopify's and WooCommerce's REST resources are documented (field names and types), written
/// for these tests. They carry fields the app must ignore and not keep (customer email and address).
/// </summary>
internal static class PlatformSamples
{
    public const long OrderId = 5_551_234_567;
    public const string CustomerEmail = "ada.lovelace@example.com";

    public sealed record Line(long Id, string? Sku, int Quantity, string Title = "Item", string? FulfillmentStatus = null);

    // ---- Shopify ----

    public static JsonObject ShopifyLine(Line l) => new()
    {
        ["id"] = l.Id,
        ["variant_id"] = l.Id + 1000,
        ["title"] = l.Title,
        ["quantity"] = l.Quantity,
        ["sku"] = l.Sku,
        ["price"] = "299.99",
        ["fulfillment_status"] = l.FulfillmentStatus,
        ["requires_shipping"] = true,
        ["admin_graphql_api_id"] = $"gid://shopify/LineItem/{l.Id}",
    };

    public static string ShopifyFulfillment(long id, string? trackingNumber, params Line[] lines) => ShopifyFulfillment(id, trackingNumber, "success", "UPS", lines);

    public static string ShopifyFulfillment(long id, string? trackingNumber, string status, string? company, params Line[] lines) => new JsonObject
    {
        ["id"] = id,
        ["order_id"] = OrderId,
        ["name"] = "#1001.1",
        ["status"] = status,
        ["created_at"] = "2026-03-01T18:30:00-05:00",
        ["updated_at"] = "2026-03-01T18:30:00-05:00",
        ["service"] = "manual",
        ["shipment_status"] = null,
        ["location_id"] = 905684977,
        ["email"] = CustomerEmail,
        ["destination"] = new JsonObject { ["first_name"] = "Ada", ["last_name"] = "Lovelace", ["address1"] = "1 Ocean Blvd", ["city"] = "Boca Raton", ["zip"] = "33431" },
        ["tracking_company"] = company,
        ["tracking_number"] = trackingNumber,
        ["tracking_numbers"] = trackingNumber is null ? new JsonArray() : new JsonArray(trackingNumber),
        ["tracking_url"] = trackingNumber is null ? null : "https://www.ups.com/track?tracknum=" + trackingNumber,
        ["tracking_urls"] = trackingNumber is null ? new JsonArray() : new JsonArray("https://www.ups.com/track?tracknum=" + trackingNumber),
        ["receipt"] = new JsonObject(),
        ["line_items"] = new JsonArray([.. lines.Select(l => (JsonNode)ShopifyLine(l))]),
        ["admin_graphql_api_id"] = $"gid://shopify/Fulfillment/{id}",
    }.ToJsonString();

    public static JsonObject ShopifyOrderObject(string name = "#1001", string gateway = "FlexShopper Lease-to-Own", IEnumerable<(string Name, string Value)>? notes = null, params Line[] lines) => new()
    {
        ["id"] = OrderId,
        ["name"] = name,
        ["order_number"] = int.Parse(name.TrimStart('#'), CultureInfo.InvariantCulture),
        ["email"] = CustomerEmail,
        ["created_at"] = "2026-02-27T09:00:00-05:00",
        ["financial_status"] = "paid",
        ["fulfillment_status"] = null,
        ["currency"] = "USD",
        ["total_price"] = "749.49",
        ["payment_gateway_names"] = new JsonArray(gateway),
        ["note_attributes"] = new JsonArray([.. (notes ?? []).Select(n => (JsonNode)new JsonObject { ["name"] = n.Name, ["value"] = n.Value })]),
        ["customer"] = new JsonObject { ["id"] = 207119551, ["email"] = CustomerEmail, ["first_name"] = "Ada" },
        ["shipping_address"] = new JsonObject { ["address1"] = "1 Ocean Blvd", ["city"] = "Boca Raton" },
        ["line_items"] = new JsonArray([.. lines.Select(l => (JsonNode)ShopifyLine(l))]),
        ["fulfillments"] = new JsonArray(),
        ["refunds"] = new JsonArray(),
        ["cancelled_at"] = null,
        ["cancel_reason"] = null,
    };

    public static JsonObject Cancelled(JsonObject order)
    {
        order["cancelled_at"] = "2026-03-02T08:00:00-05:00";
        order["cancel_reason"] = "customer";
        order["financial_status"] = "voided";
        return order;
    }

    /// <summary>A refund; each line is (line, quantity, restock_type).</summary>
    public static string ShopifyRefund(long id, params (Line Line, int Quantity, string? RestockType)[] lines) => ShopifyRefundObject(id, lines).ToJsonString();

    public static JsonObject ShopifyRefundObject(long id, params (Line Line, int Quantity, string? RestockType)[] lines) => new()
    {
        ["id"] = id,
        ["order_id"] = OrderId,
        ["created_at"] = "2026-03-05T12:00:00-05:00",
        ["note"] = "Customer changed their mind",
        ["user_id"] = 548380009,
        ["processed_at"] = "2026-03-05T12:00:00-05:00",
        ["restock"] = true,
        ["refund_line_items"] = new JsonArray([.. lines.Select((l, i) => (JsonNode)new JsonObject
        {
            ["id"] = id * 10 + i,
            ["quantity"] = l.Quantity,
            ["line_item_id"] = l.Line.Id,
            ["location_id"] = 905684977,
            ["restock_type"] = l.RestockType,
            ["subtotal"] = 299.99,
            ["total_tax"] = 18.0,
            ["line_item"] = ShopifyLine(l.Line),
        })]),
        ["transactions"] = new JsonArray(new JsonObject { ["id"] = 1, ["kind"] = "refund", ["gateway"] = "FlexShopper Lease-to-Own", ["amount"] = "299.99" }),
        ["order_adjustments"] = new JsonArray(),
    };

    // ---- WooCommerce ----

    public static JsonObject WooOrder(string status, string paymentMethod = "flexshopper", string? dateCompleted = "2026-03-01T10:15:00", IEnumerable<(string Key, JsonNode? Value)>? meta = null, params Line[] lines) => new()
    {
        ["id"] = 4750,
        ["parent_id"] = 0,
        ["number"] = "WC-4750",
        ["order_key"] = "wc_order_Q6tuhq12KJOel",
        ["created_via"] = "checkout",
        ["version"] = "9.4.0",
        ["status"] = status,
        ["currency"] = "USD",
        ["date_created"] = "2026-02-27T09:00:00",
        ["date_modified"] = "2026-03-01T10:15:00",
        ["total"] = "749.49",
        ["customer_id"] = 12,
        ["billing"] = new JsonObject { ["first_name"] = "Ada", ["email"] = CustomerEmail, ["address_1"] = "1 Ocean Blvd" },
        ["shipping"] = new JsonObject { ["first_name"] = "Ada", ["address_1"] = "1 Ocean Blvd" },
        ["payment_method"] = paymentMethod,
        ["payment_method_title"] = paymentMethod == "flexshopper" ? "FlexShopper lease-to-own" : "Credit card (Stripe)",
        ["transaction_id"] = "",
        ["date_paid"] = "2026-02-27T09:01:00",
        ["date_completed"] = dateCompleted,
        ["meta_data"] = new JsonArray([.. (meta ?? []).Select((m, i) => (JsonNode)new JsonObject { ["id"] = 900 + i, ["key"] = m.Key, ["value"] = m.Value })]),
        ["line_items"] = new JsonArray([.. lines.Select(l => (JsonNode)new JsonObject
        {
            ["id"] = l.Id,
            ["name"] = l.Title,
            ["product_id"] = l.Id + 100,
            ["variation_id"] = 0,
            ["quantity"] = l.Quantity,
            ["tax_class"] = "",
            ["subtotal"] = "299.99",
            ["total"] = "299.99",
            ["sku"] = l.Sku ?? "",
            ["price"] = 299.99,
            ["meta_data"] = new JsonArray(),
        })]),
        ["refunds"] = new JsonArray(),
    };

    /// <summary>WooCommerce Shipment Tracking's order meta: a list of tracking entries.</summary>
    public static (string, JsonNode?) TrackingItems(string provider, string number, long dateShipped) => ("_wc_shipment_tracking_items", new JsonArray(new JsonObject
    {
        ["tracking_provider"] = provider,
        ["custom_tracking_provider"] = "",
        ["custom_tracking_link"] = "",
        ["tracking_number"] = number,
        ["date_shipped"] = dateShipped.ToString(CultureInfo.InvariantCulture),
        ["tracking_id"] = "5f0c1e2d3b4a",
    }));
}
