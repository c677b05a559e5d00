using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace FlexFunctions.Tests.Infrastructure;

/// <summary>
/// Builds the app's real service graph through <c>AddFlexFunctions</c>, with settings a test can override and
/// every log record captured.
/// </summary>
public sealed class TestServices : IDisposable, IAsyncDisposable
{
    private TestServices(ServiceProvider provider, FakeLogCollector logs, SpanCapture spans)
    {
        Provider = provider;
        Logs = logs;
        Spans = spans;
    }

    public ServiceProvider Provider { get; }

    public FakeLogCollector Logs { get; }

    /// <summary>Spans the app's OpenTelemetry pipeline exported while it was alive (any app's, since sources are process-wide).</summary>
    public SpanCapture Spans { get; }

    public T Get<T>() where T : notnull => Provider.GetRequiredService<T>();

    /// <summary>Settings every test starts from: fast timeouts, a local API key, the shared Azurite.</summary>
    public static Dictionary<string, string?> DefaultSettings(string flexShopperBaseUrl, bool withStorage = true)
    {
        var settings = new Dictionary<string, string?>
        {
            ["FlexShopper:BaseUrl"] = flexShopperBaseUrl,
            ["FlexShopper:ApiKey"] = "test-api-key-0001",
            ["FlexShopper:AttemptTimeout"] = "00:00:02",
            ["FlexShopper:TotalTimeout"] = "00:00:10",
            ["FlexShopper:MaxRetryAttempts"] = "3",
            ["FlexShopper:RetryBaseDelay"] = "00:00:00.010",
            ["FlexShopper:CircuitBreakerMinimumThroughput"] = "100",
            ["FlexShopper:CircuitBreakerSamplingDuration"] = "00:00:30",
            ["FlexShopper:CircuitBreakerBreakDuration"] = "00:00:05",
            ["WarehouseQueueName"] = Azurite.UniqueName("warehouse"),
            ["KeyedHashing:Secret"] = "test-table-key-secret-0123456789abcdef",
            ["CustomerSession:KeyRingSecret"] = "test-key-ring-secret-0123456789abcdefgh",
            ["StorageCleanupSchedule"] = "0 30 * * * *",
        };
        var storage = withStorage ? Azurite.Instance.ConnectionString : "UseDevelopmentStorage=true";
        settings["Storage"] = storage;
        settings["Warehouse"] = storage;
        foreach (var table in new[] { "Catalog", "CatalogRuns", "ConfirmationLedger", "FailedEvents", "Idempotency", "RateLimits", "PlatformDeliveries", "ShopifyOrders", "StorageCleanup" })
        {
            settings[$"Tables:{table}"] = Azurite.UniqueName("t" + table.ToLowerInvariant()[..4]);
        }

        return settings;
    }

    public static TestServices Build(IDictionary<string, string?> settings, Action<IServiceCollection>? configure = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        var logs = new FakeLogCollector();
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Trace)
            .AddProvider(new FakeLoggerProvider(logs))
            .AddProvider(new FakeLoggerProvider(SuiteTelemetry.Logs)));
        services.AddFlexFunctions(configuration);
        // Every exported span goes to this app's capture and to the suite's, as it would go to Azure Monitor.
        var spans = new SpanCapture();
        services.ConfigureOpenTelemetryTracerProvider(tracing => tracing
            .AddProcessor(new SimpleActivityExportProcessor(spans))
            .AddProcessor(new SimpleActivityExportProcessor(SuiteTelemetry.Spans)));
        configure?.Invoke(services);
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        // The host starts the tracer provider at start-up; without a host, resolving it does the same.
        _ = provider.GetRequiredService<TracerProvider>();
        SuiteTelemetry.EnsureListening();
        return new TestServices(provider, logs, spans);
    }

    /// <summary>Every captured log line with its structured values, for redaction checks.</summary>
    public IEnumerable<string> AllLogText() =>
        Logs.GetSnapshot().Select(r => r.Message + " " + string.Join(" ", r.StructuredState?.Select(kv => kv.Value) ?? []) + " " + r.Exception);

    public void Dispose() => Provider.Dispose();

    public ValueTask DisposeAsync() => Provider.DisposeAsync();
}
