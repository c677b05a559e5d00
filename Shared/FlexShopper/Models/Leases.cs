using System.Text.Json.Serialization;

namespace FlexFunctions.Shared.FlexShopper.Models;

/// <summary>Body of Create Lease. The lease total must be at least $49.95.</summary>
public sealed record CreateLeaseRequest(string TransactionId, IReadOnlyList<LeaseItem> Items)
{
    public ShippingInfo? Shipping { get; init; }
    public decimal? TotalDiscount { get; init; }
    public string? OrderId { get; init; }
}

public sealed record LeaseItem(string Brand, string Sku, string Description)
{
    public decimal? Cost { get; init; }
    public int? Quantity { get; init; }
    public string? Mpn { get; init; }
    public string? Gtin { get; init; }
    public string? ProductId { get; init; }
    public string? Condition { get; init; }
}

public sealed record ShippingInfo
{
    public decimal? Cost { get; init; }
    public string? Date { get; init; }
    public string? Method { get; init; }
}

public sealed record CreatedLease
{
    public required string LeaseId { get; init; }

    /// <summary>Base64-encoded HTML of the agreement the customer must be shown before signing.</summary>
    public string? Contract { get; init; }
    public string? Frequency { get; init; }
    public int? Term { get; init; }
    public decimal? Payment { get; init; }
    public decimal? CashPrice { get; init; }
    public decimal? CostOfRental { get; init; }
}

public sealed record Lease
{
    public required string LeaseId { get; init; }
    public string? Contract { get; init; }

    /// <summary><c>signed</c> or <c>unsigned</c>.</summary>
    public string? LeaseStatus { get; init; }
    public string? Frequency { get; init; }
    public int? Term { get; init; }
    public decimal? Payment { get; init; }
    public decimal? CashPrice { get; init; }
    public decimal? CostOfRental { get; init; }
    public bool? IsExpired { get; init; }
}

/// <summary>Body of Sign Lease: the customer's device IP and the signing time.</summary>
public sealed record SignLeaseRequest(string IpAddress, DateTimeOffset Timestamp)
{
    public bool Signed { get; init; } = true;
}

/// <summary>Body of Checkout, the hosted alternative to create and sign.</summary>
public sealed record CheckoutRequest(string TransactionId, IReadOnlyList<CheckoutItem> Items)
{
    public string? CouponCode { get; init; }
    public CheckoutCustomer? Customer { get; init; }
}

public sealed record CheckoutItem(string Description, string Sku, decimal Cost, string Brand, int Quantity)
{
    public string? ProductId { get; init; }
    public string? Condition { get; init; }
    public IReadOnlyList<string>? Images { get; init; }
    public ShippingInfo? Shipping { get; init; }
}

public sealed record CheckoutCustomer(string FirstName, string LastName, string Email)
{
    public CheckoutPhones? Phones { get; init; }
    public CheckoutAddress? Address { get; init; }
}

public sealed record CheckoutPhones(string? Home, string? Mobile);

public sealed record CheckoutAddress(string Street1, string City, string Region, string PostalCode)
{
    public string? Street2 { get; init; }
}

public sealed record CheckoutResult(string? Id, [property: JsonRequired] Uri RedirectUri);
