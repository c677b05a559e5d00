using Azure.Monitor.OpenTelemetry.Exporter;
using FlexFunctions.Shared.Identity;
using FlexFunctions.Shared.Redaction;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace FlexFunctions.Shared.Observability;

/// <summary>OpenTelemetry in the isolated worker: our spans and metrics, HttpClient and Azure SDK spans, one exporter.</summary>
public static class ObservabilityRegistration
{
    /// <summary>Set by the platform; without it (local runs, tests) nothing is exported and start-up is unaffected.</summary>
    public const string ConnectionStringSetting = "APPLICATIONINSIGHTS_CONNECTION_STRING";

    /// <summary>Sources whose spans make up a journey: ours, the worker's invocation, HttpClient, the Azure SDKs.</summary>
    public static readonly string[] TraceSources = [FlexTelemetry.Name, "Microsoft.Azure.Functions.Worker", "System.Net.Http", "Azure.*"];

    public static readonly string[] Meters = [FlexTelemetry.Name, "System.Net.Http"];

    public static IServiceCollection AddObservability(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddMetrics();
        services.TryAddSingleton<FlexTelemetry>();
        services.AddSensitiveDataRedaction();
        services.AddWorkerLogLevels();
        services.AddStartupSummary();

        // The Azure SDKs emit spans through ActivitySource only when asked to.
        AppContext.SetSwitch("Azure.Experimental.EnableActivitySource", true);

        var telemetry = services.AddOpenTelemetry()
            .UseFunctionsWorkerDefaults()
            .ConfigureResource(resource => resource.AddService(FlexTelemetry.Name))
            .WithTracing(tracing => tracing
                .AddSource(TraceSources)
                .AddProcessor(new UrlRedactingProcessor()))
            .WithMetrics(metrics => metrics.AddMeter(Meters));

        var connectionString = configuration[ConnectionStringSetting];
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            telemetry.UseAzureMonitorExporter(exporter =>
            {
                exporter.ConnectionString = connectionString;
                // Application Insights has local auth off: the exporter signs in with the app's identity (AZURE_CLIENT_ID).
                exporter.Credential = AppCredential.For(configuration);
            });
        }

        return services;
    }
}
