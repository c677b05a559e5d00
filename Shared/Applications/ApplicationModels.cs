using System.Globalization;
using FlexFunctions.Shared.CustomerAuth;
using FlexFunctions.Shared.FlexShopper.Models;
using FlexFunctions.Shared.Http;
using FlexFunctions.Shared.InputRules;

namespace FlexFunctions.Shared.Applications;

/// <summary>Body of <c>POST v1/applications</c>. Carries SSN, date of birth and bank details: never logged.</summary>
public sealed class ApplicationInput : IValidatedInput
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

    /// <summary>The customer's device IP, forwarded to FlexShopper for fraud checks. Empty means not given.</summary>
    public string? CustomerIp { get; init => field = FieldRules.Given(value); }

    public void Validate(FieldErrors errors)
    {
        new AddressInput { Street1 = Street1, Street2 = Street2, City = City, Region = Region, PostalCode = PostalCode, Country = Country }.Validate(errors, string.Empty);
        errors.Check("mobilePhone", MobilePhone, FieldRules.Phone, required: false);
        if (errors.Check("dateOfBirth", DateOfBirth, FieldRules.Date)
            && DateOnly.ParseExact(DateOfBirth!, "yyyy-MM-dd", CultureInfo.InvariantCulture) > DateOnly.FromDateTime(DateTime.UtcNow).AddYears(-18))
        {
            errors.Add("dateOfBirth", "The applicant must be at least 18.");
        }

        errors.Check("ssn", Ssn, FieldRules.Ssn);
        if (errors.Required("employmentInformation", EmploymentInformation))
        {
            EmploymentInformation!.Validate(errors);
        }

        if (errors.Required("bankAccount", BankAccount))
        {
            BankAccount!.Validate(errors, "bankAccount.", "type");
        }

        errors.Check("driversLicenseNumber", DriversLicenseNumber, FieldRules.Code, required: false);
        errors.Check("driversLicenseState", DriversLicenseState, FieldRules.UsState, required: false);
        errors.Check("deviceFingerprint", DeviceFingerprint, FieldRules.Token, required: false);
        errors.Check("customerIp", CustomerIp, FieldRules.IpAddress, required: false);
        errors.Money("expectedPurchaseAmount", ExpectedPurchaseAmount, errors.Limits.MaxTotal, required: false, allowZero: true);
    }

    public ApplicationRequest ToRequest() => new()
    {
        Street1 = Street1!,
        Street2 = FieldRules.Given(Street2),
        City = City!,
        Region = Region!.ToUpperInvariant(),
        PostalCode = PostalCode!,
        Country = "US",
        MobilePhone = FieldRules.Given(MobilePhone) is { } phone ? FieldRules.Digits(phone) : null,
        DateOfBirth = DateOfBirth,
        Ssn = FieldRules.Digits(Ssn!),
        EmploymentInformation = EmploymentInformation!.ToModel(),
        BankAccount = new BankAccount(BankAccount!.Routing!, BankAccount.Account!, BankAccount.Type!),
        DriversLicenseNumber = FieldRules.Given(DriversLicenseNumber),
        DriversLicenseState = FieldRules.Given(DriversLicenseState)?.ToUpperInvariant(),
        DeviceFingerprint = FieldRules.Given(DeviceFingerprint),
        ExpectedPurchaseAmount = ExpectedPurchaseAmount,
        OptInMarketing = OptInMarketing,
    };

    public override string ToString() => "ApplicationInput(redacted)";
}

public sealed class EmploymentInput
{
    public string? PayFrequency { get; init; }
    public decimal? MonthlyIncome { get; init; }
    public string? Name { get; init; }
    public string? Phone { get; init; }
    public string? LastPayDate { get; init; }
    public string? NextPayDate { get; init; }

    /// <summary>A month's income no applicant reports more than; the bound keeps nonsense out of the decision.</summary>
    public const decimal MaxMonthlyIncome = 1_000_000m;

    public static readonly FieldRule Frequencies = FieldRules.OneOf("weekly", "biweekly", "semimonthly", "monthly");

