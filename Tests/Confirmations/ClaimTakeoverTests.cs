using Azure.Core;
using Azure.Core.Pipeline;
using FlexFunctions.Shared.Confirmations;
using FlexFunctions.Shared.Storage;
using Microsoft.Extensions.Logging;
using WireMock;
using WireMock.ResponseBuilders;
using WireMock.Types;
using WireMock.Util;
using Request = WireMock.RequestBuilders.Request;

namespace FlexFunctions.Tests.Confirmations;

/// <summary>
/// A claim that outlives its lease is taken over by the next delivery; the slow holder's late success then must not
/// overwrite the new holder's row, and says so. A takeover that keeps losing the race stops and defers.
/// </summary>
public sealed class ClaimTakeoverTests
{
    private const string Tx = ConfirmationHarness.Transaction;
    private const string ShipPath = $"transactions/{Tx}/confirm-shipment";

    [Theory]
    [InlineData(false)] // the slow holder inserted the row
    [InlineData(true)] // the slow holder itself had taken over a dead attempt's claim
    public async Task A_confirmation_that_outlived_its_claim_says_the_claim_was_taken_over_and_the_event_stays_done_once(bool heldByTakeover)
    {
        // FlexShopper's own timeouts run on the fake clock too: far beyond the time the test moves it on.
        await using var h = new ConfirmationHarness(s =>
            (s["FlexShopper:AttemptTimeout"], s["FlexShopper:TotalTimeout"], s["FlexShopper:CircuitBreakerSamplingDuration"]) = ("00:05:00", "00:10:00", "00:10:00"));
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        AnswerWhenReleased(h, arrived, release.Task);
        const string shipped = """[{"sku":"SKU-1","quantity":{"ordered":2,"shipped":2}}]""";
        long dequeue = 1;
        if (!heldByTakeover)
        {
            h.AnswerTransaction(shipped);
        }
        else
        {
            // The slow holder's own check (after the dead attempt) finds nothing shipped; the next one finds its shipment.
            AnswerTransactionInTurn(h, """[{"sku":"SKU-1","quantity":{"ordered":2,"shipped":0}}]""", shipped);
            var e = h.Services.Get<WarehouseMessageReader>().Read(ConfirmationHarness.Shipment()).Event!;
            Assert.Equal(ClaimStatus.Claimed, (await h.Ledger.TryClaimAsync(e, "died", CancellationToken.None)).Status);
            h.Clock.Advance(TimeSpan.FromMinutes(2));
            dequeue = 2;
        }

        var slow = Task.Run(() => h.Deliver(ConfirmationHarness.Shipment(), dequeue));
        if (await Task.WhenAny(arrived.Task, slow).WaitAsync(TimeSpan.FromSeconds(30)) == slow)
        {
            Assert.Fail($"The delivery ended before its call reached FlexShopper: {await slow}");
        }

        // The slow call's claim runs out; the next delivery takes the event over and finds it applied.
        h.Clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(ProcessOutcome.AlreadyApplied, await h.Deliver(ConfirmationHarness.Shipment(), dequeue + 1));
        release.SetResult();

        Assert.Equal(ProcessOutcome.Confirmed, await slow);
        Assert.Contains(h.Services.Logs.GetSnapshot(), r => r.Level == LogLevel.Warning
            && r.Message.Contains("confirmed but its claim had been taken over", StringComparison.Ordinal));
        Assert.Contains(h.Services.Logs.GetSnapshot(), r => r.Level == LogLevel.Information
            && r.Message.Contains($"confirmed by FlexShopper on attempt {dequeue}", StringComparison.Ordinal));
        Assert.Single(h.Calls("POST", ShipPath));
        var key = h.Services.Get<WarehouseMessageReader>().Read(ConfirmationHarness.Shipment()).Event!.Key;
        var row = await h.Ledger.GetAsync(Tx, key, CancellationToken.None);
        Assert.Equal((LedgerState.Done, (int)dequeue + 1), (row!.State, row.Attempts));
        Assert.Equal(ProcessOutcome.Duplicate, await h.Deliver(ConfirmationHarness.Shipment(), dequeue + 2));
        Assert.Empty(await h.Failures.ListAsync(null, CancellationToken.None));
    }

    [Fact]
    public async Task A_takeover_that_loses_every_race_stops_after_five_tries_and_defers_a_copy()
    {
        await using var h = new ConfirmationHarness();
        var e = h.Services.Get<WarehouseMessageReader>().Read(ConfirmationHarness.Shipment()).Event!;
        Assert.Equal(ClaimStatus.Claimed, (await h.Ledger.TryClaimAsync(e, "died", CancellationToken.None)).Status);
        h.Clock.Advance(TimeSpan.FromMinutes(2));
        // Every takeover finds the row changed since it was read, as if another delivery always got there first.
        var races = new StaleETag(h.LedgerTable, RequestMethod.Patch);
        var instance = h.AnotherInstance(new StoragePipelinePolicies((races, HttpPipelinePosition.PerRetry)));
        await h.Queue.Client.CreateIfNotExistsAsync();

        var outcome = await instance.Get<ConfirmationProcessor>().ProcessAsync(new WarehouseDelivery(ConfirmationHarness.Shipment(), "m1", 1), CancellationToken.None);

        Assert.Equal(ProcessOutcome.Deferred, outcome);
        Assert.Equal(5, races.Sent);
        Assert.Empty(h.Calls("POST", ShipPath));
        // Nobody is known to hold it for long: the copy looks again after the shortest wait.
        Assert.Contains(instance.Logs.GetSnapshot(), r => r.Level == LogLevel.Information
            && r.Message.Contains("handled by another delivery", StringComparison.Ordinal) && r.Message.Contains("look again in 2 s", StringComparison.Ordinal));
        Assert.Equal(1, (await h.Queue.Client.GetPropertiesAsync()).Value.ApproximateMessagesCount);
    }

