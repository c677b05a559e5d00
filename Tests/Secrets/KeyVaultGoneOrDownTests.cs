using FlexFunctions.Shared.Dependencies;
using FlexFunctions.Shared.Secrets;
using FlexFunctions.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;

namespace FlexFunctions.Tests.Secrets;

/// <summary>
/// A real <c>SecretClient</c> against a fake Key Vault: only a version the vault says is gone (not found, disabled)
/// is <see cref="ApiKeyUnavailableException"/> ("log in again"); a vault that is down, throttling or refusing our
/// identity is an outage, whatever shape the SDK gives it.
/// </summary>
public sealed class KeyVaultGoneOrDownTests : IDisposable
{
    private const string Name = "FlexShopperApiKey";
    private readonly FakeKeyVault _vault = new();
    private readonly FakeLogger<KeyVaultApiKeyProvider> _logger = new();

    private KeyVaultApiKeyProvider Provider() =>
        new(_vault.CreateClient(), Options.Create(new KeyVaultOptions { VaultUri = _vault.VaultUri, ApiKeySecretName = Name }), TimeProvider.System, _logger);

    [Fact]
    public async Task A_served_version_is_read_through_the_challenge()
    {
        _vault.Serve(Name, "v1", "key-one");

        var provider = Provider();

        Assert.Equal(new ApiKey("key-one", "v1"), await provider.GetCurrentAsync());
        Assert.Equal(new ApiKey("key-one", "v1"), await provider.GetVersionAsync("v1"));
    }

    [Fact]
    public async Task A_deleted_version_is_gone()
    {
        _vault.Serve(Name, "v1", "key-one");
        _vault.Delete(Name, "v0");

        var gone = await Assert.ThrowsAsync<ApiKeyUnavailableException>(() => Provider().GetVersionAsync("v0").AsTask());

        Assert.Equal("v0", gone.Version);
        Assert.False(DependencyOutage.Is(gone));
    }

    [Fact]
    public async Task A_disabled_version_is_gone()
    {
        _vault.Serve(Name, "v1", "key-one");
        _vault.Disable(Name, "v0");

        var gone = await Assert.ThrowsAsync<ApiKeyUnavailableException>(() => Provider().GetVersionAsync("v0").AsTask());

        Assert.Equal("v0", gone.Version);
    }

    [Fact]
    public async Task A_vault_answering_503_is_an_outage_not_a_gone_version_and_is_asked_again_next_time()
    {
        _vault.Serve(Name, "v1", "key-one");
        _vault.GoDown();
        var provider = Provider();

        var down = await Assert.ThrowsAnyAsync<Exception>(() => provider.GetVersionAsync("v1").AsTask());
        Assert.IsNotType<ApiKeyUnavailableException>(down);
        Assert.True(DependencyOutage.Is(down), DependencyOutage.Describe(down));
        Assert.Equal(503, DependencyOutage.StatusOf(down));
        Assert.True(DependencyOutage.Is(await Assert.ThrowsAnyAsync<Exception>(() => provider.GetCurrentAsync().AsTask())));

        _vault.Recover();
        Assert.Equal("key-one", (await provider.GetVersionAsync("v1")).Value); // not remembered as gone
    }

    [Fact]
    public async Task Our_identity_refused_is_an_outage_not_a_gone_version()
    {
        _vault.RefuseOurIdentity();

        var refused = await Assert.ThrowsAnyAsync<Exception>(() => Provider().GetVersionAsync("v1").AsTask());

        Assert.IsNotType<ApiKeyUnavailableException>(refused);
        Assert.True(DependencyOutage.Is(refused));
        Assert.Equal(403, DependencyOutage.StatusOf(refused));
    }

    [Fact]
    public async Task A_vault_that_refuses_connections_is_an_outage()
    {
        var closed = new KeyVaultApiKeyProvider(FakeKeyVault.ClientForClosedPort(), Options.Create(new KeyVaultOptions { VaultUri = _vault.VaultUri }), TimeProvider.System, _logger);

        var refused = await Assert.ThrowsAnyAsync<Exception>(() => closed.GetVersionAsync("v1").AsTask());

        Assert.IsType<AggregateException>(refused); // the SDK's retries spent, each a RequestFailedException with status 0
        Assert.True(DependencyOutage.Is(refused), DependencyOutage.Describe(refused));
        Assert.Equal(0, DependencyOutage.StatusOf(refused));
    }

    [Theory]
    [InlineData("""{"error":{"code":"Forbidden","innererror":{"code":"SecretDisabled"}}}""", true)]
    [InlineData("""{"error":{"code":"Forbidden","innerError":{"code":"SecretDisabled"}}}""", true)] // either spelling
    [InlineData("""{"error":{"code":"Forbidden","innererror":{"code":"ForbiddenByPolicy"}}}""", false)]
    [InlineData("""{"error":{"code":"Forbidden","innererror":{"code":7}}}""", false)]
    [InlineData("""{"error":{"code":"Forbidden","innererror":"SecretDisabled"}}""", false)]
    [InlineData("""{"error":"SecretDisabled"}""", false)]
    [InlineData("""{"innererror":{"code":"SecretDisabled"}}""", false)]
    [InlineData("not json", false)]
    [InlineData("", false)]
    public async Task Only_a_403_whose_inner_code_is_SecretDisabled_means_the_version_is_gone(string body, bool gone)
    {
        _vault.AnswerVersion(Name, "v0", 403, body);

        var failure = await Assert.ThrowsAnyAsync<Exception>(() => Provider().GetVersionAsync("v0").AsTask());

        Assert.Equal(gone, failure is ApiKeyUnavailableException);
        Assert.Equal(!gone, DependencyOutage.Is(failure));
    }

    public void Dispose() => _vault.Dispose();
}
