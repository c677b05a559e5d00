using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace FlexFunctions.Shared.AbuseLimits;

[OptionsValidator]
internal sealed partial class AbuseLimitsOptionsValidator : IValidateOptions<AbuseLimitsOptions>;

public static class AbuseLimitsRegistration
{
    public static IServiceCollection AddAbuseLimits(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AbuseLimitsOptions>().Bind(configuration.GetSection(AbuseLimitsOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AbuseLimitsOptions>, AbuseLimitsOptionsValidator>();
        // Stryker disable once Statement : KeyedHashing, which the limiter needs, and eight other registrations add the same TimeProvider.System
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IAbuseLimiter, TableAbuseLimiter>();
        return services;
    }
}
