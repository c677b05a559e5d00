using System.Text.Json;
using System.Text.Json.Nodes;
using FlexFunctions.Shared.Observability;
using FlexFunctions.Shared.Storage;
using Microsoft.Extensions.Logging;

namespace FlexFunctions.Shared.Confirmations;

/// <summary>
/// The operator list: failed, poisoned and review events with their reasons, and the messages still sitting on the
/// poison queues (which the runtime moved there but could not have recorded), with both queues' depths.
/// </summary>
public sealed record FailedEventList(IReadOnlyList<FailedEvent> Events, int Count)
{
    public IReadOnlyList<QueuedPoisonMessage> Queued { get; init; } = [];

    public IReadOnlyList<PoisonQueueDepth> PoisonQueues { get; init; } = [];
}

/// <summary>What a replay did: events put back on the live queue, and those it could not replay and why.</summary>
public sealed record ReplayReport(IReadOnlyList<string> Replayed, IReadOnlyList<ReplaySkip> Skipped);

public sealed record ReplaySkip(string Kind, string Id, string Reason);

/// <summary>
/// Replays failed events that are not warehouse messages (a store platform's delivery): they are translated into
/// warehouse events again rather than queued as they are.
/// </summary>
public interface IFailedEventTranslator
{
    /// <summary>True for the events this translator recorded.</summary>
    bool Owns(FailedEvent failed);

    /// <summary>Translates and queues it again; returns why it is still unusable (it is then recorded again), or null.</summary>
    Task<string?> ReplayAsync(FailedEvent failed, CancellationToken cancellationToken);
}

