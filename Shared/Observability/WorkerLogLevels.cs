using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly.Telemetry;

namespace FlexFunctions.Shared.Observability;

/// <summary>
/// The worker's log levels: the app's own lines at Information, libraries only when something is wrong. The host
/// re-logs every worker line under <c>Function.&lt;name&gt;.User</c>, so host.json cannot tell an Azure SDK line from
/// ours: the worker has to choose.
/// </summary>
public static class WorkerLogLevels
{
    /// <summary>
    /// Category defaults. Configuration overrides any of them (<c>Logging__LogLevel__Polly=Debug</c> in the app
    /// settings), because these rules are put before the configured ones and the last equally specific rule wins.
    /// </summary>
    public static readonly IReadOnlyList<KeyValuePair<string, LogLevel>> Defaults =
    [
        // Azure SDK event sources (Azure.Core, Azure.Identity, Azure.Storage.*, Azure.Data.Tables, Key Vault):
        // every request and response with headers at Information.
        new("Azure", LogLevel.Warning),
        // Resilience events of the FlexShopper pipeline (Microsoft.Extensions.Http.Resilience logs through Polly):
        // retries, timeouts and the circuit breaker; successful attempts are Debug (see SeverityOf).
        new("Polly", LogLevel.Information),
        // Any IHttpClientFactory client's per-request lines (ours has its loggers removed; others may not).
        new("System.Net.Http.HttpClient", LogLevel.Warning),
        // The worker's in-process ASP.NET Core server for HTTP triggers: per-request lines the host logs itself.
        new("Microsoft.AspNetCore", LogLevel.Warning),
    ];

    internal static IServiceCollection AddWorkerLogLevels(this IServiceCollection services)
    {
        services.AddSingleton<IConfigureOptions<LoggerFilterOptions>, DefaultRules>();
        services.Configure<TelemetryOptions>(telemetry =>
        {
            var configured = telemetry.SeverityProvider;
            telemetry.SeverityProvider = args => SeverityOf(args.Event.EventName, configured?.Invoke(args) ?? args.Event.Severity);
        });
        return services;
    }

    /// <summary>
    /// Polly reports every successful attempt and every pipeline run at Information, one line per FlexShopper call:
    /// those become Debug. A handled (failed) attempt keeps Warning, a final failed one Error, retries Warning.
    /// </summary>
    internal static ResilienceEventSeverity SeverityOf(string eventName, ResilienceEventSeverity severity) =>
        severity == ResilienceEventSeverity.Information && eventName is "ExecutionAttempt" or "PipelineExecuted"
            ? ResilienceEventSeverity.Debug
            : severity;

    private sealed class DefaultRules : IConfigureOptions<LoggerFilterOptions>
    {
        public void Configure(LoggerFilterOptions options)
        {
            for (var i = 0; i < Defaults.Count; i++)
            {
                options.Rules.Insert(i, new LoggerFilterRule(null, Defaults[i].Key, Defaults[i].Value, null));
            }
        }
    }
}
