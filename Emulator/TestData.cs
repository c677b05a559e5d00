using System.Globalization;

namespace FlexShopper.Emulator;

internal enum ApplicationOutcome
{
    Approved,
    Declined,
    NeedsVerification,
}

/// <summary>
/// The documented test data that chooses each outcome (see Emulator/README.md). Deterministic, so a test or a
/// developer clicking through gets the same answer every time.
/// </summary>
internal static class TestData
{
    public const int TermWeeks = 52;
    public const decimal CostOfRentalFactor = 1.8m;

    /// <summary>Leases whose transactionId starts with this answer 402 PaymentRequired on signing.</summary>
    public const string PaymentRequiredPrefix = "payment-required";

    /// <summary>SSN ending 0, or monthly income under $1,000: declined. SSN ending 9: identity verification (KBA). Else approved.</summary>
    public static ApplicationOutcome OutcomeFor(string ssn, decimal monthlyIncome) => ssn[^1] switch
    {
        '0' => ApplicationOutcome.Declined,
        _ when monthlyIncome < 1000m => ApplicationOutcome.Declined,
        '9' => ApplicationOutcome.NeedsVerification,
        _ => ApplicationOutcome.Approved,
    };

    /// <summary>Half the monthly income, rounded down to $10, between $300 and $3,000.</summary>
    public static decimal SpendingLimitFor(decimal monthlyIncome) =>
        Math.Clamp(Math.Floor(monthlyIncome / 2m / 10m) * 10m, 300m, 3000m);

    public static readonly List<QuestionData> KbaQuestions =
    [
        new("q1", "Which of these streets have you lived on?", [new("q1-a", "Ocean Drive"), new("q1-b", "Maple Avenue"), new("q1-c", "None of the above")]),
        new("q2", "Which team nickname is associated with a college you attended?", [new("q2-a", "Gators"), new("q2-b", "Owls"), new("q2-c", "None of the above")]),
        new("q3", "In which county have you owned property?", [new("q3-a", "Broward"), new("q3-b", "Orange"), new("q3-c", "None of the above")]),
    ];

    /// <summary>The right choice for each question.</summary>
    public static readonly IReadOnlyDictionary<string, string> KbaAnswers = new Dictionary<string, string>
    {
        ["q1"] = "q1-b",
        ["q2"] = "q2-a",
        ["q3"] = "q3-c",
    };

    /// <summary>
    /// Checksum-valid routing numbers FlexShopper's own UI refuses (FlexShopper/qa-regression, BankingInfoScreen.feature).
    /// </summary>
    public static readonly IReadOnlySet<string> RefusedBanks = new HashSet<string>(StringComparer.Ordinal) { "000000000", "084009519" };

    /// <summary>FlexShopper's words for a refused bank.</summary>
    public const string RefusedBankMessage = "We do not accept this bank. Please try a different bank.";

    /// <summary>Banks FlexShopper's UI names for a routing number; any other accepted number gets an emulator name.</summary>
    private static readonly IReadOnlyDictionary<string, string> NamedBanks = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["325070760"] = "JPMorgan Chase",
    };

    public static string BankNameFor(string routing) => NamedBanks.TryGetValue(routing, out var name) ? name : "Emulator Bank " + routing[..4];

    private static readonly string[] Kinds = ["Television", "Laptop", "Sofa", "Refrigerator", "Smartphone", "Mattress", "Washer", "Gaming console"];

    public static ProductData Product(int n)
    {
        var sku = "EMU-" + n.ToString("D5", CultureInfo.InvariantCulture);
        var name = $"{Kinds[(n - 1) % Kinds.Length]} model {n.ToString(CultureInfo.InvariantCulture)}";
        return new ProductData(sku, name, "https://www.flexshopper.com/product/" + sku.ToLowerInvariant());
    }
}
