using Azure.Data.Tables;
using FlexFunctions.Shared.FlexShopper;
using FlexFunctions.Shared.Secrets;
using FlexFunctions.Shared.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace FlexFunctions.Shared.Observability;

/// <summary>
/// One line at start-up saying what this instance will use: where the API key comes from, the FlexShopper base URL,
/// the storage endpoints and whether telemetry is exported. Endpoints only: never a key, secret or connection string.
/// </summary>
internal sealed partial class StartupSummary(
    ILoggerFactory loggers,
    IConfiguration configuration,
    IOptions<KeyVaultOptions> vault,
    IOptions<FlexShopperOptions> flexShopper,
    TableServiceClient tables,
    WarehouseQueue warehouse) : IHostedService
{
    /// <summary>The summary's category: the only one the worker also writes to its console (see AddStartupSummary).</summary>
    public const string Category = "FlexFunctions.Startup";

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var logger = loggers.CreateLogger(Category);
        var key = vault.Value.VaultUri is { } uri
            ? $"Key Vault {Endpoint(uri)} secret {vault.Value.ApiKeySecretName}"
            : "the FlexShopper__ApiKey setting (no Key Vault configured: KeyVault__VaultUri is empty; local runs only)";
        var export = string.IsNullOrWhiteSpace(configuration[ObservabilityRegistration.ConnectionStringSetting])
            ? $"off ({ObservabilityRegistration.ConnectionStringSetting} is not set)"
            : "Azure Monitor";
        // A local key in Azure is a misconfiguration an operator must see: Warning, not Information.
        Log(logger, vault.Value.VaultUri is null ? LogLevel.Warning : LogLevel.Information, key, Endpoint(flexShopper.Value.BaseUrl!),
            Endpoint(tables.Uri), Auth(StorageConnections.App), Endpoint(warehouse.Client.Uri), Auth(StorageConnections.Warehouse), export);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Scheme, host, port and path: a SAS query or user info in a URI never reaches the line.</summary>
    internal static string Endpoint(Uri uri) => uri.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped);

    private string Auth(string connection) =>
        string.IsNullOrWhiteSpace(configuration.GetSection(connection).Value) ? "identity" : "connection string";

    [LoggerMessage(EventId = 1, Message = "FlexFunctions starting: API key from {KeySource}; FlexShopper {FlexShopperBaseUrl}; " +
        "tables {TableEndpoint} ({TableAuth}); warehouse queue {WarehouseQueue} ({WarehouseAuth}); telemetry export {TelemetryExport}")]
    private static partial void Log(ILogger logger, LogLevel level, string keySource, string flexShopperBaseUrl, string tableEndpoint,
        string tableAuth, string warehouseQueue, string warehouseAuth, string telemetryExport);
}

internal static class StartupSummaryRegistration
{
    public static IServiceCollection AddStartupSummary(this IServiceCollection services)
    {
        services.AddHostedService<StartupSummary>();
        // Logs outside an invocation never reach the host over gRPC (it drops a user log with no invocation id), but
        // the host prints what the worker writes to stdout/stderr. So the summary, and only it, also goes to the
        // console, on one line; a Warning goes to stderr, which the host logs as a warning.
        services.AddLogging(logging => logging
            .AddSimpleConsole(console => console.SingleLine = true)
            .AddFilter<ConsoleLoggerProvider>((category, _) => category == StartupSummary.Category));
        services.Configure<ConsoleLoggerOptions>(console => console.LogToStandardErrorThreshold = LogLevel.Warning);
        return services;
    }
}
