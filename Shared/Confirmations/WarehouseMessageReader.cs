using System.Globalization;
using System.Text;
using System.Text.Json;
using FlexFunctions.Shared.InputRules;
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
/// <remarks>
/// Identifiers are checked with the same <see cref="FieldRules"/> as the HTTP API and never trimmed: a
/// <c>transactionId</c> becomes part of FlexShopper's path and of the ledger's partition key, so <c>..</c>,
/// <c>/</c>, a newline or a Unicode digit is refused here, with the field named, and kept for the operator.
/// </remarks>
public sealed class WarehouseMessageReader(IOptions<ConfirmationsOptions> options, IOptions<OrderLimitsOptions> orderLimits)
{
    public const string PlainEncoding = "json";
    public const string Base64Encoding = "base64";
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

        var errors = Validate(message, limits, orderLimits.Value);
        var type = message.Type?.ToLowerInvariant();
        var transactionId = message.TransactionId;
        if (errors.Count > 0)
        {
            return new ReadResult(null, "The event is invalid: " + string.Join("; ", errors) + ".", encoding)
            {
                // Only a well-formed id is kept as the row's transaction (the operator list, a replay's ledger reset).
                TransactionId = FieldRules.Identifier.Accepts(transactionId) ? transactionId : null,
                Type = type is not null && WarehouseEventTypes.All.Contains(type) ? type : null,
                TraceParent = message.TraceParent,
            };
        }

        var items = (message.Items ?? []).Select(Normalise).ToList();
        var reference = FieldRules.Given(message.Reference);
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

    private static List<string> Validate(WarehouseEvent message, ConfirmationsOptions limits, OrderLimitsOptions order)
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

        var type = message.Type?.ToLowerInvariant();
        if (string.IsNullOrWhiteSpace(type))
        {
            errors.Add("'type' is required: one of " + string.Join(", ", WarehouseEventTypes.All));
        }
        else if (!WarehouseEventTypes.All.Contains(type))
        {
            errors.Add($"'type' '{Shorten(type)}' is unknown: use one of " + string.Join(", ", WarehouseEventTypes.All));
        }

        Check(errors, "transactionId", message.TransactionId, FieldRules.Identifier, required: true);
        Check(errors, "reference", message.Reference, FieldRules.Identifier, required: false);

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

            Check(errors, at + ".sku", item.Sku, FieldRules.Code, required: true);
            if (item.Quantity is { } quantity && (quantity < 1 || quantity > order.MaxQuantity))
            {
                errors.Add(string.Create(CultureInfo.InvariantCulture,
                    $"'{at}.quantity' must be a positive whole number up to {order.MaxQuantity} (was {quantity}); omit it for every unit"));
            }

            if (type == WarehouseEventTypes.Shipment)
            {
                Check(errors, at + ".carrier", item.Carrier, FieldRules.Code, required: true);
                Check(errors, at + ".trackingNumber", item.TrackingNumber, FieldRules.Code, required: false);
                Check(errors, at + ".trackingLink", item.TrackingLink, FieldRules.HttpUrl, required: false);
                Check(errors, at + ".shipDate", item.ShipDate, FieldRules.Date, required: true);
                Check(errors, at + ".deliveryDate", item.DeliveryDate, FieldRules.Date, required: false);
            }
            else if (type == WarehouseEventTypes.Receipt)
            {
                Check(errors, at + ".receivedDate", item.ReceivedDate, FieldRules.Date, required: false);
            }
        }

        return errors;
    }

    /// <summary>The HTTP API's rule, worded for the operator's list: "'field' is required" or "'field' must be ...".</summary>
    private static void Check(List<string> errors, string field, string? value, FieldRule rule, bool required)
    {
        if (FieldRules.Given(value) is null)
        {
            if (required)
            {
                errors.Add($"'{field}' is required" + (rule == FieldRules.Date ? " (YYYY-MM-DD)" : ""));
            }
        }
        else if (!rule.Accepts(value))
        {
            errors.Add($"'{field}' must be {rule.Requirement}");
        }
    }

    private static WarehouseItem Normalise(WarehouseItem item) => item with
    {
        Carrier = FieldRules.Given(item.Carrier),
        TrackingNumber = FieldRules.Given(item.TrackingNumber),
        TrackingLink = FieldRules.Given(item.TrackingLink),
        ShipDate = FieldRules.Given(item.ShipDate),
        DeliveryDate = FieldRules.Given(item.DeliveryDate),
        ReceivedDate = FieldRules.Given(item.ReceivedDate),
    };

    private static string Shorten(string value) => value.Length <= 40 ? value : value[..40] + "...";

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return end > 0 ? message[..(end + 1)] : message;
    }
}
