using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace FlexFunctions.Shared.Retention;

/// <summary>
/// Settings under <c>Retention</c>: how long each table keeps a row after its last use before the storage cleanup
/// deletes it. Each default keeps what correctness needs (README, "Data retention" says why); start-up refuses a value
/// below what the table's own rules rely on.
/// </summary>
public sealed class RetentionOptions
{
    public const string Section = "Retention";

    /// <summary>A settled <c>Idempotency-Key</c> outcome (replayed to a repeat for 24 hours): kept this long after it settled.</summary>
    [Range(typeof(TimeSpan), "1.00:00:00", "365.00:00:00")]
    public TimeSpan Idempotency { get; set; } = TimeSpan.FromDays(1);

    /// <summary>
    /// A key whose outcome is unknown (or whose attempt died): kept this long after its last attempt. Only a retry carrying
    /// the same customer session can settle a customer step, so this outlives the longest session
    /// (<c>CustomerSession__Lifetime</c>, at most 7 days); sign-up cannot be repeated at FlexShopper anyway.
    /// </summary>
    [Range(typeof(TimeSpan), "1.00:00:00", "365.00:00:00")]
    public TimeSpan IdempotencyUnknown { get; set; } = TimeSpan.FromDays(8);

    /// <summary>A transaction's ledger rows: all kept until the transaction has had no event for this long.</summary>
    [Range(typeof(TimeSpan), "30.00:00:00", "3650.00:00:00")]
    public TimeSpan ConfirmationLedger { get; set; } = TimeSpan.FromDays(400);

    /// <summary>A failed, poisoned, review or skipped event: kept this long after it was last recorded.</summary>
    [Range(typeof(TimeSpan), "7.00:00:00", "3650.00:00:00")]
    public TimeSpan FailedEvents { get; set; } = TimeSpan.FromDays(90);

    /// <summary>An abuse-limit counter or a customer's login row: kept this long after its window (or lockout) began.</summary>
    [Range(typeof(TimeSpan), "01:00:00", "30.00:00:00")]
    public TimeSpan RateLimits { get; set; } = TimeSpan.FromDays(1);

    /// <summary>A catalog refresh run's row (the newest run, the lock and the catalog's state are never deleted).</summary>
    [Range(typeof(TimeSpan), "1.00:00:00", "3650.00:00:00")]
    public TimeSpan CatalogRuns { get; set; } = TimeSpan.FromDays(30);

    /// <summary>A store platform's delivery id: kept at least as long as deliveries are deduplicated (72 hours).</summary>
    [Range(typeof(TimeSpan), "3.00:00:00", "365.00:00:00")]
    public TimeSpan PlatformDeliveries { get; set; } = TimeSpan.FromDays(3);

    /// <summary>What Shopify's order webhooks taught about an order: kept this long after it was last learned.</summary>
    [Range(typeof(TimeSpan), "30.00:00:00", "3650.00:00:00")]
    public TimeSpan ShopifyOrders { get; set; } = TimeSpan.FromDays(400);

    /// <summary>A Data Protection key: kept this long after it expired (at least the longest a session it sealed lives).</summary>
    [Range(typeof(TimeSpan), "00:01:00", "3650.00:00:00")]
    public TimeSpan KeyRing { get; set; } = TimeSpan.FromDays(14);

    /// <summary>The storage cleanup's own run records.</summary>
    [Range(typeof(TimeSpan), "1.00:00:00", "3650.00:00:00")]
    public TimeSpan CleanupRuns { get; set; } = TimeSpan.FromDays(30);
}

/// <summary>Settings under <c>StorageCleanup</c>, plus the timer's <c>StorageCleanupSchedule</c>: how much one run may do.</summary>
public sealed class StorageCleanupOptions
{
    public const string Section = "StorageCleanup";

    /// <summary>The app setting the timer trigger reads as <c>%StorageCleanupSchedule%</c>.</summary>
    public const string ScheduleSetting = "StorageCleanupSchedule";

    /// <summary>Six-field NCRONTAB in UTC, e.g. <c>0 30 * * * *</c> (hourly, at half past).</summary>
    [Required(ErrorMessage = "Set StorageCleanupSchedule to a six-field UTC NCRONTAB expression, e.g. '0 30 * * * *'.")]
    [RegularExpression(@"^\s*\S+(\s+\S+){5}\s*$", ErrorMessage = "StorageCleanupSchedule must be a six-field NCRONTAB expression (seconds minutes hours day month day-of-week), e.g. '0 30 * * * *'.")]
    public string? Schedule { get; internal set; }

    /// <summary>Most rows one run deletes; the next run resumes where this one stopped.</summary>
    [Range(1, 1_000_000)]
    public int MaxRowsPerRun { get; set; } = 50_000;

    /// <summary>Longest one run works (kept under the host's 5-minute function timeout); the next run resumes.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:04:30")]
    public TimeSpan MaxRunDuration { get; set; } = TimeSpan.FromMinutes(4);
}

[OptionsValidator]
internal sealed partial class RetentionOptionsValidator : IValidateOptions<RetentionOptions>;

[OptionsValidator]
internal sealed partial class StorageCleanupOptionsValidator : IValidateOptions<StorageCleanupOptions>;
