using System.Diagnostics;
using Azure.Monitor.OpenTelemetry.Exporter;
using FlexFunctions.Functions.Http;
using FlexFunctions.Functions.Middleware;
using FlexFunctions.Shared.Confirmations;
using FlexFunctions.Shared.CustomerAuth;
using FlexFunctions.Shared.FlexShopper;
using FlexFunctions.Shared.Observability;
using FlexFunctions.Tests.Confirmations;
using FlexFunctions.Tests.Http;
using FlexFunctions.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Options;
using Moq;
using Xunit.Abstractions;

namespace FlexFunctions.Tests.Observability;

/// <summary>Traces, metrics and the correlation id as an operator finds them, through the app's real OpenTelemetry pipeline.</summary>
public sealed class TelemetryTests(ITestOutputHelper output) : IDisposable
{
    // Stands in for the span the Functions worker opens around each invocation (the same source name), so the
    // app's spans below have the parent they have in Azure.
    private static readonly ActivitySource Worker = new("Microsoft.Azure.Functions.Worker");

    private readonly FakeFlexShopper _flex = new();

    [Fact]
    public async Task A_login_and_a_lease_are_each_one_trace_from_the_invocation_to_every_FlexShopper_call_and_table_operation()
    {
        _flex.Server.StubJson("POST", "/v3/users/u123/passcode-login", 200, """{"status":200,"data":{"token":"cust-token-7f3a9c"}}""");
        _flex.Server.StubJson("POST", "/v3/leases", 200, """{"status":200,"data":{"leaseId":"L1","payment":24.99,"term":52,"cashPrice":599.99}}""");
        await using var app = HttpApp.Build(_flex);
        var sp = app.Provider;
        var customers = HttpTestKit.Create<CustomerFunctions>(sp);
        var leases = HttpTestKit.Create<LeaseFunctions>(sp);

        string loginTrace, leaseTrace;
        string session;
        using (var invocation = Worker.StartActivity("Invoke LoginCustomer", ActivityKind.Server))
        {
            loginTrace = invocation!.TraceId.ToHexString();
            var loggedIn = await HttpTestKit.RunAsync(HttpTestKit.Request(sp, "POST", "/api/v1/customers/u123/login", """{"passcode":"482913","customerIp":"203.0.113.7"}"""),
                r => customers.LoginCustomer(r, "u123", default));
            Assert.Equal(200, loggedIn.Status);
            session = loggedIn.Json.GetProperty("session").GetString()!;
        }

        using (var invocation = Worker.StartActivity("Invoke CreateLease", ActivityKind.Server))
        {
            leaseTrace = invocation!.TraceId.ToHexString();
            var created = await HttpTestKit.RunAsync(
                HttpTestKit.Request(sp, "POST", "/api/v1/leases", """{"transactionId":"T1","items":[{"brand":"Acme","sku":"TV-55","description":"55in TV","cost":599.99,"quantity":1}]}""",
                    new Dictionary<string, string> { [CustomerSessions.Header] = session, ["Idempotency-Key"] = "k-" + Guid.NewGuid().ToString("N") }),
                r => leases.CreateLease(r, default));
            Assert.Equal(201, created.Status);
        }

        var login = app.Spans.Spans.Where(s => s.TraceId == loginTrace).ToList();
        output.WriteLine("Login:\n" + SpanCapture.Render(login));
        var root = Assert.Single(login, s => s.Name == "Invoke LoginCustomer");
        var call = Assert.Single(login, s => s.Name == "FlexShopper PasscodeLogin");
        Assert.Equal(ActivityKind.Client, call.Kind);
        Assert.Equal("success", call.Tag("outcome"));
        var http = Assert.Single(login, s => s.Source == "System.Net.Http" && s.ParentSpanId == call.SpanId);
        Assert.EndsWith("/[redacted]", http.Tag("url.full"), StringComparison.Ordinal); // the path carried the user id
        var limits = Assert.Single(login, s => s.Name == "AbuseLimits LoginAttempt");
        Assert.Equal(root.SpanId, limits.ParentSpanId);
        Assert.Contains(login, s => s.Source.StartsWith("Azure.Data.Tables", StringComparison.Ordinal) && IsUnder(login, s, limits));

        var lease = app.Spans.Spans.Where(s => s.TraceId == leaseTrace).ToList();
        output.WriteLine("Create lease:\n" + SpanCapture.Render(lease));
        var create = Assert.Single(lease, s => s.Name == "FlexShopper CreateLease");
        Assert.Contains(lease, s => s.Source == "System.Net.Http" && s.ParentSpanId == create.SpanId);
        // The Idempotency-Key record's reads and writes belong to the same trace.
        Assert.Contains(lease, s => s.Source.StartsWith("Azure.Data.Tables", StringComparison.Ordinal));
        Assert.DoesNotContain(lease, s => s.TraceId == loginTrace);
    }

