using System.Globalization;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace FlexFunctions.Shared.InputRules;

/// <summary>
/// The one rule set for every value a store, an attacker or the warehouse can send: HTTP bodies, route values,
/// query strings and queue messages all use these. Every shape is spelt with ASCII classes (<c>[0-9]</c>, never
/// <c>\d</c>, which matches any Unicode digit) and anchored with <c>\z</c> (never <c>$</c>, which matches before a
/// final newline). Anything that becomes part of an upstream path or a Table key is an <see cref="Identifier"/>:
/// no <c>/</c>, <c>\</c>, <c>%</c>, control character or whitespace, and dots only between other characters, so
/// <c>.</c> and <c>..</c> segments cannot be formed.
/// </summary>
public static partial class FieldRules
{
    /// <summary>The one length for identifiers we or the store choose (transaction ids, user ids, references, SKUs).</summary>
    public const int MaxIdentifierLength = 128;

    /// <summary>
    /// FlexShopper mints lease ids and documents them as JWT-like (dot-separated base64url); a signed JWT easily
    /// passes 128 characters, so they get the identifier alphabet with a longer bound.
    /// </summary>
    public const int MaxLeaseIdLength = 2048;

    /// <summary>Names, streets, cities, brands, descriptions, labels.</summary>
    public const int MaxTextLength = 256;

    /// <summary>Opaque values passed through (card tokens, device fingerprints).</summary>
    public const int MaxTokenLength = 4096;

