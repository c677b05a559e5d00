using FlexFunctions.Functions.Queues;
using FlexFunctions.Shared.Confirmations;
using FlexFunctions.Shared.FlexShopper;
using FlexFunctions.Shared.FlexShopper.Models;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace FlexFunctions.Tests.Confirmations;

public sealed class ConfirmationFaultTests
{
    private const string Tx = ConfirmationHarness.Transaction;
    private const string ShipPath = $"transactions/{Tx}/confirm-shipment";

    [Fact]
    public async Task A_503_makes_the_delivery_fail_and_the_redelivery_confirms_once()
    {
        await using var h = new ConfirmationHarness();
        h.Fake.Server.Given(Request.Create().WithPath("/v3/" + ShipPath).UsingPost()).InScenario("outage").WillSetStateTo("up")
            .RespondWith(Response.Create().WithStatusCode(503).WithBody("{\"error\":{\"statusCode\":503,\"message\":\"maintenance\"}}"));
        h.Fake.Server.Given(Request.Create().WithPath("/v3/" + ShipPath).UsingPost()).InScenario("outage").WhenStateIs("up")
            .RespondWith(Response.Create().WithStatusCode(200).WithBody("{\"data\":{}}"));

        var queued = await h.ThroughQueue(ConfirmationHarness.Shipment());
        var function = new WarehouseEventsFunction(h.Processor);
        var failure = await Assert.ThrowsAsync<TransientConfirmationException>(() => function.Run(queued, CancellationToken.None));
        Assert.Contains("503", failure.Message, StringComparison.Ordinal);

        var key = h.Services.Get<WarehouseMessageReader>().Read(ConfirmationHarness.Shipment()).Event!.Key;
        var afterFailure = await h.Ledger.GetAsync(Tx, key, CancellationToken.None);
        Assert.Equal(LedgerState.InProgress, afterFailure!.State);
        Assert.Contains("503", afterFailure.LastError, StringComparison.Ordinal);

        Assert.Equal(ProcessOutcome.Confirmed, await h.Deliver(ConfirmationHarness.Shipment(), dequeueCount: 2));
        Assert.Equal(ProcessOutcome.Duplicate, await h.Deliver(ConfirmationHarness.Shipment(), dequeueCount: 3));
        Assert.Equal(2, h.Calls("POST", ShipPath).Count); // the 503 and the one success
        Assert.Equal(LedgerState.Done, (await h.Ledger.GetAsync(Tx, key, CancellationToken.None))!.State);
        Assert.Empty(await h.Failures.ListAsync(null, CancellationToken.None));
    }

    [Fact]
    public async Task A_gateway_502_after_FlexShopper_acted_is_settled_by_the_transaction_check_not_a_second_confirmation()
    {
        await using var h = new ConfirmationHarness();
        // The gateway loses FlexShopper's answer: the shipment is recorded upstream, the caller sees a 502.
        h.Answer(ShipPath, 502, "{\"message\":\"An invalid response was received from the upstream server\"}");
        h.AnswerTransaction("""[{"sku":"SKU-1","quantity":{"ordered":2,"shipped":2}}]""");

        await Assert.ThrowsAsync<TransientConfirmationException>(() => h.Deliver(ConfirmationHarness.Shipment(), 1));
        Assert.Equal(ProcessOutcome.AlreadyApplied, await h.Deliver(ConfirmationHarness.Shipment(), 2));

        Assert.Single(h.Calls("POST", ShipPath));
        Assert.Single(h.Calls("GET", $"transactions/{Tx}"));
    }

    [Fact]
    public async Task A_success_status_with_a_page_that_is_not_json_leaves_the_outcome_unknown_and_the_transaction_settles_it()
    {
        await using var h = new ConfirmationHarness();
        // A proxy (or FlexShopper itself, to a caller outside the US) answers 200 with an HTML page: whether the shipment
        // was recorded cannot be told, so it is neither done nor a refusal an operator would replay blindly.
        h.Answer(ShipPath, 200, "<html><body>Request blocked</body></html>");
        h.AnswerTransaction("""[{"sku":"SKU-1","quantity":{"ordered":2,"shipped":2}}]""");

        await Assert.ThrowsAsync<TransientConfirmationException>(() => h.Deliver(ConfirmationHarness.Shipment(), 1));
        Assert.Empty(await h.Failures.ListAsync(FailedEventKinds.Failed, CancellationToken.None));
        Assert.Equal(ProcessOutcome.AlreadyApplied, await h.Deliver(ConfirmationHarness.Shipment(), 2));

        Assert.Single(h.Calls("POST", ShipPath));
        Assert.Single(h.Calls("GET", $"transactions/{Tx}"));
    }

