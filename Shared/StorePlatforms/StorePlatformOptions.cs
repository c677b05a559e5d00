using System.ComponentModel.DataAnnotations;

namespace FlexFunctions.Shared.StorePlatforms;

/// <summary>Settings under <c>Shopify</c>: the webhook secret, which order field is the FlexShopper transaction id, and defaults.</summary>
public sealed class ShopifyOptions
{
    public const string Section = "Shopify";

    /// <summary>Key Vault secret holding the key Shopify signs webhooks with (two lines while rotating).</summary>
    [Required]
    public string SecretName { get; set; } = "ShopifyWebhookSecret";

    /// <summary>Local runs only: the secret when no Key Vault is configured.</summary>
    public string? Secret { get; set; }

    /// <summary>
    /// <c>id</c> (order id), <c>name</c> (the order name without its leading <c>#</c>: <c>#1001</c> gives <c>1001</c>) or
    /// <c>note:&lt;attribute&gt;</c> (a note attribute).
    /// </summary>
    [Required]
    public string TransactionId { get; set; } = "id";

    /// <summary>When set (<c>my-store.myshopify.com</c>), deliveries from any other shop are refused (403).</summary>
    public string? ShopDomain { get; set; }

    /// <summary>
    /// Comma-separated payment gateway names (matched case-insensitively as parts of the order's gateway names) that
    /// mean FlexShopper financed the order. Empty: every order is taken as financed and FlexShopper itself decides.
    /// </summary>
    public string? PaymentGateways { get; set; }

    /// <summary>Carrier sent when a fulfillment names no tracking company.</summary>
    [Required, StringLength(64)]
    public string DefaultCarrier { get; set; } = "ground";
}

/// <summary>Settings under <c>WooCommerce</c>: the webhook secret, which order field is the FlexShopper transaction id, and defaults.</summary>
public sealed class WooCommerceOptions
{
    public const string Section = "WooCommerce";

    /// <summary>Key Vault secret holding the webhook's secret (two lines while rotating).</summary>
    [Required]
    public string SecretName { get; set; } = "WooCommerceWebhookSecret";

    /// <summary>Local runs only: the secret when no Key Vault is configured.</summary>
    public string? Secret { get; set; }

    /// <summary><c>id</c> (order id), <c>number</c> (order number) or <c>meta:&lt;key&gt;</c> (an order meta value).</summary>
    [Required]
    public string TransactionId { get; set; } = "id";

    /// <summary>
    /// Comma-separated payment method ids or titles (matched case-insensitively as parts) that mean FlexShopper
    /// financed the order. Empty: every order is taken as financed and FlexShopper itself decides.
    /// </summary>
    public string? PaymentMethods { get; set; }

    /// <summary>Carrier sent when no shipment-tracking plugin named one.</summary>
    [Required, StringLength(64)]
    public string DefaultCarrier { get; set; } = "ground";
}

/// <summary>Where an order's FlexShopper transaction id is read from: a built-in field, or a named attribute.</summary>
public sealed record TransactionIdSource(string Field, string? Name)
{
    /// <summary>Parses <c>field</c> or <c>prefix:name</c>; null when it is none of <paramref name="fields"/>/<paramref name="prefix"/>.</summary>
    public static TransactionIdSource? Parse(string? setting, IReadOnlyList<string> fields, string prefix)
    {
        var value = setting?.Trim() ?? string.Empty;
        if (fields.FirstOrDefault(f => string.Equals(f, value, StringComparison.OrdinalIgnoreCase)) is { } field)
        {
            return new TransactionIdSource(field, null);
        }

        return value.StartsWith(prefix + ":", StringComparison.OrdinalIgnoreCase) && value.Length > prefix.Length + 1
            ? new TransactionIdSource(prefix, value[(prefix.Length + 1)..].Trim())
            : null;
    }

    public override string ToString() => Name is null ? Field : $"{Field}:{Name}";
}

/// <summary>The comma-separated names of a "financed by FlexShopper" setting.</summary>
internal static class FinancedBy
{
    public static IReadOnlyList<string> Names(string? setting) =>
        (setting ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    /// <summary>True when no names are configured, or one of them is part of any of <paramref name="paidWith"/>.</summary>
    public static bool Matches(IReadOnlyList<string> names, IEnumerable<string?> paidWith) =>
        names.Count == 0 || paidWith.Any(p => p is not null && names.Any(n => p.Contains(n, StringComparison.OrdinalIgnoreCase)));
}
