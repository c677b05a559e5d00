using System.Diagnostics;
using System.Globalization;
using Azure.Storage.Queues.Specialized;
using FlexFunctions.Shared.Dependencies;
using FlexFunctions.Shared.FlexShopper;
using FlexFunctions.Shared.FlexShopper.Models;
using FlexFunctions.Shared.Observability;
using FlexFunctions.Shared.Redaction;
using FlexFunctions.Shared.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlexFunctions.Shared.Confirmations;

/// <summary>One delivery of a queue message: its text and what the queue says about it.</summary>
public sealed record WarehouseDelivery(string? Text, string? MessageId, long DequeueCount);

/// <summary>How a delivery ended when it did not throw.</summary>
public enum ProcessOutcome
{
    /// <summary>FlexShopper confirmed the event on this delivery.</summary>
    Confirmed,

    /// <summary>The event was already done: acknowledged without calling FlexShopper.</summary>
    Duplicate,

    /// <summary>An earlier attempt had reached FlexShopper (seen on the transaction): recorded as done without sending again.</summary>
    AlreadyApplied,

    /// <summary>Bad message or a permanent FlexShopper refusal: written to the failed-events table, not retried.</summary>
    Rejected,

    /// <summary>
    /// Another delivery holds the event's claim: acknowledged, with a copy put back on the queue to look again after
    /// a short delay (harmless, the ledger decides), rather than failed and left for the visibility timeout.
    /// </summary>
    Deferred,
}

