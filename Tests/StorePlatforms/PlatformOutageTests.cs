using System.Text.RegularExpressions;
using Azure;
using Azure.Data.Tables;
using Azure.Security.KeyVault.Secrets;
using FlexFunctions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Moq;
using static FlexFunctions.Tests.StorePlatforms.PlatformSamples;

namespace FlexFunctions.Tests.StorePlatforms;

/// <summary>The platform secrets come from Key Vault; a vault or storage outage is a 503 the platform retries, never a 500.</summary>
public sealed partial class PlatformOutageTests
{
    private static readonly Line Tv = new(1, "TV-55", 1);

    [Fact]
    public async Task The_Shopify_secret_is_read_from_Key_Vault_once_and_a_vault_outage_with_nothing_cached_is_503_with_Retry_After()
    {
        var vault = new Mock<SecretClient>();
        var calls = 0;
        vault.Setup(c => c.GetSecretAsync("ShopifyWebhookSecret", null, It.IsAny<CancellationToken>()))
            .Returns(() => ++calls == 1
                ? throw new RequestFailedException(503, "Service Unavailable")
                : Task.FromResult(Response.FromValue(new KeyVaultSecret("ShopifyWebhookSecret", "vault-held-shopify-secret-0123456789"), Mock.Of<Response>())));
        await using var bed = new PlatformBed(
            s => s["KeyVault:VaultUri"] = "https://example.vault.azure.net/",
            s => s.AddSingleton(vault.Object));
        await bed.CreateQueueAsync();
        var body = ShopifyFulfillment(1, "1Z1", Tv);

        var outage = await bed.Shopify("fulfillments/create", body, secret: "vault-held-shopify-secret-0123456789");
        var local = await bed.Shopify("fulfillments/create", body, secret: PlatformBed.ShopifySecret); // the local setting is not used with a vault
        var signed = await bed.Shopify("fulfillments/create", body, secret: "vault-held-shopify-secret-0123456789");

        Assert.Equal((503, "DependencyUnavailable"), (outage.Status, outage.Json.GetProperty("code").GetString()));
        Assert.True(int.Parse(outage.Headers.RetryAfter.ToString(), System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.Equal((401, 200), (local.Status, signed.Status));
        Assert.Equal(2, calls); // cached after the first read
        Assert.Single(await bed.QueuedAsync());
    }

    [Fact]
    public async Task A_secret_that_is_not_configured_locally_is_503_not_a_silent_401()
    {
        await using var bed = new PlatformBed(s => s["WooCommerce:Secret"] = "");
        await bed.CreateQueueAsync();

        var answer = await bed.WooCommerce("order.updated", WooOrder("completed", lines: [Tv]).ToJsonString());

        Assert.Equal((503, "SecretNotConfigured"), (answer.Status, answer.Json.GetProperty("code").GetString()));
        Assert.Empty(await bed.QueuedAsync());
    }

    [Fact]
    public async Task A_storage_outage_is_503_with_Retry_After()
    {
        // Tables on a port nothing listens on, with no retries: every dedupe read fails at once.
        var closed = PortPattern().Replace(Azurite.Instance.ConnectionString, m => m.Groups[1].Value + Azurite.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture));
        var tables = new TableServiceClient(closed, new TableClientOptions { Retry = { MaxRetries = 0, NetworkTimeout = TimeSpan.FromSeconds(2) } });
        await using var bed = new PlatformBed(configure: s => s.AddSingleton(tables));
        await bed.CreateQueueAsync();

        var answer = await bed.Shopify("fulfillments/create", ShopifyFulfillment(1, "1Z1", Tv));

        Assert.Equal((503, "DependencyUnavailable"), (answer.Status, answer.Json.GetProperty("code").GetString()));
        Assert.False(string.IsNullOrEmpty(answer.Headers.RetryAfter.ToString()));
        Assert.Empty(await bed.QueuedAsync());
    }

    [GeneratedRegex(@"(TableEndpoint=http://127\.0\.0\.1:)\d+")]
    private static partial Regex PortPattern();
}
