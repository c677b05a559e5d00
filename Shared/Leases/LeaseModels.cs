using System.Globalization;
using FlexFunctions.Shared.CustomerAuth;
using FlexFunctions.Shared.FlexShopper.Models;
using FlexFunctions.Shared.Http;
using FlexFunctions.Shared.InputRules;

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
        errors.Check("transactionId", TransactionId, FieldRules.Identifier);
        errors.Check("orderId", OrderId, FieldRules.Identifier, required: false);
        var amounts = new List<decimal>();
        errors.Entries("items", Items, errors.Limits.MaxLines, (prefix, item) =>
        {
            errors.Check(prefix + ".mpn", item.Mpn, FieldRules.Code, required: false);
            errors.Check(prefix + ".gtin", item.Gtin, FieldRules.Gtin, required: false);
            if (OrderRules.Line(errors, prefix + ".", item.Brand, item.Sku, item.Description, item.Cost, item.Quantity, item.ProductId, item.Condition) is { } amount)
            {
                amounts.Add(amount);
            }
        });

        OrderRules.Shipping(errors, "shipping.", Shipping);
        errors.Money("totalDiscount", TotalDiscount, errors.Limits.MaxTotal, required: false, allowZero: true);
        if (!errors.Any)
        {
            amounts.Add(Shipping?.Cost ?? 0);
            amounts.Add(-(TotalDiscount ?? 0));
            OrderRules.Total(errors, amounts, MinimumTotal, "A lease");
        }
    }

    public CreateLeaseRequest ToRequest() => new(TransactionId!, Items!.Select(i => new LeaseItem(i!.Brand!, i.Sku!, i.Description!)
    {
        Cost = i.Cost,
        Quantity = i.Quantity ?? 1,
        Mpn = FieldRules.Given(i.Mpn),
        Gtin = FieldRules.Given(i.Gtin),
        ProductId = FieldRules.Given(i.ProductId),
        Condition = FieldRules.Given(i.Condition),
    }).ToList())
    {
        Shipping = OrderRules.Given(Shipping),
        TotalDiscount = TotalDiscount,
        OrderId = FieldRules.Given(OrderId),
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

    public void Validate(FieldErrors errors) => errors.Check("customerIp", CustomerIp, FieldRules.IpAddress);
}

public sealed record SignedLease(string LeaseId, bool Signed, string IpAddress, DateTimeOffset SignedAt);

/// <summary>Body of <c>POST v1/checkout</c>, the hosted alternative to create and sign.</summary>
public sealed class CheckoutInput : IValidatedInput
{
    public string? TransactionId { get; init; }
    public IReadOnlyList<CheckoutItem?>? Items { get; init; }
    public string? CouponCode { get; init; }
    public CheckoutCustomer? Customer { get; init; }

    /// <summary>More product images than a checkout page shows.</summary>
    public const int MaxImages = 10;

    public void Validate(FieldErrors errors)
    {
        errors.Check("transactionId", TransactionId, FieldRules.Identifier);
        errors.Check("couponCode", CouponCode, FieldRules.Code, required: false);
        var amounts = new List<decimal>();
        errors.Entries("items", Items, errors.Limits.MaxLines, (prefix, item) =>
        {
            if (OrderRules.Line(errors, prefix + ".", item.Brand, item.Sku, item.Description, item.Cost, item.Quantity, item.ProductId, item.Condition) is { } amount)
            {
                amounts.Add(amount);
            }

            OrderRules.Shipping(errors, prefix + ".shipping.", item.Shipping);
            amounts.Add(item.Shipping?.Cost ?? 0);
            if (errors.List(prefix + ".images", item.Images, 0, MaxImages, required: false))
            {
                for (var j = 0; j < item.Images!.Count; j++)
                {
                    errors.Check(string.Create(CultureInfo.InvariantCulture, $"{prefix}.images[{j}]"), item.Images[j], FieldRules.HttpUrl);
                }
            }
        });

        if (Customer is { } customer)
        {
            errors.Check("customer.firstName", customer.FirstName, FieldRules.Text);
            errors.Check("customer.lastName", customer.LastName, FieldRules.Text);
            errors.Check("customer.email", customer.Email, FieldRules.Email);
            errors.Check("customer.phones.home", customer.Phones?.Home, FieldRules.Phone, required: false);
            errors.Check("customer.phones.mobile", customer.Phones?.Mobile, FieldRules.Phone, required: false);
            if (customer.Address is { } address)
            {
                new AddressInput { Street1 = address.Street1, Street2 = address.Street2, City = address.City, Region = address.Region, PostalCode = address.PostalCode }
                    .Validate(errors, "customer.address.", withCountry: false);
            }
        }

        if (!errors.Any)
        {
            // FlexShopper's account minimum decides a checkout; only the upper bound is ours.
            OrderRules.Total(errors, amounts, 0m, "A checkout");
        }
    }

