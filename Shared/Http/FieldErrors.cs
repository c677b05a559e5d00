using System.Globalization;
using FlexFunctions.Shared.InputRules;
using Microsoft.AspNetCore.Mvc;

namespace FlexFunctions.Shared.Http;

/// <summary>An input that checks itself after parsing, so bad input is answered with a 400 before any upstream call.</summary>
public interface IValidatedInput
{
    void Validate(FieldErrors errors);
}

/// <summary>
/// Collects every bad field of a request (never its value) for one 400 problem document, checking each value
/// against its rule in <see cref="FieldRules"/> and the configured <see cref="OrderLimitsOptions"/>.
/// </summary>
public sealed class FieldErrors(OrderLimitsOptions? limits = null)
{
    public const string RequiredMessage = "This field is required.";

    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    /// <summary>Told of every check as it is made, whatever the value: how the API document learns each field's rule.</summary>
    internal Action<FieldCheck>? Observer { get; init; }

    /// <summary>The order bounds of this app (the defaults when none were configured).</summary>
    public OrderLimitsOptions Limits { get; } = limits ?? new OrderLimitsOptions();

    public bool Any => _errors.Count > 0;

    public IReadOnlyCollection<string> Fields => _errors.Keys;

    public void Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var list))
        {
            _errors[field] = list = [];
        }

        list.Add(message);
    }

    /// <summary>Adds an error when <paramref name="value"/> is null or blank; true when present.</summary>
    public bool Required(string field, string? value)
    {
        Observer?.Invoke(new FieldCheck(field, FieldCheckKind.Present, true));
        if (!string.IsNullOrWhiteSpace(value))
        {
            return true;
        }

        Add(field, RequiredMessage);
        return false;
    }

    public bool Required<T>(string field, T? value)
        where T : class
    {
        Observer?.Invoke(new FieldCheck(field, FieldCheckKind.Present, true));
        if (value is not null)
        {
            return true;
        }

        Add(field, RequiredMessage);
        return false;
    }

    /// <summary>
    /// Checks <paramref name="value"/> against <paramref name="rule"/>. An optional value that is absent, empty or
    /// only spaces is fine (and is forwarded as absent); a required one is an error. True when a valid value is present.
    /// </summary>
    public bool Check(string field, string? value, FieldRule rule, bool required = true)
    {
        Observer?.Invoke(new FieldCheck(field, FieldCheckKind.Rule, required) { Rule = rule });
        if (FieldRules.Given(value) is null)
        {
            if (required)
            {
                Add(field, RequiredMessage);
            }

            return false;
        }

        if (!rule.Accepts(value))
        {
            Add(field, rule.Message);
            return false;
        }

        return true;
    }

    /// <summary>Dollars with at most two decimal places, above 0 (or from 0 when <paramref name="allowZero"/>) and at most <paramref name="max"/>.</summary>
    public bool Money(string field, decimal? value, decimal max, bool required = true, bool allowZero = false)
    {
        Observer?.Invoke(new FieldCheck(field, FieldCheckKind.Money, required) { Minimum = 0, Maximum = max, MinimumExcluded = !allowZero });
        if (value is not { } amount)
        {
            if (required)
            {
                Add(field, RequiredMessage);
            }

            return false;
        }

        if (amount < 0 || (amount == 0 && !allowZero) || amount > max || decimal.Round(amount, 2) != amount)
        {
            Add(field, string.Create(CultureInfo.InvariantCulture,
                $"Must be dollars {(allowZero ? "from 0" : "above 0")} up to {max:0.##}, with at most 2 decimal places."));
            return false;
        }

        return true;
    }

    /// <summary>A whole number from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public bool Count(string field, int? value, int min, int max, bool required = true)
    {
        Observer?.Invoke(new FieldCheck(field, FieldCheckKind.Count, required) { Minimum = min, Maximum = max });
        if (value is not { } count)
        {
            if (required)
            {
                Add(field, RequiredMessage);
            }

            return false;
        }

        if (count < min || count > max)
        {
            Add(field, string.Create(CultureInfo.InvariantCulture, $"Must be a whole number from {min} to {max}."));
            return false;
        }

        return true;
    }

    /// <summary>A list of <paramref name="min"/> to <paramref name="max"/> entries; true when its entries should be checked.</summary>
    public bool List<T>(string field, IReadOnlyCollection<T>? list, int min, int max, bool required = true)
    {
        Observer?.Invoke(new FieldCheck(field, FieldCheckKind.List, required) { Minimum = min, Maximum = max });
        if (list is null)
        {
            if (required)
            {
                Add(field, RequiredMessage);
            }

            return false;
        }

        if (list.Count < min || list.Count > max)
        {
            Add(field, string.Create(CultureInfo.InvariantCulture, $"Must have {min} to {max} entries."));
            return false;
        }

        return true;
    }

    /// <summary>
    /// A required list of 1 to <paramref name="max"/> entries, each required: <paramref name="each"/> checks every entry
    /// given, with its field prefix (<c>items[3]</c>).
    /// </summary>
    public void Entries<T>(string field, IReadOnlyList<T?>? list, int max, Action<string, T> each)
        where T : class
    {
        if (!List(field, list, 1, max))
        {
            return;
        }

        for (var i = 0; i < list!.Count; i++)
        {
            var prefix = string.Create(CultureInfo.InvariantCulture, $"{field}[{i}]");
            if (Required(prefix, list[i]))
            {
                each(prefix, list[i]!);
            }
        }
    }

    public IActionResult ToProblem() =>
        Problems.Validation(_errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal));

    /// <summary>Checks route and query values; the 400 naming each bad one, or null when all pass.</summary>
    public static IActionResult? Problem(params (string Field, string? Value, FieldRule Rule, bool Required)[] values)
    {
        var errors = new FieldErrors();
        foreach (var (field, value, rule, required) in values)
        {
            errors.Check(field, value, rule, required);
        }

        return errors.Any ? errors.ToProblem() : null;
    }

    /// <summary>Checks one required route or query value; the 400 naming it, or null when it passes.</summary>
    public static IActionResult? Problem(string field, string? value, FieldRule rule) => Problem((field, value, rule, true));
}

/// <summary>What kind of check a <see cref="FieldCheck"/> was.</summary>
internal enum FieldCheckKind
{
    /// <summary>The field must be present (an object or a list entry).</summary>
    Present,

    /// <summary>A string value against a <see cref="FieldRule"/>.</summary>
    Rule,

    /// <summary>Dollars with at most two decimal places.</summary>
    Money,

    /// <summary>A whole number in a range.</summary>
    Count,

    /// <summary>A list with a number of entries in a range.</summary>
    List,
}

/// <summary>One check a validator made (never the value): the field by its JSON path, and the rule it was held to.</summary>
internal sealed record FieldCheck(string Field, FieldCheckKind Kind, bool Required)
{
    public FieldRule? Rule { get; init; }

    public decimal? Minimum { get; init; }

    public decimal? Maximum { get; init; }

    /// <summary>Money above (not from) <see cref="Minimum"/>.</summary>
    public bool MinimumExcluded { get; init; }
}
