using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FlexFunctions.Functions.Http;
using FlexFunctions.Shared.Confirmations;
using FlexFunctions.Shared.Storage;
using FlexFunctions.Tests.Http;
using FlexFunctions.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace FlexFunctions.Tests.StorePlatforms;

/// <summary>
/// The real graph (AddFlexFunctions) against Azurite with the platforms' secrets set locally, and the three platform
/// functions called as the host calls them. Requests are signed here the way each platform signs, independently of
/// the app's own verification code.
/// </summary>
internal sealed class PlatformBed : IAsyncDisposable
{
    public const string ShopifySecret = "shpss_0123456789abcdef0123456789abcdef";
    public const string WooSecret = "wc-secret 0123456789 !@#$%^&*()";
    public static readonly string StandardSecret = "whsec_" + Convert.ToBase64String(Encoding.UTF8.GetBytes("standard-webhooks-test-key-0123456789"));

    private readonly FakeFlexShopper? _fake;
    private readonly StorePlatformFunctions _functions;

    public PlatformBed(Action<Dictionary<string, string?>>? tweak = null, Action<IServiceCollection>? configure = null, Dictionary<string, string?>? values = null)
    {
        if (values is null)
        {
            _fake = new FakeFlexShopper();
            values = TestServices.DefaultSettings(_fake.BaseUrl);
        }

        AddSecrets(values);
        App = HttpApp.Build(values, tweak, configure);
        _functions = HttpTestKit.Create<StorePlatformFunctions>(App.Provider);
    }

    public TestServices App { get; }

    /// <summary>The three platforms' secrets as local settings (no Key Vault), as this bed signs with them.</summary>
    public static void AddSecrets(IDictionary<string, string?> values)
    {
        values["Shopify:Secret"] = ShopifySecret;
        values["WooCommerce:Secret"] = WooSecret;
        values["StandardWebhooks:Secret"] = StandardSecret;
    }

    public WarehouseQueue Queue => App.Get<WarehouseQueue>();

    public async Task CreateQueueAsync() => await Queue.Client.CreateIfNotExistsAsync();

    // ---- What each platform sends ----

    public Task<HttpResult> Shopify(string topic, string body, string? webhookId = null, string? secret = ShopifySecret, string shop = "flex-demo.myshopify.com")
    {
        var headers = new Dictionary<string, string>
        {
            ["X-Shopify-Topic"] = topic,
            ["X-Shopify-Shop-Domain"] = shop,
            ["X-Shopify-Webhook-Id"] = webhookId ?? Guid.NewGuid().ToString(),
            ["X-Shopify-API-Version"] = "2025-07",
            ["X-Shopify-Triggered-At"] = DateTimeOffset.UtcNow.ToString("O"),
        };
        if (secret is not null)
        {
            headers["X-Shopify-Hmac-SHA256"] = Base64Hmac(secret, body);
        }

        return Send("/api/v1/webhooks/shopify", body, headers, "application/json", r => _functions.Shopify(r, default));
    }

    public Task<HttpResult> WooCommerce(string topic, string body, string? deliveryId = null, string? secret = WooSecret)
    {
        var (resource, _, @event) = topic.Partition('.');
        var headers = new Dictionary<string, string>
        {
            ["X-WC-Webhook-Source"] = "https://shop.example.com/",
            ["X-WC-Webhook-Topic"] = topic,
            ["X-WC-Webhook-Resource"] = resource,
            ["X-WC-Webhook-Event"] = @event,
            ["X-WC-Webhook-ID"] = "7",
            ["X-WC-Webhook-Delivery-ID"] = deliveryId ?? Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
        };
        if (secret is not null)
        {
            headers["X-WC-Webhook-Signature"] = Base64Hmac(secret, body);
        }

        return Send("/api/v1/webhooks/woocommerce", body, headers, "application/json", r => _functions.WooCommerce(r, default));
    }

    /// <summary>The ping WooCommerce sends when a webhook is saved: a form body, no signature, no webhook headers.</summary>
    public Task<HttpResult> WooCommercePing(int webhookId) =>
        Send("/api/v1/webhooks/woocommerce", "webhook_id=" + webhookId, [], "application/x-www-form-urlencoded", r => _functions.WooCommerce(r, default));

    public Task<HttpResult> Standard(string body, string? id = null, DateTimeOffset? at = null, string? secret = null, IDictionary<string, string>? extra = null)
    {
        var headers = StandardHeaders(body, id ?? "msg_" + Guid.NewGuid().ToString("N"), at ?? DateTimeOffset.UtcNow, secret ?? StandardSecret);
        foreach (var (k, v) in extra ?? new Dictionary<string, string>())
        {
            headers[k] = v;
        }

        return Send("/api/v1/webhooks/standard", body, headers, "application/json", r => _functions.Standard(r, default));
    }

    /// <summary>Standard Webhooks headers, computed from the spec: v1 is base64 HMAC-SHA256 of "id.timestamp.body" keyed with the secret's bytes.</summary>
    public static Dictionary<string, string> StandardHeaders(string body, string id, DateTimeOffset at, string secret)
    {
        var timestamp = at.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        var signature = Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{id}.{timestamp}.{body}")));
        return new Dictionary<string, string>
        {
            ["webhook-id"] = id,
            ["webhook-timestamp"] = timestamp,
            ["webhook-signature"] = "v1," + signature,
        };
    }

    public static string Base64Hmac(string secret, string body) =>
        Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(body)));

    // ---- What came of it ----

    /// <summary>Every message on the warehouse queue (peeked, so the queue is unchanged), parsed.</summary>
    public async Task<IReadOnlyList<JsonElement>> QueuedAsync()
    {
        var peeked = await Queue.Client.PeekMessagesAsync(32);
        return [.. peeked.Value.Select(m => JsonDocument.Parse(m.Body.ToString()).RootElement.Clone())];
    }

    public async Task<IReadOnlyList<FailedEvent>> SkippedAsync() =>
        await App.Get<FailedEventStore>().ListAsync(FailedEventKinds.Skipped, CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        await Queue.Client.DeleteIfExistsAsync();
        await App.DisposeAsync();
        _fake?.Dispose();
    }

    private async Task<HttpResult> Send(string path, string body, Dictionary<string, string> headers, string contentType, Func<HttpRequest, Task<Microsoft.AspNetCore.Mvc.IActionResult>> function)
    {
        var context = HttpTestKit.Request(App.Provider, "POST", path, body, headers);
        context.Request.ContentType = contentType;
        return await HttpTestKit.RunAsync(context, function);
    }
}

internal static class StringParts
{
    public static (string Before, char Separator, string After) Partition(this string text, char separator)
    {
        var at = text.IndexOf(separator, StringComparison.Ordinal);
        return at < 0 ? (text, separator, "") : (text[..at], separator, text[(at + 1)..]);
    }
}
