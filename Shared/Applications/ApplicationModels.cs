using System.Globalization;
using System.Text.RegularExpressions;
using FlexFunctions.Shared.CustomerAuth;
using FlexFunctions.Shared.FlexShopper.Models;
using FlexFunctions.Shared.Http;

namespace FlexFunctions.Shared.Applications;

/// <summary>Body of <c>POST v1/applications</c>. Carries SSN, date of birth and bank details: never logged.</summary>
public sealed partial class ApplicationInput : IValidatedInput
{
    public string? Street1 { get; init; }
    public string? Street2 { get; init; }
    public string? City { get; init; }
    public string? Region { get; init; }
    public string? PostalCode { get; init; }
    public string? Country { get; init; }
    public string? MobilePhone { get; init; }
    public string? DateOfBirth { get; init; }
    public string? Ssn { get; init; }
    public EmploymentInput? EmploymentInformation { get; init; }
    public BankAccountInput? BankAccount { get; init; }
    public string? DriversLicenseNumber { get; init; }
    public string? DriversLicenseState { get; init; }
    public string? DeviceFingerprint { get; init; }
    public decimal? ExpectedPurchaseAmount { get; init; }
    public bool? OptInMarketing { get; init; }

    /// <summary>The customer's device IP, forwarded to FlexShopper for fraud checks.</summary>
    public string? CustomerIp { get; init; }

    public void Validate(FieldErrors errors)
    {
        new AddressInput { Street1 = Street1, City = City, Region = Region, PostalCode = PostalCode, Country = Country }.Validate(errors, string.Empty);
        errors.Matches("mobilePhone", MobilePhone, InputPatterns.Phone(), "Must be a 10-digit US phone number.", required: false);
        if (errors.Required("dateOfBirth", DateOfBirth))
        {
            if (!DateOnly.TryParseExact(DateOfBirth, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var dob))
            {
                errors.Add("dateOfBirth", "Must be a date as YYYY-MM-DD.");
            }
            else if (dob > DateOnly.FromDateTime(DateTime.UtcNow).AddYears(-18) || dob.Year < 1900)
            {
                errors.Add("dateOfBirth", "The applicant must be at least 18.");
            }
        }

        errors.Matches("ssn", Ssn, SsnPattern(), "Must be 9 digits (dashes allowed).");
        if (errors.Required("employmentInformation", EmploymentInformation))
        {
            EmploymentInformation!.Validate(errors);
        }

        if (errors.Required("bankAccount", BankAccount))
        {
            BankAccount!.Validate(errors, "bankAccount.", "type");
        }

        errors.IpAddress("customerIp", CustomerIp, required: false);
        if (ExpectedPurchaseAmount is < 0)
        {
            errors.Add("expectedPurchaseAmount", "Must not be negative.");
        }
    }

    public ApplicationRequest ToRequest() => new()
    {
        Street1 = Street1!,
        Street2 = Street2,
        City = City!,
        Region = Region!.ToUpperInvariant(),
        PostalCode = PostalCode!,
        Country = "US",
        MobilePhone = MobilePhone is null ? null : InputPatterns.Digits(MobilePhone),
        DateOfBirth = DateOfBirth,
        Ssn = InputPatterns.Digits(Ssn!),
        EmploymentInformation = EmploymentInformation!.ToModel(),
        BankAccount = new BankAccount(BankAccount!.Routing!, BankAccount.Account!, BankAccount.Type!),
        DriversLicenseNumber = DriversLicenseNumber,
        DriversLicenseState = DriversLicenseState,
        DeviceFingerprint = DeviceFingerprint,
        ExpectedPurchaseAmount = ExpectedPurchaseAmount,
        OptInMarketing = OptInMarketing,
    };

    public override string ToString() => "ApplicationInput(redacted)";

    [GeneratedRegex(@"^\d{3}-?\d{2}-?\d{4}$")]
    private static partial Regex SsnPattern();
}

public sealed class EmploymentInput
{
    public string? PayFrequency { get; init; }
    public decimal? MonthlyIncome { get; init; }
    public string? Name { get; init; }
    public string? Phone { get; init; }
    public string? LastPayDate { get; init; }
    public string? NextPayDate { get; init; }

    private static readonly string[] Frequencies = ["weekly", "biweekly", "semimonthly", "monthly"];

    public void Validate(FieldErrors errors)
    {
        if (errors.Required("employmentInformation.payFrequency", PayFrequency) && !Frequencies.Contains(PayFrequency, StringComparer.OrdinalIgnoreCase))
        {
            errors.Add("employmentInformation.payFrequency", "Must be weekly, biweekly, semimonthly or monthly.");
        }

        if (MonthlyIncome is null)
        {
            errors.Add("employmentInformation.monthlyIncome", "This field is required.");
        }
        else if (MonthlyIncome <= 0)
        {
            errors.Add("employmentInformation.monthlyIncome", "Must be more than 0 dollars.");
        }

        errors.Date("employmentInformation.lastPayDate", LastPayDate, required: false);
        errors.Date("employmentInformation.nextPayDate", NextPayDate, required: false);
    }

