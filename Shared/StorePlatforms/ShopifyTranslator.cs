using System.Globalization;
using System.Text.Json;
using FlexFunctions.Shared.Confirmations;
using FlexFunctions.Shared.InputRules;
using Microsoft.Extensions.Options;

namespace FlexFunctions.Shared.StorePlatforms;

/// <summary>
/// Shopify topics as warehouse events: fulfillments/create and fulfillments/update become a shipment (per
/// fulfillment, with its tracking), orders/cancelled a cancel of what was neither refunded nor fulfilled, refunds/create
/// a cancel of the units restocked as <c>cancel</c> and a return of those restocked as <c>return</c>. Order topics
/// also teach <see cref="ShopifyOrderIndex"/> what fulfillments and refunds do not carry.
/// </summary>
public sealed class ShopifyTranslator
{
    public const string Platform = "shopify";
    public const string FulfillmentCreated = "fulfillments/create";
    public const string FulfillmentUpdated = "fulfillments/update";
    public const string OrderCancelled = "orders/cancelled";
    public const string RefundCreated = "refunds/create";

    /// <summary>Topics carrying the order resource; all but orders/cancelled only teach the index.</summary>
    public static readonly IReadOnlyList<string> OrderTopics = ["orders/create", "orders/updated", "orders/paid", "orders/fulfilled", "orders/partially_fulfilled", OrderCancelled];

    private readonly ShopifyOptions _options;
    private readonly TransactionIdSource _source;
    private readonly IReadOnlyList<string> _gateways;
    private readonly ShopifyOrderIndex _index;
    private readonly int _maxQuantity;

    public ShopifyTranslator(IOptions<ShopifyOptions> options, IOptions<OrderLimitsOptions> limits, ShopifyOrderIndex index)
    {
        _options = options.Value;
        _source = Source(_options.TransactionId) ?? throw new OptionsValidationException(ShopifyOptions.Section, typeof(ShopifyOptions), [SourceError]);
        _gateways = FinancedBy.Names(_options.PaymentGateways);
        _index = index;
        _maxQuantity = limits.Value.MaxQuantity;
    }

    internal const string SourceError = "Shopify__TransactionId must be id, name or note:<attribute name>.";

    internal static TransactionIdSource? Source(string? setting) => TransactionIdSource.Parse(setting, ["id", "name"], "note");

    /// <summary>The index is needed when the transaction id or the financing check reads more than the order id.</summary>
    private bool NeedsIndex => _source.Field != "id" || _gateways.Count > 0;

    public static (JsonElement? Payload, string? Error) Project(string topic, ReadOnlySpan<byte> body) => topic switch
    {
        FulfillmentCreated or FulfillmentUpdated => TranslationBuilder.Project(body, StorePlatformsJson.Default.ShopifyFulfillment),
        RefundCreated => TranslationBuilder.Project(body, StorePlatformsJson.Default.ShopifyRefund),
        _ when OrderTopics.Contains(topic) => TranslationBuilder.Project(body, StorePlatformsJson.Default.ShopifyOrder),
        _ => (null, null),
    };

    public async Task<Translation> TranslateAsync(PlatformDelivery delivery, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        switch (delivery.Topic)
        {
            case FulfillmentCreated or FulfillmentUpdated:
                var (fulfillment, fe) = TranslationBuilder.Read(delivery.Payload, StorePlatformsJson.Default.ShopifyFulfillment);
                return fulfillment is null ? Unreadable(delivery, fe) : await FulfillmentAsync(delivery, fulfillment, cancellationToken).ConfigureAwait(false);
            case RefundCreated:
                var (refund, re) = TranslationBuilder.Read(delivery.Payload, StorePlatformsJson.Default.ShopifyRefund);
                return refund is null ? Unreadable(delivery, re) : await RefundAsync(delivery, refund, cancellationToken).ConfigureAwait(false);
            case var topic when OrderTopics.Contains(topic):
                var (order, oe) = TranslationBuilder.Read(delivery.Payload, StorePlatformsJson.Default.ShopifyOrder);
                return order is null ? Unreadable(delivery, oe) : await OrderAsync(delivery, order, cancellationToken).ConfigureAwait(false);
            default:
                return UnknownTopic(delivery);
        }
    }

