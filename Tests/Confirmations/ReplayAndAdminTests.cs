using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json;
using System.Text.Json.Nodes;
using FlexFunctions.Functions.Http;
using FlexFunctions.Functions.Queues;
using FlexFunctions.Shared.Confirmations;
using FlexFunctions.Shared.Http;
using FlexFunctions.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using FlexTelemetry = FlexFunctions.Shared.Observability.FlexTelemetry;

namespace FlexFunctions.Tests.Confirmations;

public sealed class ReplayAndAdminTests
{
    private const string Tx = ConfirmationHarness.Transaction;
    private const string ShipPath = $"transactions/{Tx}/confirm-shipment";

    [Fact]
    public async Task A_failed_event_replayed_after_the_fix_is_confirmed_once()
    {
        await using var h = new ConfirmationHarness();
        h.Answer(ShipPath, 404, "{\"error\":{\"statusCode\":404,\"code\":\"TransactionNotFound\",\"message\":\"not found\"}}");
        Assert.Equal(ProcessOutcome.Rejected, await h.Deliver(ConfirmationHarness.Shipment()));
        var failed = Assert.Single(await h.Failures.ListAsync(null, CancellationToken.None));

        // The transaction now exists upstream.
        h.Fake.Server.ResetMappings();
        h.Answer(ShipPath, 200);
        await h.Queue.Client.CreateIfNotExistsAsync();
        var admin = new WarehouseAdminFunctions(h.Replayer, h.Services.Get<DependencyGuard>());
        var result = await admin.ReplayOne(new DefaultHttpContext().Request, failed.Kind, failed.Id, CancellationToken.None);
        var report = JsonSerializer.Deserialize(Body(result), ConfirmationsJson.Default.ReplayReport)!;
        Assert.Equal([failed.Id], report.Replayed);

        var replayed = await h.ReceiveOne();
        await new WarehouseEventsFunction(h.Processor).Run(replayed, CancellationToken.None);
        Assert.Equal(ProcessOutcome.Duplicate, await h.Deliver(ConfirmationHarness.Shipment()));

        Assert.Equal(1, h.Calls("POST", ShipPath).Count(c => c.ResponseMessage!.StatusCode is 200));
        Assert.Empty(await h.Failures.ListAsync(null, CancellationToken.None));
        var again = await admin.ReplayOne(new DefaultHttpContext().Request, failed.Kind, failed.Id, CancellationToken.None);
        Assert.Equal(StatusCodes.Status404NotFound, Assert.IsType<ObjectResult>(again, exactMatch: false).StatusCode);
    }

    [Fact]
    public async Task The_operator_lists_failed_and_poisoned_events_and_replays_them_all()
    {
        await using var h = new ConfirmationHarness();
        await h.Deliver("garbage");
        await h.Processor.RecordPoisonedAsync(new WarehouseDelivery(ConfirmationHarness.Shipment(), "p1", 1), CancellationToken.None);
        var admin = new WarehouseAdminFunctions(h.Replayer, h.Services.Get<DependencyGuard>());

        var list = JsonSerializer.Deserialize(Body(await admin.List(new DefaultHttpContext().Request, CancellationToken.None)), ConfirmationsJson.Default.FailedEventList)!;
        Assert.Equal(2, list.Count);
        Assert.Contains(list.Events, e => e.Kind == FailedEventKinds.Failed && e.Message == "garbage" && e.Reason.Contains("neither JSON", StringComparison.Ordinal));
        Assert.Contains(list.Events, e => e.Kind == FailedEventKinds.Poisoned && e.TransactionId == Tx);

        var context = new DefaultHttpContext();
        context.Request.QueryString = new QueryString("?kind=bogus");
        var problem = Assert.IsType<ObjectResult>(await admin.List(context.Request, CancellationToken.None), exactMatch: false);
        Assert.Equal(400, problem.StatusCode);

        await h.Queue.Client.CreateIfNotExistsAsync();
        var report = JsonSerializer.Deserialize(Body(await admin.ReplayAll(new DefaultHttpContext().Request, CancellationToken.None)), ConfirmationsJson.Default.ReplayReport)!;
        Assert.Equal(2, report.Replayed.Count);
        var onQueue = (await h.Queue.Client.ReceiveMessagesAsync(10)).Value.Select(m => m.Body.ToString()).Order().ToList();
        Assert.Equal(new[] { ConfirmationHarness.Shipment(), "garbage" }.Order(), onQueue);
    }

