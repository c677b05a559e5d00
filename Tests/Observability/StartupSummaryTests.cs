using FlexFunctions.Shared.Observability;
using FlexFunctions.Tests.Infrastructure;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;

namespace FlexFunctions.Tests.Observability;

/// <summary>At start-up the app says once, on one line, what it will use: never a key, secret or connection string.</summary>
public sealed class StartupSummaryTests
{
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    [Fact]
    public async Task A_local_run_warns_once_that_the_key_is_the_local_setting_and_names_every_endpoint_without_a_secret()
    {
        var settings = TestServices.DefaultSettings("http://127.0.0.1:5080/v3/", withStorage: false);
        settings["Storage"] = $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AccountKey};TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;";
        settings["Warehouse"] = "QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;SharedAccessSignature=sv=2022-11-02&ss=q&sig=c2VjcmV0LXNpZw%3D%3D";
        settings["WarehouseQueueName"] = "warehouse-events";

        var line = Assert.Single(await StartUpAsync(settings));

        Assert.Equal(LogLevel.Warning, line.Level);
        Assert.Equal(
            "FlexFunctions starting: API key from the FlexShopper__ApiKey setting (no Key Vault configured: KeyVault__VaultUri is empty; local runs only); " +
            "FlexShopper http://127.0.0.1:5080/v3/; tables http://127.0.0.1:10002/devstoreaccount1 (connection string); " +
            "warehouse queue http://127.0.0.1:10001/devstoreaccount1/warehouse-events (connection string); " +
            "telemetry export off (APPLICATIONINSIGHTS_CONNECTION_STRING is not set)",
            line.Message);
        foreach (var secret in new[] { settings["FlexShopper:ApiKey"]!, AccountKey, "sig=", "c2VjcmV0LXNpZw" })
        {
            Assert.DoesNotContain(secret, line.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task In_Azure_it_names_the_vault_the_secret_and_the_identity_endpoints_at_Information()
    {
        var settings = TestServices.DefaultSettings(FlexFunctions.Shared.FlexShopper.FlexShopperOptions.SandboxBaseUrl, withStorage: false);
        settings.Remove("FlexShopper:ApiKey");
        settings["KeyVault:VaultUri"] = "https://kv-flex.vault.azure.net/";
        settings["Storage"] = null;
        settings["Storage:tableServiceUri"] = "https://stflex.table.core.windows.net";
        settings["Storage:credential"] = "managedidentity";
        settings["Warehouse"] = null;
        settings["Warehouse:queueServiceUri"] = "https://stflex.queue.core.windows.net";
        settings["Warehouse:credential"] = "managedidentity";
        settings["WarehouseQueueName"] = "warehouse-events";

        var line = Assert.Single(await StartUpAsync(settings));

        Assert.Equal(LogLevel.Information, line.Level);
        Assert.Equal(
            "FlexFunctions starting: API key from Key Vault https://kv-flex.vault.azure.net/ secret FlexShopperApiKey; " +
            "FlexShopper https://apis.sandbox.flexshopper.com/v3/; tables https://stflex.table.core.windows.net/ (identity); " +
            "warehouse queue https://stflex.queue.core.windows.net/warehouse-events (identity); " +
            "telemetry export off (APPLICATIONINSIGHTS_CONNECTION_STRING is not set)",
            line.Message);
    }

    [Fact]
    public void Only_the_summary_goes_to_the_console_the_host_reads_and_a_warning_goes_to_stderr()
    {
        using var services = TestServices.Build(TestServices.DefaultSettings("http://127.0.0.1:9/v3/", withStorage: false));
        var rule = Assert.Single(services.Get<IOptions<LoggerFilterOptions>>().Value.Rules,
            r => r.ProviderName == typeof(ConsoleLoggerProvider).FullName && r.Filter is not null);

        Assert.True(rule.Filter!(typeof(ConsoleLoggerProvider).FullName, StartupSummary.Category, LogLevel.Information));
        Assert.False(rule.Filter(typeof(ConsoleLoggerProvider).FullName, "FlexFunctions.Shared.Confirmations.ConfirmationProcessor", LogLevel.Warning));
        Assert.Equal(LogLevel.Warning, services.Get<IOptions<ConsoleLoggerOptions>>().Value.LogToStandardErrorThreshold);
    }

    /// <summary>Starts the summary as the host starts hosted services and returns what it logged.</summary>
    private static async Task<IReadOnlyList<FakeLogRecord>> StartUpAsync(Dictionary<string, string?> settings)
    {
        // Not APPLICATIONINSIGHTS_CONNECTION_STRING: the exporter's identity would reach beyond 127.0.0.1.
        await using var services = TestServices.Build(settings);
        await Assert.Single(services.Get<IEnumerable<IHostedService>>().OfType<StartupSummary>()).StartAsync(CancellationToken.None);

        return [.. services.Logs.GetSnapshot().Where(r => r.Category == StartupSummary.Category)];
    }
}
