namespace FlexFunctions.Shared.FlexShopper;

/// <summary>
/// What became of the FlexShopper writes (every call but a read) made inside one scope, so the caller can tell
/// "FlexShopper certainly did nothing" from "FlexShopper acted, or may have". The client reports each write's end:
/// carried out (a success status, readable or not) or possibly carried out (no answer after sending, a timeout, a
/// 500/502/504). A refusal (4xx) or a proof of not acting (408/429/503, no connection, circuit open) reports
/// nothing. Flows with the async call: a scope covers the calls awaited inside it.
/// </summary>
public sealed class FlexShopperWrites : IDisposable
{
    private static readonly AsyncLocal<FlexShopperWrites?> Current = new();
    private readonly FlexShopperWrites? _outer;
    private int _carriedOut;
    private int _possiblyCarriedOut;

    private FlexShopperWrites(FlexShopperWrites? outer) => _outer = outer;

    /// <summary>Starts tracking the writes of the calls that follow, until disposed.</summary>
    public static FlexShopperWrites Track()
    {
        var scope = new FlexShopperWrites(Current.Value);
        Current.Value = scope;
        return scope;
    }

    /// <summary>True when a write in this scope was carried out by FlexShopper or may have been.</summary>
    public bool MayHaveActed => Volatile.Read(ref _carriedOut) + Volatile.Read(ref _possiblyCarriedOut) > 0;

    /// <summary>FlexShopper answered a write with success.</summary>
    internal static void CarriedOut()
    {
        if (Current.Value is { } scope)
        {
            Interlocked.Increment(ref scope._carriedOut);
        }
    }

    /// <summary>A write was sent and no answer proves what FlexShopper did with it.</summary>
    internal static void PossiblyCarriedOut()
    {
        if (Current.Value is { } scope)
        {
            Interlocked.Increment(ref scope._possiblyCarriedOut);
        }
    }

    public void Dispose() => Current.Value = _outer;
}