    [Fact]
    public async Task A_404_transaction_not_found_is_recorded_as_failed_and_not_retried()
    {
        await using var h = new ConfirmationHarness();
        h.Answer(ShipPath, 404, "{\"error\":{\"statusCode\":404,\"code\":\"TransactionNotFound\",\"message\":\"The transaction with the provided id was not found\"}}");

        Assert.Equal(ProcessOutcome.Rejected, await h.Deliver(ConfirmationHarness.Shipment()));
        // A redelivered or duplicated copy does not try again: the operator replays once the cause is fixed.
        Assert.Equal(ProcessOutcome.Duplicate, await h.Deliver(ConfirmationHarness.Shipment()));

        Assert.Single(h.Calls("POST", ShipPath));
        var failed = Assert.Single(await h.Failures.ListAsync(FailedEventKinds.Failed, CancellationToken.None));
        Assert.Contains("404", failed.Reason, StringComparison.Ordinal);
        Assert.Contains("TransactionNotFound", failed.Reason, StringComparison.Ordinal);
        Assert.Equal(Tx, failed.TransactionId);
        Assert.Equal(ConfirmationHarness.Shipment(), failed.Message);
    }

    [Fact]
    public async Task A_crash_after_FlexShopper_confirmed_but_before_the_ledger_write_does_not_confirm_again()
    {
        await using var h = new ConfirmationHarness();
        h.Answer(ShipPath, 200);
        h.AnswerTransaction("""[{"sku":"SKU-1","quantity":{"ordered":2,"shipped":2}}]""");
        await CrashAfterUpstreamSuccess(h);

        // While the dead attempt's claim lasts, a redelivery defers (a copy goes back on the queue) instead of calling.
        Assert.Equal(ProcessOutcome.Deferred, await h.Deliver(ConfirmationHarness.Shipment(), 2));
        Assert.Empty(h.Calls("GET", $"transactions/{Tx}"));

        h.Clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(ProcessOutcome.AlreadyApplied, await h.Deliver(ConfirmationHarness.Shipment(), 3));
        Assert.Single(h.Calls("POST", ShipPath));
        Assert.Single(h.Calls("GET", $"transactions/{Tx}"));
        Assert.Equal(ProcessOutcome.Duplicate, await h.Deliver(ConfirmationHarness.Shipment(), 4));
    }

    [Fact]
    public async Task After_a_crash_an_event_the_transaction_does_not_show_is_sent_again()
    {
        await using var h = new ConfirmationHarness();
        h.Answer(ShipPath, 200);
        h.AnswerTransaction("""[{"sku":"SKU-1","quantity":{"ordered":2,"shipped":0}}]""");
        await CrashAfterUpstreamSuccess(h);

        h.Clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(ProcessOutcome.Confirmed, await h.Deliver(ConfirmationHarness.Shipment(), 2));
        Assert.Equal(2, h.Calls("POST", ShipPath).Count);
    }

    [Fact]
    public async Task A_message_the_queue_gave_up_on_is_recorded_as_poisoned_with_the_last_failure()
    {
        await using var h = new ConfirmationHarness();
        h.Answer(ShipPath, 503, "{\"error\":{\"statusCode\":503,\"message\":\"maintenance\"}}");
        for (var delivery = 1; delivery <= 5; delivery++)
        {
            await Assert.ThrowsAsync<TransientConfirmationException>(() => h.Deliver(ConfirmationHarness.Shipment(), delivery));
        }

        // The host moves it to <queue>-poison; the poison function hands it over.
        await h.Queue.Client.CreateIfNotExistsAsync();
        await h.Queue.Client.SendMessageAsync(ConfirmationHarness.Shipment());
        var poisoned = await h.ReceiveOne();
        await new WarehousePoisonFunction(h.Processor).Run(poisoned, CancellationToken.None);

        var row = Assert.Single(await h.Failures.ListAsync(FailedEventKinds.Poisoned, CancellationToken.None));
        Assert.Contains("Gave up after 5 attempt(s)", row.Reason, StringComparison.Ordinal);
        Assert.Contains("503", row.Reason, StringComparison.Ordinal);
        Assert.Equal(ConfirmationHarness.Shipment(), row.Message);
    }

    [Fact]
    public async Task Items_FlexShopper_did_not_cancel_are_kept_for_review_and_the_event_is_done()
    {
        await using var h = new ConfirmationHarness();
        h.Answer($"transactions/{Tx}/cancel", 200, """{"data":{"canceled":[{"sku":"A","quantity":1}],"failed":[{"sku":"B","quantity":2}]}}""");
        var message = $$"""{"version":1,"type":"cancel","transactionId":"{{Tx}}","items":[{"sku":"A","quantity":1},{"sku":"B","quantity":2}]}""";

        Assert.Equal(ProcessOutcome.Confirmed, await h.Deliver(message));
        var review = Assert.Single(await h.Failures.ListAsync(FailedEventKinds.Review, CancellationToken.None));
        Assert.Contains("did not cancel: B x2", review.Reason, StringComparison.Ordinal);
        Assert.Equal(ProcessOutcome.Duplicate, await h.Deliver(message));
    }

