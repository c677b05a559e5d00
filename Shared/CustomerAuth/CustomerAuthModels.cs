using FlexFunctions.Shared.FlexShopper.Models;
using FlexFunctions.Shared.Http;
using FlexFunctions.Shared.InputRules;
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
        errors.Check("email", Email, FieldRules.Email);
        errors.Check("phone", Phone, FieldRules.Phone);
        if (errors.Required("address", Address))
        {
            Address!.Validate(errors, "address.");
        }
    }

    public DeepUserExistsRequest ToRequest() =>
        new(Email!, FieldRules.Digits(Phone!), Address!.ToPostal());
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

    /// <summary>Checks each part; <paramref name="withCountry"/> is false where the contract has no country (the hosted checkout's customer).</summary>
    public void Validate(FieldErrors errors, string prefix, bool withCountry = true)
    {
        errors.Check(prefix + "street1", Street1, FieldRules.Text);
        errors.Check(prefix + "street2", Street2, FieldRules.Text, required: false);
        errors.Check(prefix + "city", City, FieldRules.Text);
        errors.Check(prefix + "region", Region, FieldRules.UsState);
        errors.Check(prefix + "postalCode", PostalCode, FieldRules.Zip);
        if (withCountry)
        {
            errors.Check(prefix + "country", Country, FieldRules.Country, required: false);
        }
    }

    public PostalAddress ToPostal() => new(Street1!, City!, Region!.ToUpperInvariant(), PostalCode!, "US") { Street2 = FieldRules.Given(Street2) };
}

/// <summary>Body of <c>POST v1/customers</c>.</summary>
public sealed class CreateCustomerInput : IValidatedInput
{
    public static readonly FieldRule Locales = FieldRules.OneOf("en", "es");

    public string? FirstName { get; init; }
    public string? LastName { get; init; }
    public string? Email { get; init; }
    public string? Locale { get; init; }

    public void Validate(FieldErrors errors)
    {
        errors.Check("firstName", FirstName, FieldRules.Text);
        errors.Check("lastName", LastName, FieldRules.Text);
        errors.Check("email", Email, FieldRules.Email);
        errors.Check("locale", Locale, Locales, required: false);
    }
}

/// <summary>Body of <c>POST v1/customers/{userId}/passcode</c>.</summary>
public sealed class PasscodeRequestInput : IValidatedInput
{
    public static readonly FieldRule Transports = FieldRules.OneOf("sms", "email", "all");

    public string? Transport { get; init; }

    /// <summary>The shopper's IP as the store saw it; when given, the per-IP abuse limit applies too. Empty means not given.</summary>
    [ClientIp]
    public string? CustomerIp { get; init => field = FieldRules.Given(value); }

    public PasscodeTransport ParsedTransport => Transport switch
    {
        "sms" => PasscodeTransport.Sms,
        "email" => PasscodeTransport.Email,
        _ => PasscodeTransport.All,
    };

    public void Validate(FieldErrors errors)
    {
        errors.Check("customerIp", CustomerIp, FieldRules.IpAddress, required: false);
        errors.Check("transport", Transport, Transports);
    }
}

/// <summary>Body of <c>POST v1/customers/{userId}/login</c>. Held only for the one upstream call.</summary>
public sealed class LoginInput : IValidatedInput
{
    [Passcode]
    public string? Passcode { get; init; }

    /// <summary>The shopper's IP as the store saw it; when given, the per-IP abuse limit applies too. Empty means not given.</summary>
    [ClientIp]
    public string? CustomerIp { get; init => field = FieldRules.Given(value); }

    public void Validate(FieldErrors errors)
    {
        errors.Check("passcode", Passcode, FieldRules.Passcode);
        errors.Check("customerIp", CustomerIp, FieldRules.IpAddress, required: false);
    }

    // Stryker disable once String : either text hides the passcode, which is all this override is for
    public override string ToString() => "LoginInput(redacted)";
}

public sealed record LookupResult(bool Exists, string? UserId);

/// <summary>What a store gets after login or sign-up: the sealed session to send back in <c>X-Customer-Session</c>.</summary>
public sealed record SessionResult(string UserId, string Session, DateTimeOffset ExpiresAt)
{
    public override string ToString() => $"SessionResult(UserId={UserId})";
}

public sealed record PasscodeSent(string UserId, string Transport);
