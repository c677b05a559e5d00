using FlexFunctions.Functions.Middleware;
using FlexFunctions.Shared.Observability;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace FlexFunctions.Functions;

/// <summary>The worker as it runs under the Functions host: Program.cs and the tests both build it here.</summary>
public static class FlexFunctionsWorker
{
    public static FunctionsApplicationBuilder ConfigureFlexFunctions(this FunctionsApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        // First, so every later middleware's log lines and the function's reach the host with the invocation id.
        builder.UseInvocationLogScope();
        builder.ConfigureFunctionsWebApplication();
        builder.UseMiddleware<CorrelationIdMiddleware>();

        // The whole service graph comes from one method, the same one the tests call.
        builder.Services.AddFlexFunctions(builder.Configuration);
        return builder;
    }
}
