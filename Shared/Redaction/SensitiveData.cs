using Microsoft.Extensions.Compliance.Classification;

namespace FlexFunctions.Shared.Redaction;

/// <summary>
/// The app's data-classification taxonomy: every kind of value that must never reach a log line or a telemetry
/// record in clear. A log parameter or model property carrying one wears the matching attribute below; the
/// redactor registered in <see cref="RedactionRegistration"/> erases it.
/// </summary>
public static class SensitiveData
{
    public const string Taxonomy = "FlexFunctions";

    public static DataClassification Passcode { get; } = new(Taxonomy, nameof(Passcode));

    public static DataClassification CustomerToken { get; } = new(Taxonomy, nameof(CustomerToken));

    public static DataClassification ApiKey { get; } = new(Taxonomy, nameof(ApiKey));

    public static DataClassification Ssn { get; } = new(Taxonomy, nameof(Ssn));

    public static DataClassification DateOfBirth { get; } = new(Taxonomy, nameof(DateOfBirth));

    public static DataClassification BankAccount { get; } = new(Taxonomy, nameof(BankAccount));

    public static DataClassification RoutingNumber { get; } = new(Taxonomy, nameof(RoutingNumber));

    public static DataClassification Email { get; } = new(Taxonomy, nameof(Email));

    /// <summary>A customer's IP address: personal data, used only for abuse limits.</summary>
    public static DataClassification ClientIp { get; } = new(Taxonomy, nameof(ClientIp));

    /// <summary>
    /// Free text from FlexShopper (an error message), which can echo any value we sent. Kept in full where an
    /// operator needs it (the failed-events table), erased from logs; the status and code are logged beside it.
    /// </summary>
    public static DataClassification UpstreamText { get; } = new(Taxonomy, nameof(UpstreamText));

    /// <summary>Every classification above, for the redactor's registration.</summary>
    public static DataClassificationSet All { get; } = new(Passcode, CustomerToken, ApiKey, Ssn, DateOfBirth, BankAccount, RoutingNumber, Email, ClientIp, UpstreamText);
}

/// <summary>A one-time passcode.</summary>
public sealed class PasscodeAttribute() : DataClassificationAttribute(SensitiveData.Passcode);

/// <summary>A FlexShopper customer token or a sealed customer session.</summary>
public sealed class CustomerTokenAttribute() : DataClassificationAttribute(SensitiveData.CustomerToken);

/// <summary>The FlexShopper API key or any other credential of ours.</summary>
public sealed class ApiKeyAttribute() : DataClassificationAttribute(SensitiveData.ApiKey);

/// <summary>A social security number (or its last four digits).</summary>
public sealed class SsnAttribute() : DataClassificationAttribute(SensitiveData.Ssn);

public sealed class DateOfBirthAttribute() : DataClassificationAttribute(SensitiveData.DateOfBirth);

public sealed class BankAccountAttribute() : DataClassificationAttribute(SensitiveData.BankAccount);

public sealed class RoutingNumberAttribute() : DataClassificationAttribute(SensitiveData.RoutingNumber);

public sealed class EmailAttribute() : DataClassificationAttribute(SensitiveData.Email);

public sealed class ClientIpAttribute() : DataClassificationAttribute(SensitiveData.ClientIp);

public sealed class UpstreamTextAttribute() : DataClassificationAttribute(SensitiveData.UpstreamText);
