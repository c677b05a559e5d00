using FlexFunctions.Shared.Health;
using FlexFunctions.Shared.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace FlexFunctions.Functions.Http;

/// <summary>Liveness (anonymous, no dependency touched) and readiness (function key, every dependency checked).</summary>
public sealed class HealthFunctions(HealthReporter health)
{
    public const string LiveName = "HealthLive";
    public const string ReadyName = "HealthReady";

    [Function(LiveName)]
    public IActionResult Live(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/health/live")] HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return JsonResponse.Ok(HealthReporter.Live, HealthJson.Default.LivenessReport);
    }

    [Function(ReadyName)]
    public async Task<IActionResult> Ready(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "v1/health/ready")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return HealthReporter.Answer(await health.CheckReadyAsync(cancellationToken));
    }
}
