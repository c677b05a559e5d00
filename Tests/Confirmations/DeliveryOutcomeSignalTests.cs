using System.Diagnostics;
using System.Diagnostics.Metrics;
using FlexFunctions.Shared.Confirmations;
using FlexFunctions.Shared.Observability;
using FlexFunctions.Tests.Infrastructure;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;

namespace FlexFunctions.Tests.Confirmations;

/// <summary>
/// What an operator sees of each delivery's outcome: the <c>flexfunctions.confirmations</c> count by outcome (README's
/// list), one consumer span per delivery named for the event type and tagged with the delivery number and outcome, and
/// the log line at the level that says whether someone must act.
/// </summary>
public sealed class DeliveryOutcomeSignalTests
{
    private const string Tx = ConfirmationHarness.Transaction;
    private const string ShipPath = $"transactions/{Tx}/confirm-shipment";

    [Fact]
    public async Task A_confirmation_then_its_duplicate_are_counted_traced_and_logged_as_such()
    {
        await using var h = new ConfirmationHarness();
        h.Answer(ShipPath, 200);
        using var outcomes = Outcomes(h);
        var (text, link) = WithTrace(ConfirmationHarness.Shipment());

        Assert.Equal(ProcessOutcome.Confirmed, await h.Deliver(text, dequeueCount: 3));
        Assert.Equal(["confirmed"], Counted(outcomes));
        var confirmed = Assert.Single(SpansLinkedTo(h, link));
        Assert.Equal(("WarehouseEvent shipment", ActivityKind.Consumer, "3", "confirmed", ActivityStatusCode.Unset),
            (confirmed.Name, confirmed.Kind, confirmed.Tag("warehouse.delivery"), confirmed.Tag("outcome"), confirmed.Status));
        Assert.Contains(h.Services.Logs.GetSnapshot(), r => r.Level == LogLevel.Information && r.Message.Contains("confirmed by FlexShopper on attempt 1", StringComparison.Ordinal));
        // The confirmation is recorded: nothing says its claim was lost.
        Assert.DoesNotContain(h.Services.Logs.GetSnapshot(), r => r.Message.Contains("taken over", StringComparison.Ordinal));

        Assert.Equal(ProcessOutcome.Duplicate, await h.Deliver(text, dequeueCount: 4));
        Assert.Equal(["confirmed", "duplicate"], Counted(outcomes));
        Assert.Contains(SpansLinkedTo(h, link), s => s.Tag("outcome") == "duplicate" && s.Tag("warehouse.delivery") == "4");
        Assert.Contains(h.Services.Logs.GetSnapshot(), r => r.Level == LogLevel.Information && r.Message.Contains("already handled", StringComparison.Ordinal)
            && r.Message.Contains("acknowledged without calling FlexShopper", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_bad_message_is_counted_rejected_in_an_unreadable_span_with_a_warning_naming_the_reason()
    {
        await using var h = new ConfirmationHarness();
        using var outcomes = Outcomes(h);
        const long delivery = 4_217; // no other test delivers a message this often: it finds this span

        Assert.Equal(ProcessOutcome.Rejected, await h.Deliver("shipped order T-1001 today", delivery));

        Assert.Equal(["rejected"], Counted(outcomes));
        var span = Assert.Single(h.Services.Spans.Spans, s => s.Name == "WarehouseEvent unreadable" && s.Tag("warehouse.delivery") == "4217");
        Assert.Equal("rejected", span.Tag("outcome"));
        Assert.Contains(h.Services.Logs.GetSnapshot(), r => r.Level == LogLevel.Warning && r.Message.Contains("rejected: ", StringComparison.Ordinal)
            && r.Message.Contains("neither JSON nor base64-encoded JSON", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_transient_failure_is_counted_and_traced_as_an_error_and_warned_with_its_status()
    {
        await using var h = new ConfirmationHarness();
        h.Answer(ShipPath, 503, """{"error":{"statusCode":503,"message":"maintenance"}}""");
        using var outcomes = Outcomes(h);
        var (text, link) = WithTrace(ConfirmationHarness.Shipment());

        await Assert.ThrowsAsync<TransientConfirmationException>(() => h.Deliver(text, dequeueCount: 2));

        Assert.Equal(["transient"], Counted(outcomes));
        var span = Assert.Single(SpansLinkedTo(h, link));
        Assert.Equal(("transient", ActivityStatusCode.Error, "transient"), (span.Tag("outcome"), span.Status, span.StatusDescription));
        Assert.Contains(h.Services.Logs.GetSnapshot(), r => r.Level == LogLevel.Warning
            && r.Message.Contains("failed transiently on delivery 2", StringComparison.Ordinal) && r.Message.Contains("(503)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task FlexShopper_unreachable_is_warned_as_no_answer_and_known_not_applied()
    {
        // Nothing listens on port 1 of the loopback: the call is refused before anything is sent.
        await using var h = new ConfirmationHarness(s => s["FlexShopper:BaseUrl"] = "http://127.0.0.1:1");

        await Assert.ThrowsAsync<TransientConfirmationException>(() => h.Deliver(ConfirmationHarness.Shipment()));

        Assert.Contains(h.Services.Logs.GetSnapshot(), r => r.Level == LogLevel.Warning
            && r.Message.Contains("failed transiently on delivery 1", StringComparison.Ordinal) && r.Message.Contains("(no answer)", StringComparison.Ordinal));
        var key = h.Services.Get<WarehouseMessageReader>().Read(ConfirmationHarness.Shipment()).Event!.Key;
        Assert.False((await h.Ledger.GetAsync(Tx, key, CancellationToken.None))!.OutcomeUnknown);
    }

    [Fact]
    public async Task A_refusal_is_an_error_line_and_its_resend_a_warning_each_counted()
    {
        await using var h = new ConfirmationHarness();
        h.Answer(ShipPath, 404, """{"error":{"statusCode":404,"code":"TransactionNotFound","message":"The transaction with the provided id was not found"}}""");
        using var outcomes = Outcomes(h);

        Assert.Equal(ProcessOutcome.Rejected, await h.Deliver(ConfirmationHarness.Shipment()));
        Assert.Contains(h.Services.Logs.GetSnapshot(), r => r.Level == LogLevel.Error
            && r.Message.Contains("rejected for good by FlexShopper (404 TransactionNotFound)", StringComparison.Ordinal));

        Assert.Equal(ProcessOutcome.Duplicate, await h.Deliver(ConfirmationHarness.Shipment()));
        Assert.Contains(h.Services.Logs.GetSnapshot(), r => r.Level == LogLevel.Warning
            && r.Message.Contains("was sent again after FlexShopper refused it", StringComparison.Ordinal));
        Assert.Equal(["rejected", "duplicate"], Counted(outcomes));
    }

    [Fact]
    public async Task An_event_found_already_applied_is_counted_as_such_and_warned()
    {
        await using var h = new ConfirmationHarness();
        h.Answer(ShipPath, 502, """{"message":"bad gateway"}""");
        h.AnswerTransaction("""[{"sku":"SKU-1","quantity":{"ordered":2,"shipped":2}}]""");
        using var outcomes = Outcomes(h);

        await Assert.ThrowsAsync<TransientConfirmationException>(() => h.Deliver(ConfirmationHarness.Shipment(), 1));
        Assert.Equal(ProcessOutcome.AlreadyApplied, await h.Deliver(ConfirmationHarness.Shipment(), 2));

        Assert.Equal(["transient", "already_applied"], Counted(outcomes));
        Assert.Contains(h.Services.Logs.GetSnapshot(), r => r.Level == LogLevel.Warning
            && r.Message.Contains("attempt 2 found it already applied at FlexShopper", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_deferred_copy_a_poisoned_message_and_a_delivery_cut_short_by_shutdown_are_each_counted()
    {
        await using var h = new ConfirmationHarness();
        using var outcomes = Outcomes(h);
        var e = h.Services.Get<WarehouseMessageReader>().Read(ConfirmationHarness.Shipment()).Event!;
        await h.Ledger.TryClaimAsync(e, "holder", CancellationToken.None);

        Assert.Equal(ProcessOutcome.Deferred, await h.Deliver(ConfirmationHarness.Shipment()));
        await h.Processor.RecordPoisonedAsync(new WarehouseDelivery("not json", "p1", 5), CancellationToken.None);
        Assert.Contains(h.Services.Logs.GetSnapshot(), r => r.Level == LogLevel.Error && r.Message.Contains("was poisoned", StringComparison.Ordinal));

        // The host is shutting down: neither a confirmation nor a transient failure of ours.
        using var stopping = new CancellationTokenSource();
        await stopping.CancelAsync();
        var (text, link) = WithTrace(ConfirmationHarness.Shipment(sku: "SKU-2"));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => h.Processor.ProcessAsync(new WarehouseDelivery(text, "m9", 1), stopping.Token));

        Assert.Equal(["deferred", "poisoned", "error"], Counted(outcomes));
        var cut = Assert.Single(SpansLinkedTo(h, link));
        Assert.Equal(("error", ActivityStatusCode.Error), (cut.Tag("outcome"), cut.Status));
    }

    [Fact]
    public async Task A_missing_delivery_is_a_programming_error_said_as_such()
    {
        await using var h = new ConfirmationHarness();

        await Assert.ThrowsAsync<ArgumentNullException>(() => h.Processor.ProcessAsync(null!, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentNullException>(() => h.Processor.RecordPoisonedAsync(null!, CancellationToken.None));
    }

    private static MetricCollector<long> Outcomes(ConfirmationHarness h) =>
        new(h.Services.Get<IMeterFactory>(), FlexTelemetry.Name, "flexfunctions.confirmations");

    private static List<string?> Counted(MetricCollector<long> outcomes) =>
        outcomes.GetMeasurementSnapshot().Select(m => (string?)m.Tags["outcome"]).ToList();

    /// <summary>The message with a traceparent of its own, and the link ("trace/span") its delivery's span carries.</summary>
    private static (string Text, string Link) WithTrace(string message)
    {
        var trace = ActivityTraceId.CreateRandom().ToHexString();
        var span = ActivitySpanId.CreateRandom().ToHexString();
        return (message.Replace("\"version\":1,", $"\"version\":1,\"traceparent\":\"00-{trace}-{span}-01\",", StringComparison.Ordinal), trace + "/" + span);
    }

    private static List<ExportedSpan> SpansLinkedTo(ConfirmationHarness h, string link) =>
        h.Services.Spans.Spans.Where(s => s.Source == FlexTelemetry.Name && s.Links.Contains(link)).ToList();
}
