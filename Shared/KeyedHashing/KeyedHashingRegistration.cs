using FlexFunctions.Shared.Secrets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace FlexFunctions.Shared.KeyedHashing;

[OptionsValidator]
internal sealed partial class KeyedHashOptionsValidator : IValidateOptions<KeyedHashOptions>;

internal static class KeyedHashingRegistration
{
    public static IServiceCollection AddKeyedHashing(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<KeyedHashOptions>()
            .Bind(configuration.GetSection(KeyedHashOptions.Section))
            .Validate<IOptions<KeyVaultOptions>>(
                (hash, vault) => vault.Value.VaultUri is not null || hash.Secret is { Length: >= KeyedHashOptions.MinimumSecretLength },
                $"No secret keys the stored hashes: set KeyVault__VaultUri (secret KeyedHashing__SecretName) or, locally, KeyedHashing__Secret (at least {KeyedHashOptions.MinimumSecretLength} characters).")
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<KeyedHashOptions>, KeyedHashOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<KeyedHasher>();
        return services;
    }
}
