using System.Diagnostics;
using FlexFunctions.Shared.Observability;
using FlexFunctions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FlexFunctions.Tests.Observability;

/// <summary>
/// The app's log lines reach the Functions host: the worker, built as Program.cs builds it, is handed an invocation
/// through its own gRPC invocation handler, and what it queues for the host is read from its channel to the host.
/// The host shows a user log only when the line carries the id of an invocation it is running; without one it drops
/// the line (azure-functions-dotnet-worker #3487/#3489: nothing the app logged under the real host appeared).
/// </summary>
public sealed class WorkerLogPathTests
{
    private const string HostTraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    private const string HostSpanId = "00f067aa0ba902b7";

    [Fact]
    public async Task A_line_the_app_logs_during_an_invocation_reaches_the_host_with_the_invocation_id_and_the_exporter_with_its_trace()
    {
        var invocationId = Guid.NewGuid().ToString();
        string? spanInFunction = null;
        using var worker = WorkerUnderTest.Build(TestServices.DefaultSettings("http://127.0.0.1:9/v3/", withStorage: false), context =>
        {
            var loggers = context.InstanceServices.GetRequiredService<ILoggerFactory>();
            spanInFunction = Activity.Current?.SpanId.ToHexString();
            loggers.CreateLogger("FlexFunctions.Shared.Confirmations.ConfirmationProcessor").LogWarning("warehouse message m-1 rejected (test line)");
            return ValueTask.CompletedTask;
        });

        var status = await worker.InvokeAsync("WarehouseEvents", "queueTrigger", invocationId, $"00-{HostTraceId}-{HostSpanId}-01");

        Assert.Equal("Success", status);
        var sent = Assert.Single(worker.DrainHostBoundLogs(), l => l.Message == "warehouse message m-1 rejected (test line)");
        Assert.Equal(invocationId, sent.InvocationId);
        Assert.Equal("User", sent.LogCategory);
        Assert.Equal("Warning", sent.Level);

        // The same record, as the exporter gets it, belongs to the invocation's span in the host's trace.
        var invocation = Assert.Single(worker.Spans.Spans, s => s.Source == "Microsoft.Azure.Functions.Worker" && s.TraceId == HostTraceId);
        Assert.Equal(HostSpanId, invocation.ParentSpanId);
        Assert.Equal(invocation.SpanId, spanInFunction);
        var exported = Assert.Single(worker.ExportedLogs, l => l.Message == "warehouse message m-1 rejected (test line)");
        Assert.Equal(HostTraceId, exported.TraceId);
        Assert.Equal(invocation.SpanId, exported.SpanId);
    }

    [Fact]
    public async Task Every_line_of_an_invocation_carries_its_own_id_when_invocations_overlap()
    {
        var gate = new TaskCompletionSource();
        var started = 0;
        using var worker = WorkerUnderTest.Build(TestServices.DefaultSettings("http://127.0.0.1:9/v3/", withStorage: false), async context =>
        {
            var logger = context.InstanceServices.GetRequiredService<ILoggerFactory>().CreateLogger("FlexFunctions.Shared.Http.ApiEndpoint");
            logger.LogInformation("before {Invocation}", context.InvocationId);
            if (Interlocked.Increment(ref started) == 2)
            {
                gate.SetResult();
            }

            await gate.Task;
            logger.LogInformation("after {Invocation}", context.InvocationId);
        });
        string first = Guid.NewGuid().ToString(), second = Guid.NewGuid().ToString();

        await Task.WhenAll(
            worker.InvokeAsync("LoginCustomer", "queueTrigger", first, $"00-{HostTraceId}-{HostSpanId}-01"),
            worker.InvokeAsync("LoginCustomer", "queueTrigger", second, $"00-{HostTraceId}-{HostSpanId}-01"));

        var lines = worker.DrainHostBoundLogs().Where(l => l.Message.StartsWith("before", StringComparison.Ordinal) || l.Message.StartsWith("after", StringComparison.Ordinal)).ToList();
        Assert.Equal(4, lines.Count);
        // Each line names the invocation that wrote it; the id the host gets must be that one.
        Assert.All(lines, l => Assert.Equal(l.Message.Split(' ')[1], l.InvocationId));
        Assert.Equal(2, lines.Count(l => l.InvocationId == first));
    }

    [Fact]
    public async Task Azure_SDK_chatter_stays_in_the_worker_and_its_warnings_reach_the_host()
    {
        var invocationId = Guid.NewGuid().ToString();
        using var worker = WorkerUnderTest.Build(TestServices.DefaultSettings("http://127.0.0.1:9/v3/", withStorage: false), context =>
        {
            var loggers = context.InstanceServices.GetRequiredService<ILoggerFactory>();
            // Category names the Azure SDK's event-source forwarder uses.
            loggers.CreateLogger("Azure.Core").LogInformation("Request [1] GET http://127.0.0.1/devstoreaccount1/q/messages");
            loggers.CreateLogger("Azure.Core").LogWarning("Request [2] failed after 3 tries");
            return ValueTask.CompletedTask;
        });

        await worker.InvokeAsync("WarehouseEvents", "queueTrigger", invocationId, $"00-{HostTraceId}-{HostSpanId}-01");

        var sent = worker.DrainHostBoundLogs().Where(l => l.Category == "Azure.Core").ToList();
        var warning = Assert.Single(sent);
        Assert.Equal("Request [2] failed after 3 tries", warning.Message);
        Assert.Equal(invocationId, warning.InvocationId);
    }

    [Fact]
    public void The_scope_key_is_the_one_the_worker_log_writer_reads()
    {
        // The worker's TraceConstants.InternalKeys.FunctionInvocationId, read from the worker assembly itself.
        var constants = System.Reflection.Assembly.Load("Microsoft.Azure.Functions.Worker.Core")
            .GetType("Microsoft.Azure.Functions.Worker.Diagnostics.TraceConstants+InternalKeys", throwOnError: true)!;
        var key = constants.GetField("FunctionInvocationId")!.GetRawConstantValue();

        Assert.Equal(key, InvocationLogScopeMiddleware.InvocationIdKey);
    }
}
