using FlexFunctions.Shared.ApiDocument;
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
    [ApiOperation("Health", "Liveness: the worker answers; touches no dependency.")]
    [ApiResponse(200, typeof(HealthJson), nameof(HealthJson.LivenessReport))]
    public IActionResult Live(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/health/live")] HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return JsonResponse.Ok(HealthReporter.Live, HealthJson.Default.LivenessReport);
    }

    [Function(ReadyName)]
    [ApiOperation("Health", "Readiness: Key Vault, tables, the warehouse queue and FlexShopper, each checked.")]
    [ApiResponse(200, typeof(HealthJson), nameof(HealthJson.ReadinessReport))]
    [ApiResponse(503, typeof(HealthJson), nameof(HealthJson.ReadinessReport), Description = "A part is unhealthy; see Retry-After")]
    public async Task<IActionResult> Ready(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "v1/health/ready")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return HealthReporter.Answer(await health.CheckReadyAsync(cancellationToken));
    }
}
