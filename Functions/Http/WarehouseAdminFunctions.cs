using System.Text.Json.Serialization.Metadata;
using FlexFunctions.Shared.ApiDocument;
using FlexFunctions.Shared.Confirmations;
using FlexFunctions.Shared.Http;
using FlexFunctions.Shared.InputRules;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace FlexFunctions.Functions.Http;

/// <summary>Operator tools (admin key): list failed and poisoned warehouse events, and replay them onto the live queue.</summary>
public sealed class WarehouseAdminFunctions(FailedEventReplayer replayer, DependencyGuard guard)
{
    public const string ListName = "WarehouseFailedEventsList";
    public const string ReplayOneName = "WarehouseFailedEventReplay";
    public const string ReplayAllName = "WarehouseFailedEventsReplayAll";

    [Function(ListName)]
    [ApiOperation("Admin", "List failed, poisoned, review and skipped warehouse events with their reasons.", Guards = ApiGuards.Outage)]
    [ApiParameter("kind", "Only events of this kind.", RuleOwner = typeof(FailedEventKinds), Rule = nameof(FailedEventKinds.Rule))]
    [ApiResponse(200, typeof(ConfirmationsJson), nameof(ConfirmationsJson.FailedEventList))]
    public Task<IActionResult> List(
        [HttpTrigger(AuthorizationLevel.Admin, "get", Route = "v1/admin/warehouse-events/failed")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        string? kind = request.Query["kind"];
        return guard.RunAsync(async () => FieldErrors.Problem((nameof(kind), kind, FailedEventKinds.Rule, false))
            ?? Json(await replayer.ListAsync(FieldRules.Given(kind), cancellationToken), ConfirmationsJson.Default.FailedEventList), cancellationToken);
    }

    [Function(ReplayOneName)]
    [ApiOperation("Admin", "Put one failed event back on the live queue.", Guards = ApiGuards.Outage)]
    [ApiParameter("kind", "The event's kind.", RuleOwner = typeof(FailedEventKinds), Rule = nameof(FailedEventKinds.Rule))]
    [ApiParameter("id", "The event's id as the list shows it.", RuleOwner = typeof(FailedEventKinds), Rule = nameof(FailedEventKinds.IdRule))]
    [ApiResponse(200, typeof(ConfirmationsJson), nameof(ConfirmationsJson.ReplayReport))]
    [ApiResponse(404, "No such failed event")]
    public Task<IActionResult> ReplayOne(
        [HttpTrigger(AuthorizationLevel.Admin, "post", Route = "v1/admin/warehouse-events/failed/{kind}/{id}/replay")] HttpRequest request,
        string kind,
        string id,
        CancellationToken cancellationToken) =>
        guard.RunAsync(async () =>
        {
            if (FieldErrors.Problem((nameof(kind), kind, FailedEventKinds.Rule, true), (nameof(id), id, FailedEventKinds.IdRuleFor(kind), true)) is { } bad)
            {
                return bad;
            }

            var report = await replayer.ReplayOneAsync(kind, id, cancellationToken);
            return report is null
                ? Problems.Status(StatusCodes.Status404NotFound, "No such failed event.", $"Nothing recorded as {kind}/{id}; it may have been replayed already.")
                : Json(report, ConfirmationsJson.Default.ReplayReport);
        }, cancellationToken);

    [Function(ReplayAllName)]
    [ApiOperation("Admin", "Replay every failed and poisoned event (skipped ones with ?kind=skipped).", Guards = ApiGuards.Outage)]
    [ApiParameter("kind", "Only events of this kind.", RuleOwner = typeof(FailedEventKinds), Rule = nameof(FailedEventKinds.Rule))]
    [ApiResponse(200, typeof(ConfirmationsJson), nameof(ConfirmationsJson.ReplayReport))]
    public Task<IActionResult> ReplayAll(
        [HttpTrigger(AuthorizationLevel.Admin, "post", Route = "v1/admin/warehouse-events/failed/replay")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        string? kind = request.Query["kind"];
        return guard.RunAsync(async () => FieldErrors.Problem((nameof(kind), kind, FailedEventKinds.Rule, false))
            ?? Json(await replayer.ReplayAllAsync(FieldRules.Given(kind), cancellationToken), ConfirmationsJson.Default.ReplayReport), cancellationToken);
    }

    // Written with source-generated JSON by our own result, like every other route: no MVC executor needed.
    private static JsonResponse<T> Json<T>(T value, JsonTypeInfo<T> type) => JsonResponse.Ok(value, type);
}
