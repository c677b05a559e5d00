using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace FlexFunctions.Shared.Observability;

/// <summary>
/// The app's own trace source and metric instruments. Tags carry operation names, statuses and outcomes only:
/// never an identifier a customer typed, a token, a key or an amount.
/// </summary>
public sealed class FlexTelemetry : IDisposable
{
    /// <summary>Name of the <see cref="ActivitySource"/> and <see cref="Meter"/>; the OpenTelemetry setup listens to it.</summary>
    public const string Name = "FlexFunctions";

    /// <summary>Spans for FlexShopper calls and the app's own units of work.</summary>
    public static readonly ActivitySource Source = new(Name);

    private readonly Meter _meter;

    public FlexTelemetry(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        // From the factory, so each service provider (each test) has its own instruments.
        _meter = meters.Create(Name);
        FlexShopperDuration = _meter.CreateHistogram<double>("flexshopper.client.duration", "s",
            "Time for one FlexShopper call, key lookup, retries and reading the answer included.");
        FlexShopperCalls = _meter.CreateCounter<long>("flexshopper.client.calls", "{call}", "FlexShopper calls by operation and outcome.");
        Confirmations = _meter.CreateCounter<long>("flexfunctions.confirmations", "{event}",
            "Warehouse event deliveries by outcome: confirmed, duplicate, already_applied, deferred, rejected, transient, poisoned.");
        ConfirmationsReplayed = _meter.CreateCounter<long>("flexfunctions.confirmations.replayed", "{event}", "Failed warehouse events put back on the queue by an operator.");
        CatalogRefreshes = _meter.CreateCounter<long>("flexfunctions.catalog.refreshes", "{run}", "Catalog refresh runs by outcome: Succeeded, Failed, busy.");
        CatalogProducts = _meter.CreateCounter<long>("flexfunctions.catalog.products", "{product}", "Products inserted, updated or deleted by catalog refreshes.");
        AbuseLimitRejections = _meter.CreateCounter<long>("flexfunctions.abuse_limits.rejections", "{request}",
            "Login requests refused by an abuse limit, by kind and scope (customer, ip, lockout).");
        CleanupDeleted = _meter.CreateCounter<long>("flexfunctions.cleanup.deleted", "{row}", "Expired rows the storage cleanup deleted, by table.");
        CleanupRuns = _meter.CreateCounter<long>("flexfunctions.cleanup.runs", "{run}", "Storage cleanup runs by outcome: Completed, Paused, Failed.");
    }

    public Histogram<double> FlexShopperDuration { get; }

    public Counter<long> FlexShopperCalls { get; }

    public Counter<long> Confirmations { get; }

    public Counter<long> ConfirmationsReplayed { get; }

    public Counter<long> CatalogRefreshes { get; }

    public Counter<long> CatalogProducts { get; }

    public Counter<long> AbuseLimitRejections { get; }

    public Counter<long> CleanupDeleted { get; }

    public Counter<long> CleanupRuns { get; }

    /// <summary>Counts one warehouse delivery's outcome.</summary>
    public void RecordConfirmation(string outcome) =>
        Confirmations.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    /// <summary>Counts one catalog refresh run and the products it changed.</summary>
    public void RecordCatalogRefresh(string outcome, long products)
    {
        var tag = new KeyValuePair<string, object?>("outcome", outcome);
        CatalogRefreshes.Add(1, tag);
        if (products > 0)
        {
            CatalogProducts.Add(products, tag);
        }
    }

    public void Dispose() => _meter.Dispose();
}
