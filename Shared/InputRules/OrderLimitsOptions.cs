using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace FlexFunctions.Shared.InputRules;

/// <summary>
/// Settings under <c>OrderLimits</c> (<c>OrderLimits__*</c>): the size a lease, a checkout or a warehouse line can
/// reach before it is refused as input no real order produces. A store whose FlexShopper account allows more
/// raises them; the ranges keep every total far from decimal overflow.
/// </summary>
public sealed class OrderLimitsOptions
{
    public const string Section = "OrderLimits";

    /// <summary>Most dollars one lease or checkout may total (and so cost one unit, ship or be discounted).</summary>
    [Range(typeof(decimal), "49.95", "1000000")]
    public decimal MaxTotal { get; set; } = 25_000m;

    /// <summary>Most lines (items) one lease or checkout may carry.</summary>
    [Range(1, 1000)]
    public int MaxLines { get; set; } = 100;

    /// <summary>Most units of one line, in a lease, a checkout or a warehouse confirmation.</summary>
    [Range(1, 10_000)]
    public int MaxQuantity { get; set; } = 100;
}

[OptionsValidator]
internal sealed partial class OrderLimitsOptionsValidator : IValidateOptions<OrderLimitsOptions>;
