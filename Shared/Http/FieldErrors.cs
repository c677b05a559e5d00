using System.Globalization;
using System.Net.Mail;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc;

namespace FlexFunctions.Shared.Http;

/// <summary>An input that checks itself after parsing, so bad input is answered with a 400 before any upstream call.</summary>
public interface IValidatedInput
{
    void Validate(FieldErrors errors);
}

/// <summary>Collects every bad field of a request (never its value) for one 400 problem document.</summary>
public sealed partial class FieldErrors
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

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
        if (!string.IsNullOrWhiteSpace(value))
        {
            return true;
        }

        Add(field, "This field is required.");
        return false;
    }

    public bool Required<T>(string field, T? value)
        where T : class
    {
        if (value is not null)
        {
            return true;
        }

        Add(field, "This field is required.");
        return false;
    }

    public void Matches(string field, string? value, Regex pattern, string message, bool required = true)
    {
        if (value is null && !required)
        {
            return;
        }

        if (required && !Required(field, value))
        {
            return;
        }

        if (!pattern.IsMatch(value!))
        {
            Add(field, message);
        }
    }

    public void Email(string field, string? value)
    {
        if (Required(field, value) && !IsEmail(value!))
        {
            Add(field, "Must be an email address such as name@example.com.");
        }
    }

    public void IpAddress(string field, string? value, bool required)
    {
        if (value is null && !required)
        {
            return;
        }

        if (Required(field, value) && !System.Net.IPAddress.TryParse(value, out _))
        {
            Add(field, "Must be an IPv4 or IPv6 address.");
        }
    }

    public void Date(string field, string? value, bool required)
    {
        if (value is null && !required)
        {
            return;
        }

        if (Required(field, value) && !DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
        {
            Add(field, "Must be a date as YYYY-MM-DD.");
        }
    }

    public static bool IsEmail(string value) =>
        value.Length <= 254 && MailAddress.TryCreate(value, out var address) && address.Address == value && EmailDomain().IsMatch(address.Host);

    public IActionResult ToProblem() =>
        Problems.Validation(_errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal));

    [GeneratedRegex(@"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")]
    private static partial Regex EmailDomain();
}
