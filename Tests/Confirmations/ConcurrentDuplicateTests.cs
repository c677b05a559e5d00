using System.Diagnostics;
using Azure.Storage.Queues.Models;
using FlexFunctions.Functions.Queues;
using FlexFunctions.Shared.Confirmations;
using FlexFunctions.Shared.Storage;
using FlexFunctions.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Types;
using WireMock.Util;
using Xunit.Abstractions;

namespace FlexFunctions.Tests.Confirmations;

/// <summary>Copies of one warehouse event arriving together on two app instances: a benign race, not a failure.</summary>
public sealed class ConcurrentDuplicateTests(ITestOutputHelper output)
{
    private const string Tx = ConfirmationHarness.Transaction;
    private const string ShipPath = $"transactions/{Tx}/confirm-shipment";
    private const string TraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    [Fact]
    public async Task Two_copies_at_once_on_two_instances_confirm_once_fail_nothing_and_the_loser_settles_in_seconds()
    {
        await using var h = new ConfirmationHarness();
        var second = h.AnotherInstance();
        var loserDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        AnswerAfter(h, ShipPath, loserDone.Task); // the winner's call is in flight until the loser has finished
        var text = ConfirmationHarness.Shipment().Replace("\"version\":1,", $"\"version\":1,\"traceparent\":\"{TraceParent}\",", StringComparison.Ordinal);

        await h.Queue.Client.CreateIfNotExistsAsync();
        await h.Queue.Client.SendMessageAsync(text);
        await h.Queue.Client.SendMessageAsync(text);
        var copies = (await h.Queue.Client.ReceiveMessagesAsync(2, TimeSpan.FromMinutes(1))).Value;
        Assert.Equal(2, copies.Length);

        var runs = new[] { (h.Services, copies[0]), (second, copies[1]) }
            .Select(pair => Task.Run(() => RunAsTheHostDoes(pair.Item1, h.Queue, pair.Item2)))
            .ToList();
        var loser = await Task.WhenAny(runs);
        var loserFinished = Stopwatch.StartNew();
        Assert.Null(await loser); // no exception: the host records a success, not a Failed invocation
        loserDone.SetResult();
        Assert.All(await Task.WhenAll(runs), failure => Assert.Null(failure));
        Assert.Single(h.Calls("POST", ShipPath));

        // The loser's copy comes back after a short delay, with the original text (and its traceparent), and is done.
        var copy = await NextVisible(h.Queue, TimeSpan.FromSeconds(30));
        var settledAfter = loserFinished.Elapsed;
        Assert.Equal(text, copy.MessageText);
        Assert.Equal(1, copy.DequeueCount);
        Assert.Null(await RunAsTheHostDoes(second, h.Queue, copy));
        output.WriteLine($"The duplicate's copy was back and settled {settledAfter.TotalSeconds:F1} s after the loser was acknowledged");
        Assert.InRange(settledAfter, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(15)); // hidden a moment, not the 60 s visibility timeout

        Assert.Single(h.Calls("POST", ShipPath));
        var key = h.Services.Get<WarehouseMessageReader>().Read(text).Event!.Key;
        Assert.Equal(LedgerState.Done, (await h.Ledger.GetAsync(Tx, key, CancellationToken.None))!.State);
        Assert.Empty((await h.Queue.Client.PeekMessagesAsync(10)).Value);
        Assert.Empty(await h.Failures.ListAsync(null, CancellationToken.None));
        foreach (var instance in new[] { h.Services, second })
        {
            Assert.DoesNotContain(instance.Logs.GetSnapshot(), r => r.Level >= LogLevel.Error);
        }

        Assert.Contains(h.Services.Logs.GetSnapshot().Concat(second.Logs.GetSnapshot()),
            r => r.Level == LogLevel.Information && r.Message.Contains("handled by another delivery", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(0, 90, 2)] // just claimed: look again shortly
    [InlineData(20, 70, 20)] // a slow call: wait as long again
    [InlineData(85, 5, 6)] // never past a second after the claim runs out, when the copy may take it over
    [InlineData(95, -5, 1)] // already expired (the holder died): right away, in whole seconds
    [InlineData(0.3, 0.2, 2)]
    public void A_copy_waits_as_long_as_the_claim_has_been_held_within_bounds(double heldSeconds, double remainingSeconds, double expectedSeconds) =>
        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds),
            ConfirmationProcessor.RecheckDelay(TimeSpan.FromSeconds(heldSeconds), TimeSpan.FromSeconds(remainingSeconds)));

    [Fact]
    public async Task A_copy_that_cannot_be_put_back_leaves_the_message_to_the_queue_as_before()
    {
        await using var h = new ConfirmationHarness();
        var e = h.Services.Get<WarehouseMessageReader>().Read(ConfirmationHarness.Shipment()).Event!;
        Assert.Equal(ClaimStatus.Claimed, (await h.Ledger.TryClaimAsync(e, "holder", CancellationToken.None)).Status);

        // The queue is gone: the delivery fails (and is redelivered after the visibility timeout), it is not dropped.
        await h.Queue.Client.DeleteIfExistsAsync();
        var failure = await Assert.ThrowsAsync<TransientConfirmationException>(() =>
            h.Processor.ProcessAsync(new WarehouseDelivery(ConfirmationHarness.Shipment(), "m1", 1), CancellationToken.None));
        Assert.Contains("could not be put back", failure.Message, StringComparison.Ordinal);
        Assert.Empty(h.Calls("POST", ShipPath));
    }

    /// <summary>FlexShopper confirms only once <paramref name="release"/> completes (at most 20 s).</summary>
    internal static void AnswerAfter(ConfirmationHarness h, string path, Task release) =>
        h.Fake.Server.Given(Request.Create().WithPath("/v3/" + path).UsingPost())
            .RespondWith(Response.Create().WithCallback(async _ =>
            {
                await release.WaitAsync(TimeSpan.FromSeconds(20));
                return new ResponseMessage
                {
                    StatusCode = 200,
                    Headers = new Dictionary<string, WireMockList<string>> { ["Content-Type"] = new("application/json") },
                    BodyData = new BodyData { BodyAsString = "{\"data\":{}}", DetectedBodyType = BodyType.String },
                };
            }));

    /// <summary>Waits for the next message the queue shows, as the host's polling would.</summary>
    internal static async Task<QueueMessage> NextVisible(WarehouseQueue queue, TimeSpan patience)
    {
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < patience)
        {
            if ((await queue.Client.ReceiveMessageAsync(TimeSpan.FromMinutes(1))).Value is { } message)
            {
                return message;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"No message became visible within {patience.TotalSeconds:F0} s.");
    }

    /// <summary>The queue trigger's contract: the function runs; success deletes the message, an exception leaves it to come back.</summary>
    private static async Task<Exception?> RunAsTheHostDoes(TestServices instance, WarehouseQueue queue, QueueMessage message)
    {
        try
        {
            await new WarehouseEventsFunction(instance.Get<ConfirmationProcessor>()).Run(message, CancellationToken.None);
        }
        catch (Exception ex)
        {
            return ex;
        }

        await queue.Client.DeleteMessageAsync(message.MessageId, message.PopReceipt);
        return null;
    }
}
