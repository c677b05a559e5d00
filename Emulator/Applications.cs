using System.Globalization;
using System.Text.RegularExpressions;

namespace FlexShopper.Emulator;

/// <summary>The credit application and the identity check (KBA questions and answers) that can follow it.</summary>
public sealed partial class EmulatorState
{
    public UserData Apply(string userId, ApplyBody body)
    {
        Require(body.Street1, "street1");
        Require(body.City, "city");
        if (body.RegionAbbr is not { Length: 2 })
        {
            throw ApiError.Validation("regionAbbr", "regionAbbr must be a 2-letter state code.");
        }

        Require(body.PostalCode, "postalCode");
        if (body.Country is not { Length: 2 })
        {
            throw ApiError.Validation("country", "country must be an ISO 3166-1 alpha-2 code.");
        }

        if (body.Ssn is null || !NineDigits().IsMatch(body.Ssn))
        {
            throw ApiError.Validation("ssn", "ssn must be 9 digits.");
        }

        RequireDate(body.DateOfBirth, "dateOfBirth", required: true);
        var employment = body.EmploymentInformation ?? throw ApiError.Validation("employmentInformation", "employmentInformation is required.");
        if (employment.PayFrequency is not ("weekly" or "biweekly" or "semimonthly" or "monthly" or "yearly" or "none"))
        {
            throw ApiError.Validation("employmentInformation.payFrequency", "payFrequency must be weekly, biweekly, semimonthly, monthly, yearly or none.");
        }

        if (employment.MonthlyIncome is not { } income || income < 0)
        {
            throw ApiError.Validation("employmentInformation.monthlyIncome", "monthlyIncome must be a non-negative number of dollars.");
        }

        // The pay dates are optional; the 3.1 page names the next one nextPay, the 3.0 page nextPayDate: both are read.
        RequireDate(employment.LastPayDate, "employmentInformation.lastPayDate", required: false);
        RequireDate(employment.NextPay, "employmentInformation.nextPay", required: false);
        RequireDate(employment.NextPayDate, "employmentInformation.nextPayDate", required: false);

        var bank = body.BankAccount ?? throw ApiError.Validation("bankAccount", "bankAccount is required.");
        RequireAcceptedRouting(bank.Routing, "bankAccount.routing");
        Require(bank.Account, "bankAccount.account");
        if (bank.Type is not ("checking" or "savings"))
        {
            throw ApiError.Validation("bankAccount.type", "bankAccount.type must be 'checking' or 'savings'.");
        }

        lock (_gate)
        {
            var user = _users[userId];
            user.Phone = body.MobilePhone;
            user.NormalizedAddress = Normalize(body.Street1) + "|" + Normalize(body.PostalCode);
            user.MonthlyIncome = income;
            user.KbaSetId = null;
            var outcome = TestData.OutcomeFor(body.Ssn, income);
            switch (outcome)
            {
                case ApplicationOutcome.Declined:
                    Decide(user, approved: false, "denied", 0m);
                    user.VerificationStatus = "succeeded";
                    break;
                case ApplicationOutcome.NeedsVerification:
                    Decide(user, approved: false, "pending", 0m);
                    user.VerificationStatus = "pending";
                    break;
                default:
                    Decide(user, approved: true, "approved", TestData.SpendingLimitFor(income));
                    user.VerificationStatus = "succeeded";
                    break;
            }

            return ToData(user);
        }
    }

    public QuestionsData Questions(string userId)
    {
        lock (_gate)
        {
            var user = _users[userId];
            if (user.VerificationStatus != "pending")
            {
                throw new ApiError(400, "VerificationNotPending", "This customer has no identity verification pending.");
            }

            user.KbaSetId ??= "kba-" + RandomId(9);
            return new QuestionsData(user.KbaSetId, TestData.KbaQuestions);
        }
    }

    public UserData VerifyAnswers(string userId, VerifyAnswersBody body)
    {
        Require(body.Id, "id");
        if (body.Answers is not { Count: > 0 })
        {
            throw ApiError.Validation("answers", "answers must list one choice per question.");
        }

        lock (_gate)
        {
            var user = _users[userId];
            if (user.VerificationStatus != "pending" || user.KbaSetId is null)
            {
                throw new ApiError(400, "VerificationNotPending", "Ask for the verification questions first.");
            }

            if (user.KbaSetId != body.Id)
            {
                throw ApiError.Validation("id", "id does not match the question set that was issued.");
            }

            var correct = TestData.KbaAnswers.All(a => body.Answers.Any(given => given.QuestionId == a.Key && given.ChoiceId == a.Value));
            user.KbaSetId = null;
            if (correct)
            {
                Decide(user, approved: true, "approved", TestData.SpendingLimitFor(user.MonthlyIncome));
                user.VerificationStatus = "succeeded";
            }
            else
            {
                Decide(user, approved: false, "denied", 0m);
                user.VerificationStatus = "failed";
            }

            return ToData(user);
        }
    }

    private void Decide(User user, bool approved, string status, decimal limit) =>
        user.Decision = new DecisionData(approved, status, limit, limit, Math.Round(limit / TestData.TermWeeks, 2), _time.GetUtcNow(),
            "app-" + user.Id + "-" + _time.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));

    private static void RequireDate(string? value, string field, bool required)
    {
        if (value is null && !required)
        {
            return;
        }

        if (value is null || !DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
        {
            throw ApiError.Validation(field, $"{field} must be YYYY-MM-DD.");
        }
    }

    [GeneratedRegex(@"^\d{9}$")]
    private static partial Regex NineDigits();
}

public static partial class EmulatorApp
{
    private static void MapApplications(RouteGroupBuilder v3, EmulatorState state)
    {
        v3.MapPost("/users/me/apply", async Task<IResult> (HttpContext ctx) =>
        {
            var user = Customer(ctx, state);
            return Ok(state.Apply(user, await Body(ctx, Json.ApplyBody)), Json.DataEnvelopeUserData);
        });
        v3.MapGet("/users/me/verify-questions", (HttpContext ctx) => Ok(state.Questions(Customer(ctx, state)), Json.DataEnvelopeQuestionsData));
        v3.MapPost("/users/me/verify-answers", async Task<IResult> (HttpContext ctx) =>
        {
            var user = Customer(ctx, state);
            return Ok(state.VerifyAnswers(user, await Body(ctx, Json.VerifyAnswersBody)), Json.DataEnvelopeUserData);
        });
    }
}
