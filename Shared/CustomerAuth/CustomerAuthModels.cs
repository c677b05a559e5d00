using System.Text.RegularExpressions;
using FlexFunctions.Shared.FlexShopper.Models;
using FlexFunctions.Shared.Http;
using FlexFunctions.Shared.Redaction;

namespace FlexFunctions.Shared.CustomerAuth;

/// <summary>Body of <c>POST v1/customers/verify</c>: the deep check by email, phone and address.</summary>
public sealed class DeepVerifyInput : IValidatedInput
{
    public string? Email { get; init; }
    public string? Phone { get; init; }
    public AddressInput? Address { get; init; }

    public void Validate(FieldErrors errors)
    {
        errors.Email("email", Email);
        errors.Matches("phone", Phone, InputPatterns.Phone(), "Must be a 10-digit US phone number.");
        if (errors.Required("address", Address))
        {
            Address!.Validate(errors, "address.");
        }
    }

    public DeepUserExistsRequest ToRequest() =>
        new(Email!, InputPatterns.Digits(Phone!), Address!.ToPostal());
}

/// <summary>A US postal address.</summary>
public sealed class AddressInput
{
    public string? Street1 { get; init; }
    public string? Street2 { get; init; }
    public string? City { get; init; }
    public string? Region { get; init; }
    public string? PostalCode { get; init; }
    public string? Country { get; init; }

    public void Validate(FieldErrors errors, string prefix)
    {
        errors.Required(prefix + "street1", Street1);
        errors.Required(prefix + "city", City);
        errors.Matches(prefix + "region", Region, InputPatterns.State(), "Must be a two-letter US state code.");
        errors.Matches(prefix + "postalCode", PostalCode, InputPatterns.Zip(), "Must be a US ZIP code (12345 or 12345-6789).");
        errors.Matches(prefix + "country", Country ?? "US", InputPatterns.Country(), "Only US is supported.");
    }

    public PostalAddress ToPostal() => new(Street1!, City!, Region!.ToUpperInvariant(), PostalCode!, Country ?? "US") { Street2 = Street2 };
}

/// <summary>Body of <c>POST v1/customers</c>.</summary>
public sealed class CreateCustomerInput : IValidatedInput
{
    public string? FirstName { get; init; }
    public string? LastName { get; init; }
    public string? Email { get; init; }
    public string? Locale { get; init; }

    public void Validate(FieldErrors errors)
    {
        errors.Required("firstName", FirstName);
        errors.Required("lastName", LastName);
        errors.Email("email", Email);
        if (Locale is not null and not "en" and not "es")
        {
            errors.Add("locale", "Must be 'en' or 'es'.");
        }
    }
}

/// <summary>Body of <c>POST v1/customers/{userId}/passcode</c>.</summary>
public sealed class PasscodeRequestInput : IValidatedInput
{
    public string? Transport { get; init; }

    /// <summary>The shopper's IP as the store saw it; when given, the per-IP abuse limit applies too.</summary>
    [ClientIp]
    public string? CustomerIp { get; init; }

    public PasscodeTransport ParsedTransport => Transport switch
    {
        "sms" => PasscodeTransport.Sms,
        "email" => PasscodeTransport.Email,
        _ => PasscodeTransport.All,
    };

    public void Validate(FieldErrors errors)
    {
        errors.IpAddress("customerIp", CustomerIp, required: false);
        if (errors.Required("transport", Transport) && Transport is not ("sms" or "email" or "all"))
        {
            errors.Add("transport", "Must be 'sms', 'email' or 'all'.");
        }
    }
}

/// <summary>Body of <c>POST v1/customers/{userId}/login</c>. Held only for the one upstream call.</summary>
public sealed class LoginInput : IValidatedInput
{
    [Passcode]
    public string? Passcode { get; init; }

    /// <summary>The shopper's IP as the store saw it; when given, the per-IP abuse limit applies too.</summary>
    [ClientIp]
    public string? CustomerIp { get; init; }

    public void Validate(FieldErrors errors)
    {
        errors.Matches("passcode", Passcode, InputPatterns.Passcode(), "Must be the 4 to 10 digit passcode the customer received.");
        errors.IpAddress("customerIp", CustomerIp, required: false);
    }

    public override string ToString() => "LoginInput(redacted)";
}

public sealed record LookupResult(bool Exists, string? UserId);

/// <summary>What a store gets after login or sign-up: the sealed session to send back in <c>X-Customer-Session</c>.</summary>
public sealed record SessionResult(string UserId, string Session, DateTimeOffset ExpiresAt)
{
    public override string ToString() => $"SessionResult(UserId={UserId})";
}

public sealed record PasscodeSent(string UserId, string Transport);

/// <summary>Patterns shared by every input check.</summary>
public static partial class InputPatterns
{
    [GeneratedRegex(@"^\(?\d{3}\)?[-. ]?\d{3}[-. ]?\d{4}$")]
    public static partial Regex Phone();

    [GeneratedRegex("^[A-Za-z]{2}$")]
    public static partial Regex State();

    [GeneratedRegex(@"^\d{5}(-\d{4})?$")]
    public static partial Regex Zip();

    [GeneratedRegex("^(US|USA)$", RegexOptions.IgnoreCase)]
    public static partial Regex Country();

    [GeneratedRegex(@"^\d{4,10}$")]
    public static partial Regex Passcode();

    /// <summary>FlexShopper user ids are opaque; this keeps path segments to safe characters.</summary>
    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    public static partial Regex Id();

    public static string Digits(string value) => new(value.Where(char.IsAsciiDigit).ToArray());
}
