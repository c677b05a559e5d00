using System.Globalization;
using Azure;
using Azure.Data.Tables;
using FlexFunctions.Shared.Observability;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlexFunctions.Shared.Retention;

/// <summary>How a cleanup run ended.</summary>
public enum CleanupOutcome
{
    Running,

    /// <summary>Every table was swept; the next run starts again from the first.</summary>
    Completed,

    /// <summary>The run reached its row or time budget; the next run resumes where it stopped.</summary>
    Paused,

    /// <summary>Storage failed part way; the next run resumes from the last point recorded.</summary>
    Failed,
}

/// <summary>One cleanup run as recorded in the cleanup table.</summary>
public sealed record CleanupRun
{
    public required string RunId { get; init; }
    public DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset? EndedAt { get; init; }
    public CleanupOutcome Outcome { get; init; }

    /// <summary>Where the run began: the table (setting name) and partition a previous run stopped at, or null for a fresh pass.</summary>
    public string? ResumedFrom { get; init; }

    /// <summary>Where the run stopped, when it did not complete; the next run starts there.</summary>
    public string? StoppedAt { get; init; }

    /// <summary>Rows deleted per table, by its setting name (<c>RateLimits</c>, <c>Idempotency</c>, ...).</summary>
    public IReadOnlyDictionary<string, long> Deleted { get; init; } = new Dictionary<string, long>();

    /// <summary>Data Protection keys re-sealed with the current key ring secret (written before sealing, or under an older secret).</summary>
    public long Resealed { get; init; }

    public long Scanned { get; init; }

    public string? Error { get; init; }

    public long TotalDeleted => Deleted.Values.Sum();
}

/// <summary>
/// Deletes expired rows from every table the app writes, off the hot path (a timer), in entity group transactions of up to
/// 100 rows of one partition, each delete conditional on the row not having changed since it was read. A run is bounded
/// (<see cref="StorageCleanupOptions.MaxRowsPerRun"/>, <see cref="StorageCleanupOptions.MaxRunDuration"/>) and records
/// where it is after every page, so a run stopped by its budget, a crash or an outage is resumed by the next one; each run
/// is a row in the cleanup table with what it deleted per table.
/// </summary>
public sealed partial class StorageCleanup
{
    private const int PageSize = 1000;
    private const int BatchSize = 100;
    private const string RunPartition = "run";
    private const string StatePartition = "state";
    private const string CursorRow = "cursor";

    private readonly TableServiceClient _tables;
    private readonly CleanupSweeps _sweeps;
    private readonly IOptions<StorageCleanupOptions> _options;
    private readonly TimeProvider _time;
    private readonly FlexTelemetry _telemetry;
    private readonly ILogger<StorageCleanup> _logger;

    public StorageCleanup(TableServiceClient tables, CleanupSweeps sweeps, IOptions<StorageCleanupOptions> options, TimeProvider time, FlexTelemetry telemetry, ILogger<StorageCleanup> logger)
    {
        _tables = tables;
        _sweeps = sweeps;
        _options = options;
        _time = time;
        _telemetry = telemetry;
        _logger = logger;
    }

