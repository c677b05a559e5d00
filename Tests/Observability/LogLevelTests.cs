using FlexFunctions.Shared.FlexShopper;
using FlexFunctions.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace FlexFunctions.Tests.Observability;

/// <summary>
/// A quiet run is quiet: the levels host.json gives the host and the worker gives itself. Idle, the host polls the
/// warehouse queue every 2 s and renews blob leases; with Azure SDK logging at Information each poll was a dozen
/// lines with headers. In the worker every successful FlexShopper call was a Polly line.
/// </summary>
public sealed class LogLevelTests : IDisposable
{
    private const string LeaseSettingsJson = """{"status":200,"data":{"minimumOrderValue":50}}""";
    private readonly FakeFlexShopper _flex = new();

    [Theory]
    [InlineData("Azure.Core")]     // the host's queue polls and lease renewals, with headers
    [InlineData("Azure.Core.1")]   // the same from the second Azure.Core the host loads
    [InlineData("Azure.Storage.Blobs")]
    public void Host_json_keeps_Azure_SDK_categories_at_Warning(string category)
    {
        using var host = HostLoggers();
        var logger = host.CreateLogger(category);

        Assert.False(logger.IsEnabled(LogLevel.Information));
        Assert.True(logger.IsEnabled(LogLevel.Warning));
    }

    [Theory]
    [InlineData("Function.WarehouseEvents")]       // the host's Executing / Executed / Trigger Details lines
    [InlineData("Function.WarehouseEvents.User")]  // every line the worker sends during that invocation
    [InlineData("Host.Function.Console")]          // the worker's stdout: the start-up summary
    public void Host_json_shows_the_journey_at_Information(string category)
    {
        using var host = HostLoggers();

        Assert.True(host.CreateLogger(category).IsEnabled(LogLevel.Information));
        Assert.False(host.CreateLogger(category).IsEnabled(LogLevel.Debug));
    }

    [Fact]
    public void The_worker_keeps_Azure_SDK_categories_at_Warning_and_its_own_at_Information()
    {
        using var worker = WorkerUnderTest.Build(Settings());
        var loggers = worker.Services.GetRequiredService<ILoggerFactory>();

        foreach (var category in new[] { "Azure.Core", "Azure.Identity", "Azure.Data.Tables", "Azure.Storage.Queues", "Azure.Security.KeyVault.Secrets" })
        {
            Assert.False(loggers.CreateLogger(category).IsEnabled(LogLevel.Information), category);
            Assert.True(loggers.CreateLogger(category).IsEnabled(LogLevel.Warning), category);
        }

        Assert.True(loggers.CreateLogger("FlexFunctions.Shared.Confirmations.ConfirmationProcessor").IsEnabled(LogLevel.Information));
        Assert.False(loggers.CreateLogger("Microsoft.AspNetCore.Hosting.Diagnostics").IsEnabled(LogLevel.Information));
        Assert.True(loggers.CreateLogger("Polly").IsEnabled(LogLevel.Information));
        Assert.False(loggers.CreateLogger("Polly").IsEnabled(LogLevel.Debug));
    }

    [Fact]
    public async Task A_successful_FlexShopper_call_logs_no_retry_line_and_a_retried_one_logs_its_failed_attempt_as_a_warning()
    {
        Sequence("/v3/settings/lease", 503);
        var logs = new FakeLogCollector();
        using var worker = WorkerUnderTest.Build(Settings(), configure: s => s.AddLogging(l => l.AddProvider(new FakeLoggerProvider(logs))));
        var client = worker.Services.GetRequiredService<IFlexShopperClient>();

        await client.GetLeaseSettingsAsync(); // 503, then 200 on the retry
        var retried = Polly(logs);
        logs.Clear();
        await client.GetLeaseSettingsAsync(); // 200 at once

        Assert.Equal("503 200 200", string.Join(" ", _flex.Server.LogEntries.Select(e => e.ResponseMessage?.StatusCode)));
        Assert.Contains(retried, r => r.Level == LogLevel.Warning && r.Message.StartsWith("Execution attempt", StringComparison.Ordinal) && r.Message.Contains("Handled: 'True'", StringComparison.Ordinal));
        Assert.Contains(retried, r => r.Level == LogLevel.Warning && r.Message.Contains("OnRetry", StringComparison.Ordinal));
        Assert.DoesNotContain(retried, r => r.Level < LogLevel.Warning);
        Assert.Empty(Polly(logs));
    }

    [Fact]
    public async Task Settings_turn_more_on_per_category_and_each_attempt_is_then_a_Debug_line()
    {
        _flex.Server.Given(Request.Create().WithPath("/v3/settings/lease").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithBody(LeaseSettingsJson));
        var settings = Settings();
        settings["Logging:LogLevel:Polly"] = "Debug";
        settings["Logging:LogLevel:Azure"] = "Information";
        var logs = new FakeLogCollector();
        using var worker = WorkerUnderTest.Build(settings, configure: s => s.AddLogging(l => l.AddProvider(new FakeLoggerProvider(logs))));

        await worker.Services.GetRequiredService<IFlexShopperClient>().GetLeaseSettingsAsync();

        var attempt = Assert.Single(Polly(logs), r => r.Message.StartsWith("Execution attempt", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Debug, attempt.Level);
        Assert.All(Polly(logs), r => Assert.Equal(LogLevel.Debug, r.Level));
        Assert.True(worker.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Azure.Core").IsEnabled(LogLevel.Information));
    }

    private static List<FakeLogRecord> Polly(FakeLogCollector logs) => [.. logs.GetSnapshot().Where(r => r.Category == "Polly")];

    private Dictionary<string, string?> Settings() => TestServices.DefaultSettings(_flex.BaseUrl, withStorage: false);

    /// <summary>Answers <paramref name="status"/> to the first request, then 200.</summary>
    private void Sequence(string path, int status)
    {
        var calls = 0;
        _flex.Server.Given(Request.Create().WithPath(path).UsingGet()).RespondWith(Response.Create().WithCallback(_ =>
            Interlocked.Increment(ref calls) == 1
                ? new WireMock.ResponseMessage { StatusCode = status, BodyData = Body("""{"error":{"statusCode":503,"code":"Maintenance","message":"down"}}""") }
                : new WireMock.ResponseMessage { StatusCode = 200, BodyData = Body(LeaseSettingsJson) }));
    }

    private static WireMock.Util.BodyData Body(string json) =>
        new() { BodyAsString = json, DetectedBodyType = WireMock.Types.BodyType.String };

    /// <summary>
    /// Loggers filtered as the host filters them: it binds host.json's <c>logging</c> section (as
    /// <c>AzureFunctionsJobHost:logging</c>) with the standard <c>AddConfiguration</c>.
    /// </summary>
    private static ILoggerFactory HostLoggers()
    {
        var hostJson = new ConfigurationBuilder().AddJsonFile(RepoPaths.Of("host.json")).Build();
        return LoggerFactory.Create(logging => logging.AddConfiguration(hostJson.GetSection("logging")).AddProvider(new FakeLoggerProvider()));
    }

    public void Dispose() => _flex.Dispose();
}
