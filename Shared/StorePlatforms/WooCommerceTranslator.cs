using System.Globalization;
using System.Text.Json;
using FlexFunctions.Shared.Confirmations;
using FlexFunctions.Shared.InputRules;
using Microsoft.Extensions.Options;

namespace FlexFunctions.Shared.StorePlatforms;

/// <summary>
/// WooCommerce order.* topics as warehouse events, by the order's status: <c>completed</c> is a shipment of its
/// lines (tracking from the common shipment-tracking plugins' order meta, else the carrier setting),
/// <c>cancelled</c> a cancel of the whole transaction, <c>refunded</c> a return of every line (a cancel when the order
/// never completed). A partial refund is recorded for the operator: the order resource does not say which items.
/// </summary>
public sealed class WooCommerceTranslator
{
    public const string Platform = "woocommerce";

    public static readonly IReadOnlyList<string> OrderTopics = ["order.created", "order.updated", "order.deleted", "order.restored"];

    /// <summary>
    /// Where shipment-tracking plugins keep tracking on the order. WooCommerce Shipment Tracking and Advanced Shipment
    /// Tracking: <c>_wc_shipment_tracking_items</c>, a list of {tracking_provider, custom_tracking_provider,
    /// tracking_number, custom_tracking_link, date_shipped}. Others keep flat number and carrier keys.
    /// </summary>
    internal const string TrackingItemsKey = "_wc_shipment_tracking_items";

    internal static readonly (string Number, string Carrier)[] FlatTrackingKeys =
    [
        ("_tracking_number", "_tracking_provider"),
        ("_wot_tracking_number", "_wot_tracking_carrier"),
    ];

    private readonly WooCommerceOptions _options;
    private readonly TransactionIdSource _source;
    private readonly IReadOnlyList<string> _methods;
    private readonly int _maxQuantity;

    public WooCommerceTranslator(IOptions<WooCommerceOptions> options, IOptions<OrderLimitsOptions> limits)
    {
        _options = options.Value;
        _source = Source(_options.TransactionId) ?? throw new OptionsValidationException(WooCommerceOptions.Section, typeof(WooCommerceOptions), [SourceError]);
        _methods = FinancedBy.Names(_options.PaymentMethods);
        _maxQuantity = limits.Value.MaxQuantity;
    }

    internal const string SourceError = "WooCommerce__TransactionId must be id, number or meta:<meta key>.";

    internal static TransactionIdSource? Source(string? setting) => TransactionIdSource.Parse(setting, ["id", "number"], "meta");

    public static (JsonElement? Payload, string? Error) Project(string topic, ReadOnlySpan<byte> body) =>
        OrderTopics.Contains(topic) ? TranslationBuilder.Project(body, StorePlatformsJson.Default.WooOrder) : (null, null);

    public Translation Translate(PlatformDelivery delivery)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        if (!OrderTopics.Contains(delivery.Topic))
        {
            return ShopifyTranslator.UnknownTopic(delivery);
        }

        var (o, error) = TranslationBuilder.Read(delivery.Payload, StorePlatformsJson.Default.WooOrder);
        if (o is null)
        {
            return new([], [new Unusable("unreadable:" + delivery.DeliveryId, $"The {delivery.Topic} payload kept for replay is unreadable: {error}")]);
        }

        var id = o.Id.ToString(CultureInfo.InvariantCulture);
        var label = $"order #{o.Number ?? id}";
        var builder = new TranslationBuilder();
        if (o.Id <= 0)
        {
            builder.Unusable("order:no-id:" + delivery.DeliveryId, $"The {delivery.Topic} order has no id: it cannot be told apart or matched to a lease; nothing was sent.");
            return builder.Build();
        }
        if (delivery.Topic == "order.deleted")
        {
            builder.Unusable("order:" + id + ":deleted",
                $"Order {id} was deleted in WooCommerce: nothing is sent. If FlexShopper financed it, set it to Cancelled before deleting, or cancel the lease with FlexShopper.");
            return builder.Build();
        }

        var status = o.Status?.Trim().ToLowerInvariant() ?? "";
        var type = status switch
        {
            "completed" => WarehouseEventTypes.Shipment,
            "cancelled" => WarehouseEventTypes.Cancel,
            // Refunded before it ever completed: nothing shipped, so the units are cancelled, not returned.
            "refunded" => string.IsNullOrWhiteSpace(o.DateCompleted) ? WarehouseEventTypes.Cancel : WarehouseEventTypes.Return,
            _ => null,
        };
        var partialRefunds = status is "refunded" or "cancelled" ? [] : o.Refunds ?? [];
        if (type is null && partialRefunds.Count == 0)
        {
            return Translation.Nothing($"{label} is '{status}': nothing to tell FlexShopper.");
        }

        var key = $"order:{id}:{status}";
        if (!FinancedBy.Matches(_methods, [o.PaymentMethod, o.PaymentMethodTitle]))
        {
            builder.Unusable(key, $"{label} was paid with '{o.PaymentMethodTitle}' ({o.PaymentMethod}), not FlexShopper (WooCommerce__PaymentMethods={_options.PaymentMethods}): nothing is sent.");
            return builder.Build();
        }

        if (TransactionId(o) is not { } transactionId)
        {
            builder.Unusable(key, _source.Field == "number"
                ? $"{label} has no number (WooCommerce__TransactionId={_source}): its transaction id is not known."
                : $"{label} has no meta '{_source.Name}' (WooCommerce__TransactionId={_source}): FlexShopper did not finance it, or checkout did not record the transaction id.");
            return builder.Build();
        }

