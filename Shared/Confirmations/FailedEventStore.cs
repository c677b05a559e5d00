using System.Net;
using System.Text;
using Azure;
using Azure.Data.Tables;
using FlexFunctions.Shared.InputRules;
using FlexFunctions.Shared.Storage;
using Microsoft.Extensions.Options;

namespace FlexFunctions.Shared.Confirmations;

/// <summary>Why an event sits in the failed-events table.</summary>
public static class FailedEventKinds
{
    /// <summary>Rejected for good: a bad message, or FlexShopper refused it (400, 404, ...). Not retried.</summary>
    public const string Failed = "failed";

    /// <summary>Transient failures on every delivery until the queue gave up and moved it to the poison queue.</summary>
    public const string Poisoned = "poisoned";

    /// <summary>FlexShopper accepted the call but failed some items or answered unreadably: look, do not replay blindly.</summary>
    public const string Review = "review";

    /// <summary>
    /// A store platform's event we acknowledged but could not send (unknown topic, a line without SKU, an order
    /// FlexShopper did not finance). Replaying translates it again with the current settings.
    /// </summary>
    public const string Skipped = "skipped";

    /// <summary>
    /// Still on the warehouse queue's poison queue (<c>&lt;queue&gt;-poison</c>): the runtime moved it there and it has not
    /// been recorded yet (the poison function is failing to record it). Its id is the queue message's id.
    /// </summary>
    public const string PoisonQueue = "poison-queue";

    /// <summary>On <c>&lt;queue&gt;-poison-poison</c>: the poison function itself gave up on it, and nothing reads that queue.</summary>
    public const string PoisonPoisonQueue = "poison-poison-queue";

    /// <summary>The kinds recorded in the failed-events table.</summary>
    public static readonly IReadOnlyList<string> All = [Failed, Poisoned, Review, Skipped];

    /// <summary>The kinds that are messages still sitting on a poison queue.</summary>
    public static readonly IReadOnlyList<string> PoisonQueueKinds = [PoisonQueue, PoisonPoisonQueue];

    /// <summary>The <c>{kind}</c> route value and <c>?kind=</c>: exactly one of <see cref="All"/> or <see cref="PoisonQueueKinds"/>.</summary>
    public static readonly FieldRule Rule = FieldRules.OneOf([.. All, .. PoisonQueueKinds]);

    /// <summary>The <c>{id}</c> route value: a row id is the SHA-256 of the message text (see <see cref="FailedEventStore"/>).</summary>
    public static readonly FieldRule IdRule = FieldRules.Sha256Hex;

    /// <summary>The <c>{id}</c> of a message on a poison queue: the queue's message id, a lower-case GUID.</summary>
    public static readonly FieldRule QueueMessageIdRule = new("a queue message id (a lower-case GUID)", 36, null, null,
        v => Guid.TryParseExact(v, "D", out _) && v.Equals(v.ToLowerInvariant(), StringComparison.Ordinal));

    /// <summary>The <c>{id}</c> rule that goes with <paramref name="kind"/>.</summary>
    public static FieldRule IdRuleFor(string? kind) => kind is PoisonQueue or PoisonPoisonQueue ? QueueMessageIdRule : IdRule;
}

/// <summary>One failed-events row, as the operator sees it.</summary>
public sealed record FailedEvent
{
    public required string Kind { get; init; }
    public required string Id { get; init; }
    public required string Reason { get; init; }
    public DateTimeOffset? RecordedAt { get; init; }
    public string? TransactionId { get; init; }
    public string? EventType { get; init; }
    public string? EventKey { get; init; }
    public string? MessageId { get; init; }
    public long? DequeueCount { get; init; }
    public int? Attempts { get; init; }
    public string? Encoding { get; init; }
    public int MessageLength { get; init; }
    public string? MessageSha256 { get; init; }

    /// <summary>True when only the first part of an oversized message was kept (it cannot be replayed).</summary>
    public bool Truncated { get; init; }

    /// <summary>The message as received (plain or base64), or its first part when <see cref="Truncated"/>.</summary>
    public string? Message { get; init; }
}

/// <summary>
/// The failed-events table: every message we could not confirm, with its reason and the original text. The row key is
/// the hash of the text, so redeliveries of the same message update one row instead of piling up.
/// </summary>
public sealed class FailedEventStore
{
    // A Table string property holds at most 64 KiB (32K UTF-16 characters): long text is split over several.
    private const int ChunkChars = 30_000;
    private const int MaxList = 1000;
    private readonly TableClient _table;
    private readonly TimeProvider _time;
    private readonly IOptions<ConfirmationsOptions> _options;
    private readonly TableCreatedOnFirstUse _created;

