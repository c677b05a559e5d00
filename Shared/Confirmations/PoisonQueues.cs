using System.Diagnostics.Metrics;
using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Azure.Storage.Queues.Specialized;
using FlexFunctions.Shared.Observability;
using FlexFunctions.Shared.Storage;
using Microsoft.Extensions.Logging;

namespace FlexFunctions.Shared.Confirmations;

/// <summary>How deep one poison queue is and how long its oldest message has waited.</summary>
public sealed record PoisonQueueDepth(string Kind, string Queue, long Messages, double? OldestAgeSeconds);

/// <summary>A message still on a poison queue: the runtime moved it there and it is not (yet) in the failed-events table.</summary>
public sealed record QueuedPoisonMessage
{
    /// <summary><see cref="FailedEventKinds.PoisonQueue"/> or <see cref="FailedEventKinds.PoisonPoisonQueue"/>.</summary>
    public required string Kind { get; init; }
    public required string Id { get; init; }
    public DateTimeOffset? InsertedOn { get; init; }
    public long DequeueCount { get; init; }
    public string? Message { get; init; }
}

/// <summary>
/// Watches the warehouse queue's poison queues: <c>&lt;queue&gt;-poison</c>, which <c>WarehouseEventsPoison</c> drains
/// into the failed-events table (a message that stays there means it cannot record them), and
/// <c>&lt;queue&gt;-poison-poison</c>, where the host moves what that function itself failed on and which nothing drains.
/// Readiness and the metrics <c>flexfunctions.warehouse.poison.depth</c> / <c>.oldest_age</c> report them; the
/// operator lists and replays their messages through the failed-events admin routes.
/// </summary>
public sealed partial class PoisonQueues : IDisposable
{
    /// <summary>A message older than this on the first poison queue is not being recorded: readiness says so.</summary>
    public static readonly TimeSpan StuckAfter = TimeSpan.FromMinutes(15);

    /// <summary>How long a sample feeds the metrics before the next collection asks the queues again.</summary>
    private static readonly TimeSpan SampleLife = TimeSpan.FromMinutes(1);

    private const int MaxPeek = 32; // the queue service's most per peek or receive

    private readonly WarehouseQueue _live;
    private readonly TimeProvider _time;
    private readonly ILogger<PoisonQueues> _logger;
    private readonly Meter _meter;
    private volatile Sample? _last;
    private int _sampling;

    public PoisonQueues(WarehouseQueue live, TimeProvider time, IMeterFactory meters, ILogger<PoisonQueues> logger)
    {
        ArgumentNullException.ThrowIfNull(live);
        ArgumentNullException.ThrowIfNull(meters);
        _live = live;
        _time = time;
        _logger = logger;
        _meter = meters.Create(FlexTelemetry.Name);
        _meter.CreateObservableGauge("flexfunctions.warehouse.poison.depth", () => Observe(d => d.Messages), "{message}",
            "Messages on the warehouse queue's poison queues (queue = poison, poison-poison).");
        _meter.CreateObservableGauge("flexfunctions.warehouse.poison.oldest_age", () => Observe(d => d.OldestAgeSeconds ?? 0), "s",
            "Age of the oldest message on each poison queue (0 when empty).");
    }

    private QueueClient Queue(string kind) => _live.Client.GetParentQueueServiceClient().GetQueueClient(
        kind == FailedEventKinds.PoisonQueue ? _live.Client.Name + "-poison" : _live.Client.Name + "-poison-poison");

    /// <summary>Depth and oldest age of both poison queues (a queue that does not exist is empty).</summary>
    public async Task<IReadOnlyList<PoisonQueueDepth>> SampleAsync(CancellationToken cancellationToken = default)
    {
        var depths = await Task.WhenAll(FailedEventKinds.PoisonQueueKinds.Select(async kind =>
        {
            var queue = Queue(kind);
            try
            {
                var properties = await queue.GetPropertiesAsync(cancellationToken).ConfigureAwait(false);
                double? age = null;
                if (properties.Value.ApproximateMessagesCount > 0)
                {
                    // The front of the queue is its oldest visible message.
                    var front = await queue.PeekMessagesAsync(1, cancellationToken).ConfigureAwait(false);
                    age = front.Value.FirstOrDefault()?.InsertedOn is { } inserted ? Math.Max(0, (_time.GetUtcNow() - inserted).TotalSeconds) : null;
                }

                return new PoisonQueueDepth(kind, queue.Name, properties.Value.ApproximateMessagesCount, age);
            }
            catch (RequestFailedException ex) when (ex.Status == 404)
            {
                return new PoisonQueueDepth(kind, queue.Name, 0, null);
            }
        })).ConfigureAwait(false);
        _last = new Sample(depths, _time.GetUtcNow());
        return depths;
    }

