using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using FlexFunctions.Shared.Confirmations;

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

    public Translation Build(string? note = null) => new(_messages, _unusable, note);

    /// <summary>Reads a payload into its model; the error names the field (never echoing a value).</summary>
    public static (T? Value, string? Error) Read<T>(JsonElement? payload, JsonTypeInfo<T> type)
        where T : class
    {
        if (payload is not { ValueKind: JsonValueKind.Object } json)
        {
            return (null, "The payload must be a JSON object.");
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

        var (value, error) = Read(json, type);
        return value is null ? (null, error ?? "The payload must be a JSON object.") : (JsonSerializer.SerializeToElement(value, type), null);
    }

    /// <summary>Per SKU, the summed units of lines that have one; lines without are described for the operator.</summary>
    public static (List<(string Sku, int Quantity)> Items, List<string> WithoutSku) BySku(IEnumerable<(string? Sku, int Quantity, string Line)> lines)
    {
        var items = new List<(string Sku, int Quantity)>();
        var without = new List<string>();
        foreach (var (sku, quantity, line) in lines.Where(l => l.Quantity > 0))
        {
            if (string.IsNullOrWhiteSpace(sku))
            {
                without.Add(string.Create(CultureInfo.InvariantCulture, $"{line} x{quantity}"));
                continue;
            }

            var at = items.FindIndex(i => i.Sku == sku.Trim());
            if (at < 0)
            {
                items.Add((sku.Trim(), quantity));
            }
            else
            {
                items[at] = (items[at].Sku, items[at].Quantity + quantity);
            }
        }

        return (items, without);
    }

    public static string Date(DateTimeOffset at) => at.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>An absolute http(s) URL, or null (the warehouse contract accepts nothing else).</summary>
    public static string? Link(string? url) =>
        Uri.TryCreate(url?.Trim(), UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http" ? uri.AbsoluteUri : null;

    /// <summary>Trimmed text cut to the contract's length, or null when blank.</summary>
    public static string? Text(string? value, int max)
    {
        var text = value?.Trim();
        return string.IsNullOrEmpty(text) ? null : text.Length > max ? text[..max] : text;
    }
}
