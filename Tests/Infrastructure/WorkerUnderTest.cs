using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Reflection;
using FlexFunctions.Functions;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Azure.Functions.Worker.Invocation;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Trace;

namespace FlexFunctions.Tests.Infrastructure;

/// <summary>One log line as the worker sent it towards the Functions host (an <c>RpcLog</c> on the gRPC channel).</summary>
public sealed record HostBoundLog(string Category, string Level, string LogCategory, string InvocationId, string Message);

/// <summary>One log record as an OpenTelemetry exporter received it.</summary>
public sealed record ExportedLog(string Category, LogLevel Level, string Message, string TraceId, string SpanId);

/// <summary>
/// The worker exactly as Program.cs builds it (<see cref="FlexFunctionsWorker.ConfigureFlexFunctions"/>: middleware,
/// OpenTelemetry, AddFlexFunctions), driven the way the Functions host drives it: a function is loaded and an
/// InvocationRequest is handed to the worker's own gRPC invocation handler. What the worker would stream back to the
/// host is read from its outbound channel. Only the function body is ours: it runs in place of the
/// generated executor.
/// </summary>
/// <remarks>
/// The worker's gRPC pieces are internal, so they are reached by name. If an upgrade of Microsoft.Azure.Functions.Worker
/// moves them, this fails loudly: re-check the log path under the real host before updating the names.
/// </remarks>
public sealed class WorkerUnderTest : IDisposable
{
    private const string CoreAssembly = "Microsoft.Azure.Functions.Worker.Core";
    private const string GrpcAssembly = "Microsoft.Azure.Functions.Worker.Grpc";

    private readonly IHost _host;
    private readonly LogCapture _exportedLogs = new();

    private WorkerUnderTest(IDictionary<string, string?> settings, Func<FunctionContext, ValueTask> body, Action<IServiceCollection>? configure)
    {
        var builder = FunctionsApplication.CreateBuilder([]);
        builder.Configuration.AddInMemoryCollection(settings);
        builder.ConfigureFlexFunctions();
        configure?.Invoke(builder.Services);
        // Replaces the generated executor: FunctionExecutionMiddleware resolves the last registration.
        builder.Services.AddSingleton<IFunctionExecutor>(new DelegateExecutor(body));
        // Stand-ins for the Azure Monitor exporter, on the app's own OpenTelemetry builder (the exporter adds the
        // logging signal the same way when APPLICATIONINSIGHTS_CONNECTION_STRING is set).
        builder.Services.AddOpenTelemetry()
            .WithLogging(logging => logging.AddProcessor(new SimpleLogRecordExportProcessor(_exportedLogs)))
            .WithTracing(tracing => tracing.AddProcessor(new SimpleActivityExportProcessor(Spans)));
        _host = builder.Build();
        // The host starts these at start-up; this one is never started (it would dial the Functions host).
        _ = _host.Services.GetRequiredService<TracerProvider>();
        _ = _host.Services.GetRequiredService<ILoggerFactory>();
    }

    public IServiceProvider Services => _host.Services;

    /// <summary>Spans the worker's OpenTelemetry pipeline exported.</summary>
    public SpanCapture Spans { get; } = new();

    public IReadOnlyList<ExportedLog> ExportedLogs => _exportedLogs.Records;

    /// <summary>
    /// The worker with <paramref name="settings"/> as its app settings and <paramref name="body"/> as every
    /// function's body; <paramref name="configure"/> runs after the app's own registration (e.g. a log capture).
    /// </summary>
    public static WorkerUnderTest Build(IDictionary<string, string?> settings, Func<FunctionContext, ValueTask>? body = null,
        Action<IServiceCollection>? configure = null) => new(settings, body ?? (_ => ValueTask.CompletedTask), configure);

    /// <summary>
    /// Loads a function with one binding of <paramref name="triggerType"/> and invokes it as the host would, with
    /// the host's span as <paramref name="traceParent"/>. Returns the invocation's status as the worker reports it.
    /// </summary>
    public async Task<string> InvokeAsync(string functionName, string triggerType, string invocationId, string traceParent)
    {
        var definition = new Definition(functionName, triggerType);
        var application = Services.GetRequiredService(Internal(CoreAssembly, "Microsoft.Azure.Functions.Worker.IFunctionsApplication"));
        Call(application, "LoadFunction", definition);

        var request = Proto("InvocationRequest", ("FunctionId", definition.Id), ("InvocationId", invocationId),
            ("TraceContext", Proto("RpcTraceContext", ("TraceParent", traceParent), ("TraceState", ""))));
        var handler = Services.GetRequiredService(Internal(GrpcAssembly, "Microsoft.Azure.Functions.Worker.Handlers.IInvocationHandler"));
        var task = (Task)Call(handler, "InvokeAsync", request)!;
        await task;
        var response = task.GetType().GetProperty("Result")!.GetValue(task)!;
        var result = Get(response, "Result")!;
        return Get(result, "Status")!.ToString()!;
    }

