using System.Text.Json;
using System.Text.Json.Serialization;

namespace FlexFunctions.Shared.StorePlatforms;

// Only the fields the translation reads, named as the platforms' REST resources name them (snake_case). Reading a
// payload into these and writing it back gives the projection kept for replay: no customer name, address or email.

/// <summary>Shopify's Fulfillment resource (topics fulfillments/create and fulfillments/update).</summary>
public sealed record ShopifyFulfillment
{
    public long Id { get; init; }
    public long OrderId { get; init; }

    /// <summary><c>#1001.1</c>: the order's name and the fulfillment's number.</summary>
    public string? Name { get; init; }

    /// <summary><c>success</c>, <c>cancelled</c>, <c>error</c>, <c>failure</c> (<c>pending</c>, <c>open</c> in older versions).</summary>
    public string? Status { get; init; }

    public DateTimeOffset? CreatedAt { get; init; }
    public string? TrackingCompany { get; init; }
    public string? TrackingNumber { get; init; }
    public IReadOnlyList<string?>? TrackingNumbers { get; init; }
    public string? TrackingUrl { get; init; }
    public IReadOnlyList<string?>? TrackingUrls { get; init; }
    public IReadOnlyList<ShopifyLineItem>? LineItems { get; init; }
}

/// <summary>A line of a Shopify order, fulfillment or refund.</summary>
public sealed record ShopifyLineItem
{
    public long Id { get; init; }
    public string? Sku { get; init; }
    public int Quantity { get; init; }
    public string? Title { get; init; }

    /// <summary><c>fulfilled</c>, <c>partial</c> or null (unfulfilled).</summary>
    public string? FulfillmentStatus { get; init; }
}

/// <summary>Shopify's Order resource (orders/* topics).</summary>
public sealed record ShopifyOrder
{
    public long Id { get; init; }

    /// <summary><c>#1001</c>.</summary>
    public string? Name { get; init; }

    public DateTimeOffset? CancelledAt { get; init; }
    public IReadOnlyList<ShopifyNoteAttribute>? NoteAttributes { get; init; }
    public IReadOnlyList<string?>? PaymentGatewayNames { get; init; }
    public IReadOnlyList<ShopifyLineItem>? LineItems { get; init; }
    public IReadOnlyList<ShopifyRefund>? Refunds { get; init; }
    public IReadOnlyList<ShopifyFulfillment>? Fulfillments { get; init; }
}

/// <summary>A note attribute (the cart's custom attributes): name and value.</summary>
public sealed record ShopifyNoteAttribute
{
    public string? Name { get; init; }

    /// <summary>Text in Shopify's payloads; kept as JSON so a number does not fail the whole delivery.</summary>
    public JsonElement? Value { get; init; }
}

/// <summary>Shopify's Refund resource (topic refunds/create).</summary>
public sealed record ShopifyRefund
{
    public long Id { get; init; }
    public long OrderId { get; init; }
    public DateTimeOffset? CreatedAt { get; init; }
    public IReadOnlyList<ShopifyRefundLineItem>? RefundLineItems { get; init; }
}

public sealed record ShopifyRefundLineItem
{
    public long LineItemId { get; init; }
    public int Quantity { get; init; }

    /// <summary><c>cancel</c> (unfulfilled units), <c>return</c> (fulfilled units), <c>no_restock</c>, <c>legacy_restock</c>.</summary>
    public string? RestockType { get; init; }

    public ShopifyLineItem? LineItem { get; init; }
}

/// <summary>WooCommerce's order resource (REST API v3), the payload of order.* topics.</summary>
public sealed record WooOrder
{
    public long Id { get; init; }

    /// <summary>The order number the shop shows (text; plugins can make it non-numeric).</summary>
    public string? Number { get; init; }

    /// <summary><c>pending</c>, <c>processing</c>, <c>on-hold</c>, <c>completed</c>, <c>cancelled</c>, <c>refunded</c>, <c>failed</c>, ...</summary>
    public string? Status { get; init; }

    public string? PaymentMethod { get; init; }
    public string? PaymentMethodTitle { get; init; }

    /// <summary>Site-local time without offset, e.g. <c>2026-03-01T10:00:00</c>; null until the order is completed.</summary>
    public string? DateCompleted { get; init; }

    public IReadOnlyList<WooMeta>? MetaData { get; init; }
    public IReadOnlyList<WooLineItem>? LineItems { get; init; }
    public IReadOnlyList<WooRefundSummary>? Refunds { get; init; }
}

public sealed record WooLineItem
{
    public long Id { get; init; }
    public string? Name { get; init; }
    public string? Sku { get; init; }
    public int Quantity { get; init; }
}

/// <summary>An order meta entry; plugins store any JSON value (text, number, array of objects).</summary>
public sealed record WooMeta
{
    public string? Key { get; init; }
    public JsonElement? Value { get; init; }
}

/// <summary>The order's refunds as its resource lists them: id, reason and (negative) total, but no items.</summary>
public sealed record WooRefundSummary
{
    public long Id { get; init; }
    public string? Reason { get; init; }
    public string? Total { get; init; }
}

/// <summary>A verified delivery from a store platform, as kept for an operator's replay.</summary>
public sealed record PlatformDelivery
{
    public required string Platform { get; init; }
    public required string Topic { get; init; }
    public required string DeliveryId { get; init; }

    /// <summary>The shop it came from (Shopify's shop domain), when the platform says.</summary>
    public string? Shop { get; init; }

    public DateTimeOffset ReceivedAt { get; init; }

    /// <summary>The payload as the models above read it (the projection), or null for a topic we do not read.</summary>
    public JsonElement? Payload { get; init; }
}

/// <summary>What one platform event becomes: warehouse events (JSON text) and the parts we could not use, with why.</summary>
public sealed record Translation(IReadOnlyList<string> Messages, IReadOnlyList<Unusable> Unusable, string? Note = null)
{
    public static Translation Nothing(string note) => new([], [], note);
}

/// <summary>
/// A platform event (or part of one) we acknowledge but cannot send: unknown topic, a line without SKU, an order
/// FlexShopper did not finance. <see cref="Key"/> names the resource, so repeats rewrite one failed-events row.
/// </summary>
public sealed record Unusable(string Key, string Reason)
{
    public string? TransactionId { get; init; }
}

/// <summary>The answer a platform gets: what happened to its delivery.</summary>
public sealed record DeliveryAnswer(string Outcome, int Events = 0, int Skipped = 0, string? Note = null);

/// <summary>Source-generated JSON for the platforms' payloads (snake_case) and our answers.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.AllowReadingFromString)]
[JsonSerializable(typeof(ShopifyFulfillment))]
[JsonSerializable(typeof(ShopifyOrder))]
[JsonSerializable(typeof(ShopifyRefund))]
[JsonSerializable(typeof(WooOrder))]
[JsonSerializable(typeof(PlatformDelivery))]
public sealed partial class StorePlatformsJson : JsonSerializerContext;

/// <summary>Our answers in the app's camelCase.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(DeliveryAnswer))]
public sealed partial class DeliveryAnswerJson : JsonSerializerContext;
