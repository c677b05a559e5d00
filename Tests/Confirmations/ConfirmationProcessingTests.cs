using System.Text.Json;
using FlexFunctions.Functions.Queues;
using FlexFunctions.Shared.Confirmations;

namespace FlexFunctions.Tests.Confirmations;

public sealed class ConfirmationProcessingTests
{
    private const string Tx = ConfirmationHarness.Transaction;

    public static TheoryData<string, string, string, string> EveryType => new()
    {
        {
            "shipment", $"transactions/{Tx}/confirm-shipment", ConfirmationHarness.Shipment(),
            """{"items":[{"carrier":"UPS","shipDate":"2026-03-01","sku":"SKU-1","quantity":2,"trackingNumber":"1Z999","trackingLink":"https://track.example/1Z999","deliveryDate":"2026-03-04"}]}"""
        },
        {
            "receipt", $"transactions/{Tx}/confirm-receipt",
            $$"""{"version":1,"type":"receipt","transactionId":"{{Tx}}","items":[{"sku":"SKU-1","quantity":1,"receivedDate":"2026-03-05"}]}""",
            """{"items":[{"sku":"SKU-1","quantity":1,"receivedDate":"2026-03-05"}]}"""
        },
        {
            "cancel", $"transactions/{Tx}/cancel",
            $$"""{"version":1,"type":"cancel","transactionId":"{{Tx}}","items":[{"sku":"SKU-2","quantity":1}]}""",
            """{"items":[{"sku":"SKU-2","quantity":1}]}"""
        },
        {
            "return", $"transactions/{Tx}/return",
            $$"""{"version":1,"type":"RETURN","transactionId":"{{Tx}}","reference":"RMA-7","items":[{"sku":"SKU-3"}]}""",
            """{"items":[{"sku":"SKU-3"}]}"""
        },
    };

