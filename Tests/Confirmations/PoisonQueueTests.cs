using System.Diagnostics.Metrics;
using Azure.Storage.Queues.Specialized;
using FlexFunctions.Functions.Http;
using FlexFunctions.Shared.Confirmations;
using FlexFunctions.Shared.Health;
using FlexFunctions.Shared.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace FlexFunctions.Tests.Confirmations;

/// <summary>
/// Messages the runtime moved to the poison queues and that were never recorded as failed events: readiness and a
/// metric report them (depth, oldest age), the failed-events admin listing shows them, and they replay onto the live
/// queue, where the processor confirms them.
/// </summary>
public sealed class PoisonQueueTests
{
    [Fact]
    public async Task A_message_in_the_poison_queue_shows_in_readiness_and_in_the_admin_listing_and_replays()
    {
        await using var h = new ConfirmationHarness();
        h.Answer("transactions/T-1001/confirm-shipment", 200);
        await h.Queue.Client.CreateIfNotExistsAsync();
        var poison = h.Queue.Client.GetParentQueueServiceClient().GetQueueClient(h.Queue.Client.Name + "-poison");
        await poison.CreateIfNotExistsAsync();
        var stuck = (await poison.SendMessageAsync(ConfirmationHarness.Shipment())).Value;

        // Fresh in the poison queue: reported, still healthy (the poison function records such messages within seconds).
        var fresh = await Queues(h);
        Assert.Equal(("Healthy", 1L), (fresh.Status, fresh.Data!["poisonMessages"]));

        // Still there a quarter of an hour later: the poison function cannot record it, and readiness says so.
        h.Clock.Advance(TimeSpan.FromMinutes(16));
        var later = await Queues(h);
        Assert.Equal("Degraded", later.Status);
        Assert.InRange(later.Data!["poisonOldestAgeSeconds"], 15 * 60, 20 * 60);
        Assert.Contains("not being recorded", later.Description, StringComparison.Ordinal);

        // The metric reports the same.
        using var depth = new MetricCollector<long>(h.Services.Get<IMeterFactory>(), FlexFunctions.Shared.Observability.FlexTelemetry.Name, "flexfunctions.warehouse.poison.depth");
        using var age = new MetricCollector<double>(h.Services.Get<IMeterFactory>(), FlexFunctions.Shared.Observability.FlexTelemetry.Name, "flexfunctions.warehouse.poison.oldest_age");
        depth.RecordObservableInstruments();
        age.RecordObservableInstruments();
        Assert.Contains(depth.GetMeasurementSnapshot(), m => m.Value == 1 && (string?)m.Tags["queue"] == FailedEventKinds.PoisonQueue);
        Assert.Contains(age.GetMeasurementSnapshot(), m => m.Value >= 15 * 60 && (string?)m.Tags["queue"] == FailedEventKinds.PoisonQueue);

        // The operator sees it in the failed-events listing, with its text and id, beside the recorded ones.
        var admin = new WarehouseAdminFunctions(h.Replayer, h.Services.Get<DependencyGuard>());
        var list = ListOf(await admin.List(new DefaultHttpContext().Request, CancellationToken.None));
        var queued = Assert.Single(list.Queued);
        Assert.Equal((FailedEventKinds.PoisonQueue, stuck.MessageId, ConfirmationHarness.Shipment()), (queued.Kind, queued.Id, queued.Message));
        Assert.Contains(list.PoisonQueues, d => d is { Kind: FailedEventKinds.PoisonQueue, Messages: 1 });

        // ... and replays it: back on the live queue, gone from the poison queue, confirmed once.
        var replayed = await admin.ReplayOne(new DefaultHttpContext().Request, FailedEventKinds.PoisonQueue, stuck.MessageId, CancellationToken.None);
        Assert.Equal([stuck.MessageId], Assert.IsType<JsonResponse<ReplayReport>>(replayed).Value.Replayed);
        Assert.Empty((await poison.PeekMessagesAsync(32)).Value);
        var live = await h.ReceiveOne();
        Assert.Equal(ConfirmationHarness.Shipment(), live.Body.ToString());
        await h.Processor.ProcessAsync(new WarehouseDelivery(live.Body.ToString(), live.MessageId, 1), CancellationToken.None);
        Assert.Single(h.Calls("POST", "transactions/T-1001/confirm-shipment"));
        Assert.Equal("Healthy", (await Queues(h)).Status);

        // Replaying it again finds nothing: 404.
        var again = await admin.ReplayOne(new DefaultHttpContext().Request, FailedEventKinds.PoisonQueue, stuck.MessageId, CancellationToken.None);
        Assert.Equal(StatusCodes.Status404NotFound, Assert.IsType<ObjectResult>(again, exactMatch: false).StatusCode);
    }

    [Fact]
    public async Task Anything_on_the_poison_poison_queue_degrades_readiness_at_once_and_replays_with_the_rest()
    {
        await using var h = new ConfirmationHarness();
        await h.Queue.Client.CreateIfNotExistsAsync();
        var poisonPoison = h.Queue.Client.GetParentQueueServiceClient().GetQueueClient(h.Queue.Client.Name + "-poison-poison");
        await poisonPoison.CreateIfNotExistsAsync();
        await poisonPoison.SendMessageAsync("{\"lost\":true}");

        var ready = await Queues(h);
        Assert.Equal(("Degraded", 1L), (ready.Status, ready.Data!["poisonPoisonMessages"]));
        Assert.Contains("nothing reads", ready.Description, StringComparison.Ordinal);

        var admin = new WarehouseAdminFunctions(h.Replayer, h.Services.Get<DependencyGuard>());
        var context = new DefaultHttpContext();
        context.Request.QueryString = new QueryString("?kind=" + FailedEventKinds.PoisonPoisonQueue);
        var list = ListOf(await admin.List(context.Request, CancellationToken.None));
        Assert.Equal(FailedEventKinds.PoisonPoisonQueue, Assert.Single(list.Queued).Kind);
        Assert.Empty(list.Events);

        var report = Assert.IsType<JsonResponse<ReplayReport>>(await admin.ReplayAll(new DefaultHttpContext().Request, CancellationToken.None)).Value;
        Assert.Single(report.Replayed);
        Assert.Equal("{\"lost\":true}", (await h.ReceiveOne()).Body.ToString());
        Assert.Equal("Healthy", (await Queues(h)).Status);
    }

    [Theory]
    [InlineData(FailedEventKinds.PoisonQueue, "not-a-guid")]
    [InlineData(FailedEventKinds.PoisonQueue, "0F8FAD5B-D9CB-469F-A165-70867728950E")]
    [InlineData(FailedEventKinds.Failed, "0f8fad5b-d9cb-469f-a165-70867728950e")]
    public async Task A_replay_address_that_cannot_be_one_is_a_400_naming_id(string kind, string id)
    {
        await using var h = new ConfirmationHarness();
        var admin = new WarehouseAdminFunctions(h.Replayer, h.Services.Get<DependencyGuard>());

        var result = Assert.IsType<ObjectResult>(await admin.ReplayOne(new DefaultHttpContext().Request, kind, id, CancellationToken.None), exactMatch: false);

        Assert.Equal(400, result.StatusCode);
        Assert.Contains("id", Assert.IsType<ValidationProblemDetails>(result.Value).Errors.Keys);
    }

    private static async Task<ReadinessPart> Queues(ConfirmationHarness h) =>
        (await h.Services.Get<HealthReporter>().CheckReadyAsync()).Checks.Single(c => c.Name == "queues");

    private static FailedEventList ListOf(IActionResult result) => Assert.IsType<JsonResponse<FailedEventList>>(result).Value;
}
