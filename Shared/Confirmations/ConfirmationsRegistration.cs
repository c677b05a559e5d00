using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace FlexFunctions.Shared.Confirmations;

public static class ConfirmationsRegistration
{
    /// <summary>The warehouse feed: reader, ledger, failed-events store, processor and replay.</summary>
    public static IServiceCollection AddWarehouseConfirmations(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ConfirmationsOptions>().Bind(configuration.GetSection(ConfirmationsOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ConfirmationsOptions>, ConfirmationsOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<WarehouseMessageReader>();
        services.AddSingleton<ConfirmationLedger>();
        services.AddSingleton<FailedEventStore>();
        services.AddSingleton<ConfirmationProcessor>();
        services.AddSingleton<PoisonQueues>();
        services.AddSingleton<FailedEventReplayer>();
        return services;
    }
}