/// <summary>Thrown so the queue redelivers the message later; the reason is kept in the ledger for the poison record.</summary>
public sealed class TransientConfirmationException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Validates, deduplicates, calls FlexShopper and records the outcome of one warehouse event delivery. Transient
/// failures throw <see cref="TransientConfirmationException"/>; everything else completes the delivery.
/// </summary>
public sealed partial class ConfirmationProcessor(
    WarehouseMessageReader reader,
    ConfirmationLedger ledger,
    FailedEventStore failures,
    IFlexShopperClient flexShopper,
    WarehouseQueue queue,
    IOptions<ConfirmationsOptions> options,
    TimeProvider time,
    FlexTelemetry telemetry,
    ILogger<ConfirmationProcessor> logger)
{
    /// <summary>The shortest wait before a deferred copy looks again: most claims are settled by then.</summary>
    internal static readonly TimeSpan FirstRecheck = TimeSpan.FromSeconds(2);

    /// <summary>One delivery in one span (linked to the sender's trace when the message carries one), counted by outcome.</summary>
    public async Task<ProcessOutcome> ProcessAsync(WarehouseDelivery delivery, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        var read = reader.Read(delivery.Text);
        using var activity = Correlation.StartLinked("WarehouseEvent " + (read.Event?.Type ?? "unreadable"), ActivityKind.Consumer, read.TraceParent);
        activity?.SetTag("warehouse.delivery", delivery.DequeueCount);
        var outcome = "error";
        try
        {
            var result = await ProcessReadAsync(delivery, read, cancellationToken).ConfigureAwait(false);
            outcome = result switch
            {
                ProcessOutcome.Confirmed => "confirmed",
                ProcessOutcome.Duplicate => "duplicate",
                ProcessOutcome.AlreadyApplied => "already_applied",
                ProcessOutcome.Deferred => "deferred",
                _ => "rejected",
            };
            return result;
        }
        catch (TransientConfirmationException)
        {
            outcome = "transient";
            activity?.SetStatus(ActivityStatusCode.Error, outcome);
            throw;
        }
        catch (Exception ex) when (DependencyOutage.Is(ex, cancellationToken))
        {
            // Our ledger or failed-events table is unreachable: the invocation fails and the queue redelivers the
            // message, said as what it is (not a stack trace of whichever storage call happened to fail last).
            outcome = "transient";
            activity?.SetStatus(ActivityStatusCode.Error, outcome);
            LogStorageUnavailable(logger, read.Event?.Type ?? "unreadable", read.Event?.Key, delivery.MessageId, delivery.DequeueCount, DependencyOutage.Describe(ex));
            throw new TransientConfirmationException($"Our storage is unavailable ({DependencyOutage.Describe(ex)}); the queue will deliver this message again.", ex);
        }
        catch (Exception)
        {
            activity?.SetStatus(ActivityStatusCode.Error, outcome);
            throw;
        }
        finally
        {
            activity?.SetTag("outcome", outcome);
            telemetry.RecordConfirmation(outcome);
        }
    }

    private async Task<ProcessOutcome> ProcessReadAsync(WarehouseDelivery delivery, ReadResult read, CancellationToken cancellationToken)
    {
        if (read.Event is not { } e)
        {
            await RecordAsync(FailedEventKinds.Failed, read.Reason!, delivery, read, null, null, cancellationToken).ConfigureAwait(false);
            LogBadMessage(logger, delivery.MessageId, read.Reason!);
            return ProcessOutcome.Rejected;
        }

        // A redelivery's event is almost always in the ledger already: reading first saves the insert that would fail.
        var claim = await ledger.TryClaimAsync(e, delivery.MessageId, likelySeen: delivery.DequeueCount > 1, cancellationToken).ConfigureAwait(false);
        switch (claim.Status)
        {
            case ClaimStatus.AlreadyDone:
                LogDuplicate(logger, e.Type, e.Key, delivery.MessageId);
                return ProcessOutcome.Duplicate;
            case ClaimStatus.PreviouslyRejected:
                // Already in the failed-events table; the operator's replay resets it. Said at Warning: a warehouse
                // resending a refused event (say, a shipment sent before finalize) needs an operator, not silence.
                LogResendOfRejected(logger, e.Type, e.Key, delivery.MessageId, claim.LastError);
                return ProcessOutcome.Duplicate;
            case ClaimStatus.HeldElsewhere:
                return await DeferAsync(delivery, e, claim, cancellationToken).ConfigureAwait(false);
        }

        // Stop before the claim runs out so no other delivery can take over while this one is still calling.
        var lease = options.Value.ClaimLease;
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        attempt.CancelAfter(lease - TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(5).Ticks, lease.Ticks / 5)));
        try
        {
            if (claim.PreviousOutcomeUnknown && await AlreadyAppliedAsync(e, attempt.Token).ConfigureAwait(false))
            {
                await ledger.MarkDoneAsync(claim, CancellationToken.None).ConfigureAwait(false);
                LogAlreadyApplied(logger, e.Type, e.Key, claim.Attempt);
                return ProcessOutcome.AlreadyApplied;
            }

            var itemFailures = await SendAsync(e, attempt.Token).ConfigureAwait(false);
            if (!await MarkConfirmedAsync(e, claim).ConfigureAwait(false))
            {
                LogClaimLost(logger, e.Type, e.Key);
            }

            if (itemFailures is not null)
            {
                await RecordAsync(FailedEventKinds.Review, itemFailures, delivery, read, claim, null, CancellationToken.None).ConfigureAwait(false);
            }

            LogConfirmed(logger, e.Type, e.Key, claim.Attempt);
            return ProcessOutcome.Confirmed;
        }
        catch (FlexShopperApiException ex) when (ex.IsTransient)
        {
            // Only 408, 429, 503 or a call never sent prove FlexShopper did not act; a timeout or another 5xx (a
            // gateway's 502/504 can follow a change upstream) leaves the outcome unknown for the redelivery to check.
            var reason = "FlexShopper transient failure: " + ex.Message;
            await ReleaseAsync(claim, reason, outcomeUnknown: !ex.CertainlyNotApplied).ConfigureAwait(false);
            LogTransient(logger, e.Type, e.Key, delivery.DequeueCount, ex.Kind, StatusText(ex), ex.Message);
            throw new TransientConfirmationException(reason, ex);
        }
        catch (FlexShopperApiException ex) when (ex.Kind == FlexShopperErrorKind.NonJsonResponse && ex.StatusCode is { } ok && (int)ok is >= 200 and < 300)
        {
            // A success status with a page that is not FlexShopper's JSON: FlexShopper or a proxy in the way answered,
            // and we cannot tell which. Outcome unknown: the redelivery reads the transaction before sending again.
            var reason = "FlexShopper's answer could not be trusted: " + ex.Message;
            await ReleaseAsync(claim, reason, outcomeUnknown: true).ConfigureAwait(false);
            LogTransient(logger, e.Type, e.Key, delivery.DequeueCount, ex.Kind, StatusText(ex), ex.Message);
            throw new TransientConfirmationException(reason, ex);
        }
        catch (FlexShopperApiException ex) when (ex.Kind == FlexShopperErrorKind.UnexpectedResponse)
        {
            // A success status whose body we cannot read: FlexShopper acted, so sending again would double it.
            await ledger.MarkDoneAsync(claim, CancellationToken.None).ConfigureAwait(false);
            await RecordAsync(FailedEventKinds.Review, "FlexShopper accepted the event but its answer was unreadable: " + ex.Message, delivery, read, claim, null, CancellationToken.None).ConfigureAwait(false);
            return ProcessOutcome.Confirmed;
        }
        catch (FlexShopperApiException ex)
        {
            var reason = $"FlexShopper refused the event ({(ex.StatusCode is { } s ? ((int)s).ToString(CultureInfo.InvariantCulture) : "no status")}{(ex.Code is null ? "" : " " + ex.Code)}): {ex.Message}";
            await ledger.MarkRejectedAsync(claim, reason, CancellationToken.None).ConfigureAwait(false);
            await RecordAsync(FailedEventKinds.Failed, reason, delivery, read, claim, null, CancellationToken.None).ConfigureAwait(false);
            LogRejected(logger, e.Type, e.Key, StatusText(ex), ex.Code, reason);
            return ProcessOutcome.Rejected;
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            const string reason = "The attempt ran out of its claim time before FlexShopper answered.";
            await ReleaseAsync(claim, reason, outcomeUnknown: true).ConfigureAwait(false);
            throw new TransientConfirmationException(reason, ex);
        }
        catch (Exception ex) when (ex is not TransientConfirmationException)
        {
            // Storage trouble or shutdown: give the claim back (outcome unknown) and let the queue redeliver.
            await ReleaseAsync(claim, "Processing failed: " + ex.Message, outcomeUnknown: true).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// A concurrent duplicate, not a failure: the claim's holder is calling FlexShopper now. The message is acknowledged
    /// and its text (traceparent and all) put back on the queue, hidden for a while; that copy then finds the event
    /// done, or takes the claim over if its holder released it or died. Sent before the acknowledgement, so a crash in
    /// between leaves two copies, which the ledger deduplicates.
    /// </summary>
    private async Task<ProcessOutcome> DeferAsync(WarehouseDelivery delivery, ValidEvent e, LedgerClaim claim, CancellationToken cancellationToken)
    {
        var remaining = claim.LeaseUntil - time.GetUtcNow();
        var delay = RecheckDelay(options.Value.ClaimLease - remaining, remaining);
        try
        {
            await queue.Client.SendMessageAsync(delivery.Text, delay, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Not put back: fail so the queue redelivers this message itself after its visibility timeout.
            throw new TransientConfirmationException($"Event {e.Key} is held by another delivery and could not be put back on the queue: {ex.Message}", ex);
        }

        LogDeferred(logger, e.Type, e.Key, delivery.MessageId, claim.LeaseUntil, delay.TotalSeconds);
        return ProcessOutcome.Deferred;
    }

    /// <summary>
    /// How long a deferred copy stays hidden: as long as the claim has been held so far (a slow call backs off,
    /// doubling each time), at least <see cref="FirstRecheck"/>, and never past one second after the claim runs out,
    /// when the copy may take it over. Whole seconds: the queue counts visibility in seconds.
    /// </summary>
    internal static TimeSpan RecheckDelay(TimeSpan heldFor, TimeSpan remaining)
    {
        var wait = heldFor > FirstRecheck ? heldFor : FirstRecheck;
        var latest = (remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero) + TimeSpan.FromSeconds(1);
        return TimeSpan.FromSeconds(Math.Ceiling((wait < latest ? wait : latest).TotalSeconds));
    }

    /// <summary>
    /// Records FlexShopper's confirmation. If our storage fails just then, the delivery fails as transient with that
    /// said plainly: the row keeps "outcome unknown", so the redelivery finds the event applied at FlexShopper and
    /// does not send it again.
    /// </summary>
    private async Task<bool> MarkConfirmedAsync(ValidEvent e, LedgerClaim claim)
    {
        try
        {
            return await ledger.MarkDoneAsync(claim, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (DependencyOutage.Is(ex))
        {
            var failure = DependencyOutage.Describe(ex);
            LogConfirmedNotRecorded(logger, e.Type, e.Key, failure);
            await ReleaseAsync(claim, "FlexShopper confirmed the event but the ledger could not record it.", outcomeUnknown: true).ConfigureAwait(false);
            throw new TransientConfirmationException(
                $"FlexShopper confirmed the event but our storage failed to record it ({failure}); the next delivery checks FlexShopper and does not send it again.", ex);
        }
    }

    /// <summary>
    /// Gives the claim back after a failure. If storage fails here too, the original failure is what is reported:
    /// the claim then simply runs out, and the row already says "outcome unknown", so the next delivery checks
    /// FlexShopper's transaction before sending anything again.
    /// </summary>
    private async Task ReleaseAsync(LedgerClaim claim, string reason, bool outcomeUnknown)
    {
        try
        {
            await ledger.ReleaseAsync(claim, reason, outcomeUnknown, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (DependencyOutage.Is(ex))
        {
            LogReleaseFailed(logger, claim.RowKey, claim.LeaseUntil, DependencyOutage.Describe(ex));
        }
    }

    /// <summary>
    /// Records a message the queue gave up on, with the last reason the ledger knows, so nothing is lost. With our
    /// storage down it cannot be recorded: a copy goes back on the poison queue for later and null is returned.
    /// </summary>
    public async Task<FailedEvent?> RecordPoisonedAsync(WarehouseDelivery delivery, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        try
        {
            return await RecordPoisonedCoreAsync(delivery, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (DependencyOutage.Is(ex, cancellationToken))
        {
            // Failing here until the poison queue gives up would move the message to '<queue>-poison-poison', which
            // nothing reads, and its copy would expire there. So a copy that never expires goes back on the poison
            // queue, visible again after a while; the record is keyed by the message text, so a second copy is harmless.
            // If the queue is down as well, this throws and the host keeps the message where it is.
            var poison = queue.Client.GetParentQueueServiceClient().GetQueueClient(queue.Client.Name + "-poison");
            await poison.SendMessageAsync(delivery.Text ?? string.Empty, PoisonRetryDelay, timeToLive: TimeSpan.FromSeconds(-1), cancellationToken).ConfigureAwait(false);
            LogPoisonDeferred(logger, delivery.MessageId, DependencyOutage.Describe(ex), PoisonRetryDelay.TotalSeconds);
            return null;
        }
    }

    /// <summary>How long a poisoned message waits on the poison queue when our storage could not record it.</summary>
    internal static readonly TimeSpan PoisonRetryDelay = TimeSpan.FromMinutes(1);

    private async Task<FailedEvent> RecordPoisonedCoreAsync(WarehouseDelivery delivery, CancellationToken cancellationToken)
    {
        var read = reader.Read(delivery.Text);
        string reason;
        int? attempts = null;
        if (read.Event is { } e && await ledger.GetAsync(e.TransactionId, e.Key, cancellationToken).ConfigureAwait(false) is { } entry)
        {
            attempts = entry.Attempts;
            reason = entry.State == LedgerState.Done
                ? "Moved to the poison queue although the event is confirmed (a late duplicate); replaying it is harmless."
                : string.Create(CultureInfo.InvariantCulture, $"Gave up after {entry.Attempts} attempt(s); last failure: {entry.LastError ?? "none recorded (the attempt did not report back)"}");
        }
        else
        {
            reason = read.Reason ?? "Gave up after every delivery failed before the event reached the ledger (storage unavailable?).";
        }

        var recorded = await RecordAsync(FailedEventKinds.Poisoned, reason, delivery, read, null, attempts, cancellationToken).ConfigureAwait(false);
        telemetry.RecordConfirmation("poisoned");
        LogPoisoned(logger, delivery.MessageId, reason);
        return recorded;
    }

    private Task<FailedEvent> RecordAsync(string kind, string reason, WarehouseDelivery delivery, ReadResult read, LedgerClaim? claim, int? attempts, CancellationToken cancellationToken) =>
        failures.RecordAsync(new FailedEvent
        {
            Kind = kind,
            Id = EventKey.Hash(delivery.Text ?? ""),
            Reason = reason,
            TransactionId = read.TransactionId,
            EventType = read.Type,
            EventKey = read.Event?.Key,
            MessageId = delivery.MessageId,
            DequeueCount = delivery.DequeueCount,
            Attempts = attempts ?? claim?.Attempt,
            Encoding = read.Encoding,
        }, delivery.Text, cancellationToken);

    /// <summary>Sends the event; returns a description of items FlexShopper did not act on, if any.</summary>
    private async Task<string?> SendAsync(ValidEvent e, CancellationToken cancellationToken)
    {
        switch (e.Type)
        {
            case WarehouseEventTypes.Shipment:
                var shipped = e.Items.Select(i => new ShippedItem(i.Carrier!, i.ShipDate!)
                {
                    Sku = i.Sku,
                    Quantity = i.Quantity,
                    TrackingNumber = i.TrackingNumber,
                    TrackingLink = i.TrackingLink,
                    DeliveryDate = i.DeliveryDate,
                }).ToList();
                await flexShopper.ConfirmShipmentAsync(e.TransactionId, new ShipmentConfirmation(shipped), cancellationToken).ConfigureAwait(false);
                return null;
            case WarehouseEventTypes.Receipt:
                var received = e.Items.Count == 0 ? null : e.Items.Select(i => new ReceivedItem { Sku = i.Sku, Quantity = i.Quantity, ReceivedDate = i.ReceivedDate }).ToList();
                await flexShopper.ConfirmReceiptAsync(e.TransactionId, new ReceiptConfirmation(received), cancellationToken).ConfigureAwait(false);
                return null;
            case WarehouseEventTypes.Cancel:
                var canceled = await flexShopper.CancelItemsAsync(e.TransactionId, ToItems(e), cancellationToken).ConfigureAwait(false);
                return Describe("cancel", canceled.Failed);
            default:
                var returned = await flexShopper.ReturnItemsAsync(e.TransactionId, ToItems(e), cancellationToken).ConfigureAwait(false);
                return Describe("return", returned.Failed);
        }
    }

    private static ItemsRequest ToItems(ValidEvent e) =>
        new(e.Items.Count == 0 ? null : e.Items.Select(i => new ItemQuantity(i.Sku!, i.Quantity)).ToList());

    private static string? Describe(string what, IReadOnlyList<ItemQuantity>? failed) => failed is { Count: > 0 }
        ? $"FlexShopper accepted the event but did not {what}: " + string.Join(", ", failed.Select(f => f.Quantity is { } q ? string.Create(CultureInfo.InvariantCulture, $"{f.Sku} x{q}") : f.Sku))
        : null;

    /// <summary>
    /// After an attempt whose outcome is unknown (its process died or FlexShopper did not answer), looks at the
    /// transaction: if it already shows this event's units on top of those of earlier done events, the event is
    /// not sent again. When the transaction cannot tell (its item status counts are absent), we send again.
    /// </summary>
    private async Task<bool> AlreadyAppliedAsync(ValidEvent e, CancellationToken cancellationToken)
    {
        var transaction = await flexShopper.GetTransactionAsync(e.TransactionId, cancellationToken).ConfigureAwait(false);
        var earlier = await ledger.DoneQuantitiesAsync(e.TransactionId, e.Type, e.Key, cancellationToken).ConfigureAwait(false);
        return TransactionStatus.Shows(transaction, e, earlier);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Warehouse {Type} event {EventKey} (message {MessageId}) not processed on delivery {DequeueCount}: our storage is unavailable ({Failure}); the queue will deliver it again")]
    private static partial void LogStorageUnavailable(ILogger logger, string type, string? eventKey, string? messageId, long dequeueCount, string failure);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Poisoned warehouse message {MessageId} could not be recorded: our storage is unavailable ({Failure}); a copy is back on the poison queue for {DelaySeconds} s")]
    private static partial void LogPoisonDeferred(ILogger logger, string? messageId, string failure, double delaySeconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Warehouse {Type} event {EventKey} confirmed by FlexShopper, but our storage failed to record it ({Failure}); the next delivery checks FlexShopper and does not send it again")]
    private static partial void LogConfirmedNotRecorded(ILogger logger, string type, string eventKey, string failure);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Warehouse event {EventKey}: the claim could not be given back ({Failure}); it runs out at {LeaseUntil} and the next delivery checks FlexShopper first")]
    private static partial void LogReleaseFailed(ILogger logger, string eventKey, DateTimeOffset leaseUntil, string failure);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Warehouse message {MessageId} rejected: {Reason}")]
    private static partial void LogBadMessage(ILogger logger, string? messageId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Warehouse {Type} event {EventKey} already handled; message {MessageId} acknowledged without calling FlexShopper")]
    private static partial void LogDuplicate(ILogger logger, string type, string eventKey, string? messageId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Warehouse {Type} event {EventKey} is being handled by another delivery (claim until {LeaseUntil:O}); message {MessageId} acknowledged and a copy put back to look again in {DelaySeconds:F0} s")]
    private static partial void LogDeferred(ILogger logger, string type, string eventKey, string? messageId, DateTimeOffset leaseUntil, double delaySeconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Warehouse {Type} event {EventKey} confirmed by FlexShopper on attempt {Attempt}")]
    private static partial void LogConfirmed(ILogger logger, string type, string eventKey, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Warehouse {Type} event {EventKey}: attempt {Attempt} found it already applied at FlexShopper; not sent again")]
    private static partial void LogAlreadyApplied(ILogger logger, string type, string eventKey, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Warehouse {Type} event {EventKey} confirmed but its claim had been taken over; the other delivery will find it applied")]
    private static partial void LogClaimLost(ILogger logger, string type, string eventKey);

    private static string StatusText(FlexShopperApiException ex) =>
        ex.StatusCode is { } status ? ((int)status).ToString(CultureInfo.InvariantCulture) : "no answer";

    // FlexShopper's own words can echo what it was sent: classified, so the redactor erases them from logs. The
    // failed-events table keeps the full reason for the operator.
    [LoggerMessage(Level = LogLevel.Warning, Message = "Warehouse {Type} event {EventKey} failed transiently on delivery {DequeueCount}: {Kind} ({Status}) {Reason}")]
    private static partial void LogTransient(ILogger logger, string type, string eventKey, long dequeueCount, FlexShopperErrorKind kind, string status, [UpstreamText] string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Warehouse {Type} event {EventKey} rejected for good by FlexShopper ({Status} {Code}); the reason is in the failed-events table {Reason}")]
    private static partial void LogRejected(ILogger logger, string type, string eventKey, string status, string? code, [UpstreamText] string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Warehouse message {MessageId} was poisoned; the reason is in the failed-events table {Reason}")]
    private static partial void LogPoisoned(ILogger logger, string? messageId, [UpstreamText] string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Warehouse {Type} event {EventKey} (message {MessageId}) was sent again after FlexShopper refused it; it stays in failed events until replayed: {Reason}")]
    private static partial void LogResendOfRejected(ILogger logger, string type, string eventKey, string? messageId, [UpstreamText] string? reason);
}
