using Azure.Data.Tables;
using FlexFunctions.Shared.ApiDocument;
using FlexFunctions.Shared.Applications;
using FlexFunctions.Shared.CustomerAuth;
using FlexFunctions.Shared.Idempotency;
using FlexFunctions.Shared.Leases;
using FlexFunctions.Shared.Secrets;
using FlexFunctions.Shared.Webhooks;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace FlexFunctions.Shared.Http;

[OptionsValidator]
internal sealed partial class CustomerSessionOptionsValidator : IValidateOptions<CustomerSessionOptions>;

internal static class HttpApiRegistration
{
    /// <summary>The HTTP functions' services: sessions, signature check, idempotency and one service per capability.</summary>
    public static IServiceCollection AddHttpApi(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddWebhookSignature(configuration);
        services.AddIdempotency();

        services.AddOptions<CustomerSessionOptions>().Bind(configuration.GetSection(CustomerSessionOptions.Section))
            .Validate<IOptions<KeyVaultOptions>>(
                (session, vault) => string.IsNullOrWhiteSpace(session.KeyRingTable) || vault.Value.VaultUri is not null || session.KeyRingSecret is { Length: >= 32 },
                "CustomerSession__KeyRingTable is set but nothing seals the key ring: set KeyVault__VaultUri (secret CustomerSession__KeyRingSecretName) or, locally, CustomerSession__KeyRingSecret (at least 32 characters).")
            .Validate(session => string.IsNullOrEmpty(session.KeyRingSecret) || session.KeyRingSecret.Length >= 32,
                "CustomerSession__KeyRingSecret must be at least 32 characters (openssl rand -base64 32).")
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<CustomerSessionOptions>, CustomerSessionOptionsValidator>();
        services.TryAddSingleton<KeyRingSeal>();
        services.AddDataProtection().SetApplicationName("FlexFunctions");
        services.AddOptions<KeyManagementOptions>().Configure<IOptions<CustomerSessionOptions>, TableServiceClient, KeyRingSeal>((keys, session, tables, seal) =>
        {
            // Every instance must open sessions sealed by any other: share the key ring through a table.
            if (!string.IsNullOrWhiteSpace(session.Value.KeyRingTable))
            {
                keys.XmlRepository = new TableKeyRing(tables.GetTableClient(session.Value.KeyRingTable));
            }

            // Sealed at rest with the key ring secret: a copy of the table alone opens no session. Keys written before
            // sealing stay readable as they are; the storage cleanup re-seals them.
            if (seal.Enabled)
            {
                keys.XmlEncryptor = new SealedKeyEncryptor(seal);
            }
        });
        services.TryAddSingleton<CustomerSessions>();

        services.TryAddSingleton<ICustomerAuthService, CustomerAuthService>();
        services.TryAddSingleton<IApplicationService, ApplicationService>();
        services.TryAddSingleton<ILeaseService, LeaseService>();
        services.TryAddSingleton<ApiEndpoint>();
        services.TryAddSingleton<DependencyGuard>();
        services.TryAddSingleton<ServedApiDocument>();
        return services;
    }
}
