using Azure;
using Azure.Security.KeyVault.Secrets;
using FlexFunctions.Shared.Secrets;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Moq;

namespace FlexFunctions.Tests.Secrets;

public sealed class KeyVaultApiKeyProviderTests
{
    private const string SecretName = "FlexShopperApiKey";
    private readonly Mock<SecretClient> _vault = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-11-24T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly FakeLogger<KeyVaultApiKeyProvider> _logger = new();
    private int _latestCalls;

    private KeyVaultApiKeyProvider CreateProvider(TimeSpan? refresh = null) =>
        new(_vault.Object, Options.Create(new KeyVaultOptions { VaultUri = new Uri("https://unit.vault.azure.net/"), RefreshInterval = refresh ?? TimeSpan.FromMinutes(5) }), _time, _logger);

    private static Response<KeyVaultSecret> Secret(string value, string version, bool enabled = true)
    {
        var properties = SecretModelFactory.SecretProperties(
            new Uri($"https://unit.vault.azure.net/secrets/{SecretName}/{version}"), name: SecretName, version: version);
        properties.Enabled = enabled;
        return Response.FromValue(SecretModelFactory.KeyVaultSecret(properties, value), Mock.Of<Response>());
    }

    private void LatestIs(string value, string version) =>
        _vault.Setup(v => v.GetSecretAsync(SecretName, null, It.IsAny<CancellationToken>()))
            .ReturnsAsync(() =>
            {
                _latestCalls++;
                return Secret(value, version);
            });

    private void VaultIsDown() =>
        _vault.Setup(v => v.GetSecretAsync(SecretName, It.IsAny<string?>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new RequestFailedException(503, "Service unavailable"));

    [Fact]
    public async Task Current_key_is_read_once_and_served_from_cache_within_the_interval()
    {
        LatestIs("key-one", "v1");
        var provider = CreateProvider();

        var first = await provider.GetCurrentAsync();
        _time.Advance(TimeSpan.FromMinutes(4));
        var second = await provider.GetCurrentAsync();

        Assert.Equal(new ApiKey("key-one", "v1"), first);
        Assert.Equal(first, second);
        Assert.Equal(1, _latestCalls);
    }

    [Fact]
    public async Task Current_key_is_read_again_after_the_interval_and_picks_up_a_rotation()
    {
        LatestIs("key-one", "v1");
        var provider = CreateProvider();
        await provider.GetCurrentAsync();

        LatestIs("key-two", "v2");
        _time.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1));
        var rotated = await provider.GetCurrentAsync();

