using System.Diagnostics.Metrics;
using System.Globalization;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Queues.Specialized;
using FlexFunctions.Shared.Confirmations;
using FlexFunctions.Shared.Observability;
using FlexFunctions.Shared.Storage;
using FlexFunctions.Tests.Infrastructure;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlexFunctions.Tests.Confirmations;

/// <summary>
/// Our own tables failing at each step of a delivery: the delivery fails as transient and says plainly that our
/// storage failed, nothing is sent twice, and a poisoned message that cannot be recorded is kept on the poison queue.
/// Storage is made to fail by answering 503 for the ledger and failed-events tables from a chosen moment.
/// </summary>
public sealed class LedgerStorageFailureTests
{
    private const string Tx = ConfirmationHarness.Transaction;
    private const string ShipPath = $"transactions/{Tx}/confirm-shipment";

    [Fact]
    public async Task Storage_down_before_the_claim_fails_the_delivery_as_transient_saying_so_and_sends_nothing()
    {
        await using var h = new ConfirmationHarness();
        h.Answer(ShipPath, 200);
        var (instance, storage) = WithStorageFault(h);
        await h.Queue.Client.CreateIfNotExistsAsync();
        storage.Fail(_ => true);
        using var outcomes = new MetricCollector<long>(instance.Get<IMeterFactory>(), FlexTelemetry.Name, "flexfunctions.confirmations");

        var failure = await Assert.ThrowsAsync<TransientConfirmationException>(() =>
            instance.Get<ConfirmationProcessor>().ProcessAsync(new WarehouseDelivery(ConfirmationHarness.Shipment(), "m1", 3), CancellationToken.None));

        Assert.StartsWith("Our storage is unavailable (RequestFailedException 503 ServerBusy", failure.Message, StringComparison.Ordinal);
        Assert.EndsWith("the queue will deliver this message again.", failure.Message, StringComparison.Ordinal);
        Assert.Contains(instance.Logs.GetSnapshot(), r => r.Level == LogLevel.Warning
            && r.Message.Contains("Warehouse shipment event", StringComparison.Ordinal)
            && r.Message.Contains("not processed on delivery 3: our storage is unavailable (RequestFailedException 503 ServerBusy", StringComparison.Ordinal));
        Assert.Empty(h.Calls("POST", ShipPath));
        Assert.Equal(["transient"], outcomes.GetMeasurementSnapshot().Select(m => (string?)m.Tags["outcome"]));

        // A bad message whose record cannot be written is not dropped either: the queue delivers it again.
        await Assert.ThrowsAsync<TransientConfirmationException>(() =>
            instance.Get<ConfirmationProcessor>().ProcessAsync(new WarehouseDelivery("not json", "m2", 1), CancellationToken.None));
        Assert.Contains(instance.Logs.GetSnapshot(), r => r.Level == LogLevel.Warning
            && r.Message.Contains("Warehouse unreadable event", StringComparison.Ordinal) && r.Message.Contains("(message m2) not processed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Storage_failing_once_FlexShopper_confirmed_fails_the_delivery_and_the_redelivery_does_not_confirm_again()
    {
        await using var h = new ConfirmationHarness();
        h.Answer(ShipPath, 200);
        h.AnswerTransaction("""[{"sku":"SKU-1","quantity":{"ordered":2,"shipped":2}}]""");
        var (instance, storage) = WithStorageFault(h);
        await h.Queue.Client.CreateIfNotExistsAsync();
        // The claim is written; every later ledger write (done, then the release) fails.
        storage.Fail(m => m.Request.Method == RequestMethod.Patch);
        var claimedAt = h.Clock.GetUtcNow();

        var failure = await Assert.ThrowsAsync<TransientConfirmationException>(() =>
            instance.Get<ConfirmationProcessor>().ProcessAsync(new WarehouseDelivery(ConfirmationHarness.Shipment(), "m1", 1), CancellationToken.None));

        Assert.StartsWith("FlexShopper confirmed the event but our storage failed to record it (RequestFailedException 503", failure.Message, StringComparison.Ordinal);
        var logs = instance.Logs.GetSnapshot();
        Assert.Contains(logs, r => r.Level == LogLevel.Warning && r.Message.Contains("confirmed by FlexShopper, but our storage failed to record it", StringComparison.Ordinal));
        // The claim could not be given back either: the operator is told when it runs out (the lease after the claim).
        var release = Assert.Single(logs, r => r.Message.Contains("the claim could not be given back", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Warning, release.Level);
        var runsOut = claimedAt + h.Services.Get<IOptions<ConfirmationsOptions>>().Value.ClaimLease;
        var said = DateTimeOffset.Parse(release.StructuredState!.Single(kv => kv.Key == "LeaseUntil").Value!, CultureInfo.CurrentCulture);
        Assert.InRange(said, runsOut - TimeSpan.FromSeconds(1), runsOut + TimeSpan.FromSeconds(1));

        // Storage is back and the stranded claim has run out: the transaction shows the shipment, nothing is resent.
        storage.Fail(_ => false);
        h.Clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(ProcessOutcome.AlreadyApplied, await h.Deliver(ConfirmationHarness.Shipment(), 2));
        Assert.Single(h.Calls("POST", ShipPath));
    }

    [Fact]
    public async Task A_poisoned_message_that_cannot_be_recorded_goes_back_on_the_poison_queue_for_a_minute()
    {
        await using var h = new ConfirmationHarness();
        var (instance, storage) = WithStorageFault(h);
        await h.Queue.Client.CreateIfNotExistsAsync();
        var poison = h.Queue.Client.GetParentQueueServiceClient().GetQueueClient(h.Queue.Client.Name + "-poison");
        await poison.CreateIfNotExistsAsync();
        storage.Fail(_ => true);

        Assert.Null(await instance.Get<ConfirmationProcessor>().RecordPoisonedAsync(new WarehouseDelivery(ConfirmationHarness.Shipment(), "p1", 5), CancellationToken.None));

        Assert.Equal(1, (await poison.GetPropertiesAsync()).Value.ApproximateMessagesCount);
        Assert.Empty((await poison.PeekMessagesAsync(10)).Value); // hidden for now, back in a minute
        Assert.Contains(instance.Logs.GetSnapshot(), r => r.Level == LogLevel.Warning
            && r.Message.Contains("Poisoned warehouse message p1 could not be recorded: our storage is unavailable", StringComparison.Ordinal)
            && r.Message.Contains("back on the poison queue for 60 s", StringComparison.Ordinal));
        storage.Fail(_ => false);
        Assert.Empty(await h.Failures.ListAsync(null, CancellationToken.None));
    }

    private static (TestServices Instance, TablesFault Storage) WithStorageFault(ConfirmationHarness h)
    {
        var names = h.Services.Get<IOptions<TableNames>>().Value;
        var fault = new TablesFault(names.ConfirmationLedger, names.FailedEvents);
        return (h.AnotherInstance(new StoragePipelinePolicies((fault, HttpPipelinePosition.PerCall))), fault);
    }

    /// <summary>Fails the chosen requests to the given tables as an overloaded storage account would (503 ServerBusy).</summary>
    private sealed class TablesFault(params string[] tables) : HttpPipelineSynchronousPolicy
    {
        private volatile Func<HttpMessage, bool> _fails = _ => false;

        public void Fail(Func<HttpMessage, bool> which) => _fails = which;

        public override void OnSendingRequest(HttpMessage message)
        {
            var path = message.Request.Uri.Path;
            if (tables.Any(t => path.Contains("/" + t, StringComparison.Ordinal)) && _fails(message))
            {
                throw new RequestFailedException(503, "The server is busy.", "ServerBusy", null);
            }
        }
    }
}