    [Fact]
    public void The_generated_metadata_binds_the_warehouse_queue_its_poison_queue_and_admin_routes()
    {
        var live = FunctionMetadata.Get(WarehouseEventsFunction.Name);
        Assert.Equal("queueTrigger", live.TriggerType);
        Assert.Equal("%WarehouseQueueName%", live.Property("queueName"));
        Assert.Equal("Warehouse", live.Property("connection"));

        var poison = FunctionMetadata.Get(WarehousePoisonFunction.Name);
        Assert.Equal("queueTrigger", poison.TriggerType);
        Assert.Equal("%WarehouseQueueName%-poison", poison.Property("queueName"));
        Assert.Equal("Warehouse", poison.Property("connection"));

        foreach (var (name, method, route) in new[]
                 {
                     (WarehouseAdminFunctions.ListName, "GET", "v1/admin/warehouse-events/failed"),
                     (WarehouseAdminFunctions.ReplayOneName, "POST", "v1/admin/warehouse-events/failed/{kind}/{id}/replay"),
                     (WarehouseAdminFunctions.ReplayAllName, "POST", "v1/admin/warehouse-events/failed/replay"),
                 })
        {
            var f = FunctionMetadata.Get(name);
            Assert.Equal("Admin", f.AuthLevel);
            Assert.Equal(route, f.Route);
            Assert.Equal([method], f.Methods);
        }

        using var hostJson = JsonDocument.Parse(File.ReadAllText(RepoPaths.Of("host.json")));
        var queues = hostJson.RootElement.GetProperty("extensions").GetProperty("queues");
        Assert.Equal("none", queues.GetProperty("messageEncoding").GetString());
        Assert.True(queues.GetProperty("maxDequeueCount").GetInt32() >= 3);
    }

    [Fact]
    public async Task The_listing_and_replay_all_of_one_kind_touch_only_that_kind()
    {
        await using var h = new ConfirmationHarness();
        await h.Deliver("garbage");
        await h.Processor.RecordPoisonedAsync(new WarehouseDelivery(ConfirmationHarness.Shipment(), "p1", 1), CancellationToken.None);
        await h.Queue.Client.CreateIfNotExistsAsync();

        var failed = await h.Replayer.ListAsync(FailedEventKinds.Failed, CancellationToken.None);
        Assert.Equal(("garbage", 1), (Assert.Single(failed.Events).Message, failed.Count));
        Assert.Empty(failed.Queued);
        Assert.Equal(FailedEventKinds.Poisoned, Assert.Single((await h.Replayer.ListAsync(FailedEventKinds.Poisoned, CancellationToken.None)).Events).Kind);
        Assert.Empty((await h.Replayer.ListAsync(FailedEventKinds.PoisonQueue, CancellationToken.None)).Events);

        var report = await h.Replayer.ReplayAllAsync(FailedEventKinds.Failed, CancellationToken.None);

        Assert.Single(report.Replayed);
        Assert.Equal("garbage", (await h.ReceiveOne()).Body.ToString());
        Assert.Equal(FailedEventKinds.Poisoned, Assert.Single(await h.Failures.ListAsync(null, CancellationToken.None)).Kind);
    }

    [Fact]
    public async Task A_review_event_is_never_replayed_and_says_what_to_do_instead()
    {
        await using var h = new ConfirmationHarness();
        await h.Queue.Client.CreateIfNotExistsAsync();
        var message = ConfirmationHarness.Shipment();
        var review = await h.Failures.RecordAsync(new FailedEvent { Kind = FailedEventKinds.Review, Id = EventKey.Hash(message), Reason = "SKU-1 failed upstream", TransactionId = Tx }, message, CancellationToken.None);

        // Replay all (failed and poisoned) leaves review rows alone, without listing them as skipped.
        var all = await h.Replayer.ReplayAllAsync(null, CancellationToken.None);
        Assert.Empty(all.Replayed);
        Assert.Empty(all.Skipped);

        var report = await h.Replayer.ReplayOneAsync(review.Kind, review.Id, CancellationToken.None);

        Assert.Empty(report!.Replayed);
        var skip = Assert.Single(report.Skipped);
        Assert.Equal((FailedEventKinds.Review, review.Id, "FlexShopper already accepted this event; fix the items by hand or send a new event."), (skip.Kind, skip.Id, skip.Reason));
        Assert.Empty((await h.Queue.Client.PeekMessagesAsync(32)).Value);
        Assert.NotNull(await h.Failures.GetAsync(review.Kind, review.Id, CancellationToken.None));
    }

