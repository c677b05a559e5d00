using System.Collections.Concurrent;
using Azure.Data.Tables;

namespace FlexFunctions.Shared.AbuseLimits;

/// <summary>
/// The counter rows this instance last read or wrote, with their ETags, so the next decision on a row can go straight
/// to its conditional write: one storage round trip instead of a read and a write. A row another instance changed
/// meanwhile fails that write (412) and is read again, so a stale entry costs a round trip, never a wrong count.
/// Bounded: past <see cref="Capacity"/> rows the oldest are forgotten.
/// </summary>
internal sealed class KnownRows
{
    public const int Capacity = 4096;
    private readonly ConcurrentDictionary<(string Partition, string Row), TableEntity> _rows = new();
    private readonly ConcurrentQueue<(string Partition, string Row)> _order = new();

    /// <summary>A copy of the row as last seen, to edit freely; null when this instance has not seen it.</summary>
    public TableEntity? Get(string partition, string rowKey) =>
        _rows.TryGetValue((partition, rowKey), out var row) ? new TableEntity(row) { ETag = row.ETag } : null;

    /// <summary>Remembers <paramref name="row"/> (a copy) as it now stands in the table, ETag included.</summary>
    public void Remember(TableEntity row)
    {
        var key = (row.PartitionKey, row.RowKey);
        _rows[key] = new TableEntity(row) { ETag = row.ETag };
        _order.Enqueue(key);
        while (_rows.Count > Capacity && _order.TryDequeue(out var oldest))
        {
            _rows.TryRemove(oldest, out _);
        }
    }

    public void Forget(string partition, string rowKey) => _rows.TryRemove((partition, rowKey), out _);
}