/// <summary>
/// Operator tools over the failed-events table: list, and replay one or all back onto the live warehouse queue
/// once the cause is fixed. A replayed event is forgotten by the ledger (unless done) so it is processed afresh;
/// a done one is acknowledged as a duplicate, so replaying can never confirm twice.
/// </summary>
public sealed partial class FailedEventReplayer(FailedEventStore store, ConfirmationLedger ledger, WarehouseQueue queue, FlexTelemetry telemetry, ILogger<FailedEventReplayer> logger,
    IEnumerable<IFailedEventTranslator> translators, PoisonQueues poison)
{
    public async Task<FailedEventList> ListAsync(string? kind, CancellationToken cancellationToken)
    {
        var inTable = kind is null || !FailedEventKinds.PoisonQueueKinds.Contains(kind);
        var onQueues = kind is null || FailedEventKinds.PoisonQueueKinds.Contains(kind);
        var events = inTable ? await store.ListAsync(kind, cancellationToken).ConfigureAwait(false) : [];
        return new FailedEventList(events, events.Count)
        {
            Queued = onQueues ? await poison.ListAsync(kind, cancellationToken).ConfigureAwait(false) : [],
            PoisonQueues = await poison.SampleAsync(cancellationToken).ConfigureAwait(false),
        };
    }

    /// <summary>Replays one event; null when there is no such event (or the address cannot be one: no bad key reaches storage).</summary>
    public async Task<ReplayReport?> ReplayOneAsync(string kind, string id, CancellationToken cancellationToken)
    {
        if (!FailedEventKinds.Rule.Accepts(kind) || !FailedEventKinds.IdRuleFor(kind).Accepts(id))
        {
            return null;
        }

        if (FailedEventKinds.PoisonQueueKinds.Contains(kind))
        {
            // Still on a poison queue: it goes back on the live queue as it is.
            return await poison.ReplayAsync(kind, id, cancellationToken).ConfigureAwait(false) ? new ReplayReport([id], []) : null;
        }

        var found = await store.GetAsync(kind, id, cancellationToken).ConfigureAwait(false);
        if (found is not { } row)
        {
            return null;
        }

        var replayed = new List<string>();
        var skipped = new List<ReplaySkip>();
        await ReplayAsync(row.Event, row.ETag, replayed, skipped, cancellationToken).ConfigureAwait(false);
        return new ReplayReport(replayed, skipped);
    }

    /// <summary>Replays every replayable event of a kind (failed and poisoned when no kind is given).</summary>
    public async Task<ReplayReport> ReplayAllAsync(string? kind, CancellationToken cancellationToken)
    {
        var replayed = new List<string>();
        var skipped = new List<ReplaySkip>();
        if (kind is null || FailedEventKinds.PoisonQueueKinds.Contains(kind))
        {
            replayed.AddRange(await poison.ReplayAllAsync(kind, cancellationToken).ConfigureAwait(false));
        }

        foreach (var k in kind is null ? [FailedEventKinds.Failed, FailedEventKinds.Poisoned] : FailedEventKinds.PoisonQueueKinds.Contains(kind) ? [] : new[] { kind })
        {
            foreach (var listed in await store.ListAsync(k, cancellationToken).ConfigureAwait(false))
            {
                if (await store.GetAsync(listed.Kind, listed.Id, cancellationToken).ConfigureAwait(false) is { } row)
                {
                    await ReplayAsync(row.Event, row.ETag, replayed, skipped, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        return new ReplayReport(replayed, skipped);
    }

    private async Task ReplayAsync(FailedEvent e, Azure.ETag etag, List<string> replayed, List<ReplaySkip> skipped, CancellationToken cancellationToken)
    {
        if (e.Kind == FailedEventKinds.Review)
        {
            skipped.Add(new ReplaySkip(e.Kind, e.Id, "FlexShopper already accepted this event; fix the items by hand or send a new event."));
            return;
        }

        if (e.Truncated || string.IsNullOrEmpty(e.Message))
        {
            skipped.Add(new ReplaySkip(e.Kind, e.Id, "Only part of the message was kept (it was oversized); ask the warehouse to resend it."));
            return;
        }

        if (translators.FirstOrDefault(t => t.Owns(e)) is { } translator)
        {
            // Not a warehouse message: translated again (settings may have changed), then forgotten unless it was re-recorded.
            var stillUnusable = await translator.ReplayAsync(e, cancellationToken).ConfigureAwait(false);
            await store.DeleteAsync(e.Kind, e.Id, etag, cancellationToken).ConfigureAwait(false);
            if (stillUnusable is not null)
            {
                skipped.Add(new ReplaySkip(e.Kind, e.Id, stillUnusable));
                return;
            }

            telemetry.ConfirmationsReplayed.Add(1, new KeyValuePair<string, object?>("kind", e.Kind));
            replayed.Add(e.Id);
            LogReplayed(logger, e.Kind, e.Id, e.TransactionId);
            return;
        }

        if (e.EventKey is not null && e.TransactionId is not null)
        {
            await ledger.ResetAsync(e.TransactionId, e.EventKey, cancellationToken).ConfigureAwait(false);
        }

        // Send first, delete after: a crash in between leaves a second copy, which the ledger deduplicates.
        await queue.Client.SendMessageAsync(WithTraceParent(e.Message), cancellationToken).ConfigureAwait(false);
        await store.DeleteAsync(e.Kind, e.Id, etag, cancellationToken).ConfigureAwait(false);
        telemetry.ConfirmationsReplayed.Add(1, new KeyValuePair<string, object?>("kind", e.Kind));
        replayed.Add(e.Id);
        LogReplayed(logger, e.Kind, e.Id, e.TransactionId);
    }

    /// <summary>
    /// Carries the operator's trace into the replayed event (a JSON object only; anything else goes back as it was),
    /// so the delivery's span links to the replay request. <c>traceparent</c> is not part of the event's identity.
    /// </summary>
    internal static string WithTraceParent(string message)
    {
        if (Correlation.CurrentTraceParent is not { } traceParent || !message.AsSpan().TrimStart().StartsWith("{"))
        {
            return message;
        }

        try
        {
            if (JsonNode.Parse(message) is JsonObject json)
            {
                json["traceparent"] = traceParent;
                return json.ToJsonString();
            }
        }
        catch (JsonException)
        {
            // Not JSON after all: replay it untouched, the processor will reject it again with its reason.
        }

        return message;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Replayed {Kind} warehouse event {Id} (transaction {TransactionId}) onto the live queue")]
    private static partial void LogReplayed(ILogger logger, string kind, string id, string? transactionId);
}
