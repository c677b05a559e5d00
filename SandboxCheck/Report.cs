using System.Globalization;

namespace FlexFunctions.SandboxCheck;

internal enum Verdict
{
    Held,
    Refuted,
    CouldNotCheck,
}

/// <summary>One assumption the app makes about FlexShopper: its id, where it comes from, and what it says.</summary>
/// <param name="Id">The client operation or the FlexShopperPaths line it is about; docs/flexshopper-api.md maps each to its line.</param>
/// <param name="Source"><c>[INF]</c> (no public source confirms it) or <c>[docs]</c> (only the docs do).</param>
/// <param name="Claim">What the app assumes, in a few words.</param>
internal sealed record Assumption(string Id, string Source, string Claim);

/// <summary>
/// One line per assumption, in a fixed order: <c>held</c>, <c>refuted</c> or <c>could not check</c>, then the id and
/// what FlexShopper answered. Every line passes through <see cref="Clean"/>: no key, token, SSN, account number or
/// date of birth is ever printed, and the run's own ids print as their names.
/// </summary>
internal sealed class Report
{
    private readonly Dictionary<string, (Verdict Verdict, string Detail)> _findings = new(StringComparer.Ordinal);
    private readonly List<string> _secrets = [];
    private readonly List<(string Value, string Name)> _names = [];

    public Report(IEnumerable<string> secrets) => _secrets.AddRange(secrets.Where(s => s.Length > 0));

    public static IReadOnlyList<Assumption> All { get; } =
    [
        new("CreateUser", "[docs]", "POST users creates a user and answers data.userId and data.token"),
        new("UserExists", "[docs]", "GET user-exists?email= finds that user"),
        new("ListUsers", "[docs]", "GET users?page=&limit= answers data.users[] and data.meta"),
        new("GetMe", "[docs]", "GET users/me with the Customer-Token answers that user"),
        new("SendPasscode", "[docs]", "POST users/{userId}/send-passcode {transport}"),
        new("PasscodeLogin", "[docs]", "POST users/{userId}/passcode-login {passcode}; a wrong passcode is a 400"),
        new("RoutingNumber", "[INF]", "GET routing-numbers/{routing} answers {valid, bankName}"),
        new("Apply", "[docs]", "POST users/me/apply answers the user with its decision"),
        new("NextPayDateField", "[INF]", "the next pay date is employmentInformation.nextPay"),
        new("DeepUserExists", "[INF]", "POST user/exists answers {emailExists, phoneExists, addressExists}"),
        new("ChildTransactionKey", "[docs]", "POST paymentMethods/child-transaction-key answers a bare {status, childKey}"),
        new("AddPaymentMethod", "[docs]", "POST paymentMethods/add {ach}"),
        new("CustomerPaymentMethods", "[INF]", "GET customers/me/payment-methods lists the account just added"),
        new("VerifyQuestions", "[docs]", "GET users/me/verify-questions answers {id, questions[]}"),
        new("VerifyAnswers", "[INF]", "POST users/me/verify-answers {id, answers[{questionId, choiceId}]} answers the user"),
        new("Products", "[docs]", "GET products?page= answers data.products[]"),
        new("CreateLease", "[docs]", "POST leases answers data.leaseId and data.contract"),
        new("GetLease", "[docs]", "GET leases/{leaseId} answers its leaseStatus"),
        new("SignLease", "[docs]", "POST leases/{leaseId}/sign {ipAddress, timestamp, signed}"),
        new("ListTransactions", "[docs]", "GET transactions?leaseStatus=signed lists the signed transaction"),
        new("TransactionNumbers", "[INF]", "GET transactions/{id} shows leaseNumber and loanNumber once finalized"),
        new("ConfirmReceipt", "[INF]", "POST transactions/{id}/confirm-receipt {items[{sku, quantity, receivedDate}]}"),
        new("ReturnItems", "[INF]", "Return Items is POST transactions/{id}/<FlexShopper__ReturnItemsPath>"),
        new("Checkout", "[docs]", "GET checkout with a JSON body answers data.redirectUri"),
    ];

    /// <summary>A secret learnt during the run (a customer token): never printed.</summary>
    public void Secret(string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            _secrets.Add(value);
        }
    }

    /// <summary>A value of this run (a user, lease or transaction id, an email) printed as its name.</summary>
    public void Name(string? value, string name)
    {
        if (!string.IsNullOrEmpty(value))
        {
            _names.Add((value, "{" + name + "}"));
        }
    }

    public void Add(string id, Verdict verdict, string detail)
    {
        if (All.All(a => a.Id != id))
        {
            throw new ArgumentException("no such assumption: " + id, nameof(id));
        }

        _findings.TryAdd(id, (verdict, detail)); // the first word on an assumption stands
    }

    public void Held(string id, string detail) => Add(id, Verdict.Held, detail);

    public void CouldNotCheck(string id, string detail) => Add(id, Verdict.CouldNotCheck, detail);

    /// <summary>Every assumption not yet decided could not be checked, for <paramref name="reason"/>.</summary>
    public void Rest(string reason)
    {
        foreach (var a in All)
        {
            CouldNotCheck(a.Id, reason);
        }
    }

    public int Count(Verdict verdict) => _findings.Values.Count(f => f.Verdict == verdict);

    /// <summary>0 when nothing was refuted, 1 when something was.</summary>
    public int ExitCode => Count(Verdict.Refuted) > 0 ? 1 : 0;

    public IEnumerable<string> Lines => All.Select(a =>
    {
        var (verdict, detail) = _findings.TryGetValue(a.Id, out var f) ? f : (Verdict.CouldNotCheck, "not reached");
        var word = verdict switch
        {
            Verdict.Held => "held",
            Verdict.Refuted => "refuted",
            _ => "could not check",
        };
        return Clean($"{word}: {a.Id} {a.Source} {a.Claim} — {detail}");
    });

    public string Summary(TimeSpan elapsed, Uri baseUrl) => string.Format(CultureInfo.InvariantCulture,
        "sandbox check against {0}: {1} held, {2} refuted, {3} could not check, in {4:F1} s",
        baseUrl.GetLeftPart(UriPartial.Authority), Count(Verdict.Held), Count(Verdict.Refuted), Count(Verdict.CouldNotCheck), elapsed.TotalSeconds);

    /// <summary>Secrets become <c>[redacted]</c>, the run's ids their names; longest first, so no part of one survives.</summary>
    public string Clean(string text)
    {
        foreach (var secret in _secrets.OrderByDescending(s => s.Length))
        {
            text = text.Replace(secret, "[redacted]", StringComparison.Ordinal);
        }

        foreach (var (value, name) in _names.OrderByDescending(n => n.Value.Length))
        {
            text = text.Replace(value, name, StringComparison.Ordinal);
        }

        return text;
    }
}
