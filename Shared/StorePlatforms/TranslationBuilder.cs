using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using FlexFunctions.Shared.Confirmations;
using FlexFunctions.Shared.InputRules;

namespace FlexFunctions.Shared.StorePlatforms;

/// <summary>Collects the warehouse events and the unusable parts one platform event turns into.</summary>
internal sealed class TranslationBuilder
{
    private readonly List<string> _messages = [];
    private readonly List<Unusable> _unusable = [];

    public int Events => _messages.Count;

    /// <summary>A version-1 warehouse event, written as the warehouse would write it.</summary>
    public void Event(string type, string transactionId, string reference, DateTimeOffset? occurredAt, IReadOnlyList<WarehouseItem>? items)
    {
        var e = new WarehouseEvent
        {
            Version = WarehouseEventTypes.CurrentVersion,
            Type = type,
            TransactionId = transactionId,
            Reference = reference,
            OccurredAt = occurredAt,
            Items = items is { Count: > 0 } ? items : null,
        };
        _messages.Add(JsonSerializer.Serialize(e, ConfirmationsJson.Default.WarehouseEvent));
    }

    public void Unusable(string key, string reason, string? transactionId = null) =>
        _unusable.Add(new Unusable(key, reason) { TransactionId = transactionId });

    /// <summary>
    /// Keeps what a delivery could not send: the refused lines (<paramref name="why"/> says what that means for them), or
    /// the fact that it listed nothing to send (<paramref name="empty"/>), saying whether any of it was sent.
    /// </summary>
    public void Unsent(string key, string label, IReadOnlyList<string> refused, string why, string empty, string? transactionId)
    {
        if (refused.Count > 0)
        {
            Unusable(key, $"{label}: {string.Join("; ", refused)}, {why}" + (Events == 0 ? "; nothing was sent." : "; the other lines were."), transactionId);
        }
        else if (Events == 0)
        {
            Unusable(key, $"{label} {empty}: nothing was sent.", transactionId);
        }
    }

    public Translation Build(string? note = null) => new(_messages, _unusable, note);

    /// <summary>Reads a payload into its model; the error names the field (never echoing a value).</summary>
    public static (T? Value, string? Error) Read<T>(JsonElement? payload, JsonTypeInfo<T> type)
        where T : class
    {
        if (payload is not { ValueKind: JsonValueKind.Object } json)
        {
            return (null, "The body must be a JSON object.");
        }

        try
        {
            return (json.Deserialize(type), null);
        }
        catch (JsonException ex)
        {
            var path = string.IsNullOrEmpty(ex.Path) || ex.Path == "$" ? "the payload" : $"'{ex.Path.TrimStart('$', '.')}'";
            return (null, $"{path} has the wrong type or format.");
        }
    }

    /// <summary>The projection kept for replay: the payload read into its model and written back.</summary>
    public static (JsonElement? Payload, string? Error) Project<T>(ReadOnlySpan<byte> body, JsonTypeInfo<T> type)
        where T : class
    {
        JsonElement json;
        try
        {
            using var doc = JsonDocument.Parse(body.ToArray());
            json = doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            return (null, "The body is not valid JSON.");
        }

        // Values kept as JSON (note attributes, order meta) are read as text later: a broken UTF-16 escape ("\ud800")
        // would throw there, so it is refused here, where the platform hears of it. No platform's encoder writes one.
        if (BrokenText(json, "") is { } path)
        {
            return (null, $"'{(path.Length == 0 ? "body" : path)}' holds text that is not valid UTF-16 (a lone surrogate escape).");
        }

        var (value, error) = Read(json, type);
        return value is null ? (null, error ?? "The body must be a JSON object.") : (JsonSerializer.SerializeToElement(value, type), null);
    }

