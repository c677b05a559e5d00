using System.Text.Json.Serialization;

namespace FlexFunctions.Shared.FlexShopper.Models;

/// <summary>Body of Initiate Application. Carries SSN, date of birth and bank details: never log it.</summary>
public sealed record ApplicationRequest
{
    public required string Street1 { get; init; }
    public string? Street2 { get; init; }
    public required string City { get; init; }
    /// <summary>Two-letter state code; the API names this field <c>regionAbbr</c> (unlike Checkout's <c>region</c>).</summary>
    [JsonPropertyName("regionAbbr")]
    public required string Region { get; init; }
    public required string PostalCode { get; init; }
    public required string Country { get; init; }
    public string? MobilePhone { get; init; }

    /// <summary><c>YYYY-MM-DD</c>.</summary>
    public string? DateOfBirth { get; init; }
    public string? Ssn { get; init; }
    public required EmploymentInformation EmploymentInformation { get; init; }
    public required BankAccount BankAccount { get; init; }
    public string? Gender { get; init; }
    public string? DriversLicenseNumber { get; init; }
    public string? DriversLicenseState { get; init; }
    public string? DeviceFingerprint { get; init; }
    public decimal? ExpectedPurchaseAmount { get; init; }
    public bool? OptInMarketing { get; init; }

    public override string ToString() => "ApplicationRequest(redacted)";
}

public sealed record EmploymentInformation(string PayFrequency, decimal MonthlyIncome)
{
    public string? Name { get; init; }
    public string? Phone { get; init; }
    public string? LastPayDate { get; init; }

    /// <summary>Sent under the name the newest page gives it: <see cref="FlexShopperPaths.NextPayDateField"/>.</summary>
    [JsonPropertyName(FlexShopperPaths.NextPayDateField)]
    public string? NextPayDate { get; init; }
}

public sealed record BankAccount(string Routing, string Account, string Type)
{
    public override string ToString() => "BankAccount(redacted)";
}

public sealed record VerificationQuestions(string Id, IReadOnlyList<VerificationQuestion> Questions);

public sealed record VerificationQuestion(string Id, string Label, IReadOnlyList<VerificationChoice> Choices);

public sealed record VerificationChoice(string Id, string Label);

/// <summary>Body of Verify Answers. [INF] shape: its field names are in <see cref="FlexShopperPaths"/>.</summary>
public sealed record VerifyAnswersRequest(
    [property: JsonPropertyName(FlexShopperPaths.VerifyAnswersSetIdField)] string Id,
    [property: JsonPropertyName(FlexShopperPaths.VerifyAnswersListField)] IReadOnlyList<VerificationAnswer> Answers);

public sealed record VerificationAnswer(
    [property: JsonPropertyName(FlexShopperPaths.VerifyAnswerQuestionField)] string QuestionId,
    [property: JsonPropertyName(FlexShopperPaths.VerifyAnswerChoiceField)] string ChoiceId);

/// <summary>What FlexShopper says of a routing number. [INF] shape: its field names are in <see cref="FlexShopperPaths"/>.</summary>
public sealed record RoutingNumberInfo
{
    [JsonRequired]
    [JsonPropertyName(FlexShopperPaths.RoutingNumberValidField)]
    public bool Valid { get; init; }

    [JsonPropertyName(FlexShopperPaths.RoutingNumberBankNameField)]
    public string? BankName { get; init; }
}
