using System.Text.Json;
using FlexFunctions.Shared.Confirmations;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace FlexFunctions.Tests.Confirmations;

/// <summary>
/// What the operator finds in the failed-events table and the ledger when FlexShopper refuses an event, answers
/// something we cannot read, leaves items undone, or the queue gives up: the reason in words that say whose side
/// failed, the attempt count, and for events without items exactly what was sent.
/// </summary>
public sealed class RefusalAndPoisonReasonTests
{
    private const string Tx = ConfirmationHarness.Transaction;
    private const string ShipPath = $"transactions/{Tx}/confirm-shipment";

    [Theory]
    [InlineData("""{"error":{"statusCode":404,"code":"TransactionNotFound","message":"not found"}}""", 404, "FlexShopper refused the event (404 TransactionNotFound): ")]
    [InlineData("""{"error":{"statusCode":422,"message":"shipDate is in the future"}}""", 422, "FlexShopper refused the event (422): ")]
    public async Task A_refusal_is_recorded_with_its_status_and_code_after_the_attempts_it_took(string body, int status, string reasonStart)
    {
        await using var h = new ConfirmationHarness();
        // A 503 first: the refusal comes on the second attempt, which the record counts.
        h.Fake.Server.Given(Request.Create().WithPath("/v3/" + ShipPath).UsingPost()).InScenario("refusal").WillSetStateTo("up")
            .RespondWith(Response.Create().WithStatusCode(503).WithBody("""{"error":{"statusCode":503,"message":"maintenance"}}"""));
        h.Fake.Server.Given(Request.Create().WithPath("/v3/" + ShipPath).UsingPost()).InScenario("refusal").WhenStateIs("up")
            .RespondWith(Response.Create().WithStatusCode(status).WithHeader("Content-Type", "application/json").WithBody(body));

        await Assert.ThrowsAsync<TransientConfirmationException>(() => h.Deliver(ConfirmationHarness.Shipment(), 1));
        Assert.Equal(ProcessOutcome.Rejected, await h.Deliver(ConfirmationHarness.Shipment(), 2));

        var failed = Assert.Single(await h.Failures.ListAsync(FailedEventKinds.Failed, CancellationToken.None));
        Assert.StartsWith(reasonStart, failed.Reason, StringComparison.Ordinal);
        Assert.Equal(2, failed.Attempts);
    }

    [Theory]
    [InlineData(400)]
    [InlineData(300)]
    public async Task A_page_that_is_not_json_with_a_status_other_than_success_is_a_refusal_not_an_unknown_outcome(int status)
    {
        await using var h = new ConfirmationHarness();
        h.Fake.Server.Given(Request.Create().WithPath("/v3/" + ShipPath).UsingPost())
            .RespondWith(Response.Create().WithStatusCode(status).WithHeader("Content-Type", "text/html").WithBody("<html><body>Bad request</body></html>"));

        Assert.Equal(ProcessOutcome.Rejected, await h.Deliver(ConfirmationHarness.Shipment()));

        var failed = Assert.Single(await h.Failures.ListAsync(FailedEventKinds.Failed, CancellationToken.None));
        Assert.StartsWith($"FlexShopper refused the event ({status} NonJsonResponse): ", failed.Reason, StringComparison.Ordinal);
        Assert.Empty(h.Calls("GET", $"transactions/{Tx}"));
    }

