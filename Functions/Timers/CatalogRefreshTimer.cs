using FlexFunctions.Shared.Catalog;
using Microsoft.Azure.Functions.Worker;

namespace FlexFunctions.Functions.Timers;

/// <summary>Refreshes the catalog on the UTC schedule in the <c>CatalogRefreshSchedule</c> app setting (never on start-up).</summary>
public sealed class CatalogRefreshTimer(CatalogRefresher refresher)
{
    [Function("CatalogRefreshTimer")]
    public async Task Run([TimerTrigger("%CatalogRefreshSchedule%")] TimerInfo timer, CancellationToken cancellationToken)
    {
        var result = await refresher.RunAsync("timer", cancellationToken);
        // A run that is already in progress is fine (logged by the refresher); a failed one must show as a failed invocation.
        if (result.Run is { Outcome: RunOutcome.Failed } run)
        {
            throw new CatalogRefreshException($"Catalog refresh {run.RunId} failed: {run.Error}");
        }
    }
}
