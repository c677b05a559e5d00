using System.ComponentModel.DataAnnotations;

namespace FlexFunctions.Shared.FlexShopper;

/// <summary>Settings under <c>FlexShopper</c> (app setting names <c>FlexShopper__*</c>).</summary>
public sealed class FlexShopperOptions
{
    public const string Section = "FlexShopper";
    public const string SandboxBaseUrl = "https://apis.sandbox.flexshopper.com/v3/";
    public const string ProductionBaseUrl = "https://apis.flexshopper.com/v3/";

    /// <summary>The v3 root, e.g. <see cref="SandboxBaseUrl"/>, <see cref="ProductionBaseUrl"/> or the local emulator.</summary>
    [Required(ErrorMessage = "Set FlexShopper__BaseUrl to the FlexShopper v3 base URL (sandbox, production or the local emulator).")]
    public Uri? BaseUrl { get; set; }

    /// <summary>Local runs only: the API key when no Key Vault is configured.</summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// The last segment of Return Items: <c>return</c> (the docs; the default) or <c>return-items</c> (FlexShopper's
    /// Magento module). When the one set here is an unknown URI at FlexShopper the client tries the other once and logs
    /// which to set; set it once the sandbox check (scripts/sandbox-check.sh) says which one FlexShopper has.
    /// </summary>
    [AllowedValues(FlexShopperPaths.ReturnItemsDocumented, FlexShopperPaths.ReturnItemsMagento,
        ErrorMessage = "Set FlexShopper__ReturnItemsPath to return (the documented path) or return-items (the Magento module's).")]
    public string ReturnItemsPath { get; set; } = FlexShopperPaths.ReturnItemsDocumented;

    [Range(typeof(TimeSpan), "00:00:00.010", "00:05:00")]
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);

    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromSeconds(30);

    [Range(0, 10)]
    public int MaxRetryAttempts { get; set; } = 3;

    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    [Range(0.01, 1.0)]
    public double CircuitBreakerFailureRatio { get; set; } = 0.5;

    [Range(2, 10_000)]
    public int CircuitBreakerMinimumThroughput { get; set; } = 20;

    [Range(typeof(TimeSpan), "00:00:00.500", "00:10:00")]
    public TimeSpan CircuitBreakerSamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    [Range(typeof(TimeSpan), "00:00:00.500", "00:10:00")]
    public TimeSpan CircuitBreakerBreakDuration { get; set; } = TimeSpan.FromSeconds(15);
}
