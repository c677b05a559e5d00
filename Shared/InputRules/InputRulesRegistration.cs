using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FlexFunctions.Shared.InputRules;

public static class InputRulesRegistration
{
    /// <summary>The order bounds every input check uses, validated at start-up.</summary>
    public static IServiceCollection AddInputRules(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<OrderLimitsOptions>().Bind(configuration.GetSection(OrderLimitsOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<OrderLimitsOptions>, OrderLimitsOptionsValidator>();
        return services;
    }
}
