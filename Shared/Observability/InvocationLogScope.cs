using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FlexFunctions.Shared.Observability;

/// <summary>
/// Puts the invocation id into the log scope under the key the worker's gRPC log writer reads, so every log record
/// written during an invocation reaches the Functions host (console, log stream) as that invocation's.
/// </summary>
/// <remarks>
/// Microsoft.Azure.Functions.Worker.OpenTelemetry's <c>UseFunctionsWorkerDefaults()</c> selects the worker's
/// OpenTelemetry schema 1.37.0, whose invocation scope carries only <c>faas.invocation_id</c>; the writer that sends
/// logs to the host looks for <c>AzureFunctions_InvocationId</c>, and the host drops a user log without it
/// (azure-functions-dotnet-worker issues #3487, #3489). We keep schema 1.37.0 (the invocation span stays an
/// Internal child of the host's request span, so one request is one request in the trace) and add the one key it
/// lacks. Harmless once the worker adds it itself: the writer takes the same value twice.
/// </remarks>
public sealed class InvocationLogScopeMiddleware(ILogger<InvocationLogScopeMiddleware> logger) : IFunctionsWorkerMiddleware
{
    /// <summary>The scope key <c>GrpcFunctionsHostLogWriter</c> reads the invocation id from (worker TraceConstants.InternalKeys).</summary>
    public const string InvocationIdKey = "AzureFunctions_InvocationId";

    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        // The writer matches scopes that are IEnumerable<KeyValuePair<string, object>>; an array is one.
        using (logger.BeginScope(new KeyValuePair<string, object>[] { new(InvocationIdKey, context.InvocationId) }))
        {
            await next(context);
        }
    }
}

public static class InvocationLogScopeExtensions
{
    /// <summary>
    /// Adds <see cref="InvocationLogScopeMiddleware"/>. Call it before any other middleware, so their logs and the
    /// function's all carry the invocation id.
    /// </summary>
    public static IFunctionsWorkerApplicationBuilder UseInvocationLogScope(this IFunctionsWorkerApplicationBuilder builder) =>
        builder.UseMiddleware<InvocationLogScopeMiddleware>();
}
