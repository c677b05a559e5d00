using System.Text.Json;
using FlexFunctions.Functions.Http;
using FlexFunctions.Functions.Queues;
using FlexFunctions.Shared.Confirmations;
using FlexFunctions.Shared.Http;
using FlexFunctions.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

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

    private static string Body(IActionResult result) => result switch
    {
        JsonResponse<FailedEventList> list => JsonSerializer.Serialize(list.Value, ConfirmationsJson.Default.FailedEventList),
        JsonResponse<ReplayReport> report => JsonSerializer.Serialize(report.Value, ConfirmationsJson.Default.ReplayReport),
        _ => throw new Xunit.Sdk.XunitException($"Not a JSON answer: {result.GetType().Name}"),
    };
}
