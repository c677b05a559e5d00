using FlexFunctions.Shared.Confirmations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace FlexFunctions.Shared.StorePlatforms;

[OptionsValidator]
internal sealed partial class ShopifyOptionsValidator : IValidateOptions<ShopifyOptions>;

[OptionsValidator]
internal sealed partial class WooCommerceOptionsValidator : IValidateOptions<WooCommerceOptions>;

internal static class StorePlatformsRegistration
{
    /// <summary>Shopify, WooCommerce and Standard Webhooks deliveries onto the warehouse queue.</summary>
    public static IServiceCollection AddStorePlatforms(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ShopifyOptions>().Bind(configuration.GetSection(ShopifyOptions.Section))
            .Validate(o => ShopifyTranslator.Source(o.TransactionId) is not null, ShopifyTranslator.SourceError)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<ShopifyOptions>, ShopifyOptionsValidator>();
        services.AddOptions<WooCommerceOptions>().Bind(configuration.GetSection(WooCommerceOptions.Section))
            .Validate(o => WooCommerceTranslator.Source(o.TransactionId) is not null, WooCommerceTranslator.SourceError)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<WooCommerceOptions>, WooCommerceOptionsValidator>();

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<DeliveryLog>();
        services.TryAddSingleton<ShopifyOrderIndex>();
        services.TryAddSingleton<ShopifyTranslator>();
        services.TryAddSingleton<WooCommerceTranslator>();
        services.TryAddSingleton<PlatformEventSink>();
        services.AddSingleton<IFailedEventTranslator>(sp => sp.GetRequiredService<PlatformEventSink>());
        services.TryAddSingleton<PlatformIntake>();
        return services;
    }
}