    internal static Translation UnknownTopic(PlatformDelivery delivery) =>
        new([], [new Unusable("topic:" + delivery.Topic + ":" + delivery.DeliveryId,
            $"Topic '{delivery.Topic}' is not one FlexFunctions turns into a warehouse event; unsubscribe it (README, the platform's section).")]);

    private static Translation Unreadable(PlatformDelivery delivery, string? error) =>
        new([], [new Unusable("unreadable:" + delivery.DeliveryId, $"The {delivery.Topic} payload kept for replay is unreadable: {error}")]);

    private async Task<Translation> FulfillmentAsync(PlatformDelivery delivery, ShopifyFulfillment f, CancellationToken cancellationToken)
    {
        var key = "fulfillment:" + f.Id.ToString(CultureInfo.InvariantCulture);
        var label = $"Fulfillment {f.Name ?? f.Id.ToString(CultureInfo.InvariantCulture)}";
        var status = f.Status?.Trim().ToLowerInvariant();
        var builder = new TranslationBuilder();
        if (status is "cancelled" or "error" or "failure")
        {
            builder.Unusable(key, $"{label} is '{status}': no shipment is confirmed for it (FlexShopper cannot take back one already confirmed).");
            return builder.Build();
        }

        if (status is "pending" or "open")
        {
            return Translation.Nothing($"{label} is '{status}': not shipped yet; its update to 'success' confirms it.");
        }

        if (f.Id <= 0 || f.OrderId <= 0)
        {
            builder.Unusable(key, $"{label} has no {(f.Id <= 0 ? "id" : "order_id")}: it cannot be told apart or matched to a lease; nothing was sent.");
            return builder.Build();
        }

        var facts = NeedsIndex ? await _index.FindAsync(delivery.Shop, f.OrderId, cancellationToken).ConfigureAwait(false) : null;
        var orderLabel = OrderLabel(facts?.Name ?? OrderNameOf(f.Name), f.OrderId);
        if (NotFinanced(facts?.Gateways, orderLabel) is { } notFinanced)
        {
            builder.Unusable(key, notFinanced);
            return builder.Build();
        }

        if (FromFacts(f.OrderId, facts, OrderNameOf(f.Name)) is not { } transactionId)
        {
            builder.Unusable(key, Unknown(orderLabel));
            return builder.Build();
        }

        if (TranslationBuilder.Unfit(transactionId, Setting) is { } unfit)
        {
            builder.Unusable(key, $"{label} of {orderLabel}: {unfit}; nothing was sent.");
            return builder.Build();
        }

        var (items, refused) = TranslationBuilder.BySku((f.LineItems ?? []).Select(l => (l.Sku, l.Quantity, Line(l))), _maxQuantity);
        var carrier = TranslationBuilder.Text(f.TrackingCompany) ?? _options.DefaultCarrier;
        var number = TranslationBuilder.Text(f.TrackingNumber ?? f.TrackingNumbers?.FirstOrDefault(n => !string.IsNullOrWhiteSpace(n)));
        var link = TranslationBuilder.Link(f.TrackingUrl ?? f.TrackingUrls?.FirstOrDefault(u => !string.IsNullOrWhiteSpace(u)));
        // The shop's own date: created_at carries the shop's offset.
        var shipDate = TranslationBuilder.Date(f.CreatedAt ?? delivery.ReceivedAt);
        if (items.Count > 0)
        {
            builder.Event(WarehouseEventTypes.Shipment, transactionId, "shopify-fulfillment-" + f.Id.ToString(CultureInfo.InvariantCulture), f.CreatedAt,
                [.. items.Select(i => new WarehouseItem { Sku = i.Sku, Quantity = i.Quantity, Carrier = carrier, TrackingNumber = number, TrackingLink = link, ShipDate = shipDate })]);
        }

        builder.Unsent(key, $"{label} of {orderLabel}", refused, "so those units are not confirmed as shipped", "lists no units", transactionId);

        return builder.Build();
    }

