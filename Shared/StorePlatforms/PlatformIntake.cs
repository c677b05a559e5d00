using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using FlexFunctions.Shared.Confirmations;
using FlexFunctions.Shared.Dependencies;
using FlexFunctions.Shared.Http;
using FlexFunctions.Shared.InputRules;
using FlexFunctions.Shared.Secrets;
using FlexFunctions.Shared.Webhooks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlexFunctions.Shared.StorePlatforms;

/// <summary>
/// One route per store platform, in one order: body limit (413), the platform's signature over the raw body in
/// constant time (401, nothing queued), the delivery's headers (400), its delivery id against
/// <see cref="DeliveryLog"/> (a repeat is answered 200 without queueing), the payload (400), then the translation
/// handed to <see cref="PlatformEventSink"/>. Everything a platform sends that we cannot use is still answered 200
/// (platforms disable endpoints that keep failing) and kept in the failed-events store. A storage or Key Vault
/// outage is 503 with Retry-After, which the platforms retry.
/// </summary>
public sealed partial class PlatformIntake
{
    /// <summary>Largest body accepted: Shopify's order payloads with many lines run to hundreds of KiB.</summary>
    public const long BodyLimitBytes = 1024 * 1024;

    public const string ShopifyTopicHeader = "X-Shopify-Topic";
    public const string ShopifySignatureHeader = "X-Shopify-Hmac-SHA256";
    public const string ShopifyShopHeader = "X-Shopify-Shop-Domain";
    public const string ShopifyWebhookIdHeader = "X-Shopify-Webhook-Id";
    public const string WooSignatureHeader = "X-WC-Webhook-Signature";
    public const string WooTopicHeader = "X-WC-Webhook-Topic";
    public const string WooDeliveryHeader = "X-WC-Webhook-Delivery-ID";
    public const string WooSourceHeader = "X-WC-Webhook-Source";

    /// <summary>The platform name of a custom store's Standard Webhooks deliveries.</summary>
    public const string StandardPlatform = "standard";

    private readonly DeliveryLog _deliveries;
    private readonly PlatformEventSink _sink;
    private readonly WarehouseMessageReader _reader;
    private readonly StandardWebhookVerifier _standard;
    private readonly ShopifyOptions _shopifyOptions;
    private readonly SharedSecret _shopifySecret;
    private readonly SharedSecret _wooSecret;
    private readonly TimeProvider _time;
    private readonly ILogger<PlatformIntake> _logger;

    public PlatformIntake(DeliveryLog deliveries, PlatformEventSink sink, WarehouseMessageReader reader, StandardWebhookVerifier standard,
        IOptions<ShopifyOptions> shopify, IOptions<WooCommerceOptions> wooCommerce, IOptions<KeyVaultOptions> vault, TimeProvider time,
        IServiceProvider services, ILogger<PlatformIntake> logger)
    {
        _deliveries = deliveries;
        _sink = sink;
        _reader = reader;
        _standard = standard;
        _shopifyOptions = shopify.Value;
        _time = time;
        _logger = logger;
        _shopifySecret = new SharedSecret(() => shopify.Value.SecretName, () => shopify.Value.Secret, services, vault, time, logger);
        _wooSecret = new SharedSecret(() => wooCommerce.Value.SecretName, () => wooCommerce.Value.Secret, services, vault, time, logger);
    }

