using FlexFunctions.Shared.Secrets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace FlexFunctions.Shared.Webhooks;

[OptionsValidator]
internal sealed partial class WebhookOptionsValidator : IValidateOptions<WebhookOptions>;

[OptionsValidator]
internal sealed partial class StandardWebhooksOptionsValidator : IValidateOptions<StandardWebhooksOptions>;

internal static class WebhooksRegistration
{
    public static IServiceCollection AddWebhookSignature(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<WebhookOptions>()
            .Bind(configuration.GetSection(WebhookOptions.Section))
            .Validate<IOptions<KeyVaultOptions>>(
                (hook, vault) => !hook.RequireSignature || vault.Value.VaultUri is not null || hook.SigningSecret is { Length: >= 32 },
                "Webhook__RequireSignature is on but there is no secret: set KeyVault__VaultUri (secret KeyVault__WebhookSecretName) or, locally, Webhook__SigningSecret (at least 32 characters).")
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<WebhookOptions>, WebhookOptionsValidator>();
        services.AddOptions<StandardWebhooksOptions>().Bind(configuration.GetSection(StandardWebhooksOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<StandardWebhooksOptions>, StandardWebhooksOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<StandardWebhookVerifier>();
        services.TryAddSingleton<WebhookSignature>();
        return services;
    }
}