    private async Task<Translation> OrderAsync(PlatformDelivery delivery, ShopifyOrder o, CancellationToken cancellationToken)
    {
        if (o.Id <= 0)
        {
            return new([], [new Unusable("order:no-id:" + delivery.DeliveryId, $"The {delivery.Topic} order has no id: it cannot be matched to a lease; nothing was learned or sent.")]);
        }

        if (NeedsIndex)
        {
            var facts = new ShopifyOrderFacts(o.Name, _source.Name, _source.Name is null ? null : NoteValue(o), [.. (o.PaymentGatewayNames ?? []).OfType<string>()]);
            await _index.LearnAsync(delivery.Shop, o.Id, facts, cancellationToken).ConfigureAwait(false);
        }

        var orderLabel = OrderLabel(o.Name, o.Id);
        if (delivery.Topic != OrderCancelled)
        {
            return Translation.Nothing(NeedsIndex
                ? $"Learned {orderLabel} for its later fulfillments and refunds."
                : $"Nothing to do: with Shopify__TransactionId=id and no Shopify__PaymentGateways, {delivery.Topic} is not needed.");
        }

        var key = "cancel:" + o.Id.ToString(CultureInfo.InvariantCulture);
        var builder = new TranslationBuilder();
        if (NotFinanced([.. (o.PaymentGatewayNames ?? []).OfType<string>()], orderLabel) is { } notFinanced)
        {
            builder.Unusable(key, notFinanced);
            return builder.Build();
        }

        if (FromOrder(o) is not { } transactionId)
        {
            builder.Unusable(key, _source.Field == "name"
                ? $"{orderLabel} has no name (Shopify__TransactionId={_source}): its transaction id is not known."
                : $"{orderLabel} has no note attribute '{_source.Name}' (Shopify__TransactionId={_source}): FlexShopper did not finance it, or checkout did not record the transaction id.");
            return builder.Build();
        }

        if (TranslationBuilder.Unfit(transactionId, Setting) is { } unfit)
        {
            builder.Unusable(key, $"{orderLabel} was cancelled, but {unfit}; nothing was sent.");
            return builder.Build();
        }

        var reference = $"shopify-order-{o.Id.ToString(CultureInfo.InvariantCulture)}-cancelled";
        var shipped = (o.Fulfillments ?? []).Where(f => f.Status is null or "success").SelectMany(f => f.LineItems ?? []).ToList();
        var refunded = (o.Refunds ?? []).SelectMany(r => r.RefundLineItems ?? []).ToList();
        if (shipped.Count == 0 && refunded.Count == 0)
        {
            builder.Event(WarehouseEventTypes.Cancel, transactionId, reference, o.CancelledAt, null); // the whole transaction
            return builder.Build();
        }

        // Refunds (restocked or not) and fulfilled units are settled elsewhere: cancel only what remains. Summed as long
        // (a payload's quantities may be anything an int holds); what is settled past the ordered units leaves none.
        var remaining = (o.LineItems ?? []).Select(l => (l.Sku,
            Quantity: (int)Math.Max(0, l.Quantity - refunded.Where(r => r.LineItemId == l.Id).Sum(r => (long)Math.Max(0, r.Quantity)) - shipped.Where(s => s.Id == l.Id).Sum(s => (long)Math.Max(0, s.Quantity))),
            Line(l)));
        var (items, refused) = TranslationBuilder.BySku(remaining, _maxQuantity);
        if (items.Count > 0)
        {
            builder.Event(WarehouseEventTypes.Cancel, transactionId, reference, o.CancelledAt, [.. items.Select(i => new WarehouseItem { Sku = i.Sku, Quantity = i.Quantity })]);
        }

        if (refused.Count > 0)
        {
            builder.Unusable(key, $"{orderLabel} was cancelled: {string.Join("; ", refused)}, so those units are not cancelled at FlexShopper.", transactionId);
        }

        return builder.Build(items.Count == 0 && refused.Count == 0 ? $"{orderLabel} was cancelled; its refunds and fulfillments already account for every unit." : null);
    }

