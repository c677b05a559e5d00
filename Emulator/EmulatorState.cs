using System.Security.Cryptography;

namespace FlexShopper.Emulator;

/// <summary>
/// Everything the emulator remembers, in memory, behind one lock. Each capability keeps its own part in its own
/// file, the way Shared/ is laid out: the gateway and customer tokens (Gateway.cs), faults (Faults.cs), the request
/// log (RequestLog.cs), users (Users.cs), passcodes (Passcodes.cs), the application and identity check
/// (Applications.cs), routing numbers (RoutingNumbers.cs), leases and checkout (Leases.cs), transactions and
/// finalize (Transactions.cs), shipment and receipt (Deliveries.cs), cancel and return (CancelAndReturn.cs), the
/// catalog and lease settings (Catalog.cs), payment methods (PaymentMethods.cs) and apply counts (ApplyCounts.cs).
/// </summary>
public sealed partial class EmulatorState
{
    private readonly Lock _gate = new();
    private readonly EmulatorOptions _options;
    private readonly TimeProvider _time;

    public EmulatorState(EmulatorOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _time = time;
        _apiKeys = new HashSet<string>(options.ApiKeys.Count > 0 ? options.ApiKeys : EmulatorOptions.DefaultApiKeys, StringComparer.Ordinal);
        _faults = new FaultState(options.Faults.Clone());
    }

    public EmulatorOptions Options => _options;

    public Health Health()
    {
        lock (_gate)
        {
            return new Health("ok", _users.Count, _transactions.Count, _options.ProductCount);
        }
    }

    /// <summary>Forgets every user, token, transaction and record; keeps keys and faults.</summary>
    public void Reset()
    {
        lock (_gate)
        {
            ResetUsers();
            ResetPasscodes();
            ResetTokens();
            ResetTransactions();
            ResetDeliveries();
            ResetRequests();
            ResetApplies();
            ResetPaymentMethods();
        }
    }

    // ---- Helpers every capability uses ----

    private static string Require(string? value, string field) =>
        string.IsNullOrWhiteSpace(value) ? throw ApiError.Validation(field, $"{field} is required.") : value;

    private static string Digits(string? s) => new((s ?? "").Where(char.IsAsciiDigit).ToArray());

    private static string Normalize(string? s) => new((s ?? "").ToUpperInvariant().Where(char.IsAsciiLetterOrDigit).ToArray());

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string RandomId(int bytes) => Base64Url(RandomNumberGenerator.GetBytes(bytes));
}