    public EmploymentInformation ToModel() => new(PayFrequency!.ToLowerInvariant(), MonthlyIncome!.Value)
    {
        Name = Name,
        Phone = Phone,
        LastPayDate = LastPayDate,
        NextPayDate = NextPayDate,
    };
}

/// <summary>A US bank account; its numbers are never logged.</summary>
public sealed partial class BankAccountInput
{
    public string? Routing { get; init; }
    public string? Account { get; init; }

    /// <summary><c>checking</c> or <c>savings</c> (named <c>accountType</c> in payment methods).</summary>
    public string? Type { get; init; }
    public string? AccountType { get; init; }

    public void Validate(FieldErrors errors, string prefix, string typeField)
    {
        if (errors.Required(prefix + "routing", Routing) && !AbaRoutingNumber.IsValid(Routing))
        {
            errors.Add(prefix + "routing", "Not a valid ABA routing number (9 digits with a valid checksum).");
        }

        errors.Matches(prefix + "account", Account, AccountPattern(), "Must be 4 to 17 digits.");
        var type = typeField == "type" ? Type : AccountType;
        if (errors.Required(prefix + typeField, type) && type is not ("checking" or "savings"))
        {
            errors.Add(prefix + typeField, "Must be 'checking' or 'savings'.");
        }
    }

    public override string ToString() => "BankAccountInput(redacted)";

    [GeneratedRegex(@"^\d{4,17}$")]
    private static partial Regex AccountPattern();
}

/// <summary>Body of <c>POST v1/applications/answers</c>.</summary>
public sealed class AnswersInput : IValidatedInput
{
    public string? Id { get; init; }
    public IReadOnlyList<AnswerInput?>? Answers { get; init; }

    public void Validate(FieldErrors errors)
    {
        errors.Required("id", Id);
        if (!errors.Required("answers", Answers))
        {
            return;
        }

        if (Answers!.Count == 0)
        {
            errors.Add("answers", "Answer every question.");
        }

        for (var i = 0; i < Answers.Count; i++)
        {
            var prefix = string.Create(CultureInfo.InvariantCulture, $"answers[{i}].");
            errors.Required(prefix + "questionId", Answers[i]?.QuestionId);
            errors.Required(prefix + "choiceId", Answers[i]?.ChoiceId);
        }
    }

    public VerifyAnswersRequest ToRequest() => new(Id!, Answers!.Select(a => new VerificationAnswer(a!.QuestionId!, a.ChoiceId!)).ToList());
}

public sealed class AnswerInput
{
    public string? QuestionId { get; init; }
    public string? ChoiceId { get; init; }
}

/// <summary>Body of <c>POST v1/payment-methods</c>: exactly one of <see cref="Ach"/> or <see cref="Card"/>.</summary>
public sealed partial class PaymentMethodInput : IValidatedInput
{
    public bool? Primary { get; init; }
    public string? Label { get; init; }
    public BankAccountInput? Ach { get; init; }

    /// <summary>A card tokenized in the store's page with the LoanPaymentPro child key.</summary>
    public CardTokenInput? Card { get; init; }

    public void Validate(FieldErrors errors)
    {
        if ((Ach is null) == (Card is null))
        {
            errors.Add("ach", "Give exactly one of 'ach' or 'card'.");
            errors.Add("card", "Give exactly one of 'ach' or 'card'.");
            return;
        }

        Ach?.Validate(errors, "ach.", "accountType");
        if (Card is { } card)
        {
            errors.Required("card.cardType", card.CardType);
            errors.Required("card.token", card.Token);
            errors.Matches("card.billingZip", card.BillingZip, InputPatterns.Zip(), "Must be a US ZIP code.");
            errors.Matches("card.lastFour", card.LastFour, LastFourPattern(), "Must be 4 digits.", required: false);
            errors.Matches("card.expirationDate", card.ExpirationDate, ExpiryPattern(), "Must be MM/YY or MM/YYYY.", required: false);
        }
    }

    public AddPaymentMethodRequest ToRequest() => new()
    {
        Primary = Primary ?? false,
        Label = Label,
        Ach = Ach is null ? null : new AchAccount(Ach.Routing!, Ach.Account!, Ach.AccountType!),
        Token = Card is null ? null : new CardToken(Card.CardType!, Card.Token!, Card.BillingZip!)
        {
            ExpirationDate = Card.ExpirationDate,
            LastFour = Card.LastFour,
            FirstSix = Card.FirstSix,
        },
    };

    public override string ToString() => "PaymentMethodInput(redacted)";

    [GeneratedRegex(@"^\d{4}$")]
    private static partial Regex LastFourPattern();

    [GeneratedRegex(@"^(0[1-9]|1[0-2])/(\d{2}|\d{4})$")]
    private static partial Regex ExpiryPattern();
}

public sealed class CardTokenInput
{
    public string? CardType { get; init; }
    public string? Token { get; init; }
    public string? BillingZip { get; init; }
    public string? ExpirationDate { get; init; }
    public string? LastFour { get; init; }
    public string? FirstSix { get; init; }

    public override string ToString() => "CardTokenInput(redacted)";
}

public sealed record PaymentMethodAdded(bool Added, string Kind);

public sealed record ChildKeyResult(string ChildKey);
