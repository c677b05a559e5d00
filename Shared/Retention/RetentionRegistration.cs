using FlexFunctions.Shared.AbuseLimits;
using FlexFunctions.Shared.CustomerAuth;
using FlexFunctions.Shared.Idempotency;
using FlexFunctions.Shared.StorePlatforms;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace FlexFunctions.Shared.Retention;

internal static class RetentionRegistration
{
    /// <summary>The storage cleanup and its settings, each retention checked against what the table's rules rely on.</summary>
    public static IServiceCollection AddStorageCleanup(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<RetentionOptions>()
            .Bind(configuration.GetSection(RetentionOptions.Section))
            .Validate<IOptions<CustomerSessionOptions>>(
                (r, s) => r.IdempotencyUnknown >= s.Value.Lifetime + TableIdempotencyStore.PendingLease,
                "Retention__IdempotencyUnknown must be at least CustomerSession__Lifetime plus 6 minutes: a retry with the same session must still find a key whose outcome is unknown.")
            .Validate<IOptions<CustomerSessionOptions>>(
                (r, s) => r.KeyRing >= s.Value.Lifetime,
                "Retention__KeyRing must be at least CustomerSession__Lifetime: a key must outlive every session it sealed.")
            .Validate<IOptions<AbuseLimitsOptions>>(
                (r, a) => r.RateLimits >= a.Value.Window + a.Value.LoginAttemptHold + a.Value.LockoutDuration,
                "Retention__RateLimits must be at least AbuseLimits__Window + AbuseLimits__LoginAttemptHold + AbuseLimits__LockoutDuration: a lockout must not be deleted while it holds.")
            .Validate(r => r.IdempotencyUnknown >= r.Idempotency, "Retention__IdempotencyUnknown must be at least Retention__Idempotency.")
            .Validate(r => r.ConfirmationLedger >= r.FailedEvents + TimeSpan.FromDays(7),
                "Retention__ConfirmationLedger must be at least Retention__FailedEvents plus 7 days (a queue message's life): a replayed event must still find its ledger row.")
            .Validate(r => r.PlatformDeliveries >= DeliveryLog.Retention, "Retention__PlatformDeliveries must be at least the 72 hours deliveries are deduplicated.")
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<RetentionOptions>, RetentionOptionsValidator>();
        services.AddOptions<StorageCleanupOptions>()
            .Bind(configuration.GetSection(StorageCleanupOptions.Section))
            .Configure(o => o.Schedule = configuration[StorageCleanupOptions.ScheduleSetting])
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<StorageCleanupOptions>, StorageCleanupOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<KeyRingMaintenance>();
        services.TryAddSingleton<CleanupSweeps>();
        services.TryAddSingleton<StorageCleanup>();
        return services;
    }
}
