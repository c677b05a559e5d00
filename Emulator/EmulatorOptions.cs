namespace FlexShopper.Emulator;

/// <summary>Settings under <c>Emulator</c> (command line <c>--Emulator:Faults:LatencyMs=200</c>, env <c>Emulator__...</c>).</summary>
public sealed class EmulatorOptions
{
    public const string Section = "Emulator";
    public const string DefaultUrl = "http://127.0.0.1:5080";
    public const string DefaultApiKey = "local-emulator-key";

    /// <summary>Keys accepted when <see cref="ApiKeys"/> is empty.</summary>
    public static readonly IReadOnlyList<string> DefaultApiKeys = [DefaultApiKey, "local-emulator-key-2"];

    /// <summary>
    /// API keys the gateway accepts (empty: <see cref="DefaultApiKeys"/>). More than one lets rotation and token
    /// binding be exercised. Empty by default because configuration binding appends to a list rather than replacing it.
    /// </summary>
    public List<string> ApiKeys { get; set; } = [];

    /// <summary>How long a passcode can be used (FlexShopper: "a few minutes").</summary>
    public TimeSpan PasscodeLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Products in the catalog.</summary>
    public int ProductCount { get; set; } = 120;

    /// <summary>Products per page of Get Products (the real page size is undocumented).</summary>
    public int ProductPageSize { get; set; } = 50;

    /// <summary>The lease minimum FlexShopper enforces, in dollars.</summary>
    public decimal MinimumLeaseTotal { get; set; } = 49.95m;

    /// <summary>Faults applied from start-up; <c>POST /__admin/faults</c> replaces them at run time.</summary>
    public FaultSettings Faults { get; set; } = new();
}

/// <summary>
/// Faults injected in front of the v3 API. Counted faults (<see cref="RateLimitCount"/>, <see cref="Burst503Count"/>,
/// <see cref="HangCount"/>) are used up one request at a time, in that order, before any random error.
/// </summary>
public sealed class FaultSettings
{
    /// <summary>Delay added to every matching request, in milliseconds.</summary>
    public int LatencyMs { get; set; }

    /// <summary>Probability (0..1) that a matching request fails with a 500 envelope.</summary>
    public double ErrorRate { get; set; }

    /// <summary>The next N matching requests answer 429 with <c>Retry-After</c>.</summary>
    public int RateLimitCount { get; set; }

    /// <summary>The <c>Retry-After</c> value sent with 429s, in seconds.</summary>
    public int RetryAfterSeconds { get; set; } = 1;

    /// <summary>The next N matching requests answer 503 (maintenance).</summary>
    public int Burst503Count { get; set; }

    /// <summary>The next N matching requests hang for <see cref="HangMs"/> (or until the caller gives up).</summary>
    public int HangCount { get; set; }

    public int HangMs { get; set; } = 60_000;

    /// <summary>Only requests with these methods get faults (empty: all).</summary>
    public List<string> Methods { get; set; } = [];

    /// <summary>Only requests whose path contains one of these get faults (empty: all).</summary>
    public List<string> PathContains { get; set; } = [];

    /// <summary>Seed for <see cref="ErrorRate"/>, so a faulty run can be replayed.</summary>
    public int Seed { get; set; } = 1;

    internal FaultSettings Clone() => new()
    {
        LatencyMs = LatencyMs,
        ErrorRate = ErrorRate,
        RateLimitCount = RateLimitCount,
        RetryAfterSeconds = RetryAfterSeconds,
        Burst503Count = Burst503Count,
        HangCount = HangCount,
        HangMs = HangMs,
        Methods = [.. Methods],
        PathContains = [.. PathContains],
        Seed = Seed,
    };
}
