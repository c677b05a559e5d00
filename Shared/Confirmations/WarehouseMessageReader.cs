using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace FlexFunctions.Shared.Confirmations;

/// <summary>A message that passed every check, normalised, with its identity in the ledger.</summary>
public sealed record ValidEvent(string Type, string TransactionId, string? Reference, IReadOnlyList<WarehouseItem> Items, string Key);

/// <summary>What reading a raw queue message gave: an event, or the reason it cannot be processed.</summary>
public sealed record ReadResult(ValidEvent? Event, string? Reason, string Encoding)
{
    /// <summary>The transaction and type when the message got that far, for the operator list.</summary>
    public string? TransactionId { get; init; }
    public string? Type { get; init; }

    /// <summary>The sender's <c>traceparent</c>, when the message carried one.</summary>
    public string? TraceParent { get; init; }
}

/// <summary>
/// Turns raw queue text (plain JSON or base64-encoded JSON) into a validated event. Every rejection carries a
/// reason an operator can act on, naming the field.
/// </summary>
public sealed class WarehouseMessageReader(IOptions<ConfirmationsOptions> options)
{
    public const string PlainEncoding = "json";
    public const string Base64Encoding = "base64";
    private const int MaxIdLength = 128;
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public ReadResult Read(string? raw)
    {
        var limits = options.Value;
        if (string.IsNullOrWhiteSpace(raw))
        {
            return new ReadResult(null, "The message is empty.", PlainEncoding);
        }

        var (json, encoding) = Decode(raw);
        if (json is null)
        {
            return new ReadResult(null, "The message is neither JSON nor base64-encoded JSON.", encoding);
        }

        var size = Encoding.UTF8.GetByteCount(json);
        if (size > limits.MaxMessageBytes)
        {
            return new ReadResult(null, string.Create(CultureInfo.InvariantCulture,
                $"The message is {size} bytes of JSON; the limit is {limits.MaxMessageBytes}."), encoding);
        }

        WarehouseEvent? message;
        try
        {
            message = JsonSerializer.Deserialize(json, ConfirmationsJson.Default.WarehouseEvent);
        }
        catch (JsonException ex)
        {
            if (json.AsSpan().TrimStart()[0] != '{')
            {
                return new ReadResult(null, "The message must be a JSON object: one event per message.", encoding);
            }

            var path = string.IsNullOrEmpty(ex.Path) || ex.Path == "$" ? null : ex.Path.TrimStart('$', '.');
            return new ReadResult(null, path is null
                ? "The message is not valid JSON: " + FirstSentence(ex.Message)
                : $"'{path}' has the wrong type or is malformed: {FirstSentence(ex.Message)}", encoding);
        }

        if (message is null)
        {
            return new ReadResult(null, "The message must be a JSON object.", encoding);
        }

        var errors = Validate(message, limits);
        var type = message.Type?.Trim().ToLowerInvariant();
        var transactionId = message.TransactionId?.Trim();
        if (errors.Count > 0)
        {
            return new ReadResult(null, "The event is invalid: " + string.Join("; ", errors) + ".", encoding)
            {
                TransactionId = string.IsNullOrEmpty(transactionId) ? null : transactionId,
                Type = type,
                TraceParent = message.TraceParent,
            };
        }

        var items = (message.Items ?? []).Select(Normalise).ToList();
        var reference = string.IsNullOrWhiteSpace(message.Reference) ? null : message.Reference.Trim();
        var key = EventKey.Of(type!, transactionId!, reference, items);
        return new ReadResult(new ValidEvent(type!, transactionId!, reference, items, key), null, encoding)
        {
            TransactionId = transactionId,
            Type = type,
            TraceParent = message.TraceParent,
        };
    }

    private static (string? Json, string Encoding) Decode(string raw)
    {
        var trimmed = raw.AsSpan().Trim();
        if (trimmed.Length > 0 && trimmed[0] is '{' or '[')
        {
            return (raw, PlainEncoding);
        }

        // Base64 as the host's default encoding and most SDK producers write it.
        var buffer = new byte[trimmed.Length];
        if (!Convert.TryFromBase64Chars(trimmed, buffer, out var written))
        {
            return (null, PlainEncoding);
        }

        try
        {
            var text = StrictUtf8.GetString(buffer, 0, written);
            var inner = text.AsSpan().TrimStart();
            return inner.Length > 0 && inner[0] is '{' or '[' ? (text, Base64Encoding) : (null, Base64Encoding);
        }
        catch (DecoderFallbackException)
        {
            return (null, Base64Encoding);
        }
    }

