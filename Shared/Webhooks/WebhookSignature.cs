using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using FlexFunctions.Shared.Secrets;
using Microsoft.AspNetCore.Http;
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

    /// <summary>No secret is configured for the scheme the caller used.</summary>
    Unconfigured,
}

/// <summary>
/// Checks <c>X-FlexFunctions-Signature: t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256 of "t.rawBody"&gt;</c> against the
/// shared secret, or, when the store signs with Standard Webhooks instead (<c>webhook-signature</c>), hands the call to
/// <see cref="StandardWebhookVerifier"/>. Several <c>v1=</c> values are accepted so a store can sign with the old and new
/// secret while it rotates, and so are two secrets (one per line of the vault secret) while we rotate.
/// </summary>
public sealed partial class WebhookSignature
{
    public const string Header = "X-FlexFunctions-Signature";

    private readonly WebhookOptions _options;
    private readonly TimeProvider _time;
    private readonly IServiceProvider _services;
    private readonly ILogger<WebhookSignature> _logger;
    private readonly SharedSecret _secret;

    public WebhookSignature(IOptions<WebhookOptions> options, IOptions<KeyVaultOptions> vault, TimeProvider time, IServiceProvider services, ILogger<WebhookSignature> logger)
    {
        _options = options.Value;
        _time = time;
        _services = services;
        _logger = logger;
        _secret = new SharedSecret(() => vault.Value.WebhookSecretName, () => _options.SigningSecret, services, vault, time, logger);
    }

    public bool Required => _options.RequireSignature;

    /// <summary>True once the signing secret is held in memory (it then keeps serving through a vault outage).</summary>
    internal bool HasCachedSecret => _secret.HasCached;

    /// <summary>Checks whichever scheme the request used: <see cref="Header"/>, else Standard Webhooks.</summary>
    public async ValueTask<SignatureCheck> VerifyAsync(IHeaderDictionary headers, ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(headers);
        if (!_options.RequireSignature)
        {
            return SignatureCheck.NotRequired;
        }

        string? ours = headers[Header];
        if (string.IsNullOrWhiteSpace(ours) && StandardWebhookVerifier.IsSigned(headers))
        {
            var standard = _services.GetService<StandardWebhookVerifier>();
            var check = standard is null ? SignatureCheck.Unconfigured : await standard.VerifyAsync(headers, body, cancellationToken).ConfigureAwait(false);
            if (check != SignatureCheck.Valid)
            {
                LogRejected(_logger, check);
            }

            return check;
        }

        return await VerifyAsync(ours, body, cancellationToken).ConfigureAwait(false);
    }

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

        var match = false;
        foreach (var secret in await _secret.CurrentAsync(cancellationToken).ConfigureAwait(false))
        {
            var expected = Mac(Encoding.UTF8.GetBytes(secret), timestamp, body.Span);
            foreach (var mac in macs)
            {
                // Constant time, and every candidate is compared so timing says nothing about which matched.
                match |= CryptographicOperations.FixedTimeEquals(mac, expected);
            }
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a call: webhook signature {Reason}")]
    private static partial void LogRejected(ILogger logger, SignatureCheck reason);
}
