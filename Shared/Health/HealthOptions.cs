using System.ComponentModel.DataAnnotations;

namespace FlexFunctions.Shared.Health;

/// <summary>Settings under <c>Health</c> (app setting names <c>Health__*</c>).</summary>
public sealed class HealthOptions
{
    public const string Section = "Health";

    /// <summary>How long each readiness check may take before it is reported unhealthy; the checks run in parallel.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:00:30")]
    public TimeSpan CheckTimeout { get; set; } = TimeSpan.FromSeconds(3);
}
