using System.Text.Json;
using System.Text.Json.Serialization;

namespace FlexFunctions.Shared.Catalog;

/// <summary>A product as the storefront reads it.</summary>
public sealed record CatalogProduct(string Sku, string? Name, string? Url, DateTimeOffset? UpdatedAt);

/// <summary>One page of the catalog; follow <see cref="ContinuationToken"/> until it is null. A page may be shorter than asked.</summary>
public sealed record CatalogPage(IReadOnlyList<CatalogProduct> Items, string? ContinuationToken);

/// <summary>How a refresh run ended.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RunOutcome>))]
public enum RunOutcome
{
    Running,
    Succeeded,
    Failed,

    /// <summary>Its lock expired without the run finishing (the process died); a later run took over.</summary>
    Abandoned,
}

/// <summary>The record of one refresh run, as stored in the runs table.</summary>
public sealed record CatalogRun
{
    public required string RunId { get; init; }
    public required string Trigger { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset? EndedAt { get; init; }
    public RunOutcome Outcome { get; init; }
    public int Pages { get; init; }
    public long Seen { get; init; }
    public long Inserted { get; init; }
    public long Updated { get; init; }
    public long Deleted { get; init; }
    public long Unchanged { get; init; }

    /// <summary>Products refused (empty or over-long SKU) or repeated within the run.</summary>
    public long Skipped { get; init; }

    /// <summary>Why a failed run failed: the step and the error kind, never a key or a payload.</summary>
    public string? Error { get; init; }
}

/// <summary>What the storefront needs to know about freshness.</summary>
public sealed record CatalogStatus(DateTimeOffset? LastSuccessfulRefreshAt, string? LastSuccessfulRunId, long? ProductCount, CatalogRun? LastRun);

/// <summary>FlexShopper's lease settings, fetched by the refresh and kept with the catalog.</summary>
public sealed record CachedLeaseSettings(decimal MinimumOrderValue, DateTimeOffset RefreshedAt);

/// <summary>What asking for a refresh came to.</summary>
public sealed record RefreshResult(CatalogRun? Run, bool AlreadyRunning)
{
    public static RefreshResult Busy { get; } = new(null, true);

    /// <summary>The run failed because our own storage or Key Vault did (not FlexShopper): worth a 503 and a retry, not a 502.</summary>
    public bool DependencyUnavailable { get; init; }
}

[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(CatalogPage))]
[JsonSerializable(typeof(CatalogProduct))]
[JsonSerializable(typeof(CatalogRun))]
[JsonSerializable(typeof(CatalogStatus))]
[JsonSerializable(typeof(CachedLeaseSettings))]
public sealed partial class CatalogJson : JsonSerializerContext;
