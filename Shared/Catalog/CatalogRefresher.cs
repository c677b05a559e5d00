using System.Globalization;
using Azure.Data.Tables;
using FlexFunctions.Shared.Dependencies;
using FlexFunctions.Shared.FlexShopper;
using FlexFunctions.Shared.FlexShopper.Models;
using FlexFunctions.Shared.Observability;
using FlexFunctions.Shared.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlexFunctions.Shared.Catalog;

/// <summary>
/// Refreshes the FlexShopper catalog into the catalog table. A run (1) claims the run lock, (2) fetches the lease
/// settings and pages Get Products to the first empty page, spilling products to local files, then (3) compares each
/// partition with the table by content hash and writes only what changed, in entity group transactions of up to
/// 100, deleting rows FlexShopper no longer lists. Any failure before (3) leaves the table exactly as it was.
/// </summary>
public sealed partial class CatalogRefresher
{
    private static readonly string[] CompareColumns = ["RowKey", CatalogColumns.Hash];

    private readonly IFlexShopperClient _flexShopper;
    private readonly TableClient _catalog;
    private readonly CatalogRunStore _runs;
    private readonly CatalogOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<CatalogRefresher> _logger;
    private readonly FlexTelemetry _telemetry;
    private readonly TableCreatedOnFirstUse _catalogCreated;
    private readonly TableCreatedOnFirstUse _runsCreated;
    private readonly EntityTransactions _transactions;

