using System.Collections.Concurrent;
using System.Text.Json;
using Azure;
using Azure.Security.KeyVault.Secrets;
using FlexFunctions.Shared.Dependencies;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlexFunctions.Shared.Secrets;

/// <summary>
/// Reads the API key from Key Vault with <see cref="SecretClient"/>. The current key is cached and re-read after
/// <see cref="KeyVaultOptions.RefreshInterval"/>; if the vault is unreachable then, the cached key keeps serving.
/// Exact versions are cached for good: a version's value never changes. Only a version Key Vault says is gone
/// (deleted, disabled, not found) is <see cref="ApiKeyUnavailableException"/>; a vault outage propagates as it is.
/// </summary>
public sealed partial class KeyVaultApiKeyProvider : IApiKeyProvider
{
    private readonly SecretClient _client;
    private readonly KeyVaultOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<KeyVaultApiKeyProvider> _logger;
    private readonly SemaphoreSlim _refreshGate = new(1, 1);
    // A key FlexShopper keeps refusing must not turn every request into a Key Vault read (vault throttling).
    internal static readonly TimeSpan MinimumForcedRefreshInterval = TimeSpan.FromSeconds(10);

    // A version that is gone is not asked for again at once: sessions bound to a deleted version would otherwise read
    // Key Vault on every request until the customer logs in again. An outage is not remembered: it is not "gone".
    internal static readonly TimeSpan UnavailableVersionMemory = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, ApiKey> _versions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (string Reason, DateTimeOffset Until)> _unavailable = new(StringComparer.Ordinal);
    private volatile CachedKey? _current;

