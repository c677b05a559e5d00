using System.Globalization;
using FlexFunctions.Shared.FlexShopper;

namespace FlexFunctions.SandboxCheck;

/// <summary>
/// What the check runs against and the test customer it applies with, from the command line. Every default is the
/// emulator's documented test data (Emulator/README.md); against a sandbox, pass the applicants FlexShopper gives.
/// The API key never comes from here: only from the FLEXSHOPPER_API_KEY environment variable.
/// </summary>
internal sealed record CheckSettings
{
    public const string KeyVariable = "FLEXSHOPPER_API_KEY";

    public required Uri BaseUrl { get; init; }
    public string ReturnItemsPath { get; init; } = FlexShopperPaths.ReturnItemsDocumented;
    public string EmailDomain { get; init; } = "example.com";
    public string FirstName { get; init; } = "Sandbox";
    public string LastName { get; init; } = "Check";
    public string Phone { get; init; } = "3055550100";
    public string Street1 { get; init; } = "1 Main St";
    public string City { get; init; } = "Miami";
    public string Region { get; init; } = "FL";
    public string PostalCode { get; init; } = "33101";
    public string DateOfBirth { get; init; } = "1990-01-31";
    public string Ssn { get; init; } = "123456781";
    public string KbaSsn { get; init; } = "123456789";
    public IReadOnlyDictionary<string, string> KbaAnswers { get; init; } = new Dictionary<string, string>();
    public decimal MonthlyIncome { get; init; } = 4000m;
    public string Routing { get; init; } = "021000021";
    public string Account { get; init; } = "000123456789";
    public string CustomerIp { get; init; } = "203.0.113.7";

    public const string Usage = """
        usage: scripts/sandbox-check.sh --base-url URL [options]
          The API key is read from FLEXSHOPPER_API_KEY and never printed. Each line of output is one assumption:
          held, refuted (with what FlexShopper answered) or could not check. Exit 0 when nothing was refuted,
          1 when something was, 2 on a usage error. See docs/flexshopper-api.md, "Checking our assumptions
          against the sandbox".

          --base-url URL            the v3 root, e.g. https://apis.sandbox.flexshopper.com/v3/ (never production)
          --return-items-path P     return (the documented path, the app's default) or return-items
          --email-domain D          test users are sandbox-check-<run>@D            (default example.com)
          --first-name N --last-name N --phone 10DIGITS
          --street1 S --city C --region ST --postal-code ZIP                       (default 1 Main St, Miami, FL 33101)
          --date-of-birth YYYY-MM-DD
          --ssn 9DIGITS             an applicant the sandbox approves               (default 123456781)
          --kba-ssn 9DIGITS         an applicant the sandbox sends to identity questions (default 123456789)
          --kba-answers Q=C,...     answers to give (default: the first choice of each question)
          --monthly-income DOLLARS  (default 4000)
          --routing 9DIGITS --account DIGITS                                       (default 021000021, 000123456789)
          --customer-ip IP          the device IP the lease is signed from          (default 203.0.113.7)
        """;

    /// <summary>The settings, or the reason the command line cannot be used.</summary>
    public static (CheckSettings? Settings, string? Error) Parse(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] is "-h" or "--help")
            {
                return (null, "");
            }

            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Count)
            {
                return (null, $"'{args[i]}' needs a value (options are --name value)");
            }

            values[args[i][2..]] = args[++i];
        }

        string Take(string name, string fallback) => values.Remove(name, out var v) ? v : fallback;

        if (!values.Remove("base-url", out var baseUrl) || !Uri.TryCreate(baseUrl.EndsWith('/') ? baseUrl : baseUrl + "/", UriKind.Absolute, out var uri)
            || uri.Scheme is not ("http" or "https"))
        {
            return (null, "--base-url must be the FlexShopper v3 root, e.g. https://apis.sandbox.flexshopper.com/v3/");
        }

        if (string.Equals(uri.Host, new Uri(FlexShopperOptions.ProductionBaseUrl).Host, StringComparison.OrdinalIgnoreCase))
        {
            return (null, "the sandbox check never runs against production: it creates users and signs, ships and returns a lease");
        }

        var defaults = new CheckSettings { BaseUrl = uri };
        var settings = defaults with
        {
            ReturnItemsPath = Take("return-items-path", defaults.ReturnItemsPath),
            EmailDomain = Take("email-domain", defaults.EmailDomain),
            FirstName = Take("first-name", defaults.FirstName),
            LastName = Take("last-name", defaults.LastName),
            Phone = Take("phone", defaults.Phone),
            Street1 = Take("street1", defaults.Street1),
            City = Take("city", defaults.City),
            Region = Take("region", defaults.Region),
            PostalCode = Take("postal-code", defaults.PostalCode),
            DateOfBirth = Take("date-of-birth", defaults.DateOfBirth),
            Ssn = Take("ssn", defaults.Ssn),
            KbaSsn = Take("kba-ssn", defaults.KbaSsn),
            Routing = Take("routing", defaults.Routing),
            Account = Take("account", defaults.Account),
            CustomerIp = Take("customer-ip", defaults.CustomerIp),
        };

        if (settings.ReturnItemsPath is not (FlexShopperPaths.ReturnItemsDocumented or FlexShopperPaths.ReturnItemsMagento))
        {
            return (null, $"--return-items-path must be {FlexShopperPaths.ReturnItemsDocumented} or {FlexShopperPaths.ReturnItemsMagento}");
        }

        if (values.Remove("monthly-income", out var income))
        {
            if (!decimal.TryParse(income, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var dollars))
            {
                return (null, "--monthly-income must be a number of dollars");
            }

            settings = settings with { MonthlyIncome = dollars };
        }

        if (values.Remove("kba-answers", out var answers))
        {
            var pairs = answers.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(p => p.Split('=', 2)).ToList();
            if (pairs.Any(p => p.Length != 2 || p[0].Length == 0 || p[1].Length == 0))
            {
                return (null, "--kba-answers must be questionId=choiceId pairs separated by commas");
            }

            settings = settings with { KbaAnswers = pairs.ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal) };
        }

        return values.Count == 0 ? (settings, null) : (null, "unknown option(s): " + string.Join(", ", values.Keys.Select(k => "--" + k)));
    }
}