    public CatalogRefresher(IFlexShopperClient flexShopper, TableServiceClient tables, EntityTransactions transactions, IOptions<TableNames> names,
        IOptions<CatalogOptions> options, TimeProvider time, ILogger<CatalogRefresher> logger, FlexTelemetry telemetry)
    {
        _transactions = transactions;
        _telemetry = telemetry;
        _flexShopper = flexShopper;
        _catalog = tables.GetTableClient(names.Value.Catalog);
        _runs = new CatalogRunStore(tables.GetTableClient(names.Value.CatalogRuns));
        _catalogCreated = new TableCreatedOnFirstUse(_catalog);
        _runsCreated = new TableCreatedOnFirstUse(_runs.Table);
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    /// <summary>Runs one refresh and records it; returns <see cref="RefreshResult.Busy"/> when another run holds the lock.</summary>
    public async Task<RefreshResult> RunAsync(string trigger, CancellationToken cancellationToken)
    {
        // One span per run, counted by outcome with the products it changed.
        using var activity = FlexTelemetry.Source.StartActivity("CatalogRefresh");
        var result = await RunOnceAsync(trigger, cancellationToken).ConfigureAwait(false);
        var outcome = result.AlreadyRunning ? "busy" : result.Run?.Outcome.ToString() ?? "unknown";
        activity?.SetTag("outcome", outcome);
        _telemetry.RecordCatalogRefresh(outcome, result.Run is { } run ? run.Inserted + run.Updated + run.Deleted : 0);
        return result;
    }

    private async Task<RefreshResult> RunOnceAsync(string trigger, CancellationToken cancellationToken)
    {
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        var startedAt = _time.GetUtcNow();
        var runId = CatalogRunStore.NewRunId(startedAt);
        var held = await _runs.TryClaimAsync(runId, startedAt, _options.LockDuration, cancellationToken).ConfigureAwait(false);
        if (held is null)
        {
            LogBusy(_logger, trigger);
            return RefreshResult.Busy;
        }

        try
        {
            if (held.TakenFrom is { } abandoned)
            {
                LogTakeover(_logger, abandoned, runId);
                await _runs.MarkAbandonedAsync(abandoned, startedAt, cancellationToken).ConfigureAwait(false);
            }

            var run = new CatalogRun { RunId = runId, Trigger = trigger, StartedAt = startedAt, Outcome = RunOutcome.Running };
            await _runs.SaveRunAsync(run, cancellationToken).ConfigureAwait(false);
            LogStarted(_logger, runId, trigger);

            var counters = new Counters();
            var dependencyFailed = false;
            var keeper = new LockKeeper(_runs, held, _options.LockDuration, _time);
            try
            {
                var settings = await RefreshAsync(runId, counters, keeper, cancellationToken).ConfigureAwait(false);
                run = counters.Apply(run) with { Outcome = RunOutcome.Succeeded, EndedAt = _time.GetUtcNow() };
                await _runs.SaveRunAsync(run, cancellationToken).ConfigureAwait(false);
                await _runs.SaveStateAsync(run, run.Inserted + run.Updated + run.Unchanged, settings.MinimumOrderValue, cancellationToken).ConfigureAwait(false);
                LogSucceeded(_logger, runId, run.Pages, run.Seen, run.Inserted, run.Updated, run.Deleted, run.Unchanged, run.Skipped,
                    (run.EndedAt!.Value - startedAt).TotalMilliseconds);
            }
            catch (Exception ex)
            {
                // Every failure is recorded, whatever its type: a run row must never stay 'Running' after we stopped.
                // (With storage down that record fails too; the lock then expires and the outage reaches the caller.)
                var error = Describe(ex, cancellationToken);
                dependencyFailed = OursFailed(ex, cancellationToken);
                run = counters.Apply(run) with { Outcome = RunOutcome.Failed, EndedAt = _time.GetUtcNow(), Error = error };
                // Recorded even when the host is stopping us, so the failure is visible.
                await _runs.SaveRunAsync(run, CancellationToken.None).ConfigureAwait(false);
                LogFailed(_logger, ex.GetType().Name, runId, error);
                if (ex is OperationCanceledException && cancellationToken.IsCancellationRequested)
                {
                    throw;
                }
            }

            return new RefreshResult(run, AlreadyRunning: false) { DependencyUnavailable = dependencyFailed };
        }
        finally
        {
            await _runs.ReleaseAsync(held).ConfigureAwait(false);
        }
    }

    private async Task<LeaseSettings> RefreshAsync(string runId, Counters counters, LockKeeper keeper, CancellationToken cancellationToken)
    {
        // Settings first: if FlexShopper cannot answer them, nothing is touched.
        var settings = await Upstream("GetLeaseSettings", () => _flexShopper.GetLeaseSettingsAsync(cancellationToken)).ConfigureAwait(false);

        using var spill = new CatalogSpill(_options.SpillDirectory, runId);
        var upstreamStarted = _time.GetUtcNow();
        var listed = 0L;
        await using (var pages = new PagePrefetcher(_flexShopper, _options.PageConcurrency, _options.MaxPages + 1, cancellationToken))
        {
            for (var page = 1; ; page++)
            {
                // Pages are consumed in order, so a SKU listed twice still resolves to its later listing.
                var products = (await Upstream($"GetProducts page {page}", () => pages.NextAsync()).ConfigureAwait(false)).Products;
                if (products.Count == 0)
                {
                    break;
                }

                if (page > _options.MaxPages)
                {
                    throw new CatalogRefreshException($"FlexShopper returned more than Catalog__MaxPages ({_options.MaxPages}) pages; nothing was written.");
                }

                counters.Pages++;
                var skipped = 0;
                foreach (var product in products)
                {
                    if (CatalogKeys.Problem(product?.Sku) is not null)
                    {
                        skipped++;
                        continue;
                    }

                    var sku = product!.Sku;
                    listed++;
                    var hash = default(ContentDigest);
                    CatalogKeys.ContentHash(sku, product.Name, product.Url, hash);
                    spill.Write(CatalogKeys.PartitionIndex(sku), new SpilledProduct(sku, product.Name, product.Url, hash));
                }

                if (skipped > 0)
                {
                    counters.Skipped += skipped;
                    LogSkipped(_logger, runId, page, skipped);
                }

                await keeper.KeepAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        spill.Complete();
        if (listed == 0)
        {
            // An empty first page or a reshaped answer would otherwise delete every row: a refresh never empties
            // the catalog. If FlexShopper really lists nothing any more, clear the table by hand.
            throw new CatalogRefreshException($"FlexShopper listed no usable products ({counters.Pages} pages); the catalog was kept as it was.");
        }

        LogUpstreamDone(_logger, runId, counters.Pages, (_time.GetUtcNow() - upstreamStarted).TotalMilliseconds);

        // The upstream pass is complete: only now may rows be written or deleted. An empty table (the first refresh)
        // is seen with one request instead of a query per partition.
        var empty = await IsEmptyAsync(cancellationToken).ConfigureAwait(false);
        await Parallel.ForEachAsync(Enumerable.Range(0, CatalogKeys.PartitionCount),
            new ParallelOptions { MaxDegreeOfParallelism = _options.WriteConcurrency, CancellationToken = cancellationToken },
            async (partition, ct) =>
            {
                await WritePartitionAsync(runId, partition, spill, counters, empty, ct).ConfigureAwait(false);
                await keeper.KeepAsync(ct).ConfigureAwait(false);
            }).ConfigureAwait(false);
        return settings;
    }

    private async Task<bool> IsEmptyAsync(CancellationToken cancellationToken)
    {
        await foreach (var page in _catalog.QueryAsync<TableEntity>(filter: (string?)null, maxPerPage: 1, select: CompareColumns, cancellationToken: cancellationToken)
                           .AsPages().ConfigureAwait(false))
        {
            if (page.Values.Count > 0)
            {
                return false;
            }

            if (page.ContinuationToken is null)
            {
                return true;
            }
        }

        return true;
    }

    private async Task WritePartitionAsync(string runId, int partition, CatalogSpill spill, Counters counters, bool tableEmpty, CancellationToken cancellationToken)
    {
        var partitionKey = CatalogKeys.PartitionName(partition);
        var upstream = new Dictionary<string, SpilledProduct>(StringComparer.Ordinal);
        foreach (var product in spill.Read(partition))
        {
            var rowKey = CatalogKeys.RowKeyFor(product.Sku);
            if (!upstream.TryAdd(rowKey, product))
            {
                upstream[rowKey] = product; // FlexShopper listed the SKU twice: the later listing wins
                Interlocked.Increment(ref counters.Duplicates);
            }
        }

        Interlocked.Add(ref counters.Seen, upstream.Count);
        using var batch = new Batch(_transactions.Begin(_catalog.Name, partitionKey), counters, runId);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {partitionKey}");
        var stored = tableEmpty ? AsyncEnumerable.Empty<TableEntity>()
            : _catalog.QueryAsync<TableEntity>(filter, maxPerPage: 1000, select: CompareColumns, cancellationToken: cancellationToken);
        await foreach (var row in stored.ConfigureAwait(false))
        {
            if (!upstream.Remove(row.RowKey, out var product))
            {
                await batch.DeleteAsync(row.RowKey, cancellationToken).ConfigureAwait(false);
            }
            else if (product.Hash is var hash && CatalogKeys.SameHash(row.GetString(CatalogColumns.Hash), hash))
            {
                Interlocked.Increment(ref counters.Unchanged);
            }
            else
            {
                await batch.UpsertAsync(row.RowKey, product, Change.Update, cancellationToken).ConfigureAwait(false);
            }
        }

        foreach (var (rowKey, product) in upstream)
        {
            await batch.UpsertAsync(rowKey, product, Change.Insert, cancellationToken).ConfigureAwait(false);
        }

        await batch.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task EnsureTablesAsync(CancellationToken cancellationToken)
    {
        await _catalogCreated.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        await _runsCreated.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Names the failing upstream step in the error, so the run row says which page broke.</summary>
    private static async Task<T> Upstream<T>(string step, Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (FlexShopperApiException ex)
        {
            var status = ex.StatusCode is { } s ? ((int)s).ToString(CultureInfo.InvariantCulture) : "no answer";
            throw new CatalogRefreshException($"{step} failed: {ex.Kind} ({status}{(ex.Code is null ? "" : ", code " + ex.Code)}); nothing was written.", ex);
        }
    }

    /// <summary>Our storage, or Key Vault for the API key, failed: not FlexShopper's doing.</summary>
    private static bool OursFailed(Exception ex, CancellationToken cancellationToken) =>
        DependencyOutage.Is(ex, cancellationToken) || ex.InnerException is FlexShopperApiException { Code: FlexShopperApiException.ApiKeyUnavailableCode };

    private static string Describe(Exception ex, CancellationToken cancellationToken) => ex switch
    {
        CatalogRefreshException => ex.Message,
        OperationCanceledException when cancellationToken.IsCancellationRequested => "Cancelled: the host stopped the run.",
        _ when DependencyOutage.Is(ex, cancellationToken) => $"Table storage failed: {DependencyOutage.Describe(ex)}.",
        _ => $"{ex.GetType().Name}: {ex.Message}",
    };

    private enum Change
    {
        Insert,
        Update,
        Delete,
    }

    /// <summary>Run totals, shared by the partitions written in parallel.</summary>
    private sealed class Counters
    {
        public int Pages;
        public long Seen;
        public long Inserted;
        public long Updated;
        public long Deleted;
        public long Unchanged;
        public long Skipped;
        public long Duplicates;

        public CatalogRun Apply(CatalogRun run) => run with
        {
            Pages = Pages,
            Seen = Interlocked.Read(ref Seen),
            Inserted = Interlocked.Read(ref Inserted),
            Updated = Interlocked.Read(ref Updated),
            Deleted = Interlocked.Read(ref Deleted),
            Unchanged = Interlocked.Read(ref Unchanged),
            Skipped = Skipped + Interlocked.Read(ref Duplicates),
        };
    }

    /// <summary>One partition's pending entity group transaction; counts land only once the service accepted it.</summary>
    private sealed class Batch(EntityBatch batch, Counters counters, string runId) : IDisposable
    {
        private int _inserts;
        private int _updates;
        private int _deletes;

        public async Task UpsertAsync(string rowKey, SpilledProduct product, Change change, CancellationToken cancellationToken)
        {
            var entity = batch.BeginUpsert(rowKey);
            entity.WriteString(CatalogColumns.Sku, product.Sku);
            if (product.Name is not null)
            {
                entity.WriteString(CatalogColumns.Name, product.Name);
            }

            if (product.Url is not null)
            {
                entity.WriteString(CatalogColumns.Url, product.Url);
            }

            var hash = product.Hash;
            entity.WriteBase64String(CatalogColumns.Hash, hash); // a string column holding base64, as before
            entity.WriteString(CatalogColumns.RunId, runId);
            batch.EndUpsert();
            _ = change == Change.Insert ? ++_inserts : ++_updates;
            await FlushIfFullAsync(cancellationToken).ConfigureAwait(false);
        }

        public async Task DeleteAsync(string rowKey, CancellationToken cancellationToken)
        {
            batch.Delete(rowKey);
            _deletes++;
            await FlushIfFullAsync(cancellationToken).ConfigureAwait(false);
        }

        public async Task FlushAsync(CancellationToken cancellationToken)
        {
            if (batch.Count == 0)
            {
                return;
            }

            await batch.SendAsync(cancellationToken).ConfigureAwait(false);
            Interlocked.Add(ref counters.Inserted, _inserts);
            Interlocked.Add(ref counters.Updated, _updates);
            Interlocked.Add(ref counters.Deleted, _deletes);
            _inserts = _updates = _deletes = 0;
        }

        public void Dispose() => batch.Dispose();

        private Task FlushIfFullAsync(CancellationToken cancellationToken) => batch.IsFull ? FlushAsync(cancellationToken) : Task.CompletedTask;
    }

    /// <summary>
    /// Get Products with up to <c>Catalog__PageConcurrency</c> pages requested ahead of the one being read, because the
    /// upstream pass is a chain of round trips to FlexShopper. Pages are handed out in order; at most concurrency - 1
    /// pages past the end are asked for, and whatever they answer (an error included) is ignored.
    /// </summary>
    private sealed class PagePrefetcher(IFlexShopperClient flexShopper, int concurrency, int lastPage, CancellationToken cancellationToken) : IAsyncDisposable
    {
        private readonly Queue<Task<ProductPage>> _ahead = new();
        private readonly CancellationTokenSource _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        private int _nextPage = 1;

        public Task<ProductPage> NextAsync()
        {
            while (_ahead.Count < concurrency && _nextPage <= lastPage)
            {
                _ahead.Enqueue(flexShopper.GetProductsAsync(_nextPage++, _stop.Token));
            }

            return _ahead.Dequeue();
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync().ConfigureAwait(false);
            while (_ahead.TryDequeue(out var unread))
            {
                try
                {
                    await unread.ConfigureAwait(false);
                }
                catch (Exception)
                {
                    // A page past the end or after a failure: its answer is not used, so neither is its error.
                }
            }

            _stop.Dispose();
        }
    }

    /// <summary>Renews the run lock once a third of its duration has passed, and stops the run if it was lost.</summary>
    private sealed class LockKeeper(CatalogRunStore runs, RunLock held, TimeSpan duration, TimeProvider time)
    {
        private readonly SemaphoreSlim _gate = new(1, 1);
        private DateTimeOffset _renewedAt = time.GetUtcNow();

        public async Task KeepAsync(CancellationToken cancellationToken)
        {
            if (time.GetUtcNow() - _renewedAt < duration / 3)
            {
                return;
            }

            await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var now = time.GetUtcNow();
                if (now - _renewedAt < duration / 3)
                {
                    return;
                }

                if (!await runs.TryRenewAsync(held, now, duration, cancellationToken).ConfigureAwait(false))
                {
                    throw new CatalogRefreshException("The run lock expired and was taken by another run; this run stopped.");
                }

                _renewedAt = now;
            }
            finally
            {
                _gate.Release();
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Catalog refresh ({Trigger}) not started: another run holds the lock")]
    private static partial void LogBusy(ILogger logger, string trigger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Catalog run {AbandonedRunId} let its lock expire without finishing; run {RunId} takes over")]
    private static partial void LogTakeover(ILogger logger, string abandonedRunId, string runId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Catalog refresh {RunId} started ({Trigger})")]
    private static partial void LogStarted(ILogger logger, string runId, string trigger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Catalog refresh {RunId}: page {Page} had {Count} products with an empty or over-long SKU; they were skipped")]
    private static partial void LogSkipped(ILogger logger, string runId, int page, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Catalog refresh {RunId} read {Pages} pages from FlexShopper in {ElapsedMs:F0} ms; comparing and writing")]
    private static partial void LogUpstreamDone(ILogger logger, string runId, int pages, double elapsedMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "Catalog refresh {RunId} succeeded: {Pages} pages, {Seen} products, {Inserted} inserted, {Updated} updated, {Deleted} deleted, {Unchanged} unchanged, {Skipped} skipped in {ElapsedMs:F0} ms")]
    private static partial void LogSucceeded(ILogger logger, string runId, int pages, long seen, long inserted, long updated, long deleted, long unchanged, long skipped, double elapsedMs);

    [LoggerMessage(Level = LogLevel.Error, Message = "Catalog refresh {RunId} failed ({ErrorType}): {Error}")]
    private static partial void LogFailed(ILogger logger, string errorType, string runId, string error);
}

/// <summary>A refresh stopped for a reason the run row should state in words.</summary>
public sealed class CatalogRefreshException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Column names of the catalog table.</summary>
internal static class CatalogColumns
{
    public const string Sku = "Sku";
    public const string Name = "Name";
    public const string Url = "Url";
    public const string Hash = "Hash";
    public const string RunId = "RunId";
}
