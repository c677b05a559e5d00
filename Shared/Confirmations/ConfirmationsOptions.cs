using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace FlexFunctions.Shared.Confirmations;

/// <summary>Settings under <c>Confirmations</c> (app settings <c>Confirmations__*</c>).</summary>
public sealed class ConfirmationsOptions
{
    public const string Section = "Confirmations";

    /// <summary>
    /// How long a delivery owns an event before another delivery may take it over. Each attempt is cancelled
    /// before its claim runs out, so keep it above twice <c>FlexShopper__TotalTimeout</c> (a check plus a call).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:30:00")]
    public TimeSpan ClaimLease { get; set; } = TimeSpan.FromSeconds(90);

    /// <summary>Largest accepted message, in bytes of decoded JSON (a storage queue message holds at most 64 KiB).</summary>
    [Range(256, 1024 * 1024)]
    public int MaxMessageBytes { get; set; } = 48 * 1024;

    /// <summary>Most items one event may carry.</summary>
    [Range(1, 10_000)]
    public int MaxItems { get; set; } = 200;

    /// <summary>Most characters of a rejected message kept verbatim; longer ones keep this many plus length and hash.</summary>
    [Range(1024, 120_000)]
    public int MaxStoredMessageChars { get; set; } = 64 * 1024;
}

[OptionsValidator]
internal sealed partial class ConfirmationsOptionsValidator : IValidateOptions<ConfirmationsOptions>;
