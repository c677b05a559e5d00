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

    // Azure Table names: alphanumeric, starting with a letter, 3-63 characters.
    private const string TableNamePattern = "^[A-Za-z][A-Za-z0-9]{2,62}$";
}
