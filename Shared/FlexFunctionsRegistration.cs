using FlexFunctions.Shared.AbuseLimits;
using FlexFunctions.Shared.Catalog;
using FlexFunctions.Shared.Confirmations;
using FlexFunctions.Shared.FlexShopper;
using FlexFunctions.Shared.Health;
using FlexFunctions.Shared.Http;
using FlexFunctions.Shared.InputRules;
using FlexFunctions.Shared.KeyedHashing;
using FlexFunctions.Shared.Observability;
using FlexFunctions.Shared.Retention;
using FlexFunctions.Shared.Secrets;
using FlexFunctions.Shared.Storage;
using FlexFunctions.Shared.StorePlatforms;
using Microsoft.Extensions.Configuration;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>The one place the app's service graph is built: Program.cs and the tests both call it.</summary>
public static class FlexFunctionsRegistration
{
    public static IServiceCollection AddFlexFunctions(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddObservability(configuration);
        services.AddFlexShopperClient(configuration);
        services.AddApiKeyProvider(configuration);
        services.AddStorageClients(configuration);
        services.AddKeyedHashing(configuration);
        // Capabilities register themselves below, one line each.
        services.AddInputRules(configuration);
        services.AddWarehouseConfirmations(configuration);
        services.AddHttpApi(configuration);
        services.AddCatalog(configuration);
        services.AddReadinessChecks(configuration);
        services.AddAbuseLimits(configuration);
        services.AddStorePlatforms(configuration);
        services.AddStorageCleanup(configuration);
        return services;
    }
}