    [Theory]
    [MemberData(nameof(EveryType))]
    public async Task Each_type_goes_from_the_queue_to_the_right_FlexShopper_call_and_is_recorded_done(string type, string path, string message, string expectedBody)
    {
        await using var h = new ConfirmationHarness();
        h.Answer(path, 200, type switch
        {
            "cancel" => """{"data":{"canceled":[{"sku":"SKU-2","quantity":1}],"failed":[]}}""",
            "return" => """{"data":{"returned":[{"sku":"SKU-3","quantity":1}],"failed":[]}}""",
            _ => null,
        });

        var queued = await h.ThroughQueue(message);
        await new WarehouseEventsFunction(h.Processor).Run(queued, CancellationToken.None);

        var call = Assert.Single(h.Calls("POST", path));
        Assert.True(JsonElement.DeepEquals(JsonDocument.Parse(expectedBody).RootElement, JsonDocument.Parse(call.RequestMessage!.Body!).RootElement),
            "Body sent: " + call.RequestMessage.Body);
        Assert.Equal("test-api-key-0001", call.RequestMessage!.Headers!["Authorization"].Single());

        var read = h.Services.Get<WarehouseMessageReader>().Read(message);
        var row = await h.Ledger.GetAsync(Tx, read.Event!.Key, CancellationToken.None);
        Assert.NotNull(row);
        Assert.Equal(LedgerState.Done, row.State);
        Assert.Equal(type, row.EventType);
        Assert.Empty(await h.Failures.ListAsync(null, CancellationToken.None));
        Assert.DoesNotContain(h.Services.AllLogText(), l => l.Contains("test-api-key-0001", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_same_event_delivered_five_times_in_a_row_calls_FlexShopper_once()
    {
        await using var h = new ConfirmationHarness();
        h.Answer($"transactions/{Tx}/confirm-shipment", 200);
        const string tv = """{"sku":"TV-55","quantity":1,"carrier":"UPS","trackingNumber":"1Z1","shipDate":"2026-03-01"}""";
        const string bar = """{"sku":"BAR-2","quantity":2,"carrier":"UPS","trackingNumber":"1Z2","shipDate":"2026-03-01"}""";
        string Event(string occurredAt, params string[] items) =>
            $$"""{"version":1,"type":"shipment","transactionId":"{{Tx}}","reference":"PICK-7","occurredAt":"{{occurredAt}}","items":[{{string.Join(",", items)}}]}""";

        // Producers differ in key order, whitespace, string escapes, item order, occurredAt and encoding; the event is the same.
        var keysReordered = $$"""
            {
              "items" : [ { "shipDate":"2026-03-01", "trackingNumber":"1Z1", "carrier":"UPS", "quantity":1, "sku":"TV-55" },
                          {"quantity": 2, "sku": "BAR-2", "shipDate": "2026-03-01", "carrier": "UPS", "trackingNumber": "1Z2"} ],
              "occurredAt" : "2026-03-01T10:00:00Z",   "reference" : "PICK-7",
              "transactionId" : "{{Tx}}", "type" : "shipment", "version" : 1
            }
            """;
        string[] copies =
        [
            Event("2026-03-01T10:00:00Z", tv, bar),
            keysReordered,
            Event("2026-03-01T10:00:00Z", bar, tv),
            Event("2026-03-02T17:45:12+02:00", tv, bar),
            ConfirmationHarness.Base64(Event("2026-03-03T08:00:00Z", bar, tv)),
        ];
        var outcomes = new List<ProcessOutcome>();
        foreach (var copy in copies)
        {
            outcomes.Add(await h.Deliver(copy));
        }

        Assert.Single(h.Calls("POST", $"transactions/{Tx}/confirm-shipment"));
        Assert.Equal([ProcessOutcome.Confirmed, ProcessOutcome.Duplicate, ProcessOutcome.Duplicate, ProcessOutcome.Duplicate, ProcessOutcome.Duplicate], outcomes);
        var reader = h.Services.Get<WarehouseMessageReader>();
        Assert.Single(copies.Select(c => reader.Read(c).Event!.Key).Distinct());
    }

    [Fact]
    public async Task The_same_event_delivered_five_times_at_once_calls_FlexShopper_once_and_fails_no_delivery()
    {
        await using var h = new ConfirmationHarness();
        // FlexShopper's answer waits until the four other copies have been dealt with: they all meet the claim held.
        var othersDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        ConcurrentDuplicateTests.AnswerAfter(h, $"transactions/{Tx}/confirm-shipment", othersDone.Task);

        var deliveries = Enumerable.Range(0, 5).Select(_ => Task.Run(() => h.Deliver(ConfirmationHarness.Shipment()))).ToList();
        var settled = new List<ProcessOutcome>();
        for (var i = 0; i < 4; i++)
        {
            var done = await Task.WhenAny(deliveries);
            deliveries.Remove(done);
            settled.Add(await done);
        }

        othersDone.SetResult();
        settled.Add(await deliveries.Single());
        Assert.Equal([ProcessOutcome.Deferred, ProcessOutcome.Deferred, ProcessOutcome.Deferred, ProcessOutcome.Deferred, ProcessOutcome.Confirmed], settled);

        // The four copies put back come up within seconds and are found done.
        for (var i = 0; i < 4; i++)
        {
            var copy = await ConcurrentDuplicateTests.NextVisible(h.Queue, TimeSpan.FromSeconds(20));
            Assert.Equal(ConfirmationHarness.Shipment(), copy.MessageText);
            Assert.Equal(ProcessOutcome.Duplicate, await h.Deliver(copy.MessageText));
        }

        Assert.Single(h.Calls("POST", $"transactions/{Tx}/confirm-shipment"));
    }

    [Fact]
    public async Task Different_events_of_one_transaction_are_each_confirmed()
    {
        await using var h = new ConfirmationHarness();
        h.Answer($"transactions/{Tx}/confirm-shipment", 200);

        Assert.Equal(ProcessOutcome.Confirmed, await h.Deliver(ConfirmationHarness.Shipment(quantity: 1, reference: "PICK-1")));
        Assert.Equal(ProcessOutcome.Confirmed, await h.Deliver(ConfirmationHarness.Shipment(quantity: 1, reference: "PICK-2")));
        Assert.Equal(ProcessOutcome.Confirmed, await h.Deliver(ConfirmationHarness.Shipment(sku: "SKU-9", quantity: 1)));
        Assert.Equal(3, h.Calls("POST", $"transactions/{Tx}/confirm-shipment").Count);
    }
}