    private async Task<Translation> RefundAsync(PlatformDelivery delivery, ShopifyRefund r, CancellationToken cancellationToken)
    {
        var key = "refund:" + r.Id.ToString(CultureInfo.InvariantCulture);
        var builder = new TranslationBuilder();
        if (r.Id <= 0 || r.OrderId <= 0)
        {
            builder.Unusable(key + ":" + delivery.DeliveryId, $"The refund has no {(r.Id <= 0 ? "id" : "order_id")}: it cannot be told apart or matched to a lease; nothing was sent.");
            return builder.Build();
        }

        var facts = NeedsIndex ? await _index.FindAsync(delivery.Shop, r.OrderId, cancellationToken).ConfigureAwait(false) : null;
        var orderLabel = OrderLabel(facts?.Name, r.OrderId);
        if (NotFinanced(facts?.Gateways, orderLabel) is { } notFinanced)
        {
            builder.Unusable(key, notFinanced);
            return builder.Build();
        }

        if (FromFacts(r.OrderId, facts, null) is not { } transactionId)
        {
            builder.Unusable(key, Unknown(orderLabel));
            return builder.Build();
        }

        if (TranslationBuilder.Unfit(transactionId, Setting) is { } unfit)
        {
            builder.Unusable(key, $"Refund {r.Id} of {orderLabel}: {unfit}; nothing was sent.");
            return builder.Build();
        }

        var lines = r.RefundLineItems ?? [];
        if (lines.Count == 0)
        {
            builder.Unusable(key, $"Refund {r.Id} of {orderLabel} refunds money but no items (shipping, a fee or an adjustment): FlexShopper is not told; settle it with FlexShopper if the lease must change.", transactionId);
            return builder.Build();
        }

        var reference = "shopify-refund-" + r.Id.ToString(CultureInfo.InvariantCulture);
        var unclear = new List<string>();
        var byType = lines.GroupBy(l => TypeOf(l)).ToList();
        foreach (var group in byType)
        {
            if (group.Key is null)
            {
                unclear.AddRange(group.Select(l => $"{Line(l.LineItem, l.LineItemId)} x{l.Quantity} (restock '{l.RestockType}', line partly fulfilled)"));
                continue;
            }

            var (items, refused) = TranslationBuilder.BySku(group.Select(l => (l.LineItem?.Sku, l.Quantity, Line(l.LineItem, l.LineItemId))), _maxQuantity);
            if (items.Count > 0)
            {
                builder.Event(group.Key, transactionId, reference, r.CreatedAt, [.. items.Select(i => new WarehouseItem { Sku = i.Sku, Quantity = i.Quantity })]);
            }

            unclear.AddRange(refused);
        }

        builder.Unsent(key, $"Refund {r.Id} of {orderLabel}", unclear, "so those units cannot be sent as a cancel or return", "lists no units", transactionId);

        return builder.Build();
    }

    /// <summary><c>cancel</c> for unfulfilled units, <c>return</c> for fulfilled ones; a refund without restocking goes by the line's fulfilment.</summary>
    private static string? TypeOf(ShopifyRefundLineItem line) => line.RestockType?.Trim().ToLowerInvariant() switch
    {
        "cancel" => WarehouseEventTypes.Cancel,
        "return" => WarehouseEventTypes.Return,
        _ => line.LineItem?.FulfillmentStatus?.Trim().ToLowerInvariant() switch
        {
            null or "" => WarehouseEventTypes.Cancel,
            "fulfilled" => WarehouseEventTypes.Return,
            _ => null,
        },
    };