    public FailedEventStore(TableServiceClient tables, IOptions<TableNames> names, TimeProvider time, IOptions<ConfirmationsOptions> options)
    {
        _table = tables.GetTableClient(names.Value.FailedEvents);
        _time = time;
        _options = options;
        _created = new TableCreatedOnFirstUse(_table);
    }

    public async Task<FailedEvent> RecordAsync(FailedEvent entry, string? rawMessage, CancellationToken cancellationToken)
    {
        await _created.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var text = rawMessage ?? "";
        var limit = _options.Value.MaxStoredMessageChars;
        var kept = text.Length <= limit ? text : text[..limit];
        var row = new TableEntity(entry.Kind, entry.Id)
        {
            ["Reason"] = Bound(entry.Reason, ChunkChars),
            ["RecordedAt"] = _time.GetUtcNow(),
            ["TransactionId"] = entry.TransactionId,
            ["EventType"] = entry.EventType,
            ["EventKey"] = entry.EventKey,
            ["MessageId"] = entry.MessageId,
            ["DequeueCount"] = entry.DequeueCount,
            ["Attempts"] = entry.Attempts,
            ["Encoding"] = entry.Encoding,
            ["MessageLength"] = text.Length,
            ["MessageSha256"] = EventKey.Hash(text),
            ["Truncated"] = kept.Length < text.Length,
            ["MessageChunks"] = (kept.Length + ChunkChars - 1) / ChunkChars,
        };
        for (var i = 0; i * ChunkChars < kept.Length; i++)
        {
            row["Message" + i] = kept.Substring(i * ChunkChars, Math.Min(ChunkChars, kept.Length - (i * ChunkChars)));
        }

        // Replace, so a redelivery of the same message rewrites its one row with the latest reason.
        await _table.UpsertEntityAsync(row, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        return ToFailedEvent(row);
    }

    public async Task<IReadOnlyList<FailedEvent>> ListAsync(string? kind, CancellationToken cancellationToken)
    {
        await _created.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var filter = kind is null ? null : TableClient.CreateQueryFilter($"PartitionKey eq {kind}");
        var list = new List<FailedEvent>();
        await foreach (var row in _table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            list.Add(ToFailedEvent(row));
            if (list.Count >= MaxList)
            {
                break;
            }
        }

        return list;
    }

    public async Task<(FailedEvent Event, ETag ETag)?> GetAsync(string kind, string id, CancellationToken cancellationToken)
    {
        await _created.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var row = await _table.GetEntityIfExistsAsync<TableEntity>(kind, id, cancellationToken: cancellationToken).ConfigureAwait(false);
        return row.HasValue && row.Value is not null ? (ToFailedEvent(row.Value), row.Value.ETag) : null;
    }

    public async Task DeleteAsync(string kind, string id, ETag etag, CancellationToken cancellationToken)
    {
        try
        {
            await _table.DeleteEntityAsync(kind, id, etag, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status is (int)HttpStatusCode.NotFound or (int)HttpStatusCode.PreconditionFailed)
        {
            // Re-recorded meanwhile (a newer failure): keep the newer row.
        }
    }

    private static FailedEvent ToFailedEvent(TableEntity row)
    {
        var chunks = row.GetInt32("MessageChunks") ?? 0;
        var message = new StringBuilder();
        for (var i = 0; i < chunks; i++)
        {
            message.Append(row.GetString("Message" + i));
        }

        return new FailedEvent
        {
            Kind = row.PartitionKey,
            Id = row.RowKey,
            Reason = row.GetString("Reason") ?? "",
            RecordedAt = row.GetDateTimeOffset("RecordedAt"),
            TransactionId = row.GetString("TransactionId"),
            EventType = row.GetString("EventType"),
            EventKey = row.GetString("EventKey"),
            MessageId = row.GetString("MessageId"),
            DequeueCount = row.GetInt64("DequeueCount"),
            Attempts = row.GetInt32("Attempts"),
            Encoding = row.GetString("Encoding"),
            MessageLength = row.GetInt32("MessageLength") ?? 0,
            MessageSha256 = row.GetString("MessageSha256"),
            Truncated = row.GetBoolean("Truncated") ?? false,
            Message = message.ToString(),
        };
    }

    private static string Bound(string text, int max) => text.Length <= max ? text : text[..max];
}
