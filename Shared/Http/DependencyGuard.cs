using FlexFunctions.Shared.Dependencies;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;

namespace FlexFunctions.Shared.Http;

/// <summary>
/// Answers a route whose own storage, Key Vault or identity failed with 503 and Retry-After (see
/// <see cref="DependencyOutage"/>), for the routes outside <see cref="ApiEndpoint"/>: catalog reads and operator routes.
/// </summary>
public sealed partial class DependencyGuard(ILogger<DependencyGuard> logger)
{
    public async Task<IActionResult> RunAsync(Func<Task<IActionResult>> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        try
        {
            return await work().ConfigureAwait(false);
        }
        catch (Exception ex) when (DependencyOutage.Is(ex, cancellationToken))
        {
            return Unavailable(logger, ex);
        }
    }

    /// <summary>The 503 problem, with one log line naming what failed (types and statuses only).</summary>
    public static IActionResult Unavailable(ILogger logger, Exception exception)
    {
        LogDependencyFailed(logger, DependencyOutage.Describe(exception));
        return Problems.DependencyUnavailable();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "A dependency of ours failed ({Failure}); answered 503 with Retry-After")]
    private static partial void LogDependencyFailed(ILogger logger, string failure);
}