    [Fact]
    public async Task A_transient_failure_and_an_untrusted_answer_are_recorded_as_FlexShoppers_in_the_ledger()
    {
        await using var h = new ConfirmationHarness();
        h.Answer(ShipPath, 503, """{"error":{"statusCode":503,"message":"maintenance"}}""");
        await Assert.ThrowsAsync<TransientConfirmationException>(() => h.Deliver(ConfirmationHarness.Shipment(), 1));
        var key = h.Services.Get<WarehouseMessageReader>().Read(ConfirmationHarness.Shipment()).Event!.Key;
        Assert.StartsWith("FlexShopper transient failure: ", (await h.Ledger.GetAsync(Tx, key, CancellationToken.None))!.LastError, StringComparison.Ordinal);

        h.Fake.Server.Reset();
        h.Answer(ShipPath, 200, "<html><body>Request blocked</body></html>");
        await Assert.ThrowsAsync<TransientConfirmationException>(() => h.Deliver(ConfirmationHarness.Shipment(), 2));
        var row = await h.Ledger.GetAsync(Tx, key, CancellationToken.None);
        Assert.StartsWith("FlexShopper's answer could not be trusted: ", row!.LastError, StringComparison.Ordinal);
        Assert.True(row.OutcomeUnknown);
        Assert.Contains(h.Services.Logs.GetSnapshot(), r => r.Level == Microsoft.Extensions.Logging.LogLevel.Warning
            && r.Message.Contains("failed transiently on delivery 2: NonJsonResponse (200)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_success_whose_body_cannot_be_read_is_done_not_sent_again_and_kept_for_review()
    {
        await using var h = new ConfirmationHarness();
        h.Answer($"transactions/{Tx}/cancel", 200, """{"data":{"canceled":"all of it","failed":7}}""");
        var message = $$"""{"version":1,"type":"cancel","transactionId":"{{Tx}}","items":[{"sku":"A","quantity":1}]}""";

        Assert.Equal(ProcessOutcome.Confirmed, await h.Deliver(message));
        Assert.Equal(ProcessOutcome.Duplicate, await h.Deliver(message, 2));

        Assert.Single(h.Calls("POST", $"transactions/{Tx}/cancel"));
        var review = Assert.Single(await h.Failures.ListAsync(FailedEventKinds.Review, CancellationToken.None));
        Assert.StartsWith("FlexShopper accepted the event but its answer was unreadable: ", review.Reason, StringComparison.Ordinal);
        Assert.Equal(1, review.Attempts);
        Assert.Empty(await h.Failures.ListAsync(FailedEventKinds.Failed, CancellationToken.None));
    }

    [Fact]
    public async Task Items_FlexShopper_did_not_return_are_kept_for_review_by_sku_and_quantity()
    {
        await using var h = new ConfirmationHarness();
        h.Answer($"transactions/{Tx}/return", 200, """{"data":{"returned":[{"sku":"A","quantity":1}],"failed":[{"sku":"B","quantity":2},{"sku":"C"}]}}""");
        var message = $$"""{"version":1,"type":"return","transactionId":"{{Tx}}","items":[{"sku":"A","quantity":1},{"sku":"B","quantity":2},{"sku":"C"}]}""";

        Assert.Equal(ProcessOutcome.Confirmed, await h.Deliver(message));

        var review = Assert.Single(await h.Failures.ListAsync(FailedEventKinds.Review, CancellationToken.None));
        Assert.Equal("FlexShopper accepted the event but did not return: B x2, C", review.Reason);
    }

    [Theory]
    [InlineData("receipt", "confirm-receipt")]
    [InlineData("cancel", "cancel")]
    [InlineData("return", "return")]
    public async Task An_event_without_items_is_sent_as_the_whole_transaction_not_as_an_empty_list(string type, string path)
    {
        await using var h = new ConfirmationHarness();
        h.Answer($"transactions/{Tx}/{path}", 200, type == "receipt" ? null : """{"data":{"failed":[]}}""");

        Assert.Equal(ProcessOutcome.Confirmed, await h.Deliver($$"""{"version":1,"type":"{{type}}","transactionId":"{{Tx}}"}"""));

        var body = JsonDocument.Parse(Assert.Single(h.Calls("POST", $"transactions/{Tx}/{path}")).RequestMessage!.Body ?? "{}").RootElement;
        Assert.False(body.TryGetProperty("items", out var items) && items.ValueKind != JsonValueKind.Null, "Body sent: " + body.GetRawText());
    }

    [Fact]
    public async Task A_poisoned_event_is_recorded_with_the_attempts_it_had_and_its_last_failure()
    {
        await using var h = new ConfirmationHarness();
        h.Answer(ShipPath, 503, """{"error":{"statusCode":503,"message":"maintenance"}}""");
        await Assert.ThrowsAsync<TransientConfirmationException>(() => h.Deliver(ConfirmationHarness.Shipment(), 1));
        await Assert.ThrowsAsync<TransientConfirmationException>(() => h.Deliver(ConfirmationHarness.Shipment(), 2));

        var poisoned = await h.Processor.RecordPoisonedAsync(new WarehouseDelivery(ConfirmationHarness.Shipment(), "p1", 3), CancellationToken.None);

        Assert.NotNull(poisoned);
        var row = Assert.Single(await h.Failures.ListAsync(FailedEventKinds.Poisoned, CancellationToken.None));
        Assert.StartsWith("Gave up after 2 attempt(s); last failure: FlexShopper transient failure: ", row.Reason, StringComparison.Ordinal);
        Assert.Equal(2, row.Attempts);
    }

    [Fact]
    public async Task A_poisoned_copy_of_a_confirmed_event_says_replaying_it_is_harmless()
    {
        await using var h = new ConfirmationHarness();
        h.Answer(ShipPath, 200);
        Assert.Equal(ProcessOutcome.Confirmed, await h.Deliver(ConfirmationHarness.Shipment()));

        await h.Processor.RecordPoisonedAsync(new WarehouseDelivery(ConfirmationHarness.Shipment(), "p1", 5), CancellationToken.None);

        var row = Assert.Single(await h.Failures.ListAsync(FailedEventKinds.Poisoned, CancellationToken.None));
        Assert.Equal("Moved to the poison queue although the event is confirmed (a late duplicate); replaying it is harmless.", row.Reason);
        Assert.Equal(1, row.Attempts);
    }

    [Fact]
    public async Task A_poisoned_event_the_ledger_never_saw_and_a_poisoned_bad_message_each_say_why()
    {
        await using var h = new ConfirmationHarness();

        await h.Processor.RecordPoisonedAsync(new WarehouseDelivery(ConfirmationHarness.Shipment(), "p1", 5), CancellationToken.None);
        await h.Processor.RecordPoisonedAsync(new WarehouseDelivery("not json", "p2", 5), CancellationToken.None);

        var rows = await h.Failures.ListAsync(FailedEventKinds.Poisoned, CancellationToken.None);
        var unseen = Assert.Single(rows, r => r.MessageId == "p1");
        Assert.Equal("Gave up after every delivery failed before the event reached the ledger (storage unavailable?).", unseen.Reason);
        Assert.Null(unseen.Attempts);
        Assert.Contains("neither JSON nor base64-encoded JSON", Assert.Single(rows, r => r.MessageId == "p2").Reason, StringComparison.Ordinal);
    }
}