    private static List<string> Validate(WarehouseEvent message, ConfirmationsOptions limits)
    {
        var errors = new List<string>();
        if (message.Version is null)
        {
            errors.Add("'version' is required (current: 1)");
        }
        else if (message.Version != WarehouseEventTypes.CurrentVersion)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"'version' {message.Version} is not supported (current: {WarehouseEventTypes.CurrentVersion})"));
        }

        var type = message.Type?.Trim().ToLowerInvariant();
        if (string.IsNullOrEmpty(type))
        {
            errors.Add("'type' is required: one of " + string.Join(", ", WarehouseEventTypes.All));
        }
        else if (!WarehouseEventTypes.All.Contains(type))
        {
            errors.Add($"'type' '{Shorten(type)}' is unknown: use one of " + string.Join(", ", WarehouseEventTypes.All));
        }

        CheckId(errors, "transactionId", message.TransactionId, required: true);
        CheckId(errors, "reference", message.Reference, required: false);

        var items = message.Items ?? [];
        if (items.Count > limits.MaxItems)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"'items' has {items.Count} entries; the limit is {limits.MaxItems}"));
            return errors;
        }

        if (type == WarehouseEventTypes.Shipment && items.Count == 0)
        {
            errors.Add("'items' is required for a shipment: carrier and shipDate travel per item");
        }

        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i];
            var at = string.Create(CultureInfo.InvariantCulture, $"items[{i}]");
            if (item is null)
            {
                errors.Add($"'{at}' must be an object");
                continue;
            }

            CheckId(errors, at + ".sku", item.Sku, required: true);
            if (item.Quantity is <= 0)
            {
                errors.Add(string.Create(CultureInfo.InvariantCulture, $"'{at}.quantity' must be a positive whole number (was {item.Quantity}); omit it for every unit"));
            }

            if (type == WarehouseEventTypes.Shipment)
            {
                CheckText(errors, at + ".carrier", item.Carrier, required: true, 64);
                CheckText(errors, at + ".trackingNumber", item.TrackingNumber, required: false, 128);
                CheckDate(errors, at + ".shipDate", item.ShipDate, required: true);
                CheckDate(errors, at + ".deliveryDate", item.DeliveryDate, required: false);
                if (item.TrackingLink is { } link && !(Uri.TryCreate(link, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http"))
                {
                    errors.Add($"'{at}.trackingLink' must be an absolute http(s) URL");
                }
            }
            else if (type == WarehouseEventTypes.Receipt)
            {
                CheckDate(errors, at + ".receivedDate", item.ReceivedDate, required: false);
            }
        }

        return errors;
    }

    private static void CheckId(List<string> errors, string field, string? value, bool required)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            if (required)
            {
                errors.Add($"'{field}' is required");
            }

            return;
        }

        if (value.Trim().Length > MaxIdLength || value.Any(char.IsControl))
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"'{field}' must be at most {MaxIdLength} characters without control characters"));
        }
    }

    private static void CheckText(List<string> errors, string field, string? value, bool required, int max)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            if (required)
            {
                errors.Add($"'{field}' is required");
            }
        }
        else if (value.Length > max)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"'{field}' must be at most {max} characters"));
        }
    }

    private static void CheckDate(List<string> errors, string field, string? value, bool required)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            if (required)
            {
                errors.Add($"'{field}' is required (YYYY-MM-DD)");
            }
        }
        else if (!DateOnly.TryParseExact(value.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
        {
            errors.Add($"'{field}' must be a date as YYYY-MM-DD");
        }
    }

    private static WarehouseItem Normalise(WarehouseItem item) => item with
    {
        Sku = item.Sku!.Trim(),
        Carrier = Blank(item.Carrier),
        TrackingNumber = Blank(item.TrackingNumber),
        TrackingLink = Blank(item.TrackingLink),
        ShipDate = Blank(item.ShipDate),
        DeliveryDate = Blank(item.DeliveryDate),
        ReceivedDate = Blank(item.ReceivedDate),
    };

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static string Shorten(string value) => value.Length <= 40 ? value : value[..40] + "...";

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return end > 0 ? message[..(end + 1)] : message;
    }
}