    public void Validate(FieldErrors errors)
    {
        errors.Check("employmentInformation.payFrequency", PayFrequency?.ToLowerInvariant(), Frequencies);
        errors.Money("employmentInformation.monthlyIncome", MonthlyIncome, MaxMonthlyIncome);
        errors.Check("employmentInformation.name", Name, FieldRules.Text, required: false);
        errors.Check("employmentInformation.phone", Phone, FieldRules.Phone, required: false);
        errors.Check("employmentInformation.lastPayDate", LastPayDate, FieldRules.Date, required: false);
        errors.Check("employmentInformation.nextPayDate", NextPayDate, FieldRules.Date, required: false);
    }

    public EmploymentInformation ToModel() => new(PayFrequency!.ToLowerInvariant(), MonthlyIncome!.Value)
    {
        Name = FieldRules.Given(Name),
        Phone = FieldRules.Given(Phone) is { } phone ? FieldRules.Digits(phone) : null,
        LastPayDate = FieldRules.Given(LastPayDate),
        NextPayDate = FieldRules.Given(NextPayDate),
    };
}

/// <summary>A US bank account; its numbers are never logged.</summary>
public sealed class BankAccountInput
{
    public string? Routing { get; init; }
    public string? Account { get; init; }

    /// <summary><c>checking</c> or <c>savings</c> (named <c>accountType</c> in payment methods).</summary>
    public string? Type { get; init; }
    public string? AccountType { get; init; }

    public static readonly FieldRule AccountTypes = FieldRules.OneOf("checking", "savings");

    public void Validate(FieldErrors errors, string prefix, string typeField)
    {
        errors.Check(prefix + "routing", Routing, FieldRules.RoutingNumber);
        errors.Check(prefix + "account", Account, FieldRules.BankAccount);
        errors.Check(prefix + typeField, typeField == "type" ? Type : AccountType, AccountTypes);
    }

    public override string ToString() => "BankAccountInput(redacted)";
}

/// <summary>Body of <c>POST v1/applications/answers</c>.</summary>
public sealed class AnswersInput : IValidatedInput
{
    public string? Id { get; init; }
    public IReadOnlyList<AnswerInput?>? Answers { get; init; }

    /// <summary>More answers than any identity quiz asks.</summary>
    public const int MaxAnswers = 20;

    public void Validate(FieldErrors errors)
    {
        errors.Check("id", Id, FieldRules.Identifier);
        if (!errors.List("answers", Answers, 1, MaxAnswers))
        {
            return;
        }

        for (var i = 0; i < Answers!.Count; i++)
        {
            var prefix = string.Create(CultureInfo.InvariantCulture, $"answers[{i}].");
            errors.Check(prefix + "questionId", Answers[i]?.QuestionId, FieldRules.Identifier);
            errors.Check(prefix + "choiceId", Answers[i]?.ChoiceId, FieldRules.Identifier);
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
public sealed class PaymentMethodInput : IValidatedInput
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
            errors.Check("card.cardType", card.CardType, FieldRules.Code);
            errors.Check("card.token", card.Token, FieldRules.Token);
            errors.Check("card.billingZip", card.BillingZip, FieldRules.Zip);
            errors.Check("card.lastFour", card.LastFour, FieldRules.CardLastFour, required: false);
            errors.Check("card.firstSix", card.FirstSix, FieldRules.CardFirstSix, required: false);
            errors.Check("card.expirationDate", card.ExpirationDate, FieldRules.CardExpiry, required: false);
        }

        errors.Check("label", Label, FieldRules.Text, required: false);
    }

    public AddPaymentMethodRequest ToRequest() => new()
    {
        Primary = Primary ?? false,
        Label = FieldRules.Given(Label),
        Ach = Ach is null ? null : new AchAccount(Ach.Routing!, Ach.Account!, Ach.AccountType!),
        Token = Card is null ? null : new CardToken(Card.CardType!, Card.Token!, Card.BillingZip!)
        {
            ExpirationDate = FieldRules.Given(Card.ExpirationDate),
            LastFour = FieldRules.Given(Card.LastFour),
            FirstSix = FieldRules.Given(Card.FirstSix),
        },
    };

    public override string ToString() => "PaymentMethodInput(redacted)";
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