    public CheckoutRequest ToRequest() => new(TransactionId!, Items!.Select(i => i! with
    {
        ProductId = FieldRules.Given(i.ProductId),
        Condition = FieldRules.Given(i.Condition),
        Shipping = OrderRules.Given(i.Shipping),
    }).ToList())
    {
        CouponCode = FieldRules.Given(CouponCode),
        Customer = Customer,
    };
}

/// <summary>The checks a lease and a checkout share: each line's fields and money, shipping, and the order total.</summary>
internal static class OrderRules
{
    public static readonly FieldRule Conditions = FieldRules.OneOf("new", "used", "refurbished");
    public static readonly FieldRule ShippingMethods = FieldRules.OneOf("overnight", "freight", "ground", "free", "store", "2-day-air");

    /// <summary>Checks one line; its cost times quantity when both are valid (a missing quantity is one unit).</summary>
    public static decimal? Line(FieldErrors errors, string prefix, string? brand, string? sku, string? description, decimal? cost, int? quantity, string? productId, string? condition)
    {
        errors.Check(prefix + "brand", brand, FieldRules.Text);
        errors.Check(prefix + "sku", sku, FieldRules.Code);
        errors.Check(prefix + "description", description, FieldRules.Text);
        errors.Check(prefix + "productId", productId, FieldRules.Code, required: false);
        errors.Check(prefix + "condition", condition, Conditions, required: false);
        var costValid = errors.Money(prefix + "cost", cost, errors.Limits.MaxTotal);
        var quantityValid = quantity is null || errors.Count(prefix + "quantity", quantity, 1, errors.Limits.MaxQuantity, required: false);
        return costValid && quantityValid ? cost!.Value * (quantity ?? 1) : null;
    }

    public static void Shipping(FieldErrors errors, string prefix, ShippingInfo? shipping)
    {
        if (shipping is null)
        {
            return;
        }

        errors.Money(prefix + "cost", shipping.Cost, errors.Limits.MaxTotal, required: false, allowZero: true);
        errors.Check(prefix + "date", shipping.Date, FieldRules.Date, required: false);
        errors.Check(prefix + "method", shipping.Method, ShippingMethods, required: false);
    }

    public static ShippingInfo? Given(ShippingInfo? shipping) =>
        shipping is null ? null : shipping with { Date = FieldRules.Given(shipping.Date), Method = FieldRules.Given(shipping.Method) };

    /// <summary>
    /// The order total from <paramref name="minimum"/> to the configured maximum. Each amount is bounded already, so the
    /// sum cannot overflow; the checked sum still answers 400 rather than 500 if a bound is ever raised past that.
    /// </summary>
    public static void Total(FieldErrors errors, IEnumerable<decimal> amounts, decimal minimum, string what)
    {
        decimal total;
        try
        {
            total = amounts.Sum();
        }
        catch (OverflowException)
        {
            total = decimal.MaxValue;
        }

        if (total < minimum)
        {
            errors.Add("items", string.Create(CultureInfo.InvariantCulture, $"{what} must total at least ${minimum} after shipping and discount."));
        }
        else if (total > errors.Limits.MaxTotal)
        {
            errors.Add("items", string.Create(CultureInfo.InvariantCulture, $"{what} may total at most ${errors.Limits.MaxTotal:0.##} (this app's OrderLimits__MaxTotal)."));
        }
    }
}

