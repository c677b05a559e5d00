using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using FlexFunctions.Shared.Storage;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace FlexFunctions.Shared.Confirmations;

/// <summary>Where an event stands in the ledger.</summary>
public enum LedgerState
{
    /// <summary>A delivery owns the event until the lease runs out.</summary>
    InProgress,

    /// <summary>FlexShopper confirmed it: later deliveries are acknowledged without a call.</summary>
    Done,

    /// <summary>FlexShopper rejected it for good; it sits in the failed-events table until an operator replays it.</summary>
    Rejected,
}

/// <summary>What an attempt to take an event gave.</summary>
public enum ClaimStatus
{
    Claimed,
    AlreadyDone,
    PreviouslyRejected,
    HeldElsewhere,
}

/// <summary>
/// The outcome of <see cref="ConfirmationLedger.TryClaimAsync(ValidEvent, string?, bool, CancellationToken)"/>. <see cref="PreviousOutcomeUnknown"/> is true when an
/// earlier attempt may have reached FlexShopper without the ledger hearing back (a crash, a timeout).
/// </summary>
public sealed record LedgerClaim(ClaimStatus Status, string PartitionKey, string RowKey, ETag ETag, int Attempt, bool PreviousOutcomeUnknown, DateTimeOffset LeaseUntil, string? LastError);

/// <summary>A ledger row as read back.</summary>
public sealed record LedgerEntry(LedgerState State, string TransactionId, string EventType, int Attempts, string? LastError, DateTimeOffset? LeaseUntil, DateTimeOffset? DoneAt, bool OutcomeUnknown);

/// <summary>
/// The exactly-once ledger in Table Storage: one row per event (partition = transaction, row = event key). Only the
/// delivery that inserts the row, or wins the ETag-conditional takeover of an expired claim, may call FlexShopper;
/// only a confirmed success becomes <see cref="LedgerState.Done"/>.
/// </summary>
public sealed class ConfirmationLedger : IDisposable
{
    private const int MaxClaimRounds = 5;
    private readonly TableClient _table;
    private readonly TimeProvider _time;
    private readonly IOptions<ConfirmationsOptions> _options;
    private readonly TableCreatedOnFirstUse _created;
    private readonly DoneEvents _done = new();

    public ConfirmationLedger(TableServiceClient tables, IOptions<TableNames> names, TimeProvider time, IOptions<ConfirmationsOptions> options)
    {
        _table = tables.GetTableClient(names.Value.ConfirmationLedger);
        _time = time;
        _options = options;
        _created = new TableCreatedOnFirstUse(_table);
    }

    public void Dispose() => _done.Dispose();

    /// <summary>Table keys forbid / \ # ? and control characters: escape them (and ~) as ~XXXX so the mapping stays one to one.</summary>
    public static string PartitionFor(string transactionId)
    {
        var sb = new StringBuilder(transactionId.Length);
        foreach (var c in transactionId)
        {
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')
            {
                sb.Append(c);
            }
            else
            {
                // Always four hex digits: with two, "~200" could be U+0200 or a space followed by '0'.
                sb.Append('~').Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
            }
        }

        return sb.ToString();
    }

    /// <summary>Takes the event (first sight assumed), or says where it stands.</summary>
    public Task<LedgerClaim> TryClaimAsync(ValidEvent e, string? messageId, CancellationToken cancellationToken) =>
        TryClaimAsync(e, messageId, likelySeen: false, cancellationToken);