    private string? NotFinanced(IReadOnlyList<string>? gateways, string orderLabel) =>
        gateways is { Count: > 0 } && !FinancedBy.Matches(_gateways, gateways)
            ? $"{orderLabel} was paid with {string.Join(", ", gateways.Select(g => $"'{g}'"))}, not FlexShopper (Shopify__PaymentGateways={_options.PaymentGateways}): nothing is sent."
            : null;

    private string Unknown(string orderLabel) =>
        $"The FlexShopper transaction id of {orderLabel} is not known: Shopify__TransactionId={_source} is read from the order, which arrives with the orders/create and orders/updated webhooks. Subscribe them, then replay this event.";

    private string Setting => $"Shopify__TransactionId={_source}";

    private string? FromOrder(ShopifyOrder o) => _source.Field switch
    {
        "id" => o.Id.ToString(CultureInfo.InvariantCulture),
        "name" => NameAsTransactionId(o.Name),
        _ => NoteValue(o),
    };

    private string? FromFacts(long orderId, ShopifyOrderFacts? facts, string? nameHint) => _source.Field switch
    {
        "id" => orderId.ToString(CultureInfo.InvariantCulture),
        "name" => NameAsTransactionId(facts?.Name) ?? NameAsTransactionId(nameHint),
        // Learned under another attribute name (the setting changed since): not known.
        _ => facts is not null && string.Equals(facts.NoteAttribute, _source.Name, StringComparison.Ordinal) ? Blank(facts.NoteValue) : null,
    };

    private string? NoteValue(ShopifyOrder o)
    {
        var attribute = (o.NoteAttributes ?? []).FirstOrDefault(a => string.Equals(a.Name?.Trim(), _source.Name, StringComparison.OrdinalIgnoreCase));
        return attribute?.Value is { } value ? Blank(value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText()) : null;
    }

    /// <summary>
    /// The transaction id the <c>name</c> setting gives: the order name without its leading <c>#</c> (<c>#1001</c> is
    /// <c>1001</c>). A <c>#</c> cannot be part of it: the transaction id is a segment of FlexShopper's URL path, where
    /// <c>#</c> starts a fragment, so the store creates its lease with the same value without it.
    /// </summary>
    internal static string? NameAsTransactionId(string? name)
    {
        // Only the one '#': "# 1001" or "##1001" is not guessed at, but refused as an identifier would be.
        var trimmed = Blank(name);
        return trimmed is not null && trimmed.StartsWith('#') ? (trimmed.Length > 1 ? trimmed[1..] : null) : trimmed;
    }

    /// <summary>The order's name from a fulfillment's (<c>#1001.1</c> is the first fulfillment of <c>#1001</c>).</summary>
    internal static string? OrderNameOf(string? fulfillmentName)
    {
        if (string.IsNullOrWhiteSpace(fulfillmentName))
        {
            return null;
        }

        var dot = fulfillmentName.LastIndexOf('.');
        return dot > 0 && fulfillmentName[(dot + 1)..].All(char.IsAsciiDigit) && dot < fulfillmentName.Length - 1 ? fulfillmentName[..dot] : fulfillmentName;
    }

    private static string OrderLabel(string? name, long id) =>
        string.IsNullOrWhiteSpace(name) ? $"order {id.ToString(CultureInfo.InvariantCulture)}" : $"order {name} ({id.ToString(CultureInfo.InvariantCulture)})";

    private static string Line(ShopifyLineItem l) => Line(l, l.Id);

    private static string Line(ShopifyLineItem? l, long id) =>
        $"'{l?.Title ?? "untitled"}' (line {id.ToString(CultureInfo.InvariantCulture)})";

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