    public KeyVaultApiKeyProvider(SecretClient client, IOptions<KeyVaultOptions> options, TimeProvider time, ILogger<KeyVaultApiKeyProvider> logger)
    {
        _client = client;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    /// <summary>The version of the current key held in memory, if any: what keeps serving through a vault outage.</summary>
    public string? CachedVersion => _current?.Key.Version;

    public async ValueTask<ApiKey> GetCurrentAsync(CancellationToken cancellationToken = default)
    {
        var cached = _current;
        if (cached is not null && _time.GetUtcNow() < cached.RefreshAt)
        {
            return cached.Key;
        }

        return await RefreshAsync(cached, force: false, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<ApiKey> RefreshAfterRejectionAsync(ApiKey rejected, CancellationToken cancellationToken = default)
    {
        var cached = _current;
        if (cached is not null && cached.Key.Version != rejected.Version)
        {
            return cached.Key; // someone already moved on to a newer key
        }

        if (cached is not null && _time.GetUtcNow() - cached.FetchedAt < MinimumForcedRefreshInterval)
        {
            return cached.Key; // read moments ago: the vault has nothing newer to say yet
        }

        return await RefreshAsync(cached, force: true, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<ApiKey> GetVersionAsync(string version, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(version);
        if (_versions.TryGetValue(version, out var known))
        {
            return known;
        }

        if (_unavailable.TryGetValue(version, out var gone) && _time.GetUtcNow() < gone.Until)
        {
            throw new ApiKeyUnavailableException(version, gone.Reason);
        }

        try
        {
            var response = await _client.GetSecretAsync(_options.ApiKeySecretName, version, cancellationToken).ConfigureAwait(false);
            var secret = response.Value;
            if (secret.Properties.Enabled == false || string.IsNullOrEmpty(secret.Value))
            {
                throw Gone(version, "the secret version is disabled or empty", 200, "Disabled");
            }

            var key = new ApiKey(secret.Value, secret.Properties.Version ?? version);
            _versions[version] = key;
            return key;
        }
        catch (RequestFailedException ex) when (IsGone(ex))
        {
            throw Gone(version, $"Key Vault answered {ex.Status} {ex.ErrorCode}", ex.Status, ex.ErrorCode, ex);
        }
        catch (Exception ex) when (ex is not ApiKeyUnavailableException && !cancellationToken.IsCancellationRequested)
        {
            // The vault is down, throttling, or refused our identity: the version may well still exist, so the
            // customer is not sent to log in again. The failure goes up as it is and the call answers 503.
            LogVersionUnreadable(_logger, version, DependencyOutage.Describe(ex));
            throw;
        }
    }

    /// <summary>
    /// Key Vault says the version itself is gone: not found (deleted, purged, never existed), or disabled (403 with
    /// the inner code <c>SecretDisabled</c>; any other 403 is our identity being refused, which is not the customer's doing).
    /// </summary>
    internal static bool IsGone(RequestFailedException ex) =>
        ex.Status == 404 || (ex.Status == 403 && InnerErrorCode(ex) == "SecretDisabled");

    private static string? InnerErrorCode(RequestFailedException ex)
    {
        try
        {
            var content = ex.GetRawResponse()?.Content;
            if (content is null || content.ToMemory().IsEmpty)
            {
                return null;
            }

            using var body = JsonDocument.Parse(content.ToMemory());
            return body.RootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object
                   && (error.TryGetProperty("innererror", out var inner) || error.TryGetProperty("innerError", out inner))
                   && inner.ValueKind == JsonValueKind.Object && inner.TryGetProperty("code", out var code) && code.ValueKind == JsonValueKind.String
                ? code.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private ApiKeyUnavailableException Gone(string version, string reason, int status, string? errorCode, Exception? inner = null)
    {
        // Remembered for a while: sessions bound to a gone version would otherwise read the vault on every request.
        _unavailable[version] = (reason, _time.GetUtcNow() + UnavailableVersionMemory);
        LogVersionUnavailable(_logger, version, status, errorCode);
        return new ApiKeyUnavailableException(version, reason, inner);
    }

    private async ValueTask<ApiKey> RefreshAsync(CachedKey? seen, bool force, CancellationToken cancellationToken)
    {
        await _refreshGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Another caller may have refreshed while we waited.
            var now = _current;
            if (now is not null && !ReferenceEquals(now, seen) && (!force || now.Key.Version != seen?.Key.Version))
            {
                return now.Key;
            }

            try
            {
                var response = await _client.GetSecretAsync(_options.ApiKeySecretName, version: null, cancellationToken).ConfigureAwait(false);
                var secret = response.Value;
                if (string.IsNullOrEmpty(secret.Value) || string.IsNullOrEmpty(secret.Properties.Version))
                {
                    throw new InvalidOperationException($"Key Vault secret '{_options.ApiKeySecretName}' has no value or version.");
                }

                var key = new ApiKey(secret.Value, secret.Properties.Version);
                _versions[key.Version] = key;
                if (now is null || now.Key.Version != key.Version)
                {
                    LogKeyLoaded(_logger, key.Version);
                }

                var fetched = _time.GetUtcNow();
                _current = new CachedKey(key, fetched + _options.RefreshInterval, fetched);
                return key;
            }
            catch (Exception ex) when (now is not null && !cancellationToken.IsCancellationRequested)
            {
                // A vault outage must not fail requests while we hold a key; try again in a little while.
                LogVaultUnavailable(_logger, now.Key.Version, ex.GetType().Name);
                var retryAt = _time.GetUtcNow() + TimeSpan.FromSeconds(Math.Min(30, _options.RefreshInterval.TotalSeconds));
                _current = now with { RefreshAt = retryAt };
                return now.Key;
            }
        }
        finally
        {
            _refreshGate.Release();
        }
    }

    private sealed record CachedKey(ApiKey Key, DateTimeOffset RefreshAt, DateTimeOffset FetchedAt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded FlexShopper API key version {KeyVersion} from Key Vault")]
    private static partial void LogKeyLoaded(ILogger logger, string keyVersion);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Key Vault unreachable ({ErrorType}); still using cached API key version {KeyVersion}")]
    private static partial void LogVaultUnavailable(ILogger logger, string keyVersion, string errorType);

    [LoggerMessage(Level = LogLevel.Warning, Message = "API key version {KeyVersion} is gone from Key Vault ({Status} {ErrorCode}); customers holding it must log in again")]
    private static partial void LogVersionUnavailable(ILogger logger, string keyVersion, int status, string? errorCode);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Key Vault could not give API key version {KeyVersion} ({Failure}); answering 503, the customer's session stays valid")]
    private static partial void LogVersionUnreadable(ILogger logger, string keyVersion, string failure);
}