    /// <summary>
    /// Takes the event, or says where it stands. The insert comes first (one round trip for an event seen for the first
    /// time); a redelivery (<paramref name="likelySeen"/>) reads first instead, since its row is almost always there. An
    /// event this instance saw done is answered without a round trip: done is final.
    /// </summary>
    public async Task<LedgerClaim> TryClaimAsync(ValidEvent e, string? messageId, bool likelySeen, CancellationToken cancellationToken)
    {
        var pk = PartitionFor(e.TransactionId);
        if (_done.Contains(pk, e.Key))
        {
            return new LedgerClaim(ClaimStatus.AlreadyDone, pk, e.Key, default, 0, false, default, null);
        }

        await _created.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var lease = _options.Value.ClaimLease;
        for (var round = 0; round < MaxClaimRounds; round++)
        {
            var now = _time.GetUtcNow();
            if (!likelySeen || round > 0)
            {
                var fresh = new TableEntity(pk, e.Key)
                {
                    [nameof(LedgerEntry.State)] = nameof(LedgerState.InProgress),
                    [nameof(LedgerEntry.TransactionId)] = e.TransactionId,
                    [nameof(LedgerEntry.EventType)] = e.Type,
                    [nameof(LedgerEntry.Attempts)] = 1,
                    [nameof(LedgerEntry.LeaseUntil)] = now + lease,
                    // Until the attempt reports back, nobody knows whether it reached FlexShopper.
                    [nameof(LedgerEntry.OutcomeUnknown)] = true,
                    ["Items"] = ItemsText(e.Items),
                    ["MessageId"] = messageId,
                };
                try
                {
                    var added = await _table.AddEntityAsync(fresh, cancellationToken).ConfigureAwait(false);
                    return new LedgerClaim(ClaimStatus.Claimed, pk, e.Key, added.Headers.ETag ?? ETag.All, 1, false, now + lease, null);
                }
                catch (RequestFailedException ex) when (ex.Status == (int)HttpStatusCode.Conflict)
                {
                    // Someone has seen this event before: look at where it stands.
                }
            }

            var existing = await _table.GetEntityIfExistsAsync<TableEntity>(pk, e.Key, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (!existing.HasValue || existing.Value is null)
            {
                likelySeen = false;
                continue; // never recorded (or deleted in between: a replay reset it): insert it
            }

            var row = existing.Value;
            var entry = ToEntry(row);
            switch (entry.State)
            {
                case LedgerState.Done:
                    _done.Add(pk, e.Key);
                    return new LedgerClaim(ClaimStatus.AlreadyDone, pk, e.Key, row.ETag, entry.Attempts, false, default, entry.LastError);
                case LedgerState.Rejected:
                    return new LedgerClaim(ClaimStatus.PreviouslyRejected, pk, e.Key, row.ETag, entry.Attempts, false, default, entry.LastError);
                case LedgerState.InProgress when entry.LeaseUntil > now:
                    return new LedgerClaim(ClaimStatus.HeldElsewhere, pk, e.Key, row.ETag, entry.Attempts, entry.OutcomeUnknown, entry.LeaseUntil.Value, entry.LastError);
            }

            // The previous claim ran out (released after a failure, or its process died): take it over, but only if
            // nobody else did first.
            var takeover = new TableEntity(pk, e.Key)
            {
                [nameof(LedgerEntry.State)] = nameof(LedgerState.InProgress),
                [nameof(LedgerEntry.Attempts)] = entry.Attempts + 1,
                [nameof(LedgerEntry.LeaseUntil)] = now + lease,
                [nameof(LedgerEntry.OutcomeUnknown)] = true,
                ["MessageId"] = messageId,
            };
            try
            {
                var updated = await _table.UpdateEntityAsync(takeover, row.ETag, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
                return new LedgerClaim(ClaimStatus.Claimed, pk, e.Key, updated.Headers.ETag ?? ETag.All, entry.Attempts + 1, entry.OutcomeUnknown, now + lease, entry.LastError);
            }
            catch (RequestFailedException ex) when (ex.Status == (int)HttpStatusCode.PreconditionFailed)
            {
                // Another delivery took it over first; look again.
            }
        }

        return new LedgerClaim(ClaimStatus.HeldElsewhere, pk, e.Key, default, 0, false, _time.GetUtcNow() + lease, null);
    }

    /// <summary>Records FlexShopper's confirmation. False when the claim was lost meanwhile (it outlived its lease).</summary>
    public async Task<bool> MarkDoneAsync(LedgerClaim claim, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claim);
        var recorded = await TryUpdateAsync(claim, new TableEntity(claim.PartitionKey, claim.RowKey)
        {
            [nameof(LedgerEntry.State)] = nameof(LedgerState.Done),
            [nameof(LedgerEntry.DoneAt)] = _time.GetUtcNow(),
            [nameof(LedgerEntry.OutcomeUnknown)] = false,
        }, cancellationToken).ConfigureAwait(false);
        if (recorded)
        {
            _done.Add(claim.PartitionKey, claim.RowKey);
        }

        return recorded;
    }

    /// <summary>Gives the event back after a failure worth retrying, keeping the reason for the poison record.</summary>
    public Task<bool> ReleaseAsync(LedgerClaim claim, string reason, bool outcomeUnknown, CancellationToken cancellationToken) =>
        TryUpdateAsync(claim, new TableEntity(claim.PartitionKey, claim.RowKey)
        {
            [nameof(LedgerEntry.LeaseUntil)] = _time.GetUtcNow(),
            [nameof(LedgerEntry.LastError)] = reason,
            // Once unknown, it stays unknown until a success or the transaction check settles it: a later attempt
            // that failed before sending (e.g. its check got a 503) proves nothing about the earlier one.
            [nameof(LedgerEntry.OutcomeUnknown)] = outcomeUnknown || claim.PreviousOutcomeUnknown,
        }, cancellationToken);

    public Task<bool> MarkRejectedAsync(LedgerClaim claim, string reason, CancellationToken cancellationToken) =>
        TryUpdateAsync(claim, new TableEntity(claim.PartitionKey, claim.RowKey)
        {
            [nameof(LedgerEntry.State)] = nameof(LedgerState.Rejected),
            [nameof(LedgerEntry.LastError)] = reason,
            [nameof(LedgerEntry.OutcomeUnknown)] = false,
        }, cancellationToken);

    public async Task<LedgerEntry?> GetAsync(string transactionId, string key, CancellationToken cancellationToken)
    {
        await _created.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var row = await _table.GetEntityIfExistsAsync<TableEntity>(PartitionFor(transactionId), key, cancellationToken: cancellationToken).ConfigureAwait(false);
        return row.HasValue && row.Value is not null ? ToEntry(row.Value) : null;
    }

    /// <summary>
    /// Forgets a rejected event so a replayed copy is processed afresh. A done event is kept (the replay is then
    /// acknowledged as a duplicate) and so is one in progress or released after a transient failure.
    /// </summary>
    public async Task ResetAsync(string transactionId, string key, CancellationToken cancellationToken)
    {
        await _created.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var row = await _table.GetEntityIfExistsAsync<TableEntity>(PartitionFor(transactionId), key, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!row.HasValue || row.Value is null)
        {
            return;
        }

        // An InProgress row stays: a replayed copy takes it over once its claim runs out, keeping the "outcome unknown"
        // mark so the transaction is checked before sending again.
        if (ToEntry(row.Value).State != LedgerState.Rejected)
        {
            return;
        }

        try
        {
            await _table.DeleteEntityAsync(row.Value.PartitionKey, row.Value.RowKey, row.Value.ETag, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status is (int)HttpStatusCode.PreconditionFailed or (int)HttpStatusCode.NotFound)
        {
            // Changed meanwhile: whoever changed it decides.
        }
    }

    /// <summary>Units per SKU already confirmed for this transaction and event type by other done events (empty SKU = whole transaction).</summary>
    public async Task<Dictionary<string, int?>> DoneQuantitiesAsync(string transactionId, string type, string exceptKey, CancellationToken cancellationToken)
    {
        await _created.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var totals = new Dictionary<string, int?>(StringComparer.Ordinal);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {PartitionFor(transactionId)} and EventType eq {type} and State eq {nameof(LedgerState.Done)}");
        await foreach (var row in _table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (row.RowKey == exceptKey || row.GetString("Items") is not { } text)
            {
                continue;
            }

            foreach (var item in JsonSerializer.Deserialize(text, ConfirmationsJson.Default.IReadOnlyListWarehouseItem) ?? [])
            {
                var sku = item.Sku ?? "";
                // null = every unit: once anything is "all", the sum is "all".
                totals[sku] = totals.TryGetValue(sku, out var sum) ? (sum is null || item.Quantity is null ? null : sum + item.Quantity) : item.Quantity;
            }
        }

        return totals;
    }

    private async Task<bool> TryUpdateAsync(LedgerClaim claim, TableEntity changes, CancellationToken cancellationToken)
    {
        try
        {
            await _table.UpdateEntityAsync(changes, claim.ETag, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status is (int)HttpStatusCode.PreconditionFailed or (int)HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    private static string ItemsText(IReadOnlyList<WarehouseItem> items) =>
        JsonSerializer.Serialize(items.Select(i => new WarehouseItem { Sku = i.Sku, Quantity = i.Quantity }).ToList(), ConfirmationsJson.Default.IReadOnlyListWarehouseItem);

    private static LedgerEntry ToEntry(TableEntity row) => new(
        Enum.TryParse<LedgerState>(row.GetString(nameof(LedgerEntry.State)), out var state) ? state : LedgerState.InProgress,
        row.GetString(nameof(LedgerEntry.TransactionId)) ?? "",
        row.GetString(nameof(LedgerEntry.EventType)) ?? "",
        row.GetInt32(nameof(LedgerEntry.Attempts)) ?? 0,
        row.GetString(nameof(LedgerEntry.LastError)),
        row.GetDateTimeOffset(nameof(LedgerEntry.LeaseUntil)),
        row.GetDateTimeOffset(nameof(LedgerEntry.DoneAt)),
        row.GetBoolean(nameof(LedgerEntry.OutcomeUnknown)) ?? false);
}

/// <summary>
/// Events this instance saw done, so a duplicate delivery is acknowledged without a round trip. Done is final in the
/// ledger (a replay resets only rejected events), so a remembered event is never one that could be sent again.
/// Bounded: at most <see cref="Capacity"/> events; the duplicate of one not kept asks the ledger.
/// </summary>
internal sealed class DoneEvents : IDisposable
{
    public const int Capacity = 16_384;
    private static readonly MemoryCacheEntryOptions OneEvent = new() { Size = 1 };
    private readonly MemoryCache _events = new(new MemoryCacheOptions { SizeLimit = Capacity });

    public bool Contains(string partition, string key) => _events.TryGetValue((partition, key), out _);

    public void Add(string partition, string key) => _events.Set((partition, key), true, OneEvent);

    public void Dispose() => _events.Dispose();
}