    public Task<IActionResult> ShopifyAsync(HttpRequest request, CancellationToken cancellationToken) => RunAsync(request, new Route(
        ShopifyTranslator.Platform,
        async (headers, body, ct) =>
        {
            var secrets = await _shopifySecret.CurrentAsync(ct).ConfigureAwait(false);
            return Base64HmacSignature.Check(headers[ShopifySignatureHeader], body.Span, secrets);
        },
        (headers, _) =>
        {
            string? shop = headers[ShopifyShopHeader];
            if (!string.IsNullOrWhiteSpace(_shopifyOptions.ShopDomain) && !string.Equals(shop?.Trim(), _shopifyOptions.ShopDomain.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                return (null, Problems.Status(StatusCodes.Status403Forbidden, "This app does not serve that shop.",
                    $"{ShopifyShopHeader} must be the shop in Shopify__ShopDomain.", "ShopNotServed"));
            }

            return Identify(headers, ShopifyTopicHeader, ShopifyWebhookIdHeader, (ShopifyShopHeader, FieldRules.Code), id => id);
        },
        ShopifyTranslator.Project,
        (delivery, _, ct) => _sink.TranslateAsync(delivery, ct)), cancellationToken);

    public Task<IActionResult> WooCommerceAsync(HttpRequest request, CancellationToken cancellationToken) => RunAsync(request, new Route(
        WooCommerceTranslator.Platform,
        async (headers, body, ct) =>
        {
            var secrets = await _wooSecret.CurrentAsync(ct).ConfigureAwait(false);
            return Base64HmacSignature.Check(headers[WooSignatureHeader], body.Span, secrets, Base64HmacSignature.WooCommerceKey);
        },
        // WooCommerce's delivery id is a hash of the webhook id and the current second, so two deliveries within one
        // second share it: the body's hash makes the key one delivery's.
        (headers, body) => Identify(headers, WooTopicHeader, WooDeliveryHeader, (WooSourceHeader, FieldRules.HttpUrl),
            id => id + ":" + Convert.ToHexStringLower(SHA256.HashData(body.Span))[..32]),
        WooCommerceTranslator.Project,
        (delivery, _, ct) => _sink.TranslateAsync(delivery, ct))
    {
        IsPing = (headers, body) => !headers.ContainsKey(WooSignatureHeader) && WooPing().IsMatch(Encoding.ASCII.GetString(body.Span)),
    }, cancellationToken);

    /// <summary>A custom store's events in our own warehouse contract, signed with Standard Webhooks.</summary>
    public Task<IActionResult> StandardAsync(HttpRequest request, CancellationToken cancellationToken) => RunAsync(request, new Route(
        StandardPlatform,
        (headers, body, ct) => _standard.VerifyAsync(headers, body, ct),
        (headers, _) => Identify(headers, null, StandardWebhookVerifier.IdHeader, null, id => id),
        (_, body) =>
        {
            var read = _reader.Read(Encoding.UTF8.GetString(body));
            return (null, read.Event is null ? read.Reason : null);
        },
        (_, body, _) => Task.FromResult(new Translation([Encoding.UTF8.GetString(body.Span)], []))), cancellationToken);

    private async Task<IActionResult> RunAsync(HttpRequest request, Route route, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var started = Stopwatch.GetTimestamp();
        var (body, tooLarge) = await JsonBody.ReadRawAsync(request, BodyLimitBytes, cancellationToken).ConfigureAwait(false);
        if (tooLarge is not null)
        {
            return tooLarge;
        }

        try
        {
            if (route.IsPing?.Invoke(request.Headers, body) == true)
            {
                LogPing(_logger, route.Platform);
                return Answer(new DeliveryAnswer("ping"));
            }

            var check = await route.Verify(request.Headers, body, cancellationToken).ConfigureAwait(false);
            if (check == SignatureCheck.Unconfigured)
            {
                LogNoSecret(_logger, route.Platform);
                return Problems.Status(StatusCodes.Status503ServiceUnavailable, "This platform's webhook secret is not configured.",
                    "Set the platform's secret in Key Vault (README, the platform's section).", "SecretNotConfigured", TimeSpan.FromSeconds(60));
            }

            if (check != SignatureCheck.Valid)
            {
                LogRefused(_logger, route.Platform, check);
                return Problems.Status(StatusCodes.Status401Unauthorized, "The webhook signature is missing, wrong or too old.",
                    "Sign the raw body as the platform does, with the secret stored in Key Vault.", "InvalidSignature");
            }

            var (identity, refused) = route.Identify(request.Headers, body);
            if (identity is null)
            {
                return refused!;
            }

            if (await _deliveries.SeenAsync(route.Platform, identity.DedupeKey, cancellationToken).ConfigureAwait(false))
            {
                LogDuplicate(_logger, route.Platform, identity.Topic, identity.DeliveryId);
                return Answer(new DeliveryAnswer("duplicate"));
            }

            var (payload, error) = route.Project(identity.Topic, body);
            if (error is not null)
            {
                return Problems.Status(StatusCodes.Status400BadRequest, "The payload cannot be read.", error, "InvalidPayload");
            }

            var delivery = new PlatformDelivery
            {
                Platform = route.Platform,
                Topic = identity.Topic,
                DeliveryId = identity.DeliveryId,
                Shop = identity.Shop,
                ReceivedAt = _time.GetUtcNow(),
                Payload = payload,
            };
            var translation = await route.Translate(delivery, body, cancellationToken).ConfigureAwait(false);
            var handed = await _sink.HandOverAsync(delivery, translation, cancellationToken).ConfigureAwait(false);
            var answer = new DeliveryAnswer("accepted", handed.Queued, handed.Unusable.Count, translation.Note);
            await RememberAsync(route.Platform, identity, answer).ConfigureAwait(false);
            LogAccepted(_logger, route.Platform, identity.Topic, identity.DeliveryId, handed.Queued, handed.Unusable.Count, translation.Note,
                Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return Answer(answer);
        }
        catch (Exception ex) when (DependencyOutage.Is(ex, cancellationToken))
        {
            // Our storage, the queue or Key Vault failed: nothing is lost, the platform retries a 503.
            LogDependencyFailed(_logger, route.Platform, DependencyOutage.Describe(ex));
            return Problems.DependencyUnavailable();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested || request.HttpContext.RequestAborted.IsCancellationRequested)
        {
            return new StatusCodeResult(499);
        }
    }

    /// <summary>The work is done (events queued): a failure to remember the id only means a redelivery queues them again, which the ledger absorbs.</summary>
    private async Task RememberAsync(string platform, Identity identity, DeliveryAnswer answer)
    {
        try
        {
            await _deliveries.RecordAsync(platform, identity.DedupeKey, identity.Topic, $"{answer.Events} queued, {answer.Skipped} skipped", CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (DependencyOutage.Is(ex))
        {
            LogNotRemembered(_logger, platform, identity.DeliveryId, DependencyOutage.StatusOf(ex));
        }
    }

    /// <summary>
    /// The delivery's topic, id and (optional) shop from its headers. Each is checked with the app's rule set, as any
    /// field is: they go into storage rows, log lines and the operator's list, so a control character or 5,000
    /// characters there is a 400 naming the header, not a row the table refuses.
    /// </summary>
    private static (Identity? Identity, IActionResult? Problem) Identify(IHeaderDictionary headers, string? topicHeader, string idHeader,
        (string Header, FieldRule Rule)? shopHeader, Func<string, string> dedupeKey)
    {
        var topic = topicHeader is null ? "warehouse-event" : headers[topicHeader].ToString().Trim();
        var id = headers[idHeader].ToString().Trim();
        var shop = shopHeader is { } s ? FieldRules.Given(headers[s.Header].ToString().Trim()) : null;
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        void Check(string header, string? value, FieldRule rule, bool required)
        {
            if (string.IsNullOrEmpty(value))
            {
                if (required)
                {
                    errors[header] = ["This header is required."];
                }
            }
            else if (!rule.Accepts(value))
            {
                errors[header] = [rule.Message];
            }
        }

        if (topicHeader is not null)
        {
            Check(topicHeader, topic, FieldRules.Code, required: true);
        }

        Check(idHeader, id, FieldRules.Code, required: true);
        if (shopHeader is { } sh)
        {
            Check(sh.Header, shop, sh.Rule, required: false);
        }

        if (errors.Count > 0)
        {
            return (null, Problems.Validation(errors));
        }

        return (new Identity(topic.ToLowerInvariant(), id, dedupeKey(id), shop), null);
    }

    private static JsonResponse<DeliveryAnswer> Answer(DeliveryAnswer answer) => JsonResponse.Ok(answer, DeliveryAnswerJson.Default.DeliveryAnswer);

    /// <summary>WooCommerce's ping when a webhook is created or activated: a form body, no signature.</summary>
    [GeneratedRegex("^webhook_id=[0-9]{1,20}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex WooPing();

    private sealed record Identity(string Topic, string DeliveryId, string DedupeKey, string? Shop);

    private sealed record Route(
        string Platform,
        Func<IHeaderDictionary, ReadOnlyMemory<byte>, CancellationToken, ValueTask<SignatureCheck>> Verify,
        Func<IHeaderDictionary, ReadOnlyMemory<byte>, (Identity? Identity, IActionResult? Problem)> Identify,
        ProjectPayload Project,
        Func<PlatformDelivery, ReadOnlyMemory<byte>, CancellationToken, Task<Translation>> Translate)
    {
        public Func<IHeaderDictionary, ReadOnlyMemory<byte>, bool>? IsPing { get; init; }
    }

    private delegate (JsonElement? Payload, string? Error) ProjectPayload(string topic, ReadOnlySpan<byte> body);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Platform} ping answered")]
    private static partial void LogPing(ILogger logger, string platform);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Platform} webhook refused with 503: its secret is not configured")]
    private static partial void LogNoSecret(ILogger logger, string platform);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Platform} webhook refused: signature {Reason}")]
    private static partial void LogRefused(ILogger logger, string platform, SignatureCheck reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Platform} {Topic} delivery {DeliveryId} already handled: acknowledged without queueing")]
    private static partial void LogDuplicate(ILogger logger, string platform, string topic, string deliveryId);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Platform} {Topic} delivery {DeliveryId}: {Queued} warehouse event(s) queued, {Skipped} part(s) skipped {Note} in {ElapsedMs} ms")]
    private static partial void LogAccepted(ILogger logger, string platform, string topic, string deliveryId, int queued, int skipped, string? note, double elapsedMs);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Platform} webhook answered 503: {Failure} from storage or Key Vault")]
    private static partial void LogDependencyFailed(ILogger logger, string platform, string failure);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Platform} delivery {DeliveryId} was handled but could not be remembered ({Status}); a redelivery is absorbed by the ledger")]
    private static partial void LogNotRemembered(ILogger logger, string platform, string deliveryId, int status);
}
