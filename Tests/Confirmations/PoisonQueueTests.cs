using System.Diagnostics.Metrics;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Queues.Specialized;
using FlexFunctions.Functions.Http;
using FlexFunctions.Shared.Confirmations;
using FlexFunctions.Shared.Health;
using FlexFunctions.Shared.Http;
using FlexFunctions.Shared.Storage;
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
    [InlineData(FailedEventKinds.PoisonQueue, "not-a-guid", "a queue message id (a lower-case GUID)")]
    [InlineData(FailedEventKinds.PoisonQueue, "0F8FAD5B-D9CB-469F-A165-70867728950E", "a queue message id (a lower-case GUID)")]
    [InlineData(FailedEventKinds.Failed, "0f8fad5b-d9cb-469f-a165-70867728950e", "64 lower-case hex digits")]
    public async Task A_replay_address_that_cannot_be_one_is_a_400_naming_id(string kind, string id, string requirement)
    {
        await using var h = new ConfirmationHarness();
        var admin = new WarehouseAdminFunctions(h.Replayer, h.Services.Get<DependencyGuard>());

        var result = Assert.IsType<ObjectResult>(await admin.ReplayOne(new DefaultHttpContext().Request, kind, id, CancellationToken.None), exactMatch: false);

        Assert.Equal(400, result.StatusCode);
        var errors = Assert.IsType<ValidationProblemDetails>(result.Value).Errors;
        Assert.Contains(requirement, Assert.Single(errors["id"]), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_message_being_recorded_right_now_counts_in_the_depth_without_an_age()
    {
        await using var h = new ConfirmationHarness();
        var poison = await PoisonQueue(h);
        await poison.SendMessageAsync(ConfirmationHarness.Shipment());
        // WarehouseEventsPoison has it: counted by the queue, invisible to a peek.
        await poison.ReceiveMessageAsync(TimeSpan.FromMinutes(5));

        var depths = await h.Services.Get<PoisonQueues>().SampleAsync();

        var first = Assert.Single(depths, d => d.Kind == FailedEventKinds.PoisonQueue);
        Assert.Equal((1L, (double?)null), (first.Messages, first.OldestAgeSeconds));
        Assert.Contains(depths, d => d is { Kind: FailedEventKinds.PoisonPoisonQueue, Messages: 0, OldestAgeSeconds: null });
    }

    [Fact]
    public async Task Replaying_from_a_poison_queue_that_never_existed_finds_nothing()
    {
        await using var h = new ConfirmationHarness();
        await h.Queue.Client.CreateIfNotExistsAsync();

        Assert.False(await h.Services.Get<PoisonQueues>().ReplayAsync(FailedEventKinds.PoisonQueue, Guid.NewGuid().ToString()));
        Assert.Null(await h.Replayer.ReplayOneAsync(FailedEventKinds.PoisonPoisonQueue, Guid.NewGuid().ToString(), CancellationToken.None));
        Assert.Empty((await h.Queue.Client.PeekMessagesAsync(32)).Value);
    }

    [Fact]
    public async Task A_poison_queue_replay_is_logged_for_the_operator()
    {
        await using var h = new ConfirmationHarness();
        await h.Queue.Client.CreateIfNotExistsAsync();
        var stuck = (await (await PoisonQueue(h)).SendMessageAsync(ConfirmationHarness.Shipment())).Value;

        Assert.True(await h.Services.Get<PoisonQueues>().ReplayAsync(FailedEventKinds.PoisonQueue, stuck.MessageId));

        var line = Assert.Single(h.Services.Logs.GetSnapshot(), r => r.Message.StartsWith("Replayed message", StringComparison.Ordinal));
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Information, line.Level);
        Assert.Contains(stuck.MessageId, line.Message, StringComparison.Ordinal);
        Assert.Contains(FailedEventKinds.PoisonQueue, line.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_metrics_sample_in_the_background_and_again_once_their_sample_is_a_minute_old()
    {
        await using var h = new ConfirmationHarness();
        await h.Queue.Client.CreateIfNotExistsAsync();
        var factory = h.Services.Get<IMeterFactory>();
        _ = h.Services.Get<PoisonQueues>();
        using var depth = new MetricCollector<long>(factory, FlexFunctions.Shared.Observability.FlexTelemetry.Name, "flexfunctions.warehouse.poison.depth");
        Assert.Equal("{message}", depth.Instrument!.Unit);
        Assert.Contains("poison queues", depth.Instrument.Description, StringComparison.Ordinal);
        using (var age = new MetricCollector<double>(factory, FlexFunctions.Shared.Observability.FlexTelemetry.Name, "flexfunctions.warehouse.poison.oldest_age"))
        {
            Assert.Equal("s", age.Instrument!.Unit);
            Assert.Contains("oldest message", age.Instrument.Description, StringComparison.Ordinal);
        }

        // Nothing sampled yet: the first collection reports nothing and never waits on storage; a later one has it.
        depth.RecordObservableInstruments();
        Assert.Empty(depth.GetMeasurementSnapshot());
        await Eventually(depth, FailedEventKinds.PoisonQueue, 0);
        await Eventually(depth, FailedEventKinds.PoisonPoisonQueue, 0);

        // A message arrives; once the sample is over a minute old a collection asks the queues again.
        await (await PoisonQueue(h)).SendMessageAsync(ConfirmationHarness.Shipment());
        h.Clock.Advance(TimeSpan.FromMinutes(2));
        await Eventually(depth, FailedEventKinds.PoisonQueue, 1);
    }

    [Fact]
    public async Task Collections_while_a_sample_is_in_flight_do_not_ask_storage_again()
    {
        await using var h = new ConfirmationHarness();
        using var slow = new SlowPoisonQueues();
        var instance = h.AnotherInstance(new StoragePipelinePolicies((slow, HttpPipelinePosition.PerCall)));
        _ = instance.Get<PoisonQueues>();
        using var depth = new MetricCollector<long>(instance.Get<IMeterFactory>(), FlexFunctions.Shared.Observability.FlexTelemetry.Name, "flexfunctions.warehouse.poison.depth");

        // Storage is slow: the first sample (one request per poison queue) is still waiting while more collections come.
        for (var i = 0; i < 6; i++)
        {
            depth.RecordObservableInstruments();
            await Task.Delay(20);
        }

        slow.Release();
        await Eventually(depth, FailedEventKinds.PoisonQueue, 0);
        Assert.Equal(2, slow.Requests);
    }

    [Fact]
    public async Task A_sample_storage_refuses_is_a_warning_and_the_next_collection_tries_again()
    {
        await using var h = new ConfirmationHarness();
        var refusing = new RefusingPoisonQueues();
        var instance = h.AnotherInstance(new StoragePipelinePolicies((refusing, HttpPipelinePosition.PerCall)));
        _ = instance.Get<PoisonQueues>();
        using var depth = new MetricCollector<long>(instance.Get<IMeterFactory>(), FlexFunctions.Shared.Observability.FlexTelemetry.Name, "flexfunctions.warehouse.poison.depth");

        var until = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        Microsoft.Extensions.Logging.Testing.FakeLogRecord? warning;
        while ((warning = instance.Logs.GetSnapshot().FirstOrDefault(r => r.Message.StartsWith("The poison queues could not be sampled", StringComparison.Ordinal))) is null)
        {
            Assert.True(DateTime.UtcNow < until, "no warning that the sample failed");
            depth.RecordObservableInstruments();
            await Task.Delay(50);
        }

        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Warning, warning.Level);
        Assert.Contains("503", warning.Message, StringComparison.Ordinal);
        Assert.Empty(depth.GetMeasurementSnapshot());

        refusing.Recover();
        await Eventually(depth, FailedEventKinds.PoisonQueue, 0);
    }

    [Fact]
    public async Task The_watcher_refuses_a_missing_queue_or_meter_factory()
    {
        await using var h = new ConfirmationHarness();
        var live = h.Services.Get<WarehouseQueue>();
        var meters = h.Services.Get<IMeterFactory>();
        var logger = h.Services.Get<Microsoft.Extensions.Logging.ILogger<PoisonQueues>>();

        Assert.Equal("live", Assert.Throws<ArgumentNullException>(() => new PoisonQueues(null!, TimeProvider.System, meters, logger)).ParamName);
        Assert.Equal("meters", Assert.Throws<ArgumentNullException>(() => new PoisonQueues(live, TimeProvider.System, null!, logger)).ParamName);
    }

    /// <summary>Collects until the queue's depth reads <paramref name="expected"/>: sampling runs in the background (generous bound for a loaded machine).</summary>
    private static async Task Eventually(MetricCollector<long> depth, string queue, long expected)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            depth.RecordObservableInstruments();
            if (depth.GetMeasurementSnapshot(clear: true).Any(m => (string?)m.Tags["queue"] == queue && m.Value == expected))
            {
                return;
            }

            Assert.True(DateTime.UtcNow < until, $"the {queue} depth never read {expected}");
            await Task.Delay(50);
        }
    }

    /// <summary>Holds every request for a poison queue's properties until released (generous bound), counting them.</summary>
    private sealed class SlowPoisonQueues : HttpPipelineSynchronousPolicy, IDisposable
    {
        private readonly ManualResetEventSlim _gate = new();
        private int _requests;

        public int Requests => Volatile.Read(ref _requests);

        public void Release() => _gate.Set();

        public override void OnSendingRequest(HttpMessage message)
        {
            if (message.Request.Method == RequestMethod.Get && message.Request.Uri.Path.EndsWith("-poison", StringComparison.Ordinal)) // both queues' names end so
            {
                Interlocked.Increment(ref _requests);
                _gate.Wait(TimeSpan.FromSeconds(60));
            }
        }

        public void Dispose() => _gate.Dispose();
    }

    /// <summary>Answers every request for a poison queue's properties with an outage until it recovers.</summary>
    private sealed class RefusingPoisonQueues : HttpPipelineSynchronousPolicy
    {
        private volatile bool _refuse = true;

        public void Recover() => _refuse = false;

        public override void OnSendingRequest(HttpMessage message)
        {
            if (_refuse && message.Request.Method == RequestMethod.Get && message.Request.Uri.Path.EndsWith("-poison", StringComparison.Ordinal))
            {
                throw new Azure.RequestFailedException(503, "The server is busy.");
            }
        }
    }

    private static async Task<Azure.Storage.Queues.QueueClient> PoisonQueue(ConfirmationHarness h)
    {
        await h.Queue.Client.CreateIfNotExistsAsync();
        var poison = h.Queue.Client.GetParentQueueServiceClient().GetQueueClient(h.Queue.Client.Name + "-poison");
        await poison.CreateIfNotExistsAsync();
        return poison;
    }

    private static async Task<ReadinessPart> Queues(ConfirmationHarness h) =>
        (await h.Services.Get<HealthReporter>().CheckReadyAsync()).Checks.Single(c => c.Name == "queues");

    private static FailedEventList ListOf(IActionResult result) => Assert.IsType<JsonResponse<FailedEventList>>(result).Value;
}
