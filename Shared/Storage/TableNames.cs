using System.ComponentModel.DataAnnotations;

namespace FlexFunctions.Shared.Storage;

/// <summary>Names of the app's tables, settings <c>Tables__*</c>; infra creates the same names.</summary>
public sealed class TableNames
{
    public const string Section = "Tables";

    [Required, RegularExpression(TableNamePattern)]
    public string Catalog { get; set; } = "catalog";

    [Required, RegularExpression(TableNamePattern)]
    public string CatalogRuns { get; set; } = "catalogruns";

    [Required, RegularExpression(TableNamePattern)]
    public string ConfirmationLedger { get; set; } = "confirmationledger";

    [Required, RegularExpression(TableNamePattern)]
    public string FailedEvents { get; set; } = "failedevents";

    [Required, RegularExpression(TableNamePattern)]
    public string Idempotency { get; set; } = "idempotency";

    [Required, RegularExpression(TableNamePattern)]
    public string RateLimits { get; set; } = "ratelimits";

    /// <summary>Store platforms' delivery ids already handled (deduplication, with expiry).</summary>
    [Required, RegularExpression(TableNamePattern)]
    public string PlatformDeliveries { get; set; } = "platformdeliveries";

    /// <summary>What Shopify's order webhooks taught us about each order: name, transaction note, payment gateways.</summary>
    [Required, RegularExpression(TableNamePattern)]
    public string ShopifyOrders { get; set; } = "shopifyorders";

    /// <summary>The storage cleanup's run records and where its next run resumes.</summary>
    [Required, RegularExpression(TableNamePattern)]
    public string StorageCleanup { get; set; } = "storagecleanup";

    // Azure Table names: alphanumeric, starting with a letter, 3-63 characters.
    private const string TableNamePattern = "^[A-Za-z][A-Za-z0-9]{2,62}$";
}
