using Azure;
using Azure.Security.KeyVault.Secrets;
using FlexFunctions.Shared.Dependencies;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlexFunctions.Shared.Secrets;

/// <summary>
/// A secret shared with a caller that signs its requests (the store, Shopify, WooCommerce): read from Key Vault by
/// name, or locally from a setting when no vault is configured, and cached for <see cref="KeyVaultOptions.RefreshInterval"/>.
/// The value holds one secret per line; during a rotation it holds two (the new and the old) and both are accepted.
/// </summary>
public sealed partial class SharedSecret
{
    /// <summary>Most secrets accepted at once: the current one and the one being rotated out.</summary>
    public const int MaxAccepted = 2;

    private static readonly TimeSpan RetryAfterFailure = TimeSpan.FromSeconds(30);

    private readonly Func<string> _vaultName;
    private readonly Func<string?> _localValue;
    private readonly IServiceProvider _services;
    private readonly IOptions<KeyVaultOptions> _vault;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile Cached? _cached; // a reference, so a reader never sees half of an update
    private volatile Refusal? _refused;

    /// <summary>
    /// <paramref name="vaultName"/> gives the Key Vault secret's name; <paramref name="localValue"/> the setting used
    /// when <see cref="KeyVaultOptions.VaultUri"/> is empty (local runs only). <see cref="SecretClient"/> comes from
    /// <paramref name="services"/> only when a vault is configured.
    /// </summary>
    public SharedSecret(Func<string> vaultName, Func<string?> localValue, IServiceProvider services, IOptions<KeyVaultOptions> vault, TimeProvider time, ILogger logger)
    {
        _vaultName = vaultName;
        _localValue = localValue;
        _services = services;
        _vault = vault;
        _time = time;
        _logger = logger;
    }

    /// <summary>True once a value is held in memory: it then keeps serving through a vault outage.</summary>
    internal bool HasCached => _cached is not null;

    /// <summary>
    /// The accepted secrets, newest first; empty when none is configured locally. A vault failure with nothing cached
    /// throws what the vault client threw, which <see cref="DependencyOutage"/> classifies (callers answer 503); with a
    /// cached value an outage keeps serving that.
    /// </summary>
    public async ValueTask<IReadOnlyList<string>> CurrentAsync(CancellationToken cancellationToken = default) =>
        (await ReadAsync(cancellationToken).ConfigureAwait(false)).Secrets;

    /// <summary>
    /// The accepted secrets and when the value holding them was set (the Key Vault version's creation time; null for a
    /// local setting), so a caller can tell how long every instance has had the chance to read a rotation.
    /// </summary>
    public async ValueTask<SecretLines> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (_cached is { } cached && _time.GetUtcNow() < cached.RefreshAt)
        {
            return cached.Lines;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Callers queued behind a refresh use its result instead of reading Key Vault again one by one.
            if (_cached is { } fresh && _time.GetUtcNow() < fresh.RefreshAt)
            {
                return fresh.Lines;
            }

            if (_vault.Value.VaultUri is null)
            {
                var local = new SecretLines(Split(_localValue()), null);
                _cached = new Cached(local, DateTimeOffset.MaxValue);
                return local;
            }

            if (_refused is { } refused && _time.GetUtcNow() < refused.Until)
            {
                // A missing or refused secret is not asked for on every request (vault throttling): say the same for a while.
                throw new RequestFailedException(refused.Status, refused.Message, refused.ErrorCode, null);
            }

            var name = _vaultName();
            try
            {
                var client = _services.GetRequiredService<SecretClient>();
                var secret = await client.GetSecretAsync(name, version: null, cancellationToken).ConfigureAwait(false);
                var values = new SecretLines(Split(secret.Value.Value), secret.Value.Properties.CreatedOn);
                _cached = new Cached(values, _time.GetUtcNow() + _vault.Value.RefreshInterval);
                _refused = null;
                return values;
            }
            catch (RequestFailedException ex) when (ex.Status == 404)
            {
                // Deleted (or never set): an explicit answer, not an outage, so a cached value is not accepted any more.
                _cached = null;
                Refuse(name, ex);
                throw;
            }
            catch (Exception ex) when (_cached is { } stale && DependencyOutage.Is(ex, cancellationToken))
            {
                // A vault outage (or a credential failure) keeps the secret we have rather than refusing every call;
                // anything else (a bug) is not hidden behind the cached value.
                LogVaultUnavailable(_logger, name, ex.GetType().Name);
                _cached = stale with { RefreshAt = _time.GetUtcNow() + RetryAfterFailure };
                return stale.Lines;
            }
            catch (RequestFailedException ex) when (ex.Status == 403)
            {
                Refuse(name, ex);
                throw;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private void Refuse(string name, RequestFailedException ex)
    {
        LogSecretUnreadable(_logger, name, ex.Status, ex.ErrorCode);
        _refused = new Refusal(ex.Status, $"Key Vault secret '{name}' could not be read ({ex.Status}).", ex.ErrorCode, _time.GetUtcNow() + RetryAfterFailure);
    }

    private List<string> Split(string? value)
    {
        var lines = (value ?? string.Empty).Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList();
        if (lines.Count > MaxAccepted)
        {
            LogTooMany(_logger, _vaultName(), lines.Count);
            lines.RemoveRange(MaxAccepted, lines.Count - MaxAccepted);
        }

        return lines;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Key Vault could not give secret {SecretName} ({ErrorType}); still using the cached value")]
    private static partial void LogVaultUnavailable(ILogger logger, string secretName, string errorType);

    [LoggerMessage(Level = LogLevel.Error, Message = "Key Vault secret {SecretName} could not be read: {Status} {ErrorCode}; calls signed with it answer 503 until it can")]
    private static partial void LogSecretUnreadable(ILogger logger, string secretName, int status, string? errorCode);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Secret {SecretName} holds {Count} lines; only the first two are accepted (the new and the old during a rotation)")]
    private static partial void LogTooMany(ILogger logger, string secretName, int count);

    private sealed record Cached(SecretLines Lines, DateTimeOffset RefreshAt);

    private sealed record Refusal(int Status, string Message, string? ErrorCode, DateTimeOffset Until);
}

/// <summary>A shared secret's accepted values, newest first, and when they were set (null for a local setting).</summary>
public sealed record SecretLines(IReadOnlyList<string> Secrets, DateTimeOffset? SetAt)
{
    // The values are secrets: a record would print them.
    public override string ToString() => $"SecretLines(Count={Secrets.Count}, SetAt={SetAt:O})";
}
