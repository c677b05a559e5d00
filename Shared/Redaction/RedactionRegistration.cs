using Microsoft.Extensions.Compliance.Redaction;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FlexFunctions.Shared.Redaction;

internal static class RedactionRegistration
{
    /// <summary>
    /// Erases every classified value before a log record leaves the logger. Erasing, not HMAC: these values have
    /// no use in a log even pseudonymised, and an HMAC would need another secret to keep.
    /// </summary>
    public static IServiceCollection AddSensitiveDataRedaction(this IServiceCollection services)
    {
        services.AddRedaction(redaction =>
        {
            redaction.SetRedactor<ErasingRedactor>(SensitiveData.All);
            // Anything classified by another taxonomy (a library's) is erased too.
            redaction.SetFallbackRedactor<ErasingRedactor>();
        });
        services.AddLogging(logging => logging.EnableRedaction());
        return services;
    }
}
