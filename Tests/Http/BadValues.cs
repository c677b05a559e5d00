using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using CsCheck;
using FlexFunctions.Shared.InputRules;

namespace FlexFunctions.Tests.Http;

/// <summary>
/// One generated bad value for one field: a string (<see cref="Text"/>, used as is in a route or query and JSON-escaped in
/// a body) or raw JSON (<see cref="Json"/>: numbers, wrong types, whole arrays), or the field left out.
/// </summary>
public sealed record BadValue(string What, string? Text = null, string? Json = null, bool Missing = false)
{
    public override string ToString() => What;
}

/// <summary>A field of a request or message, where it sits (<c>items[0].cost</c>) and what the app must refuse in it.</summary>
public sealed record FieldSpec(string Path, Gen<BadValue> Bad);

/// <summary>
/// CsCheck generators of values the rule set must refuse: the issue's examples (Unicode digits, a trailing newline, dot
/// segments, NUL, 5,000 characters, OData-looking strings, near-MaxValue money, 1,001 lines) and random mutations of a
/// valid value (a control or non-ASCII character at a random place, a random over-long length, random bad amounts).
/// </summary>
public static class BadValues
{
    /// <summary>Decimal digits in other scripts that <c>\d</c> accepts: Arabic-Indic, extended Arabic-Indic, Devanagari, Bengali, Thai, full-width.</summary>
    public static readonly int[] DigitZeros = [0x0660, 0x06F0, 0x0966, 0x09E6, 0x0E50, 0xFF10];

    public static readonly char[] Controls = ['\0', '\u0001', '\a', '\b', '\t', '\n', '\v', '\f', '\r', '\u001B', '\u007F', '\u0085', '\u009F', '\u2028', '\u2029'];

    /// <summary>Look-alikes and foreign characters that are not ASCII (a full-width letter, a Cyrillic a, a no-break space, a zero-width space, an emoji).</summary>
    private static readonly string[] NonAscii = ["٤", "０", "۳", "५", "Ａ", "é", "ß", "а", "ο", "\u00A0", "\u200B", "\u202E", "😀", "ｚ"];

    private static readonly string[] Trailers = ["\n", "\r\n", "\0", "\t", "\u2028", "\u0085"];

    /// <summary>Strings that try to leave a path segment, a Table key or an OData filter.</summary>
    public static readonly string[] PathAndQueryAttacks =
    [
        ".", "..", "../..", "a/../b", "a/b", "a\\b", "%2e%2e", "%2F", "a%00b", "..%2f", ".a", "a.", "a..b", " a", "a ", "a b",
        "T1' or PartitionKey ne '", "x eq 'y'", "$filter=true", "$top=1", "x)or(1 eq 1", "T1&limit=1000", "a?b=c", "a#b", "a;b", "a'b", "\"a\"",
        "abc\n", "abc\r", "a\0b",
    ];

