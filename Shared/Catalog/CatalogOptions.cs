using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace FlexFunctions.Shared.Catalog;

/// <summary>Settings under <c>Catalog</c> (<c>Catalog__*</c>), plus the timer's <c>CatalogRefreshSchedule</c>.</summary>
public sealed class CatalogOptions
{
    public const string Section = "Catalog";

    /// <summary>The app setting the timer trigger reads as <c>%CatalogRefreshSchedule%</c>.</summary>
    public const string ScheduleSetting = "CatalogRefreshSchedule";

    /// <summary>Six-field NCRONTAB in UTC (seconds first), e.g. <c>0 0 */6 * * *</c>. Validated here so a typo stops start-up.</summary>
    [Required(ErrorMessage = "Set CatalogRefreshSchedule to a six-field UTC NCRONTAB expression, e.g. '0 0 */6 * * *'.")]
    [RegularExpression(@"^\s*\S+(\s+\S+){5}\s*$", ErrorMessage = "CatalogRefreshSchedule must be a six-field NCRONTAB expression (seconds minutes hours day month day-of-week), e.g. '0 0 */6 * * *'.")]
    public string? Schedule { get; internal set; }

    /// <summary>How long a claimed run lock lasts without renewal; a crashed run blocks others at most this long.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "02:00:00")]
    public TimeSpan LockDuration { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Partitions written at the same time in the write phase (each partition's batches stay sequential).</summary>
    [Range(1, 32)]
    public int WriteConcurrency { get; set; } = 4;

    /// <summary>Get Products pages requested at the same time while paging (pages are still read in order).</summary>
    [Range(1, 16)]
    public int PageConcurrency { get; set; } = 4;

    /// <summary>A safety stop: a run that sees more pages than this fails (and deletes nothing) instead of paging forever.</summary>
    [Range(1, 1_000_000)]
    public int MaxPages { get; set; } = 5_000;

    /// <summary>Where the refresh spills the upstream catalog between its read and write phases; empty = the system temp folder.</summary>
    public string? SpillDirectory { get; set; }
}

[OptionsValidator]
internal sealed partial class CatalogOptionsValidator : IValidateOptions<CatalogOptions>;