    /// <summary>One run: resumes where the last one stopped, sweeps until done or out of budget, and records itself.</summary>
    public async Task<CleanupRun> RunAsync(CancellationToken cancellationToken = default)
    {
        var runs = _tables.GetTableClient(_sweeps.CleanupTable);
        await runs.CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
        var started = _time.GetUtcNow();
        var runId = (DateTimeOffset.MaxValue.UtcTicks - started.UtcTicks).ToString("D19", CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..8];
        var cursor = await ReadCursorAsync(runs, cancellationToken).ConfigureAwait(false);
        var sweeps = _sweeps.For(started);
        var startAt = sweeps.FindIndex(s => s.Name == cursor.Table);
        if (startAt < 0)
        {
            // No resume point, or one in a table no longer swept (the key ring table unset since): a fresh pass.
            (startAt, cursor) = (0, (null, null));
        }

        var resumedFrom = cursor.Table is null ? null : cursor.Table + (cursor.Partition is null ? "" : "/" + cursor.Partition);
        var run = new CleanupRun { RunId = runId, StartedAt = started, Outcome = CleanupOutcome.Running, ResumedFrom = resumedFrom };
        await SaveRunAsync(runs, run, cancellationToken).ConfigureAwait(false);

        var budget = new Budget(_options.Value.MaxRowsPerRun, _options.Value.MaxRunDuration, _time);
        var deleted = sweeps.ToDictionary(s => s.Name, _ => 0L, StringComparer.Ordinal);
        var progress = new Progress();
        using var activity = FlexTelemetry.Source.StartActivity("StorageCleanup");
        try
        {
            for (var i = startAt; i < sweeps.Count; i++)
            {
                var sweep = sweeps[i];
                var from = i == startAt ? cursor.Partition : null;
                var stoppedAt = await SweepAsync(runs, sweep, from, budget, progress, cancellationToken).ConfigureAwait(false);
                deleted[sweep.Name] = progress.TakeDeleted();
                if (stoppedAt is not null || (budget.Exhausted && i + 1 < sweeps.Count))
                {
                    var next = stoppedAt is not null ? (sweep.Name, stoppedAt.Partition) : (sweeps[i + 1].Name, (string?)null);
                    await SaveCursorAsync(runs, next.Item1, next.Item2, cancellationToken).ConfigureAwait(false);
                    run = run with { Outcome = CleanupOutcome.Paused, StoppedAt = next.Item1 + (next.Item2 is null ? "" : "/" + next.Item2) };
                    break;
                }
            }

            if (run.Outcome == CleanupOutcome.Running)
            {
                await SaveCursorAsync(runs, null, null, cancellationToken).ConfigureAwait(false);
                run = run with { Outcome = CleanupOutcome.Completed };
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            run = run with { Outcome = CleanupOutcome.Failed, Error = Dependencies.DependencyOutage.Describe(ex) };
            throw;
        }
        finally
        {
            run = run with { EndedAt = _time.GetUtcNow(), Deleted = deleted.Where(d => d.Value > 0).ToDictionary(), Resealed = progress.Resealed, Scanned = progress.Scanned };
            await RecordAsync(runs, run).ConfigureAwait(false);
        }

        return run;
    }

    /// <summary>The latest runs, newest first.</summary>
    public async Task<IReadOnlyList<CleanupRun>> RecentRunsAsync(int count, CancellationToken cancellationToken = default)
    {
        var runs = _tables.GetTableClient(_sweeps.CleanupTable);
        var list = new List<CleanupRun>();
        try
        {
            await foreach (var row in runs.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {RunPartition}"), maxPerPage: count, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                list.Add(FromEntity(row));
                if (list.Count >= count)
                {
                    break;
                }
            }
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // No run yet.
        }

        return list;
    }

    /// <summary>Sweeps one table from <paramref name="from"/>; returns where it stopped when the budget ran out, else null.</summary>
    private async Task<Stop?> SweepAsync(TableClient runs, TableSweep sweep, string? from, Budget budget, Progress progress, CancellationToken cancellationToken)
    {
        if (sweep.Custom is { } custom)
        {
            var (deletedRows, resealed) = await custom(budget.Remaining, cancellationToken).ConfigureAwait(false);
            progress.Add(deletedRows, deletedRows);
            budget.Spend(deletedRows);
            progress.Resealed += resealed;
            return null;
        }

        var table = _tables.GetTableClient(sweep.Table!);
        var filter = from is null ? sweep.Filter! : $"({sweep.Filter}) and {TableClient.CreateQueryFilter($"PartitionKey ge {from}")}";
        try
        {
            var keep = sweep.Keep is null ? [] : await sweep.Keep(table, cancellationToken).ConfigureAwait(false);
            long sinceSaved = 0;
            await foreach (var page in table.QueryAsync<TableEntity>(filter, PageSize, ["PartitionKey", "RowKey"], cancellationToken).AsPages(pageSizeHint: PageSize).ConfigureAwait(false))
            {
                progress.Scanned += page.Values.Count;
                foreach (var partition in page.Values.Where(r => !keep.Contains((r.PartitionKey, r.RowKey))).GroupBy(r => r.PartitionKey, StringComparer.Ordinal))
                {
                    if (budget.Exhausted)
                    {
                        return new Stop(partition.Key);
                    }

                    if (sweep.PartitionIsQuiet is { } quiet && !await quiet(table, partition.Key, cancellationToken).ConfigureAwait(false))
                    {
                        continue; // something in it is still live: the partition's rows go together, later
                    }

                    var rows = partition.Take(budget.Remaining).ToList();
                    var gone = await DeleteAsync(table, rows, cancellationToken).ConfigureAwait(false);
                    progress.Add(gone, 0);
                    budget.Spend(rows.Count);
                    if (rows.Count < partition.Count())
                    {
                        return new Stop(partition.Key);
                    }

                    // Resumable from the next partition; written once per batch's worth of deletes, not per partition
                    // (a limit counter is a partition of its own).
                    sinceSaved += gone;
                    if (sinceSaved >= BatchSize)
                    {
                        await SaveCursorAsync(runs, sweep.Name, NextAfter(partition.Key), cancellationToken).ConfigureAwait(false);
                        sinceSaved = 0;
                    }
                }

                if (page.ContinuationToken is null)
                {
                    break;
                }

                // Resumable from here: rows before this partition are done (it is swept again, harmlessly, if a run stops in it).
                if (page.Values.Count > 0)
                {
                    await SaveCursorAsync(runs, sweep.Name, page.Values[^1].PartitionKey, cancellationToken).ConfigureAwait(false);
                }

                if (budget.Exhausted)
                {
                    return new Stop(page.Values.Count > 0 ? page.Values[^1].PartitionKey : from);
                }
            }
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // The table was never created: nothing to delete.
        }

        return null;
    }

    /// <summary>
    /// A bound just past <paramref name="partition"/> for a resumed run's <c>ge</c>: keys hold no control characters,
    /// so nothing sorts between a key and the key followed by a space.
    /// </summary>
    private static string NextAfter(string partition) => partition + " ";

    /// <summary>Deletes rows of one partition in transactions of up to 100; a row changed since it was read is left alone.</summary>
    private static async Task<long> DeleteAsync(TableClient table, IReadOnlyList<TableEntity> rows, CancellationToken cancellationToken)
    {
        long deleted = 0;
        foreach (var batch in rows.Chunk(BatchSize))
        {
            try
            {
                await table.SubmitTransactionAsync(batch.Select(r => new TableTransactionAction(TableTransactionActionType.Delete, r, r.ETag)), cancellationToken).ConfigureAwait(false);
                deleted += batch.Length;
            }
            catch (TableTransactionFailedException)
            {
                // One row was written (or deleted) since we read it, which fails the whole transaction: one by one, then.
                foreach (var row in batch)
                {
                    try
                    {
                        await table.DeleteEntityAsync(row.PartitionKey, row.RowKey, row.ETag, cancellationToken).ConfigureAwait(false);
                        deleted++;
                    }
                    catch (RequestFailedException ex) when (ex.Status is 404 or 412)
                    {
                        // Gone already, or in use again: not ours to delete.
                    }
                }
            }
        }

        return deleted;
    }

    private static async Task<(string? Table, string? Partition)> ReadCursorAsync(TableClient runs, CancellationToken cancellationToken)
    {
        var row = await runs.GetEntityIfExistsAsync<TableEntity>(StatePartition, CursorRow, cancellationToken: cancellationToken).ConfigureAwait(false);
        return row.HasValue && row.Value is { } cursor ? (cursor.GetString("Table"), cursor.GetString("Partition")) : (null, null);
    }

    private static Task SaveCursorAsync(TableClient runs, string? table, string? partition, CancellationToken cancellationToken) =>
        runs.UpsertEntityAsync(new TableEntity(StatePartition, CursorRow) { ["Table"] = table, ["Partition"] = partition }, TableUpdateMode.Replace, cancellationToken);

    private static Task SaveRunAsync(TableClient runs, CleanupRun run, CancellationToken cancellationToken) =>
        runs.UpsertEntityAsync(ToEntity(run), TableUpdateMode.Replace, cancellationToken);

    /// <summary>Writes the run's record and says what it did; a record that cannot be written is logged, not thrown over the run's own outcome.</summary>
    private async Task RecordAsync(TableClient runs, CleanupRun run)
    {
        foreach (var (table, count) in run.Deleted)
        {
            _telemetry.CleanupDeleted.Add(count, new KeyValuePair<string, object?>("table", table));
        }

        _telemetry.CleanupRuns.Add(1, new KeyValuePair<string, object?>("outcome", run.Outcome.ToString()));
        LogRun(_logger, run.RunId, run.Outcome, run.TotalDeleted, string.Join(", ", run.Deleted.Select(d => $"{d.Key} {d.Value}")), run.Resealed, run.StoppedAt ?? "-");
        try
        {
            await SaveRunAsync(runs, run, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (Dependencies.DependencyOutage.Is(ex))
        {
            LogNotRecorded(_logger, run.RunId, Dependencies.DependencyOutage.Describe(ex));
        }
    }

    private static TableEntity ToEntity(CleanupRun run)
    {
        var row = new TableEntity(RunPartition, run.RunId)
        {
            ["StartedAt"] = run.StartedAt,
            ["EndedAt"] = run.EndedAt,
            ["Outcome"] = run.Outcome.ToString(),
            ["ResumedFrom"] = run.ResumedFrom,
            ["StoppedAt"] = run.StoppedAt,
            ["Scanned"] = run.Scanned,
            ["Resealed"] = run.Resealed,
            ["TotalDeleted"] = run.TotalDeleted,
            ["Error"] = run.Error,
        };
        foreach (var (table, count) in run.Deleted)
        {
            row["Deleted_" + table] = count;
        }

        return row;
    }

    private static CleanupRun FromEntity(TableEntity row) => new()
    {
        RunId = row.RowKey,
        StartedAt = row.GetDateTimeOffset("StartedAt") ?? default,
        EndedAt = row.GetDateTimeOffset("EndedAt"),
        Outcome = Enum.TryParse<CleanupOutcome>(row.GetString("Outcome"), out var outcome) ? outcome : CleanupOutcome.Failed,
        ResumedFrom = row.GetString("ResumedFrom"),
        StoppedAt = row.GetString("StoppedAt"),
        Scanned = row.GetInt64("Scanned") ?? 0,
        Resealed = row.GetInt64("Resealed") ?? 0,
        Error = row.GetString("Error"),
        Deleted = row.Keys.Where(k => k.StartsWith("Deleted_", StringComparison.Ordinal)).ToDictionary(k => k["Deleted_".Length..], k => row.GetInt64(k) ?? 0),
    };

    private sealed record Stop(string? Partition);

    /// <summary>What a run may still do: rows left and time left.</summary>
    private sealed class Budget(int rows, TimeSpan duration, TimeProvider time)
    {
        private readonly long _started = time.GetTimestamp();
        private int _rows = rows;

        public int Remaining => Math.Max(0, _rows);

        public bool Exhausted => _rows <= 0 || time.GetElapsedTime(_started) >= duration;

        public void Spend(long count) => _rows -= (int)Math.Min(count, int.MaxValue);
    }

    private sealed class Progress
    {
        private long _deleted;

        public long Scanned { get; set; }

        public long Resealed { get; set; }

        public void Add(long deleted, long scanned)
        {
            _deleted += deleted;
            Scanned += scanned;
        }

        public long TakeDeleted()
        {
            var taken = _deleted;
            _deleted = 0;
            return taken;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Storage cleanup {RunId} {Outcome}: {Deleted} rows deleted ({PerTable}); {Resealed} keys re-sealed; stopped at {StoppedAt}")]
    private static partial void LogRun(ILogger logger, string runId, CleanupOutcome outcome, long deleted, string perTable, long resealed, string stoppedAt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Storage cleanup {RunId} could not record its run ({Failure})")]
    private static partial void LogNotRecorded(ILogger logger, string runId, string failure);
}
