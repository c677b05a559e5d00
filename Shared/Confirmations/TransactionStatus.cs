using System.Text.Json;
using FlexFunctions.Shared.FlexShopper.Models;

namespace FlexFunctions.Shared.Confirmations;

/// <summary>
/// Reads whether a transaction already shows an event's effect, from the per-status unit counts FlexShopper returns
/// on each item (<c>quantity: {ordered, shipped}</c> or <c>quantityByStatus</c>; the status names for receipt,
/// cancel and return are inferred, see the README). Anything it cannot read counts as "not shown".
/// </summary>
public static class TransactionStatus
{
    private static readonly Dictionary<string, string[]> StatusNames = new(StringComparer.Ordinal)
    {
        [WarehouseEventTypes.Shipment] = ["shipped"],
        [WarehouseEventTypes.Receipt] = ["received", "delivered"],
        [WarehouseEventTypes.Cancel] = ["canceled", "cancelled"],
        [WarehouseEventTypes.Return] = ["returned"],
    };

    // earlier: units per SKU of other done events of the same type (null = every unit).
    public static bool Shows(PurchaseTransaction transaction, ValidEvent e, IReadOnlyDictionary<string, int?> earlier)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(e);
        var names = StatusNames[e.Type];
        var lines = transaction.Items ?? [];
        if (lines.Count == 0)
        {
            return false;
        }

        if (e.Items.Count == 0)
        {
            // The whole transaction: every line must be fully in the status.
            return lines.All(l => Count(l, names) is { } n && Ordered(l) is { } o && n >= o);
        }

        foreach (var group in e.Items.GroupBy(i => i.Sku!, StringComparer.Ordinal))
        {
            var matching = lines.Where(l => string.Equals(l.Sku, group.Key, StringComparison.Ordinal)).ToList();
            if (matching.Count == 0)
            {
                return false;
            }

            int? count = 0, ordered = 0;
            foreach (var line in matching)
            {
                count = count + Count(line, names);
                ordered = ordered + Ordered(line);
            }

            if (count is null)
            {
                return false;
            }

            var wanted = group.Any(i => i.Quantity is null) ? null : group.Sum(i => i.Quantity);
            var before = earlier.TryGetValue(group.Key, out var prior) ? prior : 0;
            int? needed = wanted is null || before is null ? ordered : before + wanted;
            if (needed is null || count < needed)
            {
                return false;
            }
        }

        return true;
    }

    private static int? Count(TransactionItem line, string[] names) =>
        Property(line.Quantity, names) ?? Property(line.QuantityByStatus, names);

    private static int? Ordered(TransactionItem line) => line.Quantity switch
    {
        { ValueKind: JsonValueKind.Number } q when q.TryGetInt32(out var n) => n,
        { } q => Property(q, ["ordered"]),
        null => null,
    };

    private static int? Property(JsonElement? element, string[] names)
    {
        if (element is not { ValueKind: JsonValueKind.Object } obj)
        {
            return null;
        }

        foreach (var name in names)
        {
            if (obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n))
            {
                return n;
            }
        }

        return null;
    }
}
