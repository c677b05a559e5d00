using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace FlexFunctions.Shared.Catalog;

public static class CatalogRegistration
{
    /// <summary>The catalog refresh and read services, with <c>Catalog__*</c> and <c>CatalogRefreshSchedule</c> validated at start-up.</summary>
    public static IServiceCollection AddCatalog(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<CatalogOptions>()
            .Bind(configuration.GetSection(CatalogOptions.Section))
            .Configure(o => o.Schedule = configuration[CatalogOptions.ScheduleSetting])
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<CatalogOptions>, CatalogOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<CatalogRefresher>();
        services.AddSingleton<CatalogReader>();
        return services;
    }
}