        Assert.Equal(new ApiKey("key-two", "v2"), rotated);
    }

    [Fact]
    public async Task A_rejection_forces_a_fresh_read_before_the_interval_ends()
    {
        LatestIs("key-one", "v1");
        var provider = CreateProvider();
        var rejected = await provider.GetCurrentAsync();

        LatestIs("key-two", "v2");
        _time.Advance(TimeSpan.FromSeconds(11));
        var fresh = await provider.RefreshAfterRejectionAsync(rejected);

        Assert.Equal("v2", fresh.Version);
        Assert.Equal("v2", (await provider.GetCurrentAsync()).Version);
    }

    [Fact]
    public async Task Concurrent_rejections_of_the_same_key_read_the_vault_once()
    {
        LatestIs("key-one", "v1");
        var provider = CreateProvider();
        var rejected = await provider.GetCurrentAsync();
        _time.Advance(TimeSpan.FromSeconds(11));

        // The vault's answer is held until every caller has started: all 20 are then in flight together, so a
        // refresh without the single-flight gate (or without its re-check) reads the vault once per caller.
        var vaultAnswer = new TaskCompletionSource<Response<KeyVaultSecret>>(TaskCreationOptions.RunContinuationsAsynchronously);
        _latestCalls = 0;
        _vault.Setup(v => v.GetSecretAsync(SecretName, null, It.IsAny<CancellationToken>()))
            .Returns(() =>
            {
                Interlocked.Increment(ref _latestCalls);
                return vaultAnswer.Task;
            });
        var calls = Enumerable.Range(0, 20).Select(_ => provider.RefreshAfterRejectionAsync(rejected).AsTask()).ToList();
        Assert.All(calls, c => Assert.False(c.IsCompleted)); // all waiting: on the vault or on the one read in progress

        vaultAnswer.SetResult(Secret("key-two", "v2"));
        var results = await Task.WhenAll(calls);

        Assert.All(results, k => Assert.Equal("v2", k.Version));
        Assert.Equal(1, _latestCalls);
    }

    [Fact]
    public async Task Rejections_moments_after_a_read_do_not_read_the_vault_again()
    {
        LatestIs("key-one", "v1");
        var provider = CreateProvider();
        var key = await provider.GetCurrentAsync();
        _latestCalls = 0;

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal("v1", (await provider.RefreshAfterRejectionAsync(key)).Version);
        }

        Assert.Equal(0, _latestCalls);
    }

    [Fact]
    public async Task A_deleted_version_is_remembered_for_a_minute_instead_of_asked_for_on_every_request()
    {
        _vault.Setup(v => v.GetSecretAsync(SecretName, "v-gone", It.IsAny<CancellationToken>())).ThrowsAsync(new RequestFailedException(404, "SecretNotFound", "SecretNotFound", null));
        var provider = CreateProvider();

        await Assert.ThrowsAsync<ApiKeyUnavailableException>(() => provider.GetVersionAsync("v-gone").AsTask());
        await Assert.ThrowsAsync<ApiKeyUnavailableException>(() => provider.GetVersionAsync("v-gone").AsTask());
        _time.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));
        await Assert.ThrowsAsync<ApiKeyUnavailableException>(() => provider.GetVersionAsync("v-gone").AsTask());

        _vault.Verify(v => v.GetSecretAsync(SecretName, "v-gone", It.IsAny<CancellationToken>()), Times.Exactly(2));
    }

    [Fact]
    public async Task An_exact_older_version_is_fetched_by_version_and_then_cached()
    {
        _vault.Setup(v => v.GetSecretAsync(SecretName, "v1", It.IsAny<CancellationToken>())).ReturnsAsync(Secret("key-one", "v1"));
        var provider = CreateProvider();

        var key = await provider.GetVersionAsync("v1");
        await provider.GetVersionAsync("v1");

        Assert.Equal(new ApiKey("key-one", "v1"), key);
        _vault.Verify(v => v.GetSecretAsync(SecretName, "v1", It.IsAny<CancellationToken>()), Times.Once);
    }

    [Fact]
    public async Task A_disabled_or_deleted_version_is_reported_unavailable()
    {
        _vault.Setup(v => v.GetSecretAsync(SecretName, "v-disabled", It.IsAny<CancellationToken>())).ReturnsAsync(Secret("old", "v-disabled", enabled: false));
        _vault.Setup(v => v.GetSecretAsync(SecretName, "v-gone", It.IsAny<CancellationToken>())).ThrowsAsync(new RequestFailedException(404, "SecretNotFound", "SecretNotFound", null));
        var provider = CreateProvider();

        var disabled = await Assert.ThrowsAsync<ApiKeyUnavailableException>(() => provider.GetVersionAsync("v-disabled").AsTask());
        var gone = await Assert.ThrowsAsync<ApiKeyUnavailableException>(() => provider.GetVersionAsync("v-gone").AsTask());

        Assert.Equal("v-disabled", disabled.Version);
        Assert.Equal("v-gone", gone.Version);
    }

    [Fact]
    public async Task A_vault_outage_with_a_cached_key_keeps_serving_it()
    {
        LatestIs("key-one", "v1");
        var provider = CreateProvider();
        await provider.GetCurrentAsync();

        VaultIsDown();
        _time.Advance(TimeSpan.FromMinutes(6));
        var during = await provider.GetCurrentAsync();
        var afterRejection = await provider.RefreshAfterRejectionAsync(during);

        Assert.Equal(new ApiKey("key-one", "v1"), during);
        Assert.Equal("v1", afterRejection.Version);
        Assert.Contains(_logger.Collector.GetSnapshot(), r => r.Message.Contains("Key Vault unreachable", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_vault_outage_with_no_cached_key_fails()
    {
        VaultIsDown();
        var provider = CreateProvider();

        await Assert.ThrowsAsync<RequestFailedException>(() => provider.GetCurrentAsync().AsTask());
    }

    [Fact]
    public async Task The_key_value_never_reaches_a_log_line_or_its_string_form()
    {
        LatestIs("super-secret-key-value", "v1");
        var provider = CreateProvider();
        var key = await provider.GetCurrentAsync();
        LatestIs("another-secret-key-value", "v2");
        await provider.RefreshAfterRejectionAsync(key);

        Assert.DoesNotContain("secret-key-value", key.ToString(), StringComparison.Ordinal);
        Assert.All(_logger.Collector.GetSnapshot(), r => Assert.DoesNotContain("secret-key-value", r.Message, StringComparison.Ordinal));
        Assert.NotEmpty(_logger.Collector.GetSnapshot());
    }

    [Fact]
    public async Task The_current_key_is_read_again_exactly_when_the_interval_ends_and_a_reread_of_the_same_version_is_not_announced()
    {
        LatestIs("key-one", "v1");
        var provider = CreateProvider();
        await provider.GetCurrentAsync();

        _time.Advance(TimeSpan.FromMinutes(5));
        await provider.GetCurrentAsync();

        Assert.Equal(2, _latestCalls);
        Assert.Single(_logger.Collector.GetSnapshot(), r => r.Message.Contains("Loaded FlexShopper API key version v1", StringComparison.Ordinal));
        LatestIs("key-two", "v2");
        _time.Advance(TimeSpan.FromMinutes(5));
        await provider.GetCurrentAsync();
        Assert.Contains(_logger.Collector.GetSnapshot(), r => r.Message.Contains("Loaded FlexShopper API key version v2", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_rejection_of_a_key_already_replaced_returns_the_newer_one_without_asking_the_vault()
    {
        LatestIs("key-one", "v1");
        var provider = CreateProvider();
        var old = await provider.GetCurrentAsync();
        LatestIs("key-two", "v2");
        _time.Advance(TimeSpan.FromMinutes(6));
        await provider.GetCurrentAsync();
        _latestCalls = 0;
        _time.Advance(TimeSpan.FromSeconds(11)); // past the forced-refresh pause: only "moved on" explains no read

        var fresh = await provider.RefreshAfterRejectionAsync(old);

        Assert.Equal(new ApiKey("key-two", "v2"), fresh);
        Assert.Equal(0, _latestCalls);
        Assert.Equal("v2", provider.CachedVersion);
    }

    [Fact]
    public async Task A_rejection_exactly_ten_seconds_after_the_read_asks_the_vault_again()
    {
        LatestIs("key-one", "v1");
        var provider = CreateProvider();
        var key = await provider.GetCurrentAsync();
        _latestCalls = 0;

        _time.Advance(KeyVaultApiKeyProvider.MinimumForcedRefreshInterval);
        await provider.RefreshAfterRejectionAsync(key);

        Assert.Equal(1, _latestCalls);
    }

    [Fact]
    public async Task A_gone_version_is_remembered_for_exactly_a_minute_and_said_with_the_vaults_answer()
    {
        _vault.Setup(v => v.GetSecretAsync(SecretName, "v-gone", It.IsAny<CancellationToken>())).ThrowsAsync(new RequestFailedException(404, "SecretNotFound", "SecretNotFound", null));
        var provider = CreateProvider();

        var gone = await Assert.ThrowsAsync<ApiKeyUnavailableException>(() => provider.GetVersionAsync("v-gone").AsTask());
        _time.Advance(KeyVaultApiKeyProvider.UnavailableVersionMemory - TimeSpan.FromSeconds(1));
        var remembered = await Assert.ThrowsAsync<ApiKeyUnavailableException>(() => provider.GetVersionAsync("v-gone").AsTask());
        _vault.Verify(v => v.GetSecretAsync(SecretName, "v-gone", It.IsAny<CancellationToken>()), Times.Once);
        _time.Advance(TimeSpan.FromSeconds(1));
        await Assert.ThrowsAsync<ApiKeyUnavailableException>(() => provider.GetVersionAsync("v-gone").AsTask());

        _vault.Verify(v => v.GetSecretAsync(SecretName, "v-gone", It.IsAny<CancellationToken>()), Times.Exactly(2));
        Assert.Contains("Key Vault answered 404 SecretNotFound", gone.Message, StringComparison.Ordinal);
        Assert.Equal(gone.Message, remembered.Message);
        Assert.Contains(_logger.Collector.GetSnapshot(), r => r.Message.Contains("API key version v-gone is gone from Key Vault (404 SecretNotFound)", StringComparison.Ordinal));
        Assert.DoesNotContain(_logger.Collector.GetSnapshot(), r => r.Message.Contains("could not give", StringComparison.Ordinal)); // gone, not an outage
    }

    [Fact]
    public async Task A_disabled_version_says_so_and_an_unreadable_one_is_an_outage_said_in_the_log()
    {
        _vault.Setup(v => v.GetSecretAsync(SecretName, "v-disabled", It.IsAny<CancellationToken>())).ReturnsAsync(Secret("old", "v-disabled", enabled: false));
        _vault.Setup(v => v.GetSecretAsync(SecretName, "v-busy", It.IsAny<CancellationToken>())).ThrowsAsync(new RequestFailedException(429, "Too many requests"));
        var provider = CreateProvider();

        var disabled = await Assert.ThrowsAsync<ApiKeyUnavailableException>(() => provider.GetVersionAsync("v-disabled").AsTask());
        Assert.Contains("disabled or empty", disabled.Message, StringComparison.Ordinal);
        Assert.Contains(_logger.Collector.GetSnapshot(), r => r.Message.Contains("(200 Disabled)", StringComparison.Ordinal));
        Assert.DoesNotContain(_logger.Collector.GetSnapshot(), r => r.Message.Contains("could not give", StringComparison.Ordinal));

        var busy = await Assert.ThrowsAsync<RequestFailedException>(() => provider.GetVersionAsync("v-busy").AsTask());
        Assert.Equal(429, busy.Status);
        Assert.Contains(_logger.Collector.GetSnapshot(), r => r.Message.Contains("Key Vault could not give API key version v-busy", StringComparison.Ordinal));
        await Assert.ThrowsAsync<ArgumentException>(() => provider.GetVersionAsync(" ").AsTask());
    }

    [Fact]
    public async Task A_version_read_while_the_request_is_cancelled_logs_no_outage()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        _vault.Setup(v => v.GetSecretAsync(SecretName, "v1", It.IsAny<CancellationToken>())).ThrowsAsync(new OperationCanceledException());

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => CreateProvider().GetVersionAsync("v1", cancelled.Token).AsTask());

        Assert.Empty(_logger.Collector.GetSnapshot());
    }

    [Theory]
    [InlineData("", "v2")]
    [InlineData("key-two", "")]
    public async Task A_current_secret_without_a_value_or_version_is_refused_and_a_held_key_keeps_serving(string value, string version)
    {
        _vault.Setup(v => v.GetSecretAsync(SecretName, null, It.IsAny<CancellationToken>())).ReturnsAsync(Secret(value, version));
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => CreateProvider().GetCurrentAsync().AsTask());
        Assert.Equal($"Key Vault secret '{SecretName}' has no value or version.", refused.Message);

        LatestIs("key-one", "v1");
        var provider = CreateProvider();
        await provider.GetCurrentAsync();
        _vault.Setup(v => v.GetSecretAsync(SecretName, null, It.IsAny<CancellationToken>())).ReturnsAsync(Secret(value, version));
        _time.Advance(TimeSpan.FromMinutes(6));
        Assert.Equal("v1", (await provider.GetCurrentAsync()).Version);
    }

    [Theory]
    [InlineData(300, 30)] // a long interval: the vault is asked again 30 s after the outage began
    [InlineData(10, 10)] // a short one: never later than the interval itself
    public async Task During_an_outage_the_vault_is_asked_again_after_the_shorter_of_30_seconds_and_the_interval(int intervalSeconds, int retrySeconds)
    {
        LatestIs("key-one", "v1");
        var provider = CreateProvider(TimeSpan.FromSeconds(intervalSeconds));
        await provider.GetCurrentAsync();
        var outageCalls = 0;
        _vault.Setup(v => v.GetSecretAsync(SecretName, null, It.IsAny<CancellationToken>())).ReturnsAsync(() =>
        {
            outageCalls++;
            throw new RequestFailedException(503, "Service unavailable");
        });
        _time.Advance(TimeSpan.FromSeconds(intervalSeconds));
        await provider.GetCurrentAsync();

        _time.Advance(TimeSpan.FromSeconds(retrySeconds - 1));
        await provider.GetCurrentAsync();
        Assert.Equal(1, outageCalls);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("v1", (await provider.GetCurrentAsync()).Version);
        Assert.Equal(2, outageCalls);
    }

    [Fact]
    public void A_key_prints_its_version_only()
    {
        Assert.Equal("ApiKey(Version=v7)", new ApiKey("the-secret-value", "v7").ToString());
        Assert.Contains("changed since", Assert.Throws<ApiKeyUnavailableException>(() => new ConfigurationApiKeyProvider("k-1").GetVersionAsync("cfg-other").AsTask().GetAwaiter().GetResult()).Message, StringComparison.Ordinal);
    }
}
