using System.Text;
using FlexFunctions.Shared.Secrets;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StandardWebhooks;
using StandardWebhooks.Diagnostics;

namespace FlexFunctions.Shared.Webhooks;

/// <summary>Settings under <c>StandardWebhooks</c>: the secret a custom store signs Standard Webhooks with.</summary>
public sealed class StandardWebhooksOptions
{
    public const string Section = "StandardWebhooks";

    /// <summary>Key Vault secret holding the <c>whsec_&lt;base64&gt;</c> secret (two lines while rotating).</summary>
    [System.ComponentModel.DataAnnotations.Required]
    public string SecretName { get; set; } = "StandardWebhooksSecret";

    /// <summary>Local runs only: the secret when no Key Vault is configured.</summary>
    public string? Secret { get; set; }
}

/// <summary>
/// Verifies a Standard Webhooks signature (standardwebhooks.com: <c>webhook-id</c>, <c>webhook-timestamp</c> within
/// 5 minutes, <c>webhook-signature</c> carrying one or more <c>v1,&lt;base64&gt;</c>) with the <c>StandardWebhooks</c>
/// package, against each accepted secret. The package reads the system clock, not the app's <see cref="TimeProvider"/>.
/// </summary>
public sealed partial class StandardWebhookVerifier
{
    public const string IdHeader = "webhook-id";
    public const string TimestampHeader = "webhook-timestamp";
    public const string SignatureHeader = "webhook-signature";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private readonly SharedSecret _secret;
    private readonly ILogger<StandardWebhookVerifier> _logger;

    public StandardWebhookVerifier(IOptions<StandardWebhooksOptions> options, IOptions<KeyVaultOptions> vault, TimeProvider time, IServiceProvider services, ILogger<StandardWebhookVerifier> logger)
    {
        _logger = logger;
        _secret = new SharedSecret(() => options.Value.SecretName, () => options.Value.Secret, services, vault, time, logger);
    }

    /// <summary>True when the request carries a Standard Webhooks signature header.</summary>
    public static bool IsSigned(IHeaderDictionary headers) => headers.ContainsKey(SignatureHeader);

    /// <summary>What a sender puts in <see cref="SignatureHeader"/> for <paramref name="body"/> (tests and examples).</summary>
    public static string Sign(string secret, string id, DateTimeOffset at, string body) => new StandardWebhook(secret).Sign(id, at, body);

    /// <summary>Valid when any accepted secret verifies the signature over the raw body.</summary>
    /// <exception cref="Azure.RequestFailedException">Key Vault could not give the secret and none is cached.</exception>
    public async ValueTask<SignatureCheck> VerifyAsync(IHeaderDictionary headers, ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var secrets = await _secret.CurrentAsync(cancellationToken).ConfigureAwait(false);
        if (secrets.Count == 0)
        {
            return SignatureCheck.Unconfigured;
        }

        string payload;
        try
        {
            // The package signs text; a body that is not UTF-8 cannot carry a valid signature.
            payload = StrictUtf8.GetString(body.Span);
        }
        catch (DecoderFallbackException)
        {
            return SignatureCheck.Mismatch;
        }

        // StandardWebhooks 1.1.2 never checks the last of several space-separated signatures (its loop stops one
        // short), which breaks the spec's rotation, where a sender lists one per secret. Each is handed over alone.
        // It also throws ArgumentNullException on "v1," with nothing after the comma: such an entry, which can match
        // nothing, is not handed over at all.
        var listed = headers[SignatureHeader].ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var signatures = listed.Where(s => !s.EndsWith(',')).ToArray();
        if (listed.Length > 0 && signatures.Length == 0)
        {
            return SignatureCheck.Malformed;
        }

        var candidates = signatures.Length <= 1
            ? [headers]
            : signatures.Select(s => (IHeaderDictionary)new HeaderDictionary
            {
                [IdHeader] = headers[IdHeader],
                [TimestampHeader] = headers[TimestampHeader],
                [SignatureHeader] = s,
            }).ToArray();
        var result = SignatureCheck.Unconfigured;
        foreach (var secret in secrets)
        {
            StandardWebhook webhook;
            try
            {
                webhook = new StandardWebhook(secret);
            }
            catch (FormatException)
            {
                LogBadSecret(_logger);
                continue;
            }

            foreach (var candidate in candidates)
            {
                try
                {
                    webhook.Verify(payload, candidate);
                    return SignatureCheck.Valid;
                }
                catch (WebhookVerificationException ex)
                {
                    result = Classify(ex.Message);
                    if (result is not SignatureCheck.Mismatch)
                    {
                        return result; // headers or timestamp: the same for every secret
                    }
                }
                catch (ArgumentException)
                {
                    // The package's own argument checks (a header it cannot encode, say): the caller's input, never a 500.
                    return SignatureCheck.Malformed;
                }
            }
        }

        return result;
    }

    // The package says why only in its message; this only chooses the word we log.
    private static SignatureCheck Classify(string message) =>
        message.Contains("Missing", StringComparison.OrdinalIgnoreCase) ? SignatureCheck.Missing
        : message.Contains("too old", StringComparison.OrdinalIgnoreCase) || message.Contains("too new", StringComparison.OrdinalIgnoreCase) ? SignatureCheck.Stale
        : message.Contains("Invalid", StringComparison.OrdinalIgnoreCase) ? SignatureCheck.Malformed
        : SignatureCheck.Mismatch;

    [LoggerMessage(Level = LogLevel.Error, Message = "A Standard Webhooks secret is not whsec_<base64>; it is skipped")]
    private static partial void LogBadSecret(ILogger logger);
}