    /// <summary>The valid value with a random bad twist: controls, trailing newline, non-ASCII at a random place, over-long, broken UTF-16.</summary>
    public static Gen<BadValue> Strings(FieldRule rule, string valid, bool required, params string[] extra)
    {
        var gens = new List<IGen<BadValue>>
        {
            Gen.OneOf(Trailers).Select(t => new BadValue($"valid + {Escape(t)}", valid + t)),
            Gen.Select(Gen.Int[0, valid.Length], Gen.OneOf(Controls), (at, c) => new BadValue($"control U+{(int)c:X4} at {at}", valid.Insert(at, c.ToString()))),
            Gen.Int[rule.MaxLength + 1, Math.Max(5_000, rule.MaxLength + 1)].Select(n => new BadValue($"{n} characters", Repeat(valid, n))),
            Gen.Select(Gen.Int[0, valid.Length], Gen.OneOf("\uD800", "\uDC00", "\uDBFF"), (at, s) => new BadValue($"lone surrogate at {at}", valid.Insert(at, s))),
            Gen.Const(new BadValue("5,000 characters", Repeat(valid, 5_000))),
        };
        if (rule != FieldRules.Text)
        {
            // Text may be in any script; everything else is ASCII.
            gens.Add(Gen.Select(Gen.Int[0, Math.Max(0, valid.Length - 1)], Gen.OneOf(NonAscii), (at, s) => new BadValue($"'{s}' replacing char {at}", Replace(valid, at, s))));
        }

        if (rule != FieldRules.Text && valid.Any(char.IsAsciiDigit))
        {
            gens.Add(Gen.OneOf(DigitZeros).Select(zero => new BadValue($"digits from U+{zero:X4}", ForeignDigits(valid, zero))));
            gens.Add(Gen.Select(Gen.Int[0, valid.Length - 1], Gen.OneOf(DigitZeros), Gen.Int[0, 9],
                (at, zero, d) => new BadValue($"one digit U+{zero + d:X4} at {at}", Replace(valid, at, ((char)(zero + d)).ToString()))));
        }

        if (extra.Length > 0)
        {
            gens.Add(Gen.OneOf(extra).Select(e => new BadValue($"'{Escape(e)}'", e)));
        }

        if (required)
        {
            gens.Add(Gen.OneOf(new BadValue("missing", Missing: true), new BadValue("null", Json: "null"), new BadValue("empty", ""), new BadValue("spaces", "   ")));
        }

        gens.Add(Gen.OneOf(new BadValue("a number", Json: "42"), new BadValue("an object", Json: "{}"), new BadValue("an array", Json: "[\"a\"]"), new BadValue("true", Json: "true")));
        return Gen.OneOf(gens.ToArray());
    }

    /// <summary>Amounts a rule of "dollars above 0 (or from 0) up to <paramref name="max"/> with 2 decimals" refuses, including near decimal.MaxValue.</summary>
    public static Gen<BadValue> Money(decimal max, bool required, bool allowZero)
    {
        var gens = new List<IGen<BadValue>>
        {
            Gen.OneOf(
                new BadValue("decimal.MaxValue", Json: "79228162514264337593543950335"),
                new BadValue("near decimal.MaxValue", Json: "79228162514264337593543950000"),
                new BadValue("7.9e28", Json: "7.9e28"),
                new BadValue("1e40 (past decimal)", Json: "1e40"),
                new BadValue("minus decimal.MaxValue", Json: "-79228162514264337593543950335"),
                new BadValue("a string", Json: "\"12.00\""),
                new BadValue("true", Json: "true"),
                new BadValue("an object", Json: "{}")),
            Gen.Int[1, 1_000_000].Select(n => new BadValue($"max + {n} cents", Json: (max + (n / 100m)).ToString(CultureInfo.InvariantCulture))),
            Gen.Select(Gen.Int[0, 100_000], Gen.Int[1, 9]).Select((whole, thousandth) => new BadValue($"{whole}.{thousandth:000} (3 decimals)", Json: $"{whole}.00{thousandth}")),
            Gen.Int[1, int.MaxValue].Select(n => new BadValue($"-{n} cents", Json: (-(n / 100m)).ToString(CultureInfo.InvariantCulture))),
        };
        if (!allowZero)
        {
            gens.Add(Gen.OneOf(new BadValue("0", Json: "0"), new BadValue("0.00", Json: "0.00"), new BadValue("1e-30", Json: "1e-30")));
        }

        if (required)
        {
            gens.Add(Gen.OneOf(new BadValue("missing", Missing: true), new BadValue("null", Json: "null")));
        }

        return Gen.OneOf(gens.ToArray());
    }

    /// <summary>Whole numbers outside 1..<paramref name="max"/>, past int, fractional or of the wrong type.</summary>
    public static Gen<BadValue> Quantity(int max) => Gen.OneOf(
        Gen.OneOf(
            new BadValue("0", Json: "0"),
            new BadValue("int.MaxValue", Json: "2147483647"),
            new BadValue("past int", Json: "2147483648"),
            new BadValue("1.5", Json: "1.5"),
            new BadValue("1e3", Json: "1e3"),
            new BadValue("a string", Json: "\"2\"")),
        Gen.Int[max + 1, int.MaxValue].Select(n => new BadValue($"{n}", Json: n.ToString(CultureInfo.InvariantCulture))),
        Gen.Int[int.MinValue, -1].Select(n => new BadValue($"{n}", Json: n.ToString(CultureInfo.InvariantCulture))));

