using System.Globalization;
using FlexFunctions.Shared.FlexShopper.Models;
using FlexFunctions.Shared.Http;

namespace FlexFunctions.Shared.Leases;

/// <summary>Body of <c>POST v1/leases</c>.</summary>
public sealed class CreateLeaseInput : IValidatedInput
{
    /// <summary>FlexShopper's documented minimum lease total, in dollars.</summary>
    public const decimal MinimumTotal = 49.95m;

    public string? TransactionId { get; init; }
    public IReadOnlyList<LeaseItemInput?>? Items { get; init; }
    public ShippingInfo? Shipping { get; init; }
    public decimal? TotalDiscount { get; init; }
    public string? OrderId { get; init; }

    public void Validate(FieldErrors errors)
    {
        errors.Required("transactionId", TransactionId);
        if (!errors.Required("items", Items))
        {
            return;
        }

        if (Items!.Count == 0)
        {
            errors.Add("items", "At least one item is required.");
            return;
        }

        var total = 0m;
        for (var i = 0; i < Items.Count; i++)
        {
            var prefix = string.Create(CultureInfo.InvariantCulture, $"items[{i}].");
            if (Items[i] is not { } item)
            {
                errors.Add(prefix.TrimEnd('.'), "This field is required.");
                continue;
            }

            errors.Required(prefix + "brand", item.Brand);
            errors.Required(prefix + "sku", item.Sku);
            errors.Required(prefix + "description", item.Description);
            if (item.Cost is null or <= 0)
            {
                errors.Add(prefix + "cost", "Must be a price in dollars above 0.");
            }

            if (item.Quantity is < 1)
            {
                errors.Add(prefix + "quantity", "Must be at least 1.");
            }

            total += (item.Cost ?? 0) * (item.Quantity ?? 1);
        }

        if (Shipping?.Cost is < 0)
        {
            errors.Add("shipping.cost", "Must not be negative.");
        }

        if (TotalDiscount is < 0)
        {
            errors.Add("totalDiscount", "Must not be negative.");
        }

        total += (Shipping?.Cost ?? 0) - (TotalDiscount ?? 0);
        if (!errors.Any && total < MinimumTotal)
        {
            errors.Add("items", string.Create(CultureInfo.InvariantCulture, $"A lease must total at least ${MinimumTotal} after shipping and discount."));
        }
    }

    public CreateLeaseRequest ToRequest() => new(TransactionId!, Items!.Select(i => new LeaseItem(i!.Brand!, i.Sku!, i.Description!)
    {
        Cost = i.Cost,
        Quantity = i.Quantity ?? 1,
        Mpn = i.Mpn,
        Gtin = i.Gtin,
        ProductId = i.ProductId,
        Condition = i.Condition,
    }).ToList())
    {
        Shipping = Shipping,
        TotalDiscount = TotalDiscount,
        OrderId = OrderId,
    };
}

public sealed class LeaseItemInput
{
    public string? Brand { get; init; }
    public string? Sku { get; init; }
    public string? Description { get; init; }
    public decimal? Cost { get; init; }
    public int? Quantity { get; init; }
    public string? Mpn { get; init; }
    public string? Gtin { get; init; }
    public string? ProductId { get; init; }
    public string? Condition { get; init; }
}

/// <summary>Body of <c>POST v1/leases/{leaseId}/sign</c>: the customer's device IP; the time is ours.</summary>
public sealed class SignLeaseInput : IValidatedInput
{
    public string? CustomerIp { get; init; }

    public void Validate(FieldErrors errors) => errors.IpAddress("customerIp", CustomerIp, required: true);
}

public sealed record SignedLease(string LeaseId, bool Signed, string IpAddress, DateTimeOffset SignedAt);

/// <summary>Body of <c>POST v1/checkout</c>, the hosted alternative to create and sign.</summary>
public sealed class CheckoutInput : IValidatedInput
{
    public string? TransactionId { get; init; }
    public IReadOnlyList<CheckoutItem?>? Items { get; init; }
    public string? CouponCode { get; init; }
    public CheckoutCustomer? Customer { get; init; }

    public void Validate(FieldErrors errors)
    {
        errors.Required("transactionId", TransactionId);
        if (errors.Required("items", Items) && Items!.Count == 0)
        {
            errors.Add("items", "At least one item is required.");
        }

        for (var i = 0; i < (Items?.Count ?? 0); i++)
        {
            var prefix = string.Create(CultureInfo.InvariantCulture, $"items[{i}].");
            if (Items![i] is not { } item)
            {
                errors.Add(prefix.TrimEnd('.'), "This field is required.");
                continue;
            }

            errors.Required(prefix + "sku", item.Sku);
            errors.Required(prefix + "description", item.Description);
            errors.Required(prefix + "brand", item.Brand);
            if (item.Cost <= 0)
            {
                errors.Add(prefix + "cost", "Must be a price in dollars above 0.");
            }

            if (item.Quantity < 1)
            {
                errors.Add(prefix + "quantity", "Must be at least 1.");
            }
        }

        if (Customer is { } customer)
        {
            errors.Email("customer.email", customer.Email);
        }
    }

    public CheckoutRequest ToRequest() => new(TransactionId!, Items!.Select(i => i!).ToList()) { CouponCode = CouponCode, Customer = Customer };
}