    private const string IdentifierShape = "[A-Za-z0-9_-]+(?:\\.[A-Za-z0-9_-]+)*";
    private const string CodeShape = "[!-~](?:[ -~]*[!-~])?";
    private const string TokenShape = "[!-~]+";
    private const string Base64UrlShape = "[A-Za-z0-9_-]+";
    private const string EmailShape = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z]{2,63}";
    private const string PhoneShape = "\\(?[2-9][0-9]{2}\\)?[-. ]?[2-9][0-9]{2}[-. ]?[0-9]{4}";
    private const string ZipShape = "[0-9]{5}(?:-[0-9]{4})?";
    private const string StateShape = "[A-Za-z]{2}";
    private const string CountryShape = "[Uu][Ss][Aa]?";
    private const string SsnShape = "[0-9]{3}-[0-9]{2}-[0-9]{4}|[0-9]{9}";
    private const string PasscodeShape = "[0-9]{4,10}";
    private const string BankAccountShape = "[0-9]{4,17}";
    private const string RoutingShape = "[0-9]{9}";
    private const string LastFourShape = "[0-9]{4}";
    private const string FirstSixShape = "[0-9]{6}";
    private const string ExpiryShape = "(?:0[1-9]|1[0-2])/(?:[0-9]{2}|[0-9]{4})";
    private const string GtinShape = "[0-9]{8}|[0-9]{12,14}";
    private const string DateShape = "[0-9]{4}-[0-9]{2}-[0-9]{2}";
    private const string Ipv4Shape = "(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])";
    private const string Ipv6Chars = "[0-9A-Fa-f:.]+";
    private const string HttpUrlShape = "[Hh][Tt][Tt][Pp][Ss]?://[!-~]+";
    private const string Sha256Shape = "[0-9a-f]{64}";

    private static readonly HashSet<string> States = new(
    [
        "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY", "LA", "ME",
        "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI",
        "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "AS", "GU", "MP", "PR", "VI", "AA", "AE", "AP",
    ], StringComparer.OrdinalIgnoreCase);

    /// <summary>Transaction ids, user ids, KBA ids, warehouse references, order ids.</summary>
    public static readonly FieldRule Identifier = new(
        $"1 to {MaxIdentifierLength} ASCII letters, digits, '-' or '_', with single dots only between them",
        MaxIdentifierLength, IdentifierRegex(), Ecma(IdentifierShape));

    /// <summary>FlexShopper's lease id: the identifier alphabet, up to <see cref="MaxLeaseIdLength"/>.</summary>
    public static readonly FieldRule LeaseId = new(
        $"a lease id: 1 to {MaxLeaseIdLength} ASCII letters, digits, '-' or '_', with single dots only between them",
        MaxLeaseIdLength, IdentifierRegex(), Ecma(IdentifierShape));

    /// <summary>
    /// SKUs, MPNs, product ids, coupon codes, carriers, tracking and licence numbers: printable ASCII, as product
    /// codes are, with inner spaces allowed. They travel in bodies and as escaped Table keys, never as a path.
    /// </summary>
    public static readonly FieldRule Code = new(
        $"1 to {MaxIdentifierLength} printable ASCII characters, without spaces at either end and not only dots",
        MaxIdentifierLength, CodeRegex(), Ecma(CodeShape), v => v.Trim('.').Length > 0);

    /// <summary>Free text in any script: no control characters or line breaks, no broken UTF-16, not blank.</summary>
    public static readonly FieldRule Text = new(
        $"1 to {MaxTextLength} characters of text, without control characters or line breaks",
        MaxTextLength, null, "^[^\\u0000-\\u001F\\u007F-\\u009F\\u2028\\u2029]*$", IsText);

    /// <summary>Opaque printable-ASCII tokens we only pass through (card tokens, device fingerprints).</summary>
    public static readonly FieldRule Token = new(
        $"1 to {MaxTokenLength} printable ASCII characters without spaces",
        MaxTokenLength, TokenRegex(), Ecma(TokenShape));

    /// <summary>A token we issued ourselves in base64url (the catalog's continuation).</summary>
    public static readonly FieldRule Base64UrlToken = new(
        "a value this API issued (base64url, at most 2048 characters)", 2048, Base64UrlRegex(), Ecma(Base64UrlShape));

    public static readonly FieldRule Email = new(
        "an email address such as name@example.com (ASCII, at most 254 characters)", 254, EmailRegex(), Ecma(EmailShape),
        v => v.IndexOf('@', StringComparison.Ordinal) <= 64);

    public static readonly FieldRule Phone = new(
        "a 10-digit US phone number", 14, PhoneRegex(), Ecma(PhoneShape));

    public static readonly FieldRule Zip = new(
        "a US ZIP code (12345 or 12345-6789)", 10, ZipRegex(), Ecma(ZipShape), v => !v.StartsWith("00000", StringComparison.Ordinal));

    public static readonly FieldRule UsState = new(
        "a two-letter US state or territory code", 2, StateRegex(), Ecma(StateShape), v => States.Contains(v));

    public static readonly FieldRule Country = new(
        "US (only US is supported)", 3, CountryRegex(), Ecma(CountryShape));

    /// <summary>9 digits (dashed or not) that the SSA can issue: area not 000, 666 or 9xx; group not 00; serial not 0000.</summary>
    public static readonly FieldRule Ssn = new(
        "a Social Security number: 9 digits, dashed as 123-45-6789 or not, that can be issued", 11, SsnRegex(), Ecma(SsnShape), IsIssuableSsn);

    public static readonly FieldRule Passcode = new(
        "the 4 to 10 digit passcode the customer received", 10, PasscodeRegex(), Ecma(PasscodeShape));

    public static readonly FieldRule BankAccount = new(
        "4 to 17 digits", 17, BankAccountRegex(), Ecma(BankAccountShape));

    /// <summary>9 digits whose weighted sum (3, 7, 1, ...) is a multiple of 10, and not all zeros.</summary>
    public static readonly FieldRule RoutingNumber = new(
        "a valid ABA routing number (9 digits with a valid checksum)", 9, RoutingRegex(), Ecma(RoutingShape), HasAbaChecksum);

    public static readonly FieldRule CardLastFour = new("4 digits", 4, LastFourRegex(), Ecma(LastFourShape));

    public static readonly FieldRule CardFirstSix = new("6 digits", 6, FirstSixRegex(), Ecma(FirstSixShape));

    public static readonly FieldRule CardExpiry = new("MM/YY or MM/YYYY", 7, ExpiryRegex(), Ecma(ExpiryShape));

    public static readonly FieldRule Gtin = new("a GTIN: 8, 12, 13 or 14 digits", 14, GtinRegex(), Ecma(GtinShape));

    /// <summary>A calendar date from 1900 to 2100.</summary>
    public static readonly FieldRule Date = new("a date as YYYY-MM-DD (1900 to 2100)", 10, DateRegex(), Ecma(DateShape), IsPlausibleDate);

    /// <summary>Dotted-quad IPv4 (no octal, hex or short forms) or IPv6 without a zone.</summary>
    public static readonly FieldRule IpAddress = new("an IPv4 or IPv6 address", 45, null, null, IsIpAddress);

    public static readonly FieldRule HttpUrl = new(
        "an absolute http(s) URL of printable ASCII (at most 2048 characters)", 2048, HttpUrlRegex(), Ecma(HttpUrlShape),
        v => Uri.TryCreate(v, UriKind.Absolute, out var uri) && uri!.Scheme is "http" or "https" && uri.Host.Length > 0);

    /// <summary>A lower-case hex SHA-256, as the failed-events table keys its rows.</summary>
    public static readonly FieldRule Sha256Hex = new("64 lower-case hex digits", 64, Sha256Regex(), Ecma(Sha256Shape));

    /// <summary>A rule for a fixed set of words, compared exactly (ordinal).</summary>
    public static FieldRule OneOf(params string[] allowed)
    {
        var set = allowed.ToHashSet(StringComparer.Ordinal);
        return new FieldRule("one of: " + string.Join(", ", allowed), allowed.Max(a => a.Length), null, null, set.Contains) { Allowed = allowed };
    }

    /// <summary>Null for an absent, empty or all-spaces optional value, so nothing empty is forwarded.</summary>
    public static string? Given(string? value) => value is null || value.All(c => c == ' ') ? null : value;

    /// <summary>The ASCII digits of a value that passed its rule (a phone or SSN without its dashes).</summary>
    public static string Digits(string value) => new(value.Where(char.IsAsciiDigit).ToArray());

    private static string Ecma(string shape) => "^(?:" + shape + ")$";

    private static bool IsText(string value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return false;
        }

        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsControl(c) || c is '\u2028' or '\u2029')
            {
                return false;
            }

            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                return false; // half a character: cannot be encoded as UTF-8 for FlexShopper
            }
        }

        return true;
    }

    private static bool IsIssuableSsn(string value)
    {
        var digits = Digits(value);
        return digits[..3] is not ("000" or "666") && digits[0] != '9' && digits[3..5] != "00" && digits[5..] != "0000";
    }

    private static bool HasAbaChecksum(string routing)
    {
        ReadOnlySpan<int> weights = [3, 7, 1, 3, 7, 1, 3, 7, 1];
        var sum = 0;
        for (var i = 0; i < 9; i++)
        {
            sum += (routing[i] - '0') * weights[i];
        }

        // All zeros passes the arithmetic but is no bank.
        return sum % 10 == 0 && sum != 0;
    }

    private static bool IsPlausibleDate(string value) =>
        DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date) && date.Year is >= 1900 and <= 2100;

    private static bool IsIpAddress(string value)
    {
        if (Ipv4Regex().IsMatch(value))
        {
            return true;
        }

        // Only hex digits, colons and dots: no zone ('%eth0'), brackets or spaces.
        return value.Contains(':', StringComparison.Ordinal) && Ipv6CharsRegex().IsMatch(value)
            && System.Net.IPAddress.TryParse(value, out var address) && address.AddressFamily == AddressFamily.InterNetworkV6;
    }

    [GeneratedRegex("^(?:" + IdentifierShape + ")\\z", RegexOptions.CultureInvariant)]
    private static partial Regex IdentifierRegex();

    [GeneratedRegex("^(?:" + CodeShape + ")\\z", RegexOptions.CultureInvariant)]
    private static partial Regex CodeRegex();

    [GeneratedRegex("^(?:" + TokenShape + ")\\z", RegexOptions.CultureInvariant)]
    private static partial Regex TokenRegex();

    [GeneratedRegex("^(?:" + Base64UrlShape + ")\\z", RegexOptions.CultureInvariant)]
    private static partial Regex Base64UrlRegex();

    [GeneratedRegex("^(?:" + EmailShape + ")\\z", RegexOptions.CultureInvariant)]
    private static partial Regex EmailRegex();

    [GeneratedRegex("^(?:" + PhoneShape + ")\\z", RegexOptions.CultureInvariant)]
    private static partial Regex PhoneRegex();

    [GeneratedRegex("^(?:" + ZipShape + ")\\z", RegexOptions.CultureInvariant)]
    private static partial Regex ZipRegex();

    [GeneratedRegex("^(?:" + StateShape + ")\\z", RegexOptions.CultureInvariant)]
    private static partial Regex StateRegex();

    [GeneratedRegex("^(?:" + CountryShape + ")\\z", RegexOptions.CultureInvariant)]
    private static partial Regex CountryRegex();

    [GeneratedRegex("^(?:" + SsnShape + ")\\z", RegexOptions.CultureInvariant)]
    private static partial Regex SsnRegex();

    [GeneratedRegex("^(?:" + PasscodeShape + ")\\z", RegexOptions.CultureInvariant)]
    private static partial Regex PasscodeRegex();

    [GeneratedRegex("^(?:" + BankAccountShape + ")\\z", RegexOptions.CultureInvariant)]
    private static partial Regex BankAccountRegex();

    [GeneratedRegex("^(?:" + RoutingShape + ")\\z", RegexOptions.CultureInvariant)]
    private static partial Regex RoutingRegex();

    [GeneratedRegex("^(?:" + LastFourShape + ")\\z", RegexOptions.CultureInvariant)]
    private static partial Regex LastFourRegex();

    [GeneratedRegex("^(?:" + FirstSixShape + ")\\z", RegexOptions.CultureInvariant)]
    private static partial Regex FirstSixRegex();

    [GeneratedRegex("^(?:" + ExpiryShape + ")\\z", RegexOptions.CultureInvariant)]
    private static partial Regex ExpiryRegex();

    [GeneratedRegex("^(?:" + GtinShape + ")\\z", RegexOptions.CultureInvariant)]
    private static partial Regex GtinRegex();

    [GeneratedRegex("^(?:" + DateShape + ")\\z", RegexOptions.CultureInvariant)]
    private static partial Regex DateRegex();

    [GeneratedRegex("^(?:" + Ipv4Shape + ")\\z", RegexOptions.CultureInvariant)]
    private static partial Regex Ipv4Regex();

    [GeneratedRegex("^(?:" + Ipv6Chars + ")\\z", RegexOptions.CultureInvariant)]
    private static partial Regex Ipv6CharsRegex();

    [GeneratedRegex("^(?:" + HttpUrlShape + ")\\z", RegexOptions.CultureInvariant)]
    private static partial Regex HttpUrlRegex();

    [GeneratedRegex("^(?:" + Sha256Shape + ")\\z", RegexOptions.CultureInvariant)]
    private static partial Regex Sha256Regex();
}
