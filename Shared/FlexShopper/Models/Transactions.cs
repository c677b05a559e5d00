using System.Text.Json;
using System.Text.Json.Serialization;

namespace FlexFunctions.Shared.FlexShopper.Models;

/// <summary>Filters for Get Transactions.</summary>
public sealed record TransactionQuery
{
    /// <summary><c>signed</c> or <c>pending</c>.</summary>
    public string? LeaseStatus { get; init; }
    public int? Page { get; init; }
    public int? Limit { get; init; }
    public DateOnly? FromDate { get; init; }
    public DateOnly? ToDate { get; init; }
}

public sealed record TransactionPage(IReadOnlyList<PurchaseTransaction> Transactions, PageMeta? Meta);

public sealed record PurchaseTransaction
{
    public required string Id { get; init; }
    public DateTimeOffset? CreatedAt { get; init; }
    public decimal? ShippingCost { get; init; }
    public string? OrderId { get; init; }
    public TransactionLease? Lease { get; init; }
    public IReadOnlyList<TransactionItem>? Items { get; init; }

    /// <summary>
    /// [INF] No doc page shows these on Get Transaction; assumed to appear once the transaction is finalized
    /// (Finalize answers them, FlexPay's onSign receives leaseNumber). A finalize whose answer was lost is settled
    /// from them; while FlexShopper does not send them, such a finalize stays "outcome unknown".
    /// </summary>
    [JsonPropertyName(FlexShopperPaths.TransactionLeaseNumberField)]
    public string? LeaseNumber { get; init; }

    /// <summary>[INF] See <see cref="LeaseNumber"/>.</summary>
    [JsonPropertyName(FlexShopperPaths.TransactionLoanNumberField)]
    public string? LoanNumber { get; init; }
}

public sealed record TransactionLease(string? Id, string? Status);

public sealed record TransactionItem
{
    public string? Sku { get; init; }
    public string? Description { get; init; }
    public string? Brand { get; init; }
    public decimal? Cost { get; init; }

    /// <summary>A number in some docs, <c>{ordered, shipped}</c> in others: kept as it came.</summary>
    public JsonElement? Quantity { get; init; }
    public JsonElement? QuantityByStatus { get; init; }
}

public sealed record FinalizeResult(string? TransactionId, string? LoanNumber, string? LeaseNumber);

/// <summary>Body of Cancel Items and Return Items: no items means the whole transaction.</summary>
public sealed record ItemsRequest(IReadOnlyList<ItemQuantity>? Items);

/// <summary>A SKU and how many of it; no quantity means every unit of that SKU.</summary>
public sealed record ItemQuantity(string Sku, int? Quantity);

public sealed record CancelItemsResult(IReadOnlyList<ItemQuantity>? Canceled, IReadOnlyList<ItemQuantity>? Failed);

public sealed record ReturnItemsResult(IReadOnlyList<ItemQuantity>? Returned, IReadOnlyList<ItemQuantity>? Failed);

/// <summary>Body of Confirm Shipment: no items marks the whole transaction shipped.</summary>
public sealed record ShipmentConfirmation(IReadOnlyList<ShippedItem>? Items);

public sealed record ShippedItem(string Carrier, string ShipDate)
{
    public string? Sku { get; init; }
    public int? Quantity { get; init; }
    public string? TrackingNumber { get; init; }
    public string? TrackingLink { get; init; }
    public string? DeliveryDate { get; init; }
}

/// <summary>Body of Confirm Receipt. [INF] shape: see <see cref="FlexShopperPaths.ConfirmReceipt"/>.</summary>
public sealed record ReceiptConfirmation(IReadOnlyList<ReceivedItem>? Items);

public sealed record ReceivedItem
{
    public string? Sku { get; init; }
    public int? Quantity { get; init; }

    /// <summary><c>YYYY-MM-DD</c>, under the [INF] name <see cref="FlexShopperPaths.ReceivedDateField"/>.</summary>
    [JsonPropertyName(FlexShopperPaths.ReceivedDateField)]
    public string? ReceivedDate { get; init; }
}
