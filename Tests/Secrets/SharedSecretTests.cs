using Azure;
using Azure.Security.KeyVault.Secrets;
using FlexFunctions.Shared.Secrets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Moq;

namespace FlexFunctions.Tests.Secrets;

/// <summary>
/// A secret shared with a signing caller (the store, Shopify, WooCommerce, the key ring seal): one or two lines,
/// from Key Vault or a local setting, cached, kept through a vault outage, and not asked for again at once when the
/// vault says it is missing or refused.
/// </summary>
public sealed class SharedSecretTests
{
    private const string Name = "StoreWebhookSecret";
    private readonly Mock<SecretClient> _vault = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero));
    private readonly FakeLogger _logger = new();
    private int _reads;

    private SharedSecret Vaulted() => new(() => Name, () => "local-value-never-used", new ServiceCollection().AddSingleton(_vault.Object).BuildServiceProvider(),
        Options.Create(new KeyVaultOptions { VaultUri = new Uri("https://unit.vault.azure.net/"), RefreshInterval = TimeSpan.FromMinutes(5) }), _time, _logger);

    private SharedSecret Local(string? value) => new(() => Name, () => value, new ServiceCollection().BuildServiceProvider(), Options.Create(new KeyVaultOptions()), _time, _logger);

    private void VaultHolds(string value, DateTimeOffset? created = null) =>
        _vault.Setup(v => v.GetSecretAsync(Name, null, It.IsAny<CancellationToken>())).ReturnsAsync(() =>
        {
            _reads++;
            var properties = SecretModelFactory.SecretProperties(name: Name, createdOn: created);
            return Response.FromValue(SecretModelFactory.KeyVaultSecret(properties, value), Mock.Of<Response>());
        });

    private void VaultFails(int status) =>
        _vault.Setup(v => v.GetSecretAsync(Name, null, It.IsAny<CancellationToken>())).ReturnsAsync(() =>
        {
            _reads++;
            throw new RequestFailedException(status, "vault says " + status);
        });

    [Fact]
    public async Task A_local_value_gives_its_lines_trimmed_and_at_most_two()
    {
        Assert.Equal(["new-secret", "old-secret"], await Local(" new-secret \r\n\n old-secret\n").CurrentAsync());
        Assert.Empty(await Local(null).CurrentAsync());
        Assert.Empty(_logger.Collector.GetSnapshot());

        Assert.Equal(["one", "two"], await Local("one\ntwo\nthree").CurrentAsync());
        var warning = Assert.Single(_logger.Collector.GetSnapshot());
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("holds 3 lines", warning.Message, StringComparison.Ordinal);
        Assert.Null((await Local("x").ReadAsync()).SetAt);
    }

    [Fact]
    public async Task The_vault_value_is_cached_for_the_refresh_interval_and_a_rotation_is_picked_up_after_it()
    {
        var created = new DateTimeOffset(2026, 11, 1, 8, 0, 0, TimeSpan.Zero);
        VaultHolds("first", created);
        var secret = Vaulted();
        Assert.False(secret.HasCached);

        var lines = await secret.ReadAsync();
        Assert.True(secret.HasCached);
        VaultHolds("second\nfirst");
        _time.Advance(TimeSpan.FromMinutes(5) - TimeSpan.FromSeconds(1));
        Assert.Equal(["first"], await secret.CurrentAsync());
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(["second", "first"], await secret.CurrentAsync());

        Assert.Equal(["first"], lines.Secrets);
        Assert.Equal(created, lines.SetAt);
        Assert.Equal(2, _reads);
        Assert.Equal($"SecretLines(Count=1, SetAt={created:O})", lines.ToString());
    }

    [Fact]
    public async Task Callers_queued_behind_a_refresh_use_its_result()
    {
        var answer = new TaskCompletionSource<Response<KeyVaultSecret>>(TaskCreationOptions.RunContinuationsAsynchronously);
        _vault.Setup(v => v.GetSecretAsync(Name, null, It.IsAny<CancellationToken>())).Returns(() =>
        {
            _reads++;
            return answer.Task;
        });
        var secret = Vaulted();

        var callers = Enumerable.Range(0, 10).Select(_ => secret.CurrentAsync().AsTask()).ToList();
        Assert.All(callers, c => Assert.False(c.IsCompleted));
        answer.SetResult(Response.FromValue(SecretModelFactory.KeyVaultSecret(SecretModelFactory.SecretProperties(name: Name), "s"), Mock.Of<Response>()));

        Assert.All(await Task.WhenAll(callers), lines => Assert.Equal(["s"], lines));
        Assert.Equal(1, _reads);
    }

    [Fact]
    public async Task An_outage_keeps_serving_the_cached_value_and_asks_again_after_thirty_seconds()
    {
        VaultHolds("kept");
        var secret = Vaulted();
        await secret.CurrentAsync();
        VaultFails(503);
        _time.Advance(TimeSpan.FromMinutes(6));

        Assert.Equal(["kept"], await secret.CurrentAsync());
        _time.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(["kept"], await secret.CurrentAsync());
        Assert.Equal(2, _reads);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(["kept"], await secret.CurrentAsync());
        Assert.Equal(3, _reads);
        Assert.Contains(_logger.Collector.GetSnapshot(), r => r.Level == LogLevel.Warning && r.Message.Contains("still using the cached value", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_outage_with_nothing_cached_fails_as_the_vault_failed()
    {
        VaultFails(503);

        var failure = await Assert.ThrowsAsync<RequestFailedException>(() => Vaulted().CurrentAsync().AsTask());

        Assert.Equal(503, failure.Status);
    }

    [Theory]
    [InlineData(404, true)] // deleted: a cached value is no longer accepted either
    [InlineData(403, false)] // our identity may not read it, and nothing is cached to keep serving
    public async Task A_missing_or_refused_secret_is_said_again_for_thirty_seconds_without_asking_the_vault(int status, bool cachedBefore)
    {
        var secret = Vaulted();
        if (cachedBefore)
        {
            VaultHolds("was-there");
            await secret.CurrentAsync();
            _time.Advance(TimeSpan.FromMinutes(6));
        }

        VaultFails(status);

        Assert.Equal(status, (await Assert.ThrowsAsync<RequestFailedException>(() => secret.CurrentAsync().AsTask())).Status);
        _time.Advance(TimeSpan.FromSeconds(29));
        var remembered = await Assert.ThrowsAsync<RequestFailedException>(() => secret.CurrentAsync().AsTask());
        Assert.Equal($"Key Vault secret '{Name}' could not be read ({status}).", remembered.Message);
        Assert.Equal(status, (await Assert.ThrowsAsync<RequestFailedException>(() => secret.CurrentAsync().AsTask())).Status);
        Assert.Equal(cachedBefore ? 2 : 1, _reads);
        Assert.Contains(_logger.Collector.GetSnapshot(), r => r.Level == LogLevel.Error && r.Message.Contains(Name, StringComparison.Ordinal));

        VaultHolds("back");
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(["back"], await secret.CurrentAsync());
        Assert.Equal(cachedBefore ? 3 : 2, _reads);
    }

    [Fact]
    public async Task A_deleted_secret_drops_the_cached_value()
    {
        VaultHolds("was-there");
        var secret = Vaulted();
        await secret.CurrentAsync();
        VaultFails(404);
        _time.Advance(TimeSpan.FromMinutes(6));
        await Assert.ThrowsAsync<RequestFailedException>(() => secret.CurrentAsync().AsTask());

        Assert.False(secret.HasCached);
        VaultFails(503);
        _time.Advance(TimeSpan.FromSeconds(31));
        // Nothing cached any more: the outage is not hidden behind the deleted value.
        Assert.Equal(503, (await Assert.ThrowsAsync<RequestFailedException>(() => secret.CurrentAsync().AsTask())).Status);
    }

    [Fact]
    public async Task A_configured_key_is_its_own_version_and_a_token_minted_under_another_is_refused()
    {
        var provider = new ConfigurationApiKeyProvider("configured-api-key-1");
        var key = await provider.GetCurrentAsync();

        Assert.Equal("configured-api-key-1", key.Value);
        Assert.Matches("^cfg-[0-9a-f]{12}$", key.Version);
        Assert.NotEqual(key.Version, (await new ConfigurationApiKeyProvider("configured-api-key-2").GetCurrentAsync()).Version);
        Assert.Equal(key, await provider.GetVersionAsync(key.Version));
        Assert.Equal(key, await provider.RefreshAfterRejectionAsync(key));
        var refused = await Assert.ThrowsAsync<ApiKeyUnavailableException>(() => provider.GetVersionAsync("cfg-000000000000").AsTask());
        Assert.Equal("cfg-000000000000", refused.Version);
        Assert.Contains("cfg-000000000000", refused.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new ConfigurationApiKeyProvider(" "));
    }
}
