using Azure.Data.Tables;
using FlexFunctions.Shared.CustomerAuth;
using FlexFunctions.Shared.Storage;
using Microsoft.Extensions.Options;

namespace FlexFunctions.Shared.Retention;

/// <summary>
/// One table's rule: a server-side filter selecting its expired rows (by a time the app itself writes on every row, so
/// the rule follows the app's clock), rows it must keep whatever their age, and whether a partition's rows only go all
/// together. <see cref="Custom"/> replaces all that for the key ring, whose expiry lives inside each key's XML.
/// </summary>
public sealed record TableSweep(string Name)
{
    public string? Table { get; init; }

    public string? Filter { get; init; }

    public Func<TableClient, CancellationToken, Task<HashSet<(string, string)>>>? Keep { get; init; }

    public Func<TableClient, string, CancellationToken, Task<bool>>? PartitionIsQuiet { get; init; }

    /// <summary>Gets the rows it may still delete; returns rows deleted and keys re-sealed.</summary>
    public Func<int, CancellationToken, Task<(long Deleted, long Resealed)>>? Custom { get; init; }
}

/// <summary>Every table the app writes, with its retention rule, in the order a cleanup pass sweeps them.</summary>
public sealed class CleanupSweeps(IOptions<TableNames> names, IOptions<RetentionOptions> retention, IOptions<CustomerSessionOptions> sessions, KeyRingMaintenance keyRing)
{
    /// <summary>The cleanup's own table: its run records and the point the next run resumes from.</summary>
    public string CleanupTable => names.Value.StorageCleanup;

    public List<TableSweep> For(DateTimeOffset now)
    {
        var t = names.Value;
        var r = retention.Value;
        var sweeps = new List<TableSweep>
        {
            // A counter is dead once its window, the lockout and any attempt in flight are over (start-up checks the retention covers them).
            new(nameof(TableNames.RateLimits))
            {
                Table = t.RateLimits,
                Filter = TableClient.CreateQueryFilter($"WindowStart lt {now - r.RateLimits} or AttemptsSince lt {now - r.RateLimits}"),
            },
            // Settled outcomes after their replay window; an unknown or dead attempt only once no retry can settle it.
            new(nameof(TableNames.Idempotency))
            {
                Table = t.Idempotency,
                Filter = TableClient.CreateQueryFilter(
                    $"(State eq {"done"} and CompletedAt lt {now - r.Idempotency}) or (State eq {"unknown"} and UnknownSince lt {now - r.IdempotencyUnknown}) or (State eq {"pending"} and StartedAt lt {now - r.IdempotencyUnknown})"),
            },
            new(nameof(TableNames.PlatformDeliveries))
            {
                Table = t.PlatformDeliveries,
                Filter = TableClient.CreateQueryFilter($"ReceivedAt lt {now - r.PlatformDeliveries}"),
            },
            new(nameof(TableNames.FailedEvents))
            {
                Table = t.FailedEvents,
                Filter = TableClient.CreateQueryFilter($"RecordedAt lt {now - r.FailedEvents}"),
            },
            // A transaction's rows go together: reconciling an unknown outcome counts its earlier done events.
            new(nameof(TableNames.ConfirmationLedger))
            {
                Table = t.ConfirmationLedger,
                Filter = TableClient.CreateQueryFilter($"LeaseUntil lt {now - r.ConfirmationLedger}"),
                PartitionIsQuiet = async (table, partition, ct) =>
                {
                    var filter = TableClient.CreateQueryFilter($"PartitionKey eq {partition} and LeaseUntil ge {now - r.ConfirmationLedger}");
                    await foreach (var _ in table.QueryAsync<TableEntity>(filter, 1, ["RowKey"], ct).ConfigureAwait(false))
                    {
                        return false;
                    }

                    return true;
                },
            },
            new(nameof(TableNames.ShopifyOrders))
            {
                Table = t.ShopifyOrders,
                Filter = TableClient.CreateQueryFilter($"LearnedAt lt {now - r.ShopifyOrders}"),
            },
            // Run rows only: never the lock or the catalog's state, and never the newest run (the status route shows it).
            new(nameof(TableNames.CatalogRuns))
            {
                Table = t.CatalogRuns,
                Filter = TableClient.CreateQueryFilter($"PartitionKey eq {"run"} and StartedAt lt {now - r.CatalogRuns}"),
                Keep = async (table, ct) =>
                {
                    await foreach (var newest in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {"run"}"), 1, ["RowKey"], ct).ConfigureAwait(false))
                    {
                        return [(newest.PartitionKey, newest.RowKey)];
                    }

                    return [];
                },
            },
        };
        if (!string.IsNullOrWhiteSpace(sessions.Value.KeyRingTable))
        {
            sweeps.Add(new TableSweep("KeyRing") { Custom = (remaining, ct) => keyRing.RunAsync(now, remaining, ct) });
        }

        sweeps.Add(new(nameof(TableNames.StorageCleanup))
        {
            Table = t.StorageCleanup,
            Filter = TableClient.CreateQueryFilter($"PartitionKey eq {"run"} and StartedAt lt {now - r.CleanupRuns}"),
        });
        return sweeps;
    }
}
