using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace FlexFunctions.Shared.Health;

[OptionsValidator]
internal sealed partial class HealthOptionsValidator : IValidateOptions<HealthOptions>;

public static class HealthRegistration
{
    /// <summary>Tag of the checks the readiness route runs.</summary>
    public const string ReadyTag = "ready";

    public static IServiceCollection AddReadinessChecks(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<HealthOptions>().Bind(configuration.GetSection(HealthOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<HealthOptions>, HealthOptionsValidator>();
        services.AddHealthChecks()
            .AddCheck<KeyVaultCheck>("keyVault", tags: [ReadyTag])
            .AddCheck<TablesCheck>("tables", tags: [ReadyTag])
            .AddCheck<QueuesCheck>("queues", tags: [ReadyTag])
            .AddCheck<FlexShopperCheck>("flexShopper", tags: [ReadyTag]);
        // One short timeout for every check, from settings; a check that overruns is reported unhealthy.
        services.AddOptions<HealthCheckServiceOptions>().Configure<IOptions<HealthOptions>>((checks, health) =>
        {
            foreach (var registration in checks.Registrations)
            {
                registration.Timeout = health.Value.CheckTimeout;
            }
        });
        services.AddSingleton<HealthReporter>();
        return services;
    }
}
