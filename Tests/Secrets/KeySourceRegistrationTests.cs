using System.Text.Json;
using FlexFunctions.Shared.Secrets;
using FlexFunctions.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace FlexFunctions.Tests.Secrets;

/// <summary>How AddFlexFunctions chooses the key source.</summary>
public sealed class KeySourceRegistrationTests
{
    private static Dictionary<string, string?> Settings() => TestServices.DefaultSettings("http://127.0.0.1:9/v3/", withStorage: false);

    [Fact]
    public async Task Without_a_vault_the_key_comes_from_configuration_and_its_first_use_logs_nothing()
    {
        using var services = TestServices.Build(Settings());

        var provider = services.Get<IApiKeyProvider>();
        services.Get<IApiKeyProvider>();
        var key = await provider.GetCurrentAsync();

        Assert.IsType<ConfigurationApiKeyProvider>(provider);
        Assert.Equal("test-api-key-0001", key.Value);
        Assert.StartsWith("cfg-", key.Version, StringComparison.Ordinal);
        // Start-up says so, once (StartupSummaryTests), not whichever function first needs the key.
        Assert.DoesNotContain(services.Logs.GetSnapshot(), r => r.Message.Contains("Key Vault", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_token_minted_under_an_older_configured_key_is_refused_rather_than_sent_with_the_new_one()
    {
        var provider = new ConfigurationApiKeyProvider("new-key");
        var oldVersion = (await new ConfigurationApiKeyProvider("old-key").GetCurrentAsync()).Version;

        await Assert.ThrowsAsync<ApiKeyUnavailableException>(() => provider.GetVersionAsync(oldVersion).AsTask());
    }

    [Fact]
    public void With_a_vault_uri_the_key_comes_from_Key_Vault()
    {
        var settings = Settings();
        settings["KeyVault:VaultUri"] = "https://unit.vault.azure.net/";
        settings.Remove("FlexShopper:ApiKey");
        using var services = TestServices.Build(settings);

        Assert.IsType<KeyVaultApiKeyProvider>(services.Get<IApiKeyProvider>());
        Assert.NotNull(services.Provider.GetService(typeof(Azure.Core.TokenCredential))); // the app's identity reads the vault
    }

    [Fact]
    public void With_neither_source_start_up_fails_naming_both_settings()
    {
        var settings = Settings();
        settings.Remove("FlexShopper:ApiKey");
        using var services = TestServices.Build(settings);

        var message = StartupFailure(services);

        Assert.Contains("KeyVault__VaultUri", message, StringComparison.Ordinal);
        Assert.Contains("FlexShopper__ApiKey", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_base_url_fails_start_up_naming_the_setting()
    {
        var settings = Settings();
        settings.Remove("FlexShopper:BaseUrl");
        using var services = TestServices.Build(settings);

        Assert.Contains("FlexShopper__BaseUrl", StartupFailure(services), StringComparison.Ordinal);
    }

    /// <summary>What the host reports when start-up validation fails (one or several options at once).</summary>
    private static string StartupFailure(TestServices services)
    {
        var error = Assert.ThrowsAny<Exception>(() => services.Get<IStartupValidator>().Validate());
        var failures = error is AggregateException many ? many.InnerExceptions : [error];
        Assert.All(failures, f => Assert.IsType<OptionsValidationException>(f));
        return string.Join(Environment.NewLine, failures.Select(f => f.Message));
    }

    [Fact]
    public void The_sample_local_settings_start_the_app()
    {
        // Exactly what a developer gets from local.settings.sample.json: every option must validate.
        using var doc = JsonDocument.Parse(File.ReadAllText(RepoPaths.Of("local.settings.sample.json")));
        var settings = doc.RootElement.GetProperty("Values").EnumerateObject()
            .ToDictionary(p => p.Name.Replace("__", ":", StringComparison.Ordinal), p => (string?)p.Value.GetString());
        using var services = TestServices.Build(settings);

        services.Get<IStartupValidator>().Validate();

        Assert.IsType<ConfigurationApiKeyProvider>(services.Get<IApiKeyProvider>());
    }
}