    [Theory]
    [InlineData(1, ProcessOutcome.Confirmed)] // only the earlier shipment shows: this one was not applied, send it
    [InlineData(2, ProcessOutcome.AlreadyApplied)] // both show: this one was applied before its answer was lost
    public async Task An_earlier_done_event_of_the_same_type_counts_against_the_already_applied_check(int shipped, ProcessOutcome expected)
    {
        await using var h = new ConfirmationHarness();
        // PICK-1 is confirmed; PICK-2 (the same SKU, one more unit) meets a gateway 502, so its outcome is unknown.
        h.Fake.Server.Given(Request.Create().WithPath("/v3/" + ShipPath).UsingPost()).InScenario("picks").WillSetStateTo("second")
            .RespondWith(Response.Create().WithStatusCode(200).WithBody("{\"data\":{}}"));
        h.Fake.Server.Given(Request.Create().WithPath("/v3/" + ShipPath).UsingPost()).InScenario("picks").WhenStateIs("second").WillSetStateTo("third")
            .RespondWith(Response.Create().WithStatusCode(502).WithBody("{\"message\":\"bad gateway\"}"));
        h.Fake.Server.Given(Request.Create().WithPath("/v3/" + ShipPath).UsingPost()).InScenario("picks").WhenStateIs("third")
            .RespondWith(Response.Create().WithStatusCode(200).WithBody("{\"data\":{}}"));
        h.AnswerTransaction($$$"""[{"sku":"SKU-1","quantity":{"ordered":2,"shipped":{{{shipped}}}}}]""");
        var first = ConfirmationHarness.Shipment(quantity: 1, reference: "PICK-1");
        var second = ConfirmationHarness.Shipment(quantity: 1, reference: "PICK-2");

        Assert.Equal(ProcessOutcome.Confirmed, await h.Deliver(first));
        await Assert.ThrowsAsync<TransientConfirmationException>(() => h.Deliver(second, 1));

        // One shipped unit is PICK-1's: it proves nothing about PICK-2.
        Assert.Equal(expected, await h.Deliver(second, 2));
        Assert.Single(h.Calls("GET", $"transactions/{Tx}"));
        Assert.Equal(expected == ProcessOutcome.Confirmed ? 3 : 2, h.Calls("POST", ShipPath).Count);
        Assert.Equal(ProcessOutcome.Duplicate, await h.Deliver(second, 3));
    }

    [Fact]
    public async Task An_attempt_still_waiting_for_FlexShopper_gives_up_before_its_claim_runs_out()
    {
        // A 5 s claim, and FlexShopper answers only as it runs out: the attempt must have stopped (at 4 s) before
        // another delivery may take the event over. (FlexShopper's own timeouts run on the harness's fake clock.)
        await using var h = new ConfirmationHarness(s => s["Confirmations:ClaimLease"] = "00:00:05");
        h.Answer(ShipPath, 200, delayMs: 5000);

        var failure = await Assert.ThrowsAsync<TransientConfirmationException>(() => h.Deliver(ConfirmationHarness.Shipment()));

        Assert.Contains("ran out of its claim time", failure.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<OperationCanceledException>(failure.InnerException);
        var key = h.Services.Get<WarehouseMessageReader>().Read(ConfirmationHarness.Shipment()).Event!.Key;
        var row = await h.Ledger.GetAsync(Tx, key, CancellationToken.None);
        Assert.Equal(LedgerState.InProgress, row!.State);
        Assert.True(row.OutcomeUnknown); // the request went out: the next delivery checks the transaction first
        Assert.True(row.LeaseUntil <= h.Clock.GetUtcNow(), "the claim was given back at once");
        Assert.Contains("claim time", row.LastError, StringComparison.Ordinal);
    }

    /// <summary>The first delivery's process dies right after FlexShopper confirmed: the claim is taken, the call made, the Done write never happens.</summary>
    private static async Task CrashAfterUpstreamSuccess(ConfirmationHarness h)
    {
        var e = h.Services.Get<WarehouseMessageReader>().Read(ConfirmationHarness.Shipment()).Event!;
        var claim = await h.Ledger.TryClaimAsync(e, "msg-crashed", CancellationToken.None);
        Assert.Equal(ClaimStatus.Claimed, claim.Status);
        await h.Services.Get<IFlexShopperClient>().ConfirmShipmentAsync(Tx,
            new ShipmentConfirmation([new ShippedItem("UPS", "2026-03-01") { Sku = "SKU-1", Quantity = 2 }]));
    }
}
