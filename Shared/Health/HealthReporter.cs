using FlexFunctions.Shared.Dependencies;
using FlexFunctions.Shared.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace FlexFunctions.Shared.Health;

/// <summary>Runs the readiness checks (in parallel, each bounded by <c>Health__CheckTimeout</c>) and shapes the report.</summary>
public sealed class HealthReporter(HealthCheckService checks)
{
    public static LivenessReport Live { get; } = new("Healthy");

    /// <summary>
    /// The readiness answer: 200 while serving (Degraded still serves traffic), 503 with Retry-After when a part is
    /// unhealthy, so a probe or a caller knows when to ask again, as on every other route during an outage.
    /// </summary>
    public static JsonResponse<ReadinessReport> Answer(ReadinessReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return report.Status == nameof(HealthStatus.Unhealthy)
            ? new JsonResponse<ReadinessReport>(StatusCodes.Status503ServiceUnavailable, report, HealthJson.Default.ReadinessReport) { RetryAfter = DependencyOutage.RetryAfter }
            : new JsonResponse<ReadinessReport>(StatusCodes.Status200OK, report, HealthJson.Default.ReadinessReport);
    }

    public async Task<ReadinessReport> CheckReadyAsync(CancellationToken cancellationToken = default)
    {
        var report = await checks.CheckHealthAsync(r => r.Tags.Contains(HealthRegistration.ReadyTag), cancellationToken).ConfigureAwait(false);
        var parts = report.Entries
            .Select(e => new ReadinessPart(e.Key, e.Value.Status.ToString(), Math.Round(e.Value.Duration.TotalMilliseconds, 1),
                Describe(e.Value),
                e.Value.Data.Count == 0 ? null : e.Value.Data.Where(d => d.Value is int or long).ToDictionary(d => d.Key, d => Convert.ToInt64(d.Value, System.Globalization.CultureInfo.InvariantCulture))))
            .OrderBy(p => p.Name, StringComparer.Ordinal)
            .ToList();
        return new ReadinessReport(report.Status.ToString(), Math.Round(report.TotalDuration.TotalMilliseconds, 1), parts);
    }

    private static string? Describe(HealthReportEntry entry) =>
        // The framework's own timeout text names no cause; say which setting bounds it. Exception messages are
        // never passed on: they can carry URLs or an upstream's echo.
        entry.Exception is OperationCanceledException or TimeoutException
        || entry.Description?.StartsWith("A timeout occurred", StringComparison.Ordinal) == true
            ? "Did not answer within Health__CheckTimeout."
            : entry.Description ?? entry.Exception?.GetType().Name;
}
