using System.Security.Cryptography;
using System.Text;
using Azure.Data.Tables;
using FlexFunctions.Shared.Storage;
using Microsoft.Extensions.Options;

namespace FlexFunctions.Shared.StorePlatforms;

/// <summary>
/// The delivery ids a store platform already sent us, kept <see cref="Retention"/> (well past Shopify's retries, 8 over 4
/// hours), so a redelivered webhook is acknowledged without queueing its events again. Partition = platform and the
/// first byte of the key's hash (spreading the load), row = the hash. Table Storage has no expiry of its own: a row
/// past <c>ExpiresAt</c> counts as absent and is overwritten when its id comes back. Two copies arriving at the same
/// instant both pass; the confirmation ledger (keyed by the event's content) still confirms once.
/// </summary>
public sealed class DeliveryLog
{
    public static readonly TimeSpan Retention = TimeSpan.FromHours(72);

    private readonly TableCreatedOnFirstUse _table;
    private readonly TimeProvider _time;

    public DeliveryLog(TableServiceClient tables, IOptions<TableNames> names, TimeProvider time)
    {
        _table = new TableCreatedOnFirstUse(tables.GetTableClient(names.Value.PlatformDeliveries));
        _time = time;
    }

    /// <summary>True when <paramref name="deliveryKey"/> was handled within the retention.</summary>
    public async Task<bool> SeenAsync(string platform, string deliveryKey, CancellationToken cancellationToken)
    {
        await _table.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var (partition, row) = Keys(platform, deliveryKey);
        var found = await _table.Table.GetEntityIfExistsAsync<TableEntity>(partition, row, ["ExpiresAt"], cancellationToken).ConfigureAwait(false);
        return found.HasValue && found.Value?.GetDateTimeOffset("ExpiresAt") is { } expires && expires > _time.GetUtcNow();
    }

    /// <summary>Remembers a handled delivery and what it became.</summary>
    public async Task RecordAsync(string platform, string deliveryKey, string topic, string outcome, CancellationToken cancellationToken)
    {
        await _table.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var (partition, row) = Keys(platform, deliveryKey);
        var now = _time.GetUtcNow();
        var entity = new TableEntity(partition, row)
        {
            ["DeliveryId"] = deliveryKey.Length <= 256 ? deliveryKey : deliveryKey[..256],
            ["Topic"] = topic.Length <= 256 ? topic : topic[..256],
            ["Outcome"] = outcome,
            ["ReceivedAt"] = now,
            ["ExpiresAt"] = now + Retention,
        };
        await _table.Table.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }

    // Delivery ids are the platform's text: a hash keeps the key within Table Storage's allowed characters.
    private static (string Partition, string Row) Keys(string platform, string deliveryKey)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(platform + "\n" + deliveryKey)));
        return ($"{platform}-{hash[..2]}", hash);
    }
}
