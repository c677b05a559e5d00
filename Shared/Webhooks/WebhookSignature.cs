using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Azure.Security.KeyVault.Secrets;
using FlexFunctions.Shared.Secrets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlexFunctions.Shared.Webhooks;

/// <summary>Why a signature was refused; the caller only learns that it was.</summary>
public enum SignatureCheck
{
    Valid,
    NotRequired,
    Missing,
    Malformed,
    Stale,
    Mismatch,
}

/// <summary>
/// Checks <c>X-FlexFunctions-Signature: t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256 of "t.rawBody"&gt;</c> against the
/// shared secret. Several <c>v1=</c> values are accepted so a store can sign with the old and new secret while
/// it rotates.
/// </summary>
public sealed partial class WebhookSignature
{
    public const string Header = "X-FlexFunctions-Signature";

    private readonly WebhookOptions _options;
    private readonly TimeProvider _time;
    private readonly IServiceProvider _services;
    private readonly IOptions<KeyVaultOptions> _vault;
    private readonly ILogger<WebhookSignature> _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile CachedSecret? _cached; // a reference, so a reader never sees half of an update

    public WebhookSignature(IOptions<WebhookOptions> options, IOptions<KeyVaultOptions> vault, TimeProvider time, IServiceProvider services, ILogger<WebhookSignature> logger)
    {
        _options = options.Value;
        _vault = vault;
        _time = time;
        _services = services;
        _logger = logger;
    }

    public bool Required => _options.RequireSignature;

    /// <summary>True once the signing secret is held in memory (it then keeps serving through a vault outage).</summary>
    internal bool HasCachedSecret => _cached is not null;

    public async ValueTask<SignatureCheck> VerifyAsync(string? header, ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default)
    {
        if (!_options.RequireSignature)
        {
            return SignatureCheck.NotRequired;
        }

        var result = await CheckAsync(header, body, cancellationToken).ConfigureAwait(false);
        if (result != SignatureCheck.Valid)
        {
            LogRejected(_logger, result);
        }

        return result;
    }

    /// <summary>The header value for <paramref name="body"/> signed at <paramref name="at"/>: what a store sends.</summary>
    public static string Sign(ReadOnlySpan<byte> secret, DateTimeOffset at, ReadOnlySpan<byte> body)
    {
        var t = at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return $"t={t},v1={Convert.ToHexStringLower(Mac(secret, t, body))}";
    }

    private async ValueTask<SignatureCheck> CheckAsync(string? header, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(header))
        {
            return SignatureCheck.Missing;
        }

        string? timestamp = null;
        var macs = new List<byte[]>();
        foreach (var part in header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                return SignatureCheck.Malformed;
            }

            var (name, value) = (part[..eq], part[(eq + 1)..]);
            if (name == "t")
            {
                timestamp = value;
            }
            else if (name == "v1")
            {
                if (value.Length != 64)
                {
                    return SignatureCheck.Malformed;
                }

                try
                {
                    macs.Add(Convert.FromHexString(value));
                }
                catch (FormatException)
                {
                    return SignatureCheck.Malformed;
                }
            }
        }

        if (timestamp is null || macs.Count == 0 || !long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return SignatureCheck.Malformed;
        }

        DateTimeOffset signedAt;
        try
        {
            signedAt = DateTimeOffset.FromUnixTimeSeconds(seconds);
        }
        catch (ArgumentOutOfRangeException)
        {
            return SignatureCheck.Malformed;
        }

        if ((_time.GetUtcNow() - signedAt).Duration() > _options.Tolerance)
        {
            return SignatureCheck.Stale;
        }

        var secret = await SecretAsync(cancellationToken).ConfigureAwait(false);
        var expected = Mac(secret, timestamp, body.Span);
        var match = false;
        foreach (var mac in macs)
        {
            // Constant time, and every candidate is compared so timing says nothing about which matched.
            match |= CryptographicOperations.FixedTimeEquals(mac, expected);
        }

        return match ? SignatureCheck.Valid : SignatureCheck.Mismatch;
    }

    private static byte[] Mac(ReadOnlySpan<byte> secret, string timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.ASCII.GetBytes(timestamp + ".");
        var message = new byte[prefix.Length + body.Length];
        prefix.CopyTo(message, 0);
        body.CopyTo(message.AsSpan(prefix.Length));
        return HMACSHA256.HashData(secret, message);
    }

    private async ValueTask<byte[]> SecretAsync(CancellationToken cancellationToken)
    {
        if (_cached is { } cached && _time.GetUtcNow() < cached.RefreshAt)
        {
            return cached.Secret;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Callers queued behind a refresh use its result instead of reading Key Vault again one by one.
            if (_cached is { } fresh && _time.GetUtcNow() < fresh.RefreshAt)
            {
                return fresh.Secret;
            }

            var vault = _vault.Value;
            if (vault.VaultUri is null)
            {
                var local = Encoding.UTF8.GetBytes(_options.SigningSecret ?? string.Empty);
                _cached = new CachedSecret(local, DateTimeOffset.MaxValue);
                return local;
            }

            try
            {
                var client = _services.GetRequiredService<SecretClient>();
                var secret = await client.GetSecretAsync(vault.WebhookSecretName, version: null, cancellationToken).ConfigureAwait(false);
                var bytes = Encoding.UTF8.GetBytes(secret.Value.Value ?? string.Empty);
                _cached = new CachedSecret(bytes, _time.GetUtcNow() + vault.RefreshInterval);
                return bytes;
            }
            catch (Exception ex) when (_cached is { } stale && !cancellationToken.IsCancellationRequested)
            {
                // A vault outage (or a credential failure) keeps the secret we have rather than refusing every call.
                LogVaultUnavailable(_logger, ex.GetType().Name);
                _cached = stale with { RefreshAt = _time.GetUtcNow() + TimeSpan.FromSeconds(30) };
                return stale.Secret;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a call: webhook signature {Reason}")]
    private static partial void LogRejected(ILogger logger, SignatureCheck reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Key Vault could not give the webhook secret ({ErrorType}); still using the cached one")]
    private static partial void LogVaultUnavailable(ILogger logger, string errorType);

    private sealed record CachedSecret(byte[] Secret, DateTimeOffset RefreshAt);
}