    private static bool IsUnder(IReadOnlyList<ExportedSpan> trace, ExportedSpan span, ExportedSpan ancestor)
    {
        for (var parent = span.ParentSpanId; parent is not null; parent = trace.FirstOrDefault(s => s.SpanId == parent)?.ParentSpanId)
        {
            if (parent == ancestor.SpanId)
            {
                return true;
            }
        }

        return false;
    }

    [Fact]
    public async Task FlexShopper_calls_are_measured_by_operation_and_outcome()
    {
        _flex.Server.StubJson("GET", "/v3/settings/lease", 200, """{"status":200,"data":{"minimumOrderValue":50}}""");
        _flex.Server.StubJson("POST", "/v3/users/u5/passcode-login", 400, """{"error":{"code":"InvalidPasscode","message":"wrong","statusCode":400}}""");
        await using var app = HttpApp.Build(_flex);
        var telemetry = app.Get<FlexTelemetry>();
        using var calls = new MetricCollector<long>(telemetry.FlexShopperCalls);
        using var latency = new MetricCollector<double>(telemetry.FlexShopperDuration);
        var client = app.Get<IFlexShopperClient>();

        await client.GetLeaseSettingsAsync();
        await Assert.ThrowsAsync<FlexShopperApiException>(() => client.PasscodeLoginAsync("u5", "000000"));

        var measured = calls.GetMeasurementSnapshot();
        Assert.Equal(2, measured.Count);
        Assert.Contains(measured, m => m.Tags["flexshopper.operation"] as string == "LeaseSettings" && m.Tags["outcome"] as string == "success");
        Assert.Contains(measured, m => m.Tags["flexshopper.operation"] as string == "PasscodeLogin" && m.Tags["outcome"] as string == "Validation"
            && (int)m.Tags["http.response.status_code"]! == 400);
        Assert.All(latency.GetMeasurementSnapshot(), m => Assert.InRange(m.Value, 0, 10));
        Assert.Equal(2, latency.GetMeasurementSnapshot().Count);
    }

    [Fact]
    public async Task Every_http_response_carries_the_invocations_trace_id_as_correlation_id()
    {
        var http = new DefaultHttpContext();
        var context = new Mock<FunctionContext>();
        context.SetupGet(c => c.Items).Returns(new Dictionary<object, object> { ["HttpRequestContext"] = http });
        context.SetupGet(c => c.InvocationId).Returns("invocation-1");
        var ran = false;

        // Started directly: the worker's invocation span exists whether or not anything samples it.
        using (var invocation = new Activity("Invoke").SetIdFormat(ActivityIdFormat.W3C).Start())
        {
            await new CorrelationIdMiddleware().Invoke(context.Object, _ =>
            {
                ran = true;
                return Task.CompletedTask;
            });
            Assert.Equal(invocation.TraceId.ToHexString(), http.Response.Headers[Correlation.Header].ToString());
        }

        Assert.True(ran);
        Assert.Matches("^[0-9a-f]{32}$", http.Response.Headers[Correlation.Header].ToString());
    }

