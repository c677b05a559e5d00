using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using FlexFunctions.Shared.Http;
using FlexFunctions.Shared.InputRules;

namespace FlexFunctions.Shared.ApiDocument;

/// <summary>
/// Learns the rule of every field of a request body from the body type's own <see cref="IValidatedInput.Validate"/>:
/// it binds a body with every field present (empty strings, zeros, one entry per list) and records each check the
/// validator makes, whatever the value. The rules therefore live only in the validators; the document repeats none.
/// </summary>
internal static class FieldRuleProbe
{
    /// <summary>Every check <paramref name="type"/>'s validator makes, over a body shaped like <paramref name="schema"/>.</summary>
    public static IReadOnlyList<FieldCheck> Observe(JsonTypeInfo type, JsonObject schema, OrderLimitsOptions limits)
    {
        var checks = new List<FieldCheck>();
        if (!typeof(IValidatedInput).IsAssignableFrom(type.Type))
        {
            return checks; // read by its own reader (the warehouse contract), not through FieldErrors
        }

        foreach (var body in Bodies(schema))
        {
            if (JsonSerializer.Deserialize(body.ToJsonString(), type) is not IValidatedInput input)
            {
                return [];
            }

            input.Validate(new FieldErrors(limits) { Observer = checks.Add });
        }

        return checks;
    }

    /// <summary>
    /// The full body, and the full body less each of its top-level objects in turn: a validator that wants exactly one
    /// of two (a bank account or a card) checks each branch only when the other is absent.
    /// </summary>
    private static IEnumerable<JsonObject> Bodies(JsonObject schema)
    {
        var full = (JsonObject)Skeleton(schema)!;
        yield return full;
        foreach (var (name, property) in schema["properties"]?.AsObject() ?? [])
        {
            if (property is JsonObject p && Types(p).Contains("object"))
            {
                var without = (JsonObject)full.DeepClone();
                without.Remove(name);
                yield return without;
            }
        }
    }

    /// <summary>A value of the schema's shape with every property present.</summary>
    private static JsonNode? Skeleton(JsonObject schema)
    {
        var types = Types(schema);
        if (types.Contains("object"))
        {
            var value = new JsonObject();
            foreach (var (name, property) in schema["properties"]?.AsObject() ?? [])
            {
                value[name] = property is JsonObject p ? Skeleton(p) : null;
            }

            return value;
        }

        if (types.Contains("array"))
        {
            return new JsonArray(schema["items"] is JsonObject items ? Skeleton(items) : null);
        }

        return types.Contains("string") ? JsonValue.Create(schema["format"]?.GetValue<string>() switch
        {
            "date-time" => "2000-01-01T00:00:00Z",
            "date" => "2000-01-01",
            "uuid" => Guid.Empty.ToString(),
            _ => string.Empty,
        })
            : types.Contains("number") || types.Contains("integer") ? JsonValue.Create(0)
            : types.Contains("boolean") ? JsonValue.Create(false)
            : null;
    }

    /// <summary>The JSON Schema <c>type</c> keyword as a list (it may be one name or several).</summary>
    public static IReadOnlyList<string> Types(JsonObject schema) => schema["type"] switch
    {
        JsonValue one => [one.GetValue<string>()],
        JsonArray many => [.. many.Select(t => t!.GetValue<string>())],
        _ => [],
    };
}
