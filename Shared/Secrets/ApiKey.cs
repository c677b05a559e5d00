namespace FlexFunctions.Shared.Secrets;

/// <summary>The FlexShopper API key and the Key Vault version it was read from.</summary>
public sealed record ApiKey(string Value, string Version)
{
    // Records print their members; the key itself must never reach a log line or an exception message.
    public override string ToString() => $"ApiKey(Version={Version})";
}

/// <summary>Supplies the FlexShopper API key: the current one, or an exact older version.</summary>
public interface IApiKeyProvider
{
    /// <summary>The current key, cached and refreshed on an interval.</summary>
    ValueTask<ApiKey> GetCurrentAsync(CancellationToken cancellationToken = default);

    /// <summary>The exact version that minted a customer token, even after rotation.</summary>
    /// <exception cref="ApiKeyUnavailableException">That version is gone (deleted, disabled, not found). A vault outage is not this exception.</exception>
    ValueTask<ApiKey> GetVersionAsync(string version, CancellationToken cancellationToken = default);

    /// <summary>FlexShopper refused <paramref name="rejected"/>: drop it and read the current key again.</summary>
    ValueTask<ApiKey> RefreshAfterRejectionAsync(ApiKey rejected, CancellationToken cancellationToken = default);
}

/// <summary>A key version is gone for good; callers holding a token bound to it must log in again.</summary>
public sealed class ApiKeyUnavailableException(string version, string reason, Exception? inner = null)
    : Exception($"API key version '{version}' is unavailable: {reason}", inner)
{
    public string Version { get; } = version;
}
