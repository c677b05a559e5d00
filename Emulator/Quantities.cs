using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace FlexShopper.Emulator;

/// <summary>
/// An item quantity on cancel, return and the confirmations, read as the sources send it: an integer (newer docs),
/// an integer string (older docs type it as a string), or a whole decimal such as <c>1.0</c> or <c>"1.0000"</c>
/// (FlexShopper's Magento module sends its decimal quantities). Anything else, such as <c>1.5</c>, is refused.
/// Written back as an integer.
/// </summary>
internal sealed class WholeQuantityConverter : JsonConverter<int?>
{
    private const NumberStyles Whole = NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint;

    public override int? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        decimal value;
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetDecimal(out var number))
        {
            value = number;
        }
        else if (reader.TokenType == JsonTokenType.String && decimal.TryParse(reader.GetString(), Whole, CultureInfo.InvariantCulture, out var text))
        {
            value = text;
        }
        else
        {
            throw new JsonException("quantity must be a whole number.");
        }

        return value == decimal.Truncate(value) && value is >= int.MinValue and <= int.MaxValue
            ? (int)value
            : throw new JsonException("quantity must be a whole number.");
    }

    public override void Write(Utf8JsonWriter writer, int? value, JsonSerializerOptions options)
    {
        if (value is { } n)
        {
            writer.WriteNumberValue(n);
        }
        else
        {
            writer.WriteNullValue();
        }
    }
}