    /// <summary>A list with too few or too many entries (the issue's 1,001 lines among them), each entry a copy of <paramref name="entry"/>.</summary>
    public static Gen<BadValue> Lines(string entry, int max, int min = 1) => Gen.OneOf(
        Gen.Const(new BadValue("1,001 lines", Json: Array(entry, 1_001))),
        Gen.Int[max + 1, Math.Max(max + 1, 1_001)].Select(n => new BadValue($"{n} lines", Json: Array(entry, n))),
        min > 0 ? Gen.Const(new BadValue("no lines", Json: "[]")) : Gen.Const(new BadValue("1,001 lines", Json: Array(entry, 1_001))),
        Gen.OneOf(new BadValue("missing", Missing: true), new BadValue("an object", Json: "{}"), new BadValue("a string", Json: "\"x\"")));

    /// <summary>Sets <paramref name="path"/> (<c>a.b[0].c</c>) in a copy of <paramref name="baseline"/> to the bad value and writes the JSON.</summary>
    public static string Mutate(JsonObject baseline, string path, BadValue bad)
    {
        const string Sentinel = "@@bad-value@@";
        var copy = (JsonObject)baseline.DeepClone();
        var segments = Segments(path);
        JsonNode parent = copy;
        foreach (var segment in segments[..^1])
        {
            parent = segment is int index ? parent[index]! : parent[(string)segment] ??= new JsonObject();
        }

        var last = segments[^1];
        if (bad.Missing && last is string name)
        {
            ((JsonObject)parent).Remove(name);
            return copy.ToJsonString();
        }

        if (bad.Missing)
        {
            // An array entry cannot be absent: removing it would only make a shorter, possibly valid, list.
            bad = bad with { Missing = false, Json = "null" };
        }

        if (last is int at)
        {
            parent[at] = Sentinel;
        }
        else
        {
            parent[(string)last] = Sentinel;
        }

        return copy.ToJsonString().Replace("\"" + Sentinel + "\"", bad.Json ?? JsonString(bad.Text!), StringComparison.Ordinal);
    }

    /// <summary>A JSON string literal escaping everything outside printable ASCII, so even a lone surrogate arrives as sent.</summary>
    public static string JsonString(string text)
    {
        var json = new StringBuilder("\"");
        foreach (var c in text)
        {
            if (c is >= ' ' and <= '~' and not '"' and not '\\')
            {
                json.Append(c);
            }
            else
            {
                json.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            }
        }

        return json.Append('"').ToString();
    }

    /// <summary>Printable form of a value for a failure message.</summary>
    public static string Escape(string text) =>
        text.Length > 60 ? $"{JsonString(text[..40])[1..^1]}... ({text.Length} chars)" : JsonString(text)[1..^1];

    private static object[] Segments(string path)
    {
        var list = new List<object>();
        foreach (var part in path.Split('.'))
        {
            var bracket = part.IndexOf('[', StringComparison.Ordinal);
            list.Add(bracket < 0 ? part : part[..bracket]);
            if (bracket >= 0)
            {
                list.Add(int.Parse(part[(bracket + 1)..^1], CultureInfo.InvariantCulture));
            }
        }

        return [.. list];
    }

    private static string Repeat(string valid, int length)
    {
        var seed = valid.Length == 0 ? "x" : valid;
        var builder = new StringBuilder(length + seed.Length);
        while (builder.Length < length)
        {
            builder.Append(seed);
        }

        return builder.ToString(0, length);
    }

    private static string Replace(string valid, int at, string with) =>
        valid.Length == 0 ? with : valid[..at] + with + valid[(at + 1)..];

    private static string ForeignDigits(string valid, int zero) =>
        new(valid.Select(c => char.IsAsciiDigit(c) ? (char)(zero + (c - '0')) : c).ToArray());

    private static string Array(string entry, int count) => "[" + string.Join(",", Enumerable.Repeat(entry, count)) + "]";
}