        if (TranslationBuilder.Unfit(transactionId, $"WooCommerce__TransactionId={_source}") is { } unfit)
        {
            builder.Unusable(key, $"{label}: {unfit}; nothing was sent.");
            return builder.Build();
        }

        if (partialRefunds.Count > 0)
        {
            // The refund's reason is the merchant's free text (it may name the customer): not repeated here.
            var refunds = string.Join(", ", partialRefunds.Select(r => $"#{r.Id.ToString(CultureInfo.InvariantCulture)} ({r.Total})"));
            builder.Unusable($"order:{id}:refunds:{string.Join('-', partialRefunds.Select(r => r.Id.ToString(CultureInfo.InvariantCulture)))}",
                $"{label} has partial refund(s) {refunds}: WooCommerce's order does not say which items, so nothing is cancelled or returned for them. Send the cancel or return through the warehouse feed, or refund the whole order.",
                transactionId);
        }

        if (type is null)
        {
            return builder.Build();
        }

        var reference = $"woocommerce-order-{id}-{status}";
        if (type == WarehouseEventTypes.Cancel)
        {
            builder.Event(type, transactionId, reference, null, null); // the whole transaction
            return builder.Build();
        }

        var (items, refused) = TranslationBuilder.BySku((o.LineItems ?? []).Select(l => (l.Sku, l.Quantity, $"'{l.Name ?? "untitled"}' (line {l.Id.ToString(CultureInfo.InvariantCulture)})")), _maxQuantity);
        if (items.Count > 0)
        {
            var tracking = type == WarehouseEventTypes.Shipment ? Tracking(o, delivery.ReceivedAt) : default;
            builder.Event(type, transactionId, reference, null, [.. items.Select(i => type == WarehouseEventTypes.Shipment
                ? new WarehouseItem { Sku = i.Sku, Quantity = i.Quantity, Carrier = tracking.Carrier, TrackingNumber = tracking.Number, TrackingLink = tracking.Link, ShipDate = tracking.ShipDate }
                : new WarehouseItem { Sku = i.Sku, Quantity = i.Quantity })]);
        }

        var verb = type == WarehouseEventTypes.Shipment ? "confirmed as shipped" : "returned";
        builder.Unsent(key, label, refused, $"so those units are not {verb}", $"lists no units to be {verb}", transactionId);

        return builder.Build();
    }

    private string? TransactionId(WooOrder o) => _source.Field switch
    {
        "id" => o.Id.ToString(CultureInfo.InvariantCulture),
        "number" => string.IsNullOrWhiteSpace(o.Number) ? null : o.Number.Trim(),
        _ => Meta(o, _source.Name!) is { } value ? Scalar(value) : null,
    };

    /// <summary>Carrier, number, link and ship date from the order's tracking meta, else the carrier setting and completion date.</summary>
    private (string Carrier, string? Number, string? Link, string ShipDate) Tracking(WooOrder o, DateTimeOffset receivedAt)
    {
        string? carrier = null, number = null, link = null, shipped = null;
        if (Meta(o, TrackingItemsKey) is { ValueKind: JsonValueKind.Array } list
            && list.EnumerateArray().LastOrDefault(t => t.ValueKind == JsonValueKind.Object && Scalar(Property(t, "tracking_number")) is not null) is { ValueKind: JsonValueKind.Object } item)
        {
            number = Scalar(Property(item, "tracking_number"));
            carrier = Scalar(Property(item, "custom_tracking_provider")) ?? Scalar(Property(item, "tracking_provider"));
            link = Scalar(Property(item, "custom_tracking_link"));
            shipped = long.TryParse(Scalar(Property(item, "date_shipped")), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds is > 0 and < 253402300800
                ? TranslationBuilder.Date(DateTimeOffset.FromUnixTimeSeconds(seconds))
                : null;
        }
        else
        {
            foreach (var (numberKey, carrierKey) in FlatTrackingKeys)
            {
                if (Meta(o, numberKey) is { } flat && Scalar(flat) is { } found)
                {
                    number = found;
                    carrier = Meta(o, carrierKey) is { } c ? Scalar(c) : null;
                    break;
                }
            }
        }

        // date_completed is the site's local time without an offset: its date part is the shop's date.
        shipped ??= o.DateCompleted is { Length: >= 10 } completed && DateOnly.TryParseExact(completed[..10], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _)
            ? completed[..10]
            : TranslationBuilder.Date(receivedAt);
        return (TranslationBuilder.Text(carrier) ?? _options.DefaultCarrier, TranslationBuilder.Text(number), TranslationBuilder.Link(link), shipped);
    }

    private static JsonElement? Meta(WooOrder o, string key) =>
        (o.MetaData ?? []).LastOrDefault(m => string.Equals(m.Key, key, StringComparison.Ordinal))?.Value;

    private static JsonElement? Property(JsonElement item, string name) => item.TryGetProperty(name, out var value) ? value : null;

    private static string? Scalar(JsonElement? value) => value?.ValueKind switch
    {
        JsonValueKind.String => string.IsNullOrWhiteSpace(value.Value.GetString()) ? null : value.Value.GetString()!.Trim(),
        JsonValueKind.Number => value.Value.GetRawText(),
        _ => null,
    };
}
