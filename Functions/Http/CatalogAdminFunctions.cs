using FlexFunctions.Shared.ApiDocument;
using FlexFunctions.Shared.Catalog;
using FlexFunctions.Shared.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace FlexFunctions.Functions.Http;

/// <summary>Operator endpoint: refresh the catalog now (host admin key).</summary>
public sealed class CatalogAdminFunctions(CatalogRefresher refresher, DependencyGuard guard)
{
    [Function("CatalogRefreshNow")]
    [ApiOperation("Admin", "Refresh the catalog now and return the run.", Guards = ApiGuards.Outage)]
    [ApiResponse(200, typeof(CatalogJson), nameof(CatalogJson.CatalogRun))]
    [ApiResponse(409, "RefreshInProgress")]
    [ApiResponse(502, "RefreshFailed: the previous catalog is unchanged")]
    public Task<IActionResult> RefreshNow(
        [HttpTrigger(AuthorizationLevel.Admin, "post", Route = "v1/admin/catalog/refresh")] HttpRequest request,
        CancellationToken cancellationToken) =>
        guard.RunAsync(async () =>
        {
            var result = await refresher.RunAsync("manual", cancellationToken);
            return result.Run switch
            {
                null => Problems.Status(StatusCodes.Status409Conflict, "A catalog refresh is already running.",
                    "Wait for it to finish; GET v1/catalog/status shows the latest run.", code: "RefreshInProgress"),
                { Outcome: RunOutcome.Failed } when result.DependencyUnavailable => Problems.DependencyUnavailable(),
                { Outcome: RunOutcome.Failed } run => Problems.Status(StatusCodes.Status502BadGateway, "The catalog refresh failed; the previous catalog is unchanged.",
                    run.Error, code: "RefreshFailed"),
                var run => CatalogResponses.Run(run),
            };
        }, cancellationToken);
}
