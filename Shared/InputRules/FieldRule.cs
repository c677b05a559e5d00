using System.Text.RegularExpressions;

namespace FlexFunctions.Shared.InputRules;

/// <summary>
/// What one kind of value (an identifier, a ZIP code, free text) must look like. A check answers yes or no and
/// never echoes the value, which may be an SSN or a passcode.
/// </summary>
public sealed class FieldRule
{
    private readonly Regex? _shape;
    private readonly Func<string, bool>? _also;

    internal FieldRule(string requirement, int maxLength, Regex? shape, string? pattern, Func<string, bool>? also = null)
    {
        Requirement = requirement;
        MaxLength = maxLength;
        _shape = shape;
        Pattern = pattern;
        _also = also;
    }

    /// <summary>What the value must be, as the end of "Must be ...": shown to the caller and to the operator.</summary>
    public string Requirement { get; }

    public int MaxLength { get; }

    /// <summary>The shape as an ECMAScript pattern (JSON Schema, OpenAPI), or null when only code can say it.</summary>
    public string? Pattern { get; }

    /// <summary>The only values accepted, for a rule over a fixed set of words (an enum in the API document).</summary>
    public IReadOnlyList<string>? Allowed { get; internal init; }

    /// <summary>The message a caller gets for a value that breaks the rule.</summary>
    public string Message => "Must be " + Requirement + ".";

    /// <summary>True when <paramref name="value"/> is a non-empty value of this kind.</summary>
    public bool Accepts(string? value) =>
        !string.IsNullOrEmpty(value) && value.Length <= MaxLength && (_shape?.IsMatch(value) ?? true) && (_also?.Invoke(value) ?? true);
}