    /// <summary>The messages on both poison queues (up to 32 each: the oldest), without taking them.</summary>
    public async Task<IReadOnlyList<QueuedPoisonMessage>> ListAsync(string? kind, CancellationToken cancellationToken = default)
    {
        var list = new List<QueuedPoisonMessage>();
        foreach (var k in FailedEventKinds.PoisonQueueKinds.Where(k => kind is null || k == kind))
        {
            try
            {
                var peeked = await Queue(k).PeekMessagesAsync(MaxPeek, cancellationToken).ConfigureAwait(false);
                list.AddRange(peeked.Value.Select(m => new QueuedPoisonMessage
                {
                    Kind = k,
                    Id = m.MessageId,
                    InsertedOn = m.InsertedOn,
                    DequeueCount = m.DequeueCount,
                    Message = m.Body?.ToString(),
                }));
            }
            catch (RequestFailedException ex) when (ex.Status == 404)
            {
                // Never created: nothing there.
            }
        }

        return list;
    }

    /// <summary>
    /// Puts one poison-queue message back on the live queue and removes it from the poison queue; false when it is not
    /// there (replayed already, or the poison function is recording it right now).
    /// </summary>
    public async Task<bool> ReplayAsync(string kind, string id, CancellationToken cancellationToken = default)
    {
        var queue = Queue(kind);
        QueueMessage[] taken;
        try
        {
            // Only received messages can be deleted; the others go straight back (visible again at once).
            taken = (await queue.ReceiveMessagesAsync(MaxPeek, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false)).Value;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return false;
        }

        var found = false;
        foreach (var message in taken)
        {
            if (message.MessageId == id)
            {
                // Send first, delete after: a crash in between leaves two copies, which the ledger deduplicates.
                await _live.Client.SendMessageAsync(FailedEventReplayer.WithTraceParent(message.Body?.ToString() ?? string.Empty), cancellationToken).ConfigureAwait(false);
                await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken).ConfigureAwait(false);
                found = true;
                LogReplayed(_logger, kind, id);
            }
            else
            {
                await queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: TimeSpan.Zero, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
        }

        return found;
    }

    /// <summary>Every message on the poison queues back onto the live queue; returns the ids replayed.</summary>
    public async Task<IReadOnlyList<string>> ReplayAllAsync(string? kind, CancellationToken cancellationToken = default)
    {
        var replayed = new List<string>();
        foreach (var message in await ListAsync(kind, cancellationToken).ConfigureAwait(false))
        {
            if (await ReplayAsync(message.Kind, message.Id, cancellationToken).ConfigureAwait(false))
            {
                replayed.Add(message.Id);
            }
        }

        return replayed;
    }

    private IEnumerable<Measurement<T>> Observe<T>(Func<PoisonQueueDepth, T> value)
        where T : struct
    {
        var last = _last;
        if ((last is null || _time.GetUtcNow() - last.At > SampleLife) && Interlocked.Exchange(ref _sampling, 1) == 0)
        {
            // Never block the collector on storage: the next collection reports what this one fetched.
            _ = Task.Run(async () =>
            {
                try
                {
                    await SampleAsync().ConfigureAwait(false);
                }
                catch (Exception ex) when (Dependencies.DependencyOutage.Is(ex))
                {
                    LogSampleFailed(_logger, Dependencies.DependencyOutage.Describe(ex));
                }
                finally
                {
                    Volatile.Write(ref _sampling, 0);
                }
            });
        }

        return last is null ? [] : last.Depths.Select(d => new Measurement<T>(value(d), new KeyValuePair<string, object?>("queue", d.Kind)));
    }

    public void Dispose() => _meter.Dispose();

    private sealed record Sample(IReadOnlyList<PoisonQueueDepth> Depths, DateTimeOffset At);

    [LoggerMessage(Level = LogLevel.Information, Message = "Replayed message {Id} from the {Kind} onto the live warehouse queue")]
    private static partial void LogReplayed(ILogger logger, string kind, string id);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The poison queues could not be sampled for the metrics ({Failure})")]
    private static partial void LogSampleFailed(ILogger logger, string failure);
}
