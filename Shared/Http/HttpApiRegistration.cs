using Azure.Data.Tables;
using FlexFunctions.Shared.ApiDocument;
using FlexFunctions.Shared.Applications;
using FlexFunctions.Shared.CustomerAuth;
using FlexFunctions.Shared.Idempotency;
using FlexFunctions.Shared.Leases;
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

        services.AddOptions<CustomerSessionOptions>().Bind(configuration.GetSection(CustomerSessionOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<CustomerSessionOptions>, CustomerSessionOptionsValidator>();
        services.AddDataProtection().SetApplicationName("FlexFunctions");
        services.AddOptions<KeyManagementOptions>().Configure<IOptions<CustomerSessionOptions>, TableServiceClient>((keys, session, tables) =>
        {
            // Every instance must open sessions sealed by any other: share the key ring through a table.
            if (!string.IsNullOrWhiteSpace(session.Value.KeyRingTable))
            {
                keys.XmlRepository = new TableKeyRing(tables.GetTableClient(session.Value.KeyRingTable));
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
