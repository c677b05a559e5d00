namespace FlexShopper.Emulator;

/// <summary>Settings under <c>Emulator</c> (command line <c>--Emulator:Faults:LatencyMs=200</c>, env <c>Emulator__...</c>).</summary>
public sealed class EmulatorOptions
{
    public const string Section = "Emulator";
    public const string DefaultUrl = "http://127.0.0.1:5080";
    public const string DefaultApiKey = "local-emulator-key";

    /// <summary><see cref="ReturnItemsPath"/>: answer both names of Return Items.</summary>
    public const string BothReturnPaths = "both";

    /// <summary>Keys accepted when <see cref="ApiKeys"/> is empty.</summary>
    public static readonly IReadOnlyList<string> DefaultApiKeys = [DefaultApiKey, "local-emulator-key-2"];

    private static readonly string[] ReturnPathChoices = [BothReturnPaths, "return", "return-items"];

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

    /// <summary>
    /// The account's lease minimum in dollars, answered by <c>settings/lease</c> and enforced by Create Lease. The docs
    /// say $49.95; real accounts have their own (the Magento module's README shows 500).
    /// </summary>
    public decimal MinimumOrderValue { get; set; } = 49.95m;

    /// <summary>
    /// Which name of Return Items answers: <c>both</c> (the default: the docs say <c>return</c>, FlexShopper's Magento
    /// module sends <c>return-items</c>), or only <c>return</c> or only <c>return-items</c>, to emulate the one the
    /// sandbox turns out to have.
    /// </summary>
    public string ReturnItemsPath { get; set; } = BothReturnPaths;

    /// <summary>Rules no public source states, each off by default; turn one on to see how the app copes.</summary>
    public StrictnessSettings Strictness { get; set; } = new();

    /// <summary>Faults applied from start-up; <c>POST /__admin/faults</c> replaces them at run time.</summary>
    public FaultSettings Faults { get; set; } = new();

    /// <summary>The path segments Return Items answers on.</summary>
    internal IReadOnlyList<string> ReturnItemsSegments => ReturnItemsPath == BothReturnPaths ? ["return", "return-items"] : [ReturnItemsPath];

    /// <summary>Refuses settings the emulator cannot honour, naming the setting.</summary>
    internal void Validate()
    {
        if (MinimumOrderValue < 0)
        {
            throw new ArgumentException($"{Section}:{nameof(MinimumOrderValue)} must be a non-negative number of dollars.");
        }

        if (!ReturnPathChoices.Contains(ReturnItemsPath, StringComparer.Ordinal))
        {
            throw new ArgumentException($"{Section}:{nameof(ReturnItemsPath)} must be one of {string.Join(", ", ReturnPathChoices)}; got '{ReturnItemsPath}'.");
        }
    }
}

/// <summary>Settings under <c>Emulator:Strictness</c>: rules no source states, for trying the app against a stricter FlexShopper.</summary>
public sealed class StrictnessSettings
{
    /// <summary>Confirm shipment and receipt answer 400 <c>TransactionNotFinalized</c> until the transaction is finalized.</summary>
    public bool RequireFinalizeBeforeDelivery { get; set; }

    /// <summary>Return Items puts signed but not yet shipped or received units in <c>failed[]</c>.</summary>
    public bool ReturnOnlyDelivered { get; set; }
}
