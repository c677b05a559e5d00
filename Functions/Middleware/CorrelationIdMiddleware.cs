using FlexFunctions.Shared.Observability;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;

namespace FlexFunctions.Functions.Middleware;

/// <summary>
/// Gives every HTTP caller the id to quote when something went wrong: the trace id of this invocation, the same id
/// every span and log record of it carries in Application Insights. One place, so no function can forget it.
/// </summary>
public sealed class CorrelationIdMiddleware : IFunctionsWorkerMiddleware
{
    public Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        if (context.GetHttpContext() is { } http)
        {
            // Set before the function runs: results only add headers, so it survives to the response.
            http.Response.Headers[Correlation.Header] = Correlation.CurrentId ?? context.InvocationId;
        }

        return next(context);
    }
}