    /// <summary>Every log message the worker has queued for the host so far (drained: each is returned once).</summary>
    public IReadOnlyList<HostBoundLog> DrainHostBoundLogs()
    {
        var hostChannel = Services.GetRequiredService(Internal(GrpcAssembly, "Microsoft.Azure.Functions.Worker.GrpcHostChannel"));
        var reader = Get(Get(hostChannel, "Channel")!, "Reader")!;
        var tryRead = reader.GetType().GetMethod("TryRead")!;
        var logs = new List<HostBoundLog>();
        var args = new object?[1];
        while ((bool)tryRead.Invoke(reader, args)!)
        {
            if (Get(args[0]!, "RpcLog") is { } log)
            {
                logs.Add(new HostBoundLog(
                    (string)Get(log, "Category")!, Get(log, "Level")!.ToString()!, Get(log, "LogCategory")!.ToString()!,
                    (string)Get(log, "InvocationId")!, (string)Get(log, "Message")!));
            }
        }

        return logs;
    }

    public void Dispose() => _host.Dispose();

    private static Type Internal(string assembly, string name) =>
        Assembly.Load(assembly).GetType(name, throwOnError: true)!;

    private static object Proto(string name, params (string Property, object Value)[] fields)
    {
        var message = Activator.CreateInstance(Internal(GrpcAssembly, "Microsoft.Azure.Functions.Worker.Grpc.Messages." + name))!;
        foreach (var (property, value) in fields)
        {
            message.GetType().GetProperty(property)!.SetValue(message, value);
        }

        return message;
    }

    private static object? Get(object target, string property) =>
        (target.GetType().GetProperty(property, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance)
            ?? throw new MissingMemberException(target.GetType().FullName, property)).GetValue(target);

    private static object? Call(object target, string method, params object[] args)
    {
        // Interface methods of an internal type: look on the interfaces too, since the concrete type may implement them explicitly.
        var found = target.GetType().GetMethod(method)
            ?? target.GetType().GetInterfaces().Select(i => i.GetMethod(method)).FirstOrDefault(m => m is not null)
            ?? throw new MissingMethodException(target.GetType().FullName, method);
        return found.Invoke(target, args);
    }

    private sealed class DelegateExecutor(Func<FunctionContext, ValueTask> body) : IFunctionExecutor
    {
        public ValueTask ExecuteAsync(FunctionContext context) => body(context);
    }

    private sealed class Definition(string name, string triggerType) : FunctionDefinition
    {
        public override ImmutableArray<FunctionParameter> Parameters => [];

        public override string PathToAssembly => typeof(FlexFunctionsWorker).Assembly.Location;

        public override string EntryPoint => $"FlexFunctions.Functions.{name}.Run";

        public override string Id { get; } = Guid.NewGuid().ToString("N");

        public override string Name => name;

        public override IImmutableDictionary<string, BindingMetadata> InputBindings { get; } =
            ImmutableDictionary<string, BindingMetadata>.Empty.Add("trigger", new Binding(triggerType));

        public override IImmutableDictionary<string, BindingMetadata> OutputBindings => ImmutableDictionary<string, BindingMetadata>.Empty;
    }

    private sealed class Binding(string type) : BindingMetadata
    {
        public override string Name => "trigger";

        public override string Type => type;

        public override BindingDirection Direction => BindingDirection.In;
    }

    private sealed class LogCapture : BaseExporter<LogRecord>
    {
        private readonly ConcurrentQueue<ExportedLog> _records = new();

        public IReadOnlyList<ExportedLog> Records => [.. _records];

        public override ExportResult Export(in Batch<LogRecord> batch)
        {
            foreach (var record in batch)
            {
                _records.Enqueue(new ExportedLog(record.CategoryName ?? "", record.LogLevel, record.FormattedMessage ?? record.Body ?? "",
                    record.TraceId.ToHexString(), record.SpanId.ToHexString()));
            }

            return ExportResult.Success;
        }
    }
}
