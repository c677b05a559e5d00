using Azure.Data.Tables;
using Microsoft.Extensions.Caching.Memory;

namespace FlexFunctions.Shared.AbuseLimits;

/// <summary>
/// The counter rows this instance last read or wrote, with their ETags, so the next decision on a row can go straight
/// to its conditional write: one storage round trip instead of a read and a write. A row another instance changed
/// meanwhile fails that write (412) and is read again, so a stale entry costs a round trip, never a wrong count.
/// Bounded: at most <see cref="Capacity"/> rows; one not kept is simply read first next time.
/// </summary>
internal sealed class KnownRows : IDisposable
{
    public const int Capacity = 4096;
    private static readonly MemoryCacheEntryOptions OneRow = new() { Size = 1 };
    private readonly MemoryCache _rows = new(new MemoryCacheOptions { SizeLimit = Capacity });

    /// <summary>A copy of the row as last seen, to edit freely; null when this instance has not seen it.</summary>
    // Stryker disable once Logical,Initializer : Remember never stores null, so found and non-null coincide; the copy constructor already copies the ETag
    public TableEntity? Get(string partition, string rowKey) =>
        _rows.TryGetValue((partition, rowKey), out TableEntity? row) && row is not null ? new TableEntity(row) { ETag = row.ETag } : null;

    /// <summary>Remembers <paramref name="row"/> (a copy) as it now stands in the table, ETag included.</summary>
    // Stryker disable once Initializer : the copy constructor already copies the ETag (its odata.etag entry)
    public void Remember(TableEntity row) =>
        _rows.Set((row.PartitionKey, row.RowKey), new TableEntity(row) { ETag = row.ETag }, OneRow);

    public void Forget(string partition, string rowKey) => _rows.Remove((partition, rowKey));

    public void Dispose() => _rows.Dispose();
}