    [Fact]
    public async Task A_warehouse_event_links_to_the_trace_it_carries_and_is_counted_by_outcome()
    {
        await using var h = new ConfirmationHarness();
        h.Answer($"transactions/{ConfirmationHarness.Transaction}/confirm-shipment", 200);
        var telemetry = h.Services.Get<FlexTelemetry>();
        using var outcomes = new MetricCollector<long>(telemetry.Confirmations);

        // The replay (an operator's request) puts its traceparent into the event; the delivery links back to it.
        string sent;
        string senderTrace;
        using (var replay = Worker.StartActivity("Invoke WarehouseFailedEventReplay", ActivityKind.Server))
        {
            senderTrace = replay!.TraceId.ToHexString();
            sent = FailedEventReplayer.WithTraceParent(ConfirmationHarness.Shipment());
        }

        Assert.Contains("\"traceparent\":\"00-" + senderTrace, sent, StringComparison.Ordinal);
        Assert.Equal(ProcessOutcome.Confirmed, await h.Deliver(sent));
        Assert.Equal(ProcessOutcome.Duplicate, await h.Deliver(ConfirmationHarness.Shipment())); // traceparent is not identity

        var deliveries = h.Services.Spans.Spans.Where(s => s.Name == "WarehouseEvent shipment" && s.Links.Any(l => l.StartsWith(senderTrace, StringComparison.Ordinal))).ToList();
        var delivery = Assert.Single(deliveries);
        Assert.Equal("confirmed", delivery.Tag("outcome"));
        Assert.Contains(h.Services.Spans.Spans, s => s.Name == "FlexShopper ConfirmShipment" && s.TraceId == delivery.TraceId);
        Assert.Equal(["confirmed", "duplicate"], outcomes.GetMeasurementSnapshot().Select(m => (string)m.Tags["outcome"]!));
    }

    [Fact]
    public async Task Catalog_refreshes_are_counted_by_outcome_with_the_products_they_changed()
    {
        using var bed = FlexFunctions.Tests.Catalog.CatalogTestBed.Create();
        bed.ServeCatalog(FlexFunctions.Tests.Catalog.CatalogTestBed.Products(12));
        var telemetry = bed.Services.Get<FlexTelemetry>();
        using var runs = new MetricCollector<long>(telemetry.CatalogRefreshes);
        using var products = new MetricCollector<long>(telemetry.CatalogProducts);

        string trace;
        using (var timer = Worker.StartActivity("Invoke CatalogRefresh", ActivityKind.Server))
        {
            trace = timer!.TraceId.ToHexString();
            await bed.Refresher.RunAsync("test", CancellationToken.None);
            await bed.Refresher.RunAsync("test", CancellationToken.None); // nothing changed the second time
        }

        Assert.Equal(["Succeeded", "Succeeded"], runs.GetMeasurementSnapshot().Select(m => (string)m.Tags["outcome"]!));
        Assert.Equal(12, products.GetMeasurementSnapshot().Sum(m => m.Value));
        var refreshes = bed.Services.Spans.Spans.Where(s => s.TraceId == trace && s.Name == "CatalogRefresh").ToList();
        Assert.Equal(2, refreshes.Count);
        Assert.All(refreshes, s => Assert.Equal("Succeeded", s.Tag("outcome")));
        Assert.Contains(bed.Services.Spans.Spans, s => s.TraceId == trace && s.Name == "FlexShopper GetProducts");
    }

    [Fact]
    public void Azure_Monitor_export_is_wired_only_when_a_connection_string_is_set()
    {
        static bool Exports(string? connectionString)
        {
            var settings = TestServices.DefaultSettings("http://127.0.0.1:9/v3/", withStorage: false);
            settings[ObservabilityRegistration.ConnectionStringSetting] = connectionString;
            var services = new ServiceCollection().AddLogging();
            services.AddFlexFunctions(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
            return services.Any(d => d.ServiceType == typeof(IConfigureOptions<AzureMonitorExporterOptions>));
        }

        Assert.False(Exports(null));
        Assert.False(Exports(""));
        Assert.True(Exports("InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=http://127.0.0.1:9/"));
    }

    public void Dispose() => _flex.Dispose();
}