    [Fact]
    public async Task A_rejected_event_with_a_well_formed_transaction_replays_and_is_counted_and_logged()
    {
        await using var h = new ConfirmationHarness();
        using var replayed = new MetricCollector<long>(h.Services.Get<IMeterFactory>(), FlexTelemetry.Name, "flexfunctions.confirmations.replayed");
        var message = $$"""{"version":2,"type":"cancel","transactionId":"{{Tx}}"}""";
        Assert.Equal(ProcessOutcome.Rejected, await h.Deliver(message));
        var row = Assert.Single(await h.Failures.ListAsync(null, CancellationToken.None));
        Assert.Equal((Tx, null), (row.TransactionId, row.EventKey)); // an invalid event has no identity in the ledger

        var report = await h.Replayer.ReplayOneAsync(row.Kind, row.Id, CancellationToken.None);

        Assert.Equal([row.Id], report!.Replayed);
        Assert.Equal(message, (await h.ReceiveOne()).Body.ToString());
        var counted = Assert.Single(replayed.GetMeasurementSnapshot());
        Assert.Equal((1L, FailedEventKinds.Failed), (counted.Value, (string?)counted.Tags["kind"]));
        var line = Assert.Single(h.Services.Logs.GetSnapshot(), r => r.Message.StartsWith("Replayed failed warehouse event", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Information, line.Level);
        Assert.Contains(row.Id, line.Message, StringComparison.Ordinal);
        Assert.Contains($"(transaction {Tx})", line.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(FailedEventKinds.Failed, "a/b")]
    [InlineData(FailedEventKinds.Failed, "x'y")]
    [InlineData("bogus", "0000000000000000000000000000000000000000000000000000000000000000")]
    public async Task A_replay_address_that_cannot_be_one_never_reaches_storage(string kind, string id)
    {
        await using var h = new ConfirmationHarness();

        Assert.Null(await h.Replayer.ReplayOneAsync(kind, id, CancellationToken.None));
    }

    [Fact]
    public void A_replayed_JSON_event_carries_the_operators_trace_and_anything_else_goes_back_as_it_was()
    {
        using var operation = new Activity("Invoke WarehouseFailedEventReplay").SetIdFormat(ActivityIdFormat.W3C).Start();

        var sent = JsonNode.Parse(FailedEventReplayer.WithTraceParent(ConfirmationHarness.Shipment()))!.AsObject();

        Assert.Equal(operation.Id, (string?)sent["traceparent"]);
        Assert.Equal(JsonNode.Parse(ConfirmationHarness.Shipment())!["items"]!.ToJsonString(), sent["items"]!.ToJsonString());
        foreach (var other in new[] { "garbage", "[1,2]", "{\"version\":1,", ConfirmationHarness.Base64(ConfirmationHarness.Shipment()) })
        {
            Assert.Equal(other, FailedEventReplayer.WithTraceParent(other));
        }
    }

    [Fact]
    public async Task A_translated_event_still_unusable_is_reported_with_its_reason_and_a_usable_one_is_counted_and_logged()
    {
        using var fake = new FakeFlexShopper();
        var translator = new TestTranslator();
        await using var app = TestServices.Build(TestServices.DefaultSettings(fake.BaseUrl), s => s.AddSingleton<IFailedEventTranslator>(translator));
        using var counter = new MetricCollector<long>(app.Get<IMeterFactory>(), FlexTelemetry.Name, "flexfunctions.confirmations.replayed");
        var store = app.Get<FailedEventStore>();
        var replayer = app.Get<FailedEventReplayer>();
        FailedEvent Skipped(string text) => new() { Kind = FailedEventKinds.Skipped, Id = EventKey.Hash(text), Reason = "no transaction id", Encoding = TestTranslator.Encoding, TransactionId = Tx };
        var stuck = await store.RecordAsync(Skipped("still-bad"), "still-bad", CancellationToken.None);
        var fixedNow = await store.RecordAsync(Skipped("fixed-now"), "fixed-now", CancellationToken.None);

        var bad = await replayer.ReplayOneAsync(stuck.Kind, stuck.Id, CancellationToken.None);
        Assert.Empty(bad!.Replayed);
        Assert.Equal((stuck.Id, "the order still has no transaction id"), (Assert.Single(bad.Skipped).Id, bad.Skipped[0].Reason));
        Assert.Empty(counter.GetMeasurementSnapshot());

        var good = await replayer.ReplayOneAsync(fixedNow.Kind, fixedNow.Id, CancellationToken.None);
        Assert.Equal([fixedNow.Id], good!.Replayed);
        Assert.Empty(good.Skipped);
        Assert.Equal(new string?[] { "still-bad", "fixed-now" }, translator.Seen);
        Assert.Empty(await store.ListAsync(null, CancellationToken.None)); // each re-recorded itself if it had to
        var counted = Assert.Single(counter.GetMeasurementSnapshot());
        Assert.Equal((1L, FailedEventKinds.Skipped), (counted.Value, (string?)counted.Tags["kind"]));
        var line = Assert.Single(app.Logs.GetSnapshot(), r => r.Message.StartsWith("Replayed skipped warehouse event", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Information, line.Level);
        Assert.Contains(fixedNow.Id, line.Message, StringComparison.Ordinal);
    }

    /// <summary>A store platform's translator: owns its own encoding, and the text "still-bad" is still unusable.</summary>
    private sealed class TestTranslator : IFailedEventTranslator
    {
        public const string Encoding = "test-translator";

        public List<string?> Seen { get; } = [];

        public bool Owns(FailedEvent failed) => failed.Encoding == Encoding;

        public Task<string?> ReplayAsync(FailedEvent failed, CancellationToken cancellationToken)
        {
            Seen.Add(failed.Message);
            return Task.FromResult(failed.Message == "still-bad" ? "the order still has no transaction id" : null);
        }
    }

    private static string Body(IActionResult result) => result switch
    {
        JsonResponse<FailedEventList> list => JsonSerializer.Serialize(list.Value, ConfirmationsJson.Default.FailedEventList),
        JsonResponse<ReplayReport> report => JsonSerializer.Serialize(report.Value, ConfirmationsJson.Default.ReplayReport),
        _ => throw new Xunit.Sdk.XunitException($"Not a JSON answer: {result.GetType().Name}"),
    };
}
