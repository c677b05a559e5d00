using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using FlexFunctions.Shared.Confirmations;
using FlexFunctions.Shared.Http;
using FlexFunctions.Shared.InputRules;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace FlexFunctions.Functions.Http;

/// <summary>Operator tools (admin key): list failed and poisoned warehouse events, and replay them onto the live queue.</summary>
public sealed class WarehouseAdminFunctions(FailedEventReplayer replayer)
{
    public const string ListName = "WarehouseFailedEventsList";
    public const string ReplayOneName = "WarehouseFailedEventReplay";
    public const string ReplayAllName = "WarehouseFailedEventsReplayAll";

    [Function(ListName)]
    public async Task<IActionResult> List(
        [HttpTrigger(AuthorizationLevel.Admin, "get", Route = "v1/admin/warehouse-events/failed")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        string? kind = request.Query["kind"];
        return FieldErrors.Problem((nameof(kind), kind, FailedEventKinds.Rule, false))
            ?? Json(await replayer.ListAsync(FieldRules.Given(kind), cancellationToken), ConfirmationsJson.Default.FailedEventList);
    }

    [Function(ReplayOneName)]
    public async Task<IActionResult> ReplayOne(
        [HttpTrigger(AuthorizationLevel.Admin, "post", Route = "v1/admin/warehouse-events/failed/{kind}/{id}/replay")] HttpRequest request,
        string kind,
        string id,
        CancellationToken cancellationToken)
    {
        if (FieldErrors.Problem((nameof(kind), kind, FailedEventKinds.Rule, true), (nameof(id), id, FailedEventKinds.IdRule, true)) is { } bad)
        {
            return bad;
        }

        var report = await replayer.ReplayOneAsync(kind, id, cancellationToken);
        return report is null
            ? Problems.Status(StatusCodes.Status404NotFound, "No such failed event.", $"Nothing recorded as {kind}/{id}; it may have been replayed already.")
            : Json(report, ConfirmationsJson.Default.ReplayReport);
    }

    [Function(ReplayAllName)]
    public async Task<IActionResult> ReplayAll(
        [HttpTrigger(AuthorizationLevel.Admin, "post", Route = "v1/admin/warehouse-events/failed/replay")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        string? kind = request.Query["kind"];
        return FieldErrors.Problem((nameof(kind), kind, FailedEventKinds.Rule, false))
            ?? Json(await replayer.ReplayAllAsync(FieldRules.Given(kind), cancellationToken), ConfirmationsJson.Default.ReplayReport);
    }

    private static ContentResult Json<T>(T value, JsonTypeInfo<T> type) => new()
    {
        Content = JsonSerializer.Serialize(value, type),
        ContentType = "application/json",
        StatusCode = StatusCodes.Status200OK,
    };
}
