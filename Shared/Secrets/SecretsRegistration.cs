using Azure.Core;
using Azure.Security.KeyVault.Secrets;
using FlexFunctions.Shared.FlexShopper;
using FlexFunctions.Shared.Identity;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace FlexFunctions.Shared.Secrets;

[OptionsValidator]
internal sealed partial class KeyVaultOptionsValidator : IValidateOptions<KeyVaultOptions>;

internal static class SecretsRegistration
{
    public static IServiceCollection AddApiKeyProvider(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<KeyVaultOptions>()
            .Bind(configuration.GetSection(KeyVaultOptions.Section))
            .Validate(
                vault => vault.VaultUri is not null || !string.IsNullOrWhiteSpace(configuration[$"{FlexShopperOptions.Section}:ApiKey"]),
                "No source for the FlexShopper API key: set KeyVault__VaultUri (Azure) or FlexShopper__ApiKey (local runs only).")
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<KeyVaultOptions>, KeyVaultOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);

        if (Uri.TryCreate(configuration[$"{KeyVaultOptions.Section}:VaultUri"], UriKind.Absolute, out var vaultUri))
        {
            services.AddAppCredential(configuration);
            services.AddAzureClients(clients =>
            {
                clients.AddSecretClient(vaultUri);
                clients.UseCredential(sp => sp.GetRequiredService<TokenCredential>());
            });
        }

        services.TryAddSingleton<IApiKeyProvider>(sp =>
        {
            var vault = sp.GetRequiredService<IOptions<KeyVaultOptions>>().Value;
            if (vault.VaultUri is not null)
            {
                return ActivatorUtilities.CreateInstance<KeyVaultApiKeyProvider>(sp, sp.GetRequiredService<SecretClient>());
            }

            // Start-up says so once (Observability's StartupSummary), not the first function that needs the key.
            return new ConfigurationApiKeyProvider(sp.GetRequiredService<IOptions<FlexShopperOptions>>().Value.ApiKey!);
        });

        return services;
    }
}