    /// <summary>
    /// Per SKU, the summed units of the lines that can be sent; every other line with units is described, with why,
    /// for the operator: no SKU, a SKU the warehouse contract refuses (<see cref="FieldRules.Code"/>), a negative
    /// quantity, or more units of one SKU than <paramref name="maxQuantity"/> (<c>OrderLimits__MaxQuantity</c>).
    /// </summary>
    public static (List<(string Sku, int Quantity)> Items, List<string> Refused) BySku(IEnumerable<(string? Sku, int Quantity, string Line)> lines, int maxQuantity)
    {
        var totals = new List<(string Sku, long Quantity, List<string> Lines)>();
        var refused = new List<string>();
        foreach (var (sku, quantity, line) in lines.Where(l => l.Quantity != 0))
        {
            var code = sku?.Trim();
            var what = string.Create(CultureInfo.InvariantCulture, $"{line} x{quantity}");
            if (quantity < 0)
            {
                refused.Add($"{what} has a negative quantity");
            }
            else if (string.IsNullOrEmpty(code))
            {
                refused.Add($"{what} has no SKU");
            }
            else if (!FieldRules.Code.Accepts(code))
            {
                refused.Add($"{what} has a SKU that is not {FieldRules.Code.Requirement}");
            }
            else if (totals.FindIndex(t => t.Sku == code) is var at and >= 0)
            {
                totals[at] = (code, totals[at].Quantity + quantity, [.. totals[at].Lines, what]);
            }
            else
            {
                totals.Add((code, quantity, [what]));
            }
        }

        var items = new List<(string Sku, int Quantity)>();
        foreach (var (sku, quantity, described) in totals)
        {
            if (quantity > maxQuantity)
            {
                refused.Add(string.Create(CultureInfo.InvariantCulture,
                    $"{string.Join(" and ", described)} add up to {quantity} units of one SKU, more than OrderLimits__MaxQuantity ({maxQuantity})"));
            }
            else
            {
                items.Add((sku, (int)quantity));
            }
        }

        return (items, refused);
    }

    /// <summary>
    /// Why a transaction id read from a platform's payload cannot be used, or null when it can: it must pass
    /// <see cref="FieldRules.Identifier"/>, as the warehouse reader checks it, because it becomes part of FlexShopper's path.
    /// </summary>
    public static string? Unfit(string transactionId, string setting) => FieldRules.Identifier.Accepts(transactionId)
        ? null
        : $"the transaction id it gives ({setting}) is not one FlexShopper can take: it must be {FieldRules.Identifier.Requirement}";

    public static string Date(DateTimeOffset at) => at.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>An absolute http(s) URL, or null (the warehouse contract accepts nothing else).</summary>
    public static string? Link(string? url) =>
        Uri.TryCreate(url?.Trim(), UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http" ? uri.AbsoluteUri : null;

    /// <summary>
    /// Trimmed text, or null when blank. Never cut: a shortened tracking number is a wrong one, so a value past the
    /// contract's length is left for the warehouse reader to refuse, with the field named.
    /// </summary>
    public static string? Text(string? value)
    {
        var text = value?.Trim();
        return string.IsNullOrEmpty(text) ? null : text;
    }

    /// <summary>The path of the first string (value or property name) in <paramref name="json"/> that cannot be read as text, or null.</summary>
    private static string? BrokenText(JsonElement json, string path)
    {
        switch (json.ValueKind)
        {
            case JsonValueKind.String:
                return Readable(json) ? null : path;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in json.EnumerateArray())
                {
                    if (BrokenText(item, string.Create(CultureInfo.InvariantCulture, $"{path}[{i++}]")) is { } broken)
                    {
                        return broken;
                    }
                }

                return null;
            case JsonValueKind.Object:
                foreach (var property in json.EnumerateObject())
                {
                    string name;
                    try
                    {
                        name = property.Name;
                    }
                    catch (InvalidOperationException)
                    {
                        return path;
                    }

                    if (BrokenText(property.Value, path.Length == 0 ? name : path + "." + name) is { } broken)
                    {
                        return broken;
                    }
                }

                return null;
            default:
                return null;
        }
    }

    private static bool Readable(JsonElement text)
    {
        try
        {
            _ = text.GetString();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
