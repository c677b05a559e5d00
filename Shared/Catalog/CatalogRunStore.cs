using System.Globalization;
using Azure;
using Azure.Data.Tables;

namespace FlexFunctions.Shared.Catalog;

/// <summary>
/// The runs table: one row per run (partition <c>run</c>, newest first), the run lock (<c>lock</c>/<c>refresh</c>)
/// and the catalog's state (<c>state</c>/<c>catalog</c>: last success and the cached lease settings).
/// </summary>
internal sealed class CatalogRunStore(TableClient table)
{
    private const string RunPartition = "run";
    private const string LockPartition = "lock";
    private const string LockRow = "refresh";
    private const string StatePartition = "state";
    private const string StateRow = "catalog";

    public TableClient Table { get; } = table;

    /// <summary>Row keys sort newest first: inverted start ticks, then a random suffix.</summary>
    public static string NewRunId(DateTimeOffset startedAt) =>
        (DateTimeOffset.MaxValue.UtcTicks - startedAt.UtcTicks).ToString("D19", CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>Claims the lock for <paramref name="runId"/>, or returns null when another unexpired run holds it.</summary>
    public async Task<RunLock?> TryClaimAsync(string runId, DateTimeOffset now, TimeSpan duration, CancellationToken cancellationToken)
    {
        var entity = new TableEntity(LockPartition, LockRow) { ["RunId"] = runId, ["ExpiresAt"] = now + duration };
        var existing = await Table.GetEntityIfExistsAsync<TableEntity>(LockPartition, LockRow, cancellationToken: cancellationToken).ConfigureAwait(false);
        try
        {
            Response response;
            string? takenFrom = null;
            if (!existing.HasValue || existing.Value is null)
            {
                response = await Table.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                var held = existing.Value;
                if (held.GetDateTimeOffset("ExpiresAt") is { } expires && expires > now)
                {
                    return null;
                }

                takenFrom = held.GetString("RunId");
                response = await Table.UpdateEntityAsync(entity, held.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            }

            return new RunLock(runId, response.Headers.ETag ?? ETag.All, takenFrom);
        }
        catch (RequestFailedException ex) when (ex.Status is 409 or 412)
        {
            return null; // another instance claimed it between our read and our write
        }
    }

    /// <summary>Extends the lock; false when it was lost (expired and taken over).</summary>
    public async Task<bool> TryRenewAsync(RunLock held, DateTimeOffset now, TimeSpan duration, CancellationToken cancellationToken)
    {
        var entity = new TableEntity(LockPartition, LockRow) { ["RunId"] = held.RunId, ["ExpiresAt"] = now + duration };
        try
        {
            var response = await Table.UpdateEntityAsync(entity, held.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            held.ETag = response.Headers.ETag ?? ETag.All;
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status is 404 or 412)
        {
            return false;
        }
    }

    public async Task ReleaseAsync(RunLock held)
    {
        try
        {
            // Not cancellable: a cancelled run must still free the lock for the next one.
            await Table.DeleteEntityAsync(LockPartition, LockRow, held.ETag, CancellationToken.None).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status is 404 or 412)
        {
            // Already expired and taken over: nothing of ours to release.
        }
    }

    public async Task<bool> IsLockedAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var existing = await Table.GetEntityIfExistsAsync<TableEntity>(LockPartition, LockRow, cancellationToken: cancellationToken).ConfigureAwait(false);
        return existing.HasValue && existing.Value?.GetDateTimeOffset("ExpiresAt") is { } expires && expires > now;
    }

    public Task SaveRunAsync(CatalogRun run, CancellationToken cancellationToken) =>
        Table.UpsertEntityAsync(ToEntity(run), TableUpdateMode.Replace, cancellationToken);

    /// <summary>Marks a run whose lock expired while it was still <c>Running</c> as abandoned.</summary>
    public async Task MarkAbandonedAsync(string runId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var existing = await Table.GetEntityIfExistsAsync<TableEntity>(RunPartition, runId, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (existing.HasValue && existing.Value is { } row && row.GetString("Outcome") == nameof(RunOutcome.Running))
        {
            row["Outcome"] = nameof(RunOutcome.Abandoned);
            row["EndedAt"] = now;
            row["Error"] = "The run's lock expired before it finished (the process stopped); a later run took over.";
            await Table.UpdateEntityAsync(row, row.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<CatalogRun?> LatestRunAsync(CancellationToken cancellationToken)
    {
        await foreach (var row in Table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {RunPartition}"), maxPerPage: 1, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            return FromEntity(row);
        }

        return null;
    }

    public async Task<CatalogRun?> GetRunAsync(string runId, CancellationToken cancellationToken)
    {
        var existing = await Table.GetEntityIfExistsAsync<TableEntity>(RunPartition, runId, cancellationToken: cancellationToken).ConfigureAwait(false);
        return existing.HasValue && existing.Value is { } row ? FromEntity(row) : null;
    }

    public Task SaveStateAsync(CatalogRun run, long productCount, decimal minimumOrderValue, CancellationToken cancellationToken) =>
        Table.UpsertEntityAsync(new TableEntity(StatePartition, StateRow)
        {
            ["LastSuccessfulRunId"] = run.RunId,
            ["LastSuccessfulRefreshAt"] = run.EndedAt,
            ["ProductCount"] = productCount,
            // Tables have no decimal: money is kept as invariant text so no cent is lost to a double.
            ["MinimumOrderValue"] = minimumOrderValue.ToString(CultureInfo.InvariantCulture),
        }, TableUpdateMode.Replace, cancellationToken);

    public async Task<TableEntity?> GetStateAsync(CancellationToken cancellationToken)
    {
        var existing = await Table.GetEntityIfExistsAsync<TableEntity>(StatePartition, StateRow, cancellationToken: cancellationToken).ConfigureAwait(false);
        return existing.HasValue ? existing.Value : null;
    }

    private static TableEntity ToEntity(CatalogRun run) => new(RunPartition, run.RunId)
    {
        ["Trigger"] = run.Trigger,
        ["StartedAt"] = run.StartedAt,
        ["EndedAt"] = run.EndedAt,
        ["Outcome"] = run.Outcome.ToString(),
        ["Pages"] = run.Pages,
        ["Seen"] = run.Seen,
        ["Inserted"] = run.Inserted,
        ["Updated"] = run.Updated,
        ["Deleted"] = run.Deleted,
        ["Unchanged"] = run.Unchanged,
        ["Skipped"] = run.Skipped,
        ["Error"] = run.Error,
    };

    internal static CatalogRun FromEntity(TableEntity row) => new()
    {
        RunId = row.RowKey,
        Trigger = row.GetString("Trigger") ?? "unknown",
        StartedAt = row.GetDateTimeOffset("StartedAt") ?? row.Timestamp ?? DateTimeOffset.MinValue,
        EndedAt = row.GetDateTimeOffset("EndedAt"),
        Outcome = Enum.TryParse<RunOutcome>(row.GetString("Outcome"), out var outcome) ? outcome : RunOutcome.Failed,
        Pages = row.GetInt32("Pages") ?? 0,
        Seen = row.GetInt64("Seen") ?? 0,
        Inserted = row.GetInt64("Inserted") ?? 0,
        Updated = row.GetInt64("Updated") ?? 0,
        Deleted = row.GetInt64("Deleted") ?? 0,
        Unchanged = row.GetInt64("Unchanged") ?? 0,
        Skipped = row.GetInt64("Skipped") ?? 0,
        Error = row.GetString("Error"),
    };
}

/// <summary>A held run lock; its ETag moves on with each renewal.</summary>
internal sealed class RunLock(string runId, ETag etag, string? takenFrom)
{
    public string RunId { get; } = runId;
    public ETag ETag { get; set; } = etag;

    /// <summary>The run whose expired lock this one replaced, if any.</summary>
    public string? TakenFrom { get; } = takenFrom;
}
