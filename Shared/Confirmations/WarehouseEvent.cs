namespace FlexFunctions.Shared.Confirmations;

/// <summary>
/// One warehouse fulfilment event as it arrives on the queue (contract version 1). The README documents every
/// type with an example; unknown properties are ignored so producers can add fields without breaking us.
/// </summary>
public sealed record WarehouseEvent
{
    /// <summary>Contract version; only <see cref="WarehouseEventTypes.CurrentVersion"/> is accepted.</summary>
    public int? Version { get; init; }

    /// <summary><c>shipment</c>, <c>receipt</c>, <c>cancel</c> or <c>return</c>.</summary>
    public string? Type { get; init; }

    /// <summary>The merchant transaction id the lease was created with.</summary>
    public string? TransactionId { get; init; }

    /// <summary>
    /// Optional warehouse reference (pick, RMA or shipment number). Part of the event's identity: two otherwise
    /// identical events are the same event unless their references differ.
    /// </summary>
    public string? Reference { get; init; }

    /// <summary>When the warehouse produced the event; informational only, not part of the event's identity.</summary>
    public DateTimeOffset? OccurredAt { get; init; }

    public IReadOnlyList<WarehouseItem>? Items { get; init; }

    /// <summary>
    /// Optional W3C <c>traceparent</c> of the operation that sent the event (our replay sets it), so the delivery's
    /// trace links back to it. Not part of the event's identity.
    /// </summary>
    [System.Text.Json.Serialization.JsonPropertyName("traceparent")]
    public string? TraceParent { get; init; }
}

/// <summary>One line of an event. Which fields apply depends on the event type (see the README).</summary>
public sealed record WarehouseItem
{
    public string? Sku { get; init; }

    /// <summary>Units; absent means every unit of the SKU.</summary>
    public int? Quantity { get; init; }

    public string? Carrier { get; init; }
    public string? TrackingNumber { get; init; }
    public string? TrackingLink { get; init; }

    /// <summary><c>YYYY-MM-DD</c>.</summary>
    public string? ShipDate { get; init; }

    /// <summary><c>YYYY-MM-DD</c>, expected or actual.</summary>
    public string? DeliveryDate { get; init; }

    /// <summary><c>YYYY-MM-DD</c>, receipt events only.</summary>
    public string? ReceivedDate { get; init; }
}

/// <summary>The event types of contract version 1.</summary>
public static class WarehouseEventTypes
{
    public const int CurrentVersion = 1;
    public const string Shipment = "shipment";
    public const string Receipt = "receipt";
    public const string Cancel = "cancel";
    public const string Return = "return";

    public static readonly IReadOnlyList<string> All = [Shipment, Receipt, Cancel, Return];
}