    [Fact]
    public async Task A_delivery_stopped_by_shutdown_mid_call_gives_its_claim_back_marked_outcome_unknown()
    {
        await using var h = new ConfirmationHarness();
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        AnswerWhenReleased(h, arrived, Task.Delay(Timeout.Infinite));
        h.AnswerTransaction("""[{"sku":"SKU-1","quantity":{"ordered":2,"shipped":2}}]""");
        using var stopping = new CancellationTokenSource();
        await h.Queue.Client.CreateIfNotExistsAsync();

        var delivery = h.Processor.ProcessAsync(new WarehouseDelivery(ConfirmationHarness.Shipment(), "m1", 1), stopping.Token);
        await arrived.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await stopping.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => delivery);
        var key = h.Services.Get<WarehouseMessageReader>().Read(ConfirmationHarness.Shipment()).Event!.Key;
        var row = await h.Ledger.GetAsync(Tx, key, CancellationToken.None);
        Assert.Equal(LedgerState.InProgress, row!.State);
        Assert.True(row.LeaseUntil <= h.Clock.GetUtcNow(), "the claim was given back at once");
        Assert.True(row.OutcomeUnknown); // the request went out
        Assert.StartsWith("Processing failed: ", row.LastError, StringComparison.Ordinal);

        // The redelivery need not wait for the lease: it takes the event over and checks the transaction first.
        Assert.Equal(ProcessOutcome.AlreadyApplied, await h.Deliver(ConfirmationHarness.Shipment(), 2));
        Assert.Single(h.Calls("GET", $"transactions/{Tx}"));
    }

    [Fact]
    public async Task A_replay_reset_that_meets_a_change_leaves_the_row_to_whoever_changed_it()
    {
        await using var h = new ConfirmationHarness();
        h.Answer(ShipPath, 404, """{"error":{"statusCode":404,"code":"TransactionNotFound","message":"not found"}}""");
        Assert.Equal(ProcessOutcome.Rejected, await h.Deliver(ConfirmationHarness.Shipment()));
        var key = h.Services.Get<WarehouseMessageReader>().Read(ConfirmationHarness.Shipment()).Event!.Key;
        var raced = h.AnotherInstance(new StoragePipelinePolicies((new StaleETag(h.LedgerTable, RequestMethod.Delete), HttpPipelinePosition.PerRetry)));

        await raced.Get<ConfirmationLedger>().ResetAsync(Tx, key, CancellationToken.None);
        Assert.Equal(LedgerState.Rejected, (await h.Ledger.GetAsync(Tx, key, CancellationToken.None))!.State);

        await h.Ledger.ResetAsync(Tx, key, CancellationToken.None);
        Assert.Null(await h.Ledger.GetAsync(Tx, key, CancellationToken.None));
        // Nothing to reset is nothing to do.
        await h.Ledger.ResetAsync(Tx, key, CancellationToken.None);
        await h.Ledger.ResetAsync("T-never-seen", key, CancellationToken.None);
    }

    /// <summary>FlexShopper confirms the shipment only once <paramref name="release"/> completes; <paramref name="arrived"/> says the call came in.</summary>
    private static void AnswerWhenReleased(ConfirmationHarness h, TaskCompletionSource arrived, Task release) =>
        h.Fake.Server.Given(Request.Create().WithPath("/v3/" + ShipPath).UsingPost())
            .RespondWith(Response.Create().WithCallback(async _ =>
            {
                arrived.TrySetResult();
                await release.WaitAsync(TimeSpan.FromSeconds(30));
                return new ResponseMessage
                {
                    StatusCode = 200,
                    Headers = new Dictionary<string, WireMockList<string>> { ["Content-Type"] = new("application/json") },
                    BodyData = new BodyData { BodyAsString = "{\"data\":{}}", DetectedBodyType = BodyType.String },
                };
            }));

    private static void AnswerTransactionInTurn(ConfirmationHarness h, string first, string then)
    {
        string Body(string items) => $$$"""{"data":{"id":"{{{Tx}}}","lease":{"id":"L1","status":"signed"},"items":{{{items}}}}}""";
        h.Fake.Server.Given(Request.Create().WithPath("/v3/transactions/" + Tx).UsingGet()).InScenario("tx").WillSetStateTo("shipped")
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Body(first)));
        h.Fake.Server.Given(Request.Create().WithPath("/v3/transactions/" + Tx).UsingGet()).InScenario("tx").WhenStateIs("shipped")
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Body(then)));
    }

    /// <summary>Sends every <paramref name="method"/> request to the ledger with a stale ETag, so storage answers 412; counts them.</summary>
    private sealed class StaleETag(string table, RequestMethod method) : HttpPipelineSynchronousPolicy
    {
        private int _sent;

        public int Sent => Volatile.Read(ref _sent);

        public override void OnSendingRequest(HttpMessage message)
        {
            if (message.Request.Method == method && message.Request.Uri.Path.Contains("/" + table + "(", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _sent);
                message.Request.Headers.SetValue("If-Match", "W/\"datetime'2001-01-01T00%3A00%3A00.0000000Z'\"");
            }
        }
    }
}
