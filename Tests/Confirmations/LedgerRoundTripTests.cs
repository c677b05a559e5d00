using Azure.Core;
using Azure.Core.Pipeline;
using FlexFunctions.Shared.Confirmations;
using FlexFunctions.Shared.Storage;

namespace FlexFunctions.Tests.Confirmations;

/// <summary>What each delivery costs in ledger round trips, seen on the wire.</summary>
public sealed class LedgerRoundTripTests
{
    [Fact]
    public async Task A_new_event_costs_an_insert_and_an_update_and_its_duplicate_on_the_same_instance_costs_nothing()
    {
        await using var h = new ConfirmationHarness();
        h.Answer($"transactions/{ConfirmationHarness.Transaction}/confirm-shipment", 200);
        var wire = new LedgerWire(h.LedgerTable);
        var instance = h.AnotherInstance(new StoragePipelinePolicies((wire, HttpPipelinePosition.PerRetry)));
        var processor = instance.Get<ConfirmationProcessor>();
        await h.Deliver(ConfirmationHarness.Shipment(sku: "warm-up")); // creates the tables
        await processor.ProcessAsync(new WarehouseDelivery(ConfirmationHarness.Shipment(sku: "warm-up-2"), "m0", 1), CancellationToken.None);

        wire.Clear();
        Assert.Equal(ProcessOutcome.Confirmed, await processor.ProcessAsync(new WarehouseDelivery(ConfirmationHarness.Shipment(), "m1", 1), CancellationToken.None));
        Assert.Equal(["POST 204", "PATCH 204"], wire.Requests); // claim, done

        wire.Clear();
        Assert.Equal(ProcessOutcome.Duplicate, await processor.ProcessAsync(new WarehouseDelivery(ConfirmationHarness.Shipment(), "m2", 1), CancellationToken.None));
        Assert.Empty(wire.Requests);
        Assert.Single(h.Calls("POST", $"transactions/{ConfirmationHarness.Transaction}/confirm-shipment"), c => c.RequestMessage!.Body!.Contains("\"SKU-1\"", StringComparison.Ordinal));

        // Another instance has not seen it done: it asks the ledger, and still sends nothing.
        Assert.Equal(ProcessOutcome.Duplicate, await h.Deliver(ConfirmationHarness.Shipment()));
        Assert.Single(h.Calls("POST", $"transactions/{ConfirmationHarness.Transaction}/confirm-shipment"), c => c.RequestMessage!.Body!.Contains("\"SKU-1\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_event_an_instance_found_done_in_the_ledger_costs_nothing_the_next_time()
    {
        await using var h = new ConfirmationHarness();
        h.Answer($"transactions/{ConfirmationHarness.Transaction}/confirm-shipment", 200);
        var wire = new LedgerWire(h.LedgerTable);
        var processor = h.AnotherInstance(new StoragePipelinePolicies((wire, HttpPipelinePosition.PerRetry))).Get<ConfirmationProcessor>();
        Assert.Equal(ProcessOutcome.Confirmed, await h.Deliver(ConfirmationHarness.Shipment())); // on the other instance

        wire.Clear();
        Assert.Equal(ProcessOutcome.Duplicate, await processor.ProcessAsync(new WarehouseDelivery(ConfirmationHarness.Shipment(), "m1", 2), CancellationToken.None));
        Assert.Equal(["GET 200"], wire.Requests);

        wire.Clear();
        Assert.Equal(ProcessOutcome.Duplicate, await processor.ProcessAsync(new WarehouseDelivery(ConfirmationHarness.Shipment(), "m2", 3), CancellationToken.None));
        Assert.Empty(wire.Requests);
    }

    [Fact]
    public async Task A_redelivery_reads_the_ledger_first_instead_of_an_insert_that_would_fail()
    {
        await using var h = new ConfirmationHarness();
        var path = $"transactions/{ConfirmationHarness.Transaction}/confirm-shipment";
        h.Answer(path, 503, """{"error":{"code":"Maintenance","message":"down","statusCode":503}}""");
        var wire = new LedgerWire(h.LedgerTable);
        var instance = h.AnotherInstance(new StoragePipelinePolicies((wire, HttpPipelinePosition.PerRetry)));
        var processor = instance.Get<ConfirmationProcessor>();
        await Assert.ThrowsAsync<TransientConfirmationException>(() => processor.ProcessAsync(new WarehouseDelivery(ConfirmationHarness.Shipment(), "m1", 1), CancellationToken.None));

        h.Fake.Server.Reset();
        h.Answer(path, 200);
        wire.Clear();
        Assert.Equal(ProcessOutcome.Confirmed, await processor.ProcessAsync(new WarehouseDelivery(ConfirmationHarness.Shipment(), "m1", 2), CancellationToken.None));
        Assert.Equal(["GET 200", "PATCH 204", "PATCH 204"], wire.Requests); // read, take over on its ETag, done

        // A redelivery of a message that never reached the ledger (storage was down) still gets its row.
        wire.Clear();
        Assert.Equal(ProcessOutcome.Confirmed, await processor.ProcessAsync(new WarehouseDelivery(ConfirmationHarness.Shipment(sku: "SKU-2"), "m3", 3), CancellationToken.None));
        Assert.Equal(["GET 404", "POST 204", "PATCH 204"], wire.Requests);
    }

    /// <summary>The ledger table's requests as "METHOD status", in order.</summary>
    private sealed class LedgerWire(string table) : HttpPipelineSynchronousPolicy
    {
        private readonly List<string> _requests = [];

        public IReadOnlyList<string> Requests
        {
            get
            {
                lock (_requests)
                {
                    return [.. _requests];
                }
            }
        }

        public void Clear()
        {
            lock (_requests)
            {
                _requests.Clear();
            }
        }

        public override void OnReceivedResponse(HttpMessage message)
        {
            var path = message.Request.Uri.Path;
            if (!path.Contains("/" + table + "(", StringComparison.Ordinal) && !path.EndsWith("/" + table, StringComparison.Ordinal))
            {
                return;
            }

            lock (_requests)
            {
                _requests.Add($"{message.Request.Method} {message.Response.Status}");
            }
        }
    }
}
