using System.Globalization;
using System.Security.Cryptography;
using FlexFunctions.Shared.Applications;
using FlexFunctions.Shared.FlexShopper;
using FlexFunctions.Shared.FlexShopper.Models;

namespace FlexFunctions.SandboxCheck;

/// <summary>
/// The walk that puts every assumption to FlexShopper through the app's own client, on test data: two new users
/// (one approved, one sent to identity questions), a bank account, one lease at the account's minimum that is
/// signed, finalized, shipped, received and returned, and one hosted checkout that nobody completes. It never runs
/// against production (<see cref="CheckSettings.Parse"/> refuses it), and each step that moves money on a lease is
/// undone by the return.
/// </summary>
internal sealed class AssumptionChecks(IFlexShopperClient client, ExchangeRecorder recorder, CheckSettings settings, Report report)
{
    private const string Sku = "SANDBOX-CHECK-1";
    private readonly string _run = DateTime.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture) + "-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
    private readonly DateOnly _today = DateOnly.FromDateTime(DateTime.UtcNow);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        // Reachable, the key taken, and JSON spoken? settings/lease is confirmed by FlexShopper's own Magento module.
        var leaseSettings = await Run(() => client.GetLeaseSettingsAsync(cancellationToken));
        if (leaseSettings.Error is { } unreachable)
        {
            report.Rest($"the first call, GET {FlexShopperPaths.LeaseSettings}, failed: {leaseSettings.Answered}"
                        + (unreachable.Kind == FlexShopperErrorKind.NonJsonResponse ? "" : $" ({unreachable.Kind})"));
            return;
        }

        var customer = await CustomerAsync(cancellationToken);
        await RoutingNumberAsync(cancellationToken);
        var approved = customer is null ? null : await ApplicationAsync(customer, cancellationToken);
        if (customer is not null)
        {
            await PaymentMethodsAsync(customer, cancellationToken);
        }

        await IdentityQuestionsAsync(cancellationToken);
        await ProductsAsync(cancellationToken);
        var cost = Math.Max(1m, Math.Ceiling(leaseSettings.Value!.MinimumOrderValue * 100m) / 100m);
        await LeaseAsync(customer, approved, cost, cancellationToken);
        await CheckoutAsync(cost, cancellationToken);
    }

    // ---- Users and passcodes ----

    private async Task<CreatedUser?> CustomerAsync(CancellationToken cancellationToken)
    {
        var email = $"sandbox-check-{_run}@{settings.EmailDomain}";
        report.Name(email, "email");
        var created = await Run(() => client.CreateUserAsync(new CreateUserRequest(settings.FirstName, settings.LastName, email), cancellationToken));
        if (created.Value is not { } user)
        {
            Failed("CreateUser", created);
            foreach (var id in new[] { "UserExists", "ListUsers", "GetMe", "SendPasscode", "PasscodeLogin", "Apply", "NextPayDateField", "DeepUserExists",
                         "AddPaymentMethod", "CustomerPaymentMethods", "CreateLease", "GetLease", "SignLease", "ListTransactions", "TransactionNumbers",
                         "ConfirmReceipt", "ReturnItems" })
            {
                report.CouldNotCheck(id, "needs a new user: POST users failed");
            }

            return null;
        }

        report.Secret(user.Credential.Token);
        report.Name(user.UserId, "userId");
        report.Held("CreateUser", created.Answered);

        var exists = await Run(() => client.UserExistsAsync(email, cancellationToken));
        Judge("UserExists", exists, e => e is { Exists: true } && e.UserId == user.UserId ? null : $"exists={e.Exists} and userId {(e.UserId == user.UserId ? "matches" : "does not match")} for a user just created");

        var page = await Run(() => client.ListUsersAsync(1, 10, cancellationToken));
        Judge("ListUsers", page, p => p.Meta is null ? "no data.meta" : null);

        var me = await Run(() => client.GetMeAsync(user.Credential, cancellationToken));
        Judge("GetMe", me, m => m.UserId == user.UserId ? null : "data.userId is not the user the token was minted for");

        var sent = await Run(() => Done(client.SendPasscodeAsync(user.UserId, PasscodeTransport.Email, cancellationToken)));
        Judge("SendPasscode", sent, _ => null);

        // A passcode the customer was never sent: FlexShopper must refuse it with a 400 (or, by a one-in-a-million
        // chance, accept it); either way the path and body held.
        var login = await Run(() => client.PasscodeLoginAsync(user.UserId, "000000", cancellationToken));
        if (login.Error is { Kind: FlexShopperErrorKind.Validation })
        {
            report.Held("PasscodeLogin", login.Answered);
        }
        else
        {
            report.Secret(login.Value?.Token);
            Judge("PasscodeLogin", login, _ => null);
        }

        return user;
    }

    private async Task RoutingNumberAsync(CancellationToken cancellationToken)
    {
        var routing = await Run(() => client.ValidateRoutingNumberAsync(settings.Routing, cancellationToken));
        Judge("RoutingNumber", routing, _ => null, r => $"{routing.Answered} (valid={Bool(r.Valid)}, bankName={r.BankName ?? "none"})");
    }

    // ---- Application, identity questions, payment methods ----

    private async Task<FlexShopperUser?> ApplicationAsync(CreatedUser customer, CancellationToken cancellationToken)
    {
        var applied = await Run(() => client.ApplyAsync(customer.Credential, Application(settings.Ssn), settings.CustomerIp, cancellationToken));
        Judge("Apply", applied, u => u.Decision is null ? "no data.decision" : null,
            u => $"{applied.Answered} (decision.status {u.Decision?.Status ?? "none"}, verificationStatus {u.VerificationStatus ?? "none"})");
        if (applied.Error is { Kind: FlexShopperErrorKind.Validation } refused && refused.Message.Contains(FlexShopperPaths.NextPayDateField, StringComparison.Ordinal))
        {
            report.Add("NextPayDateField", Verdict.Refuted, $"{applied.Answered}: FlexShopper names employmentInformation.{FlexShopperPaths.NextPayDateField}");
        }
        else
        {
            report.CouldNotCheck("NextPayDateField", applied.Error is null
                ? $"apply accepted employmentInformation.{FlexShopperPaths.NextPayDateField}, but its answer does not show whether FlexShopper read it"
                : "needs an application FlexShopper accepts");
        }

        var deep = await Run(() => client.DeepUserExistsAsync(new DeepUserExistsRequest($"sandbox-check-{_run}@{settings.EmailDomain}", settings.Phone,
            new PostalAddress(settings.Street1, settings.City, settings.Region, settings.PostalCode, "US")), cancellationToken));
        Judge("DeepUserExists", deep, d => d.EmailExists ? null : "emailExists=false for a user just created",
            d => $"{deep.Answered} (emailExists={Bool(d.EmailExists)}, phoneExists={Bool(d.PhoneExists)}, addressExists={Bool(d.AddressExists)})");

        return applied.Value;
    }

    private async Task PaymentMethodsAsync(CreatedUser customer, CancellationToken cancellationToken)
    {
        var childKey = await Run(() => client.GetLoanPaymentProChildKeyAsync(cancellationToken));
        Judge("ChildTransactionKey", childKey, _ => null);

        var request = new AddPaymentMethodRequest
        {
            Primary = false,
            Label = "Sandbox check",
            Ach = new AchAccount(settings.Routing, settings.Account, "checking"),
        };
        var added = await Run(() => Done(client.AddPaymentMethodAsync(customer.Credential, request, cancellationToken)));
        Judge("AddPaymentMethod", added, _ => null);
        if (added.Error is not null)
        {
            report.CouldNotCheck("CustomerPaymentMethods", "needs a payment method: POST paymentMethods/add failed");
            return;
        }

        // Held when the app's own reconciliation of a lost Add Payment Method answer finds the account in the list.
        var listed = await Run(() => client.ListPaymentMethodsAsync(customer.Credential, cancellationToken));
        Judge("CustomerPaymentMethods", listed,
            l => PaymentMethodMatch.Find(l, request) == PaymentMethodPresence.Found ? null : "PaymentMethodMatch finds no bank account with the account's last four digits in it",
            l => $"{listed.Answered} ({l.Count} method(s) of type {string.Join(", ", l.Select(m => m.Type ?? "none").Distinct())}; PaymentMethodMatch finds the account)");
    }

    private async Task IdentityQuestionsAsync(CancellationToken cancellationToken)
    {
        var email = $"sandbox-check-{_run}-kba@{settings.EmailDomain}";
        report.Name(email, "kbaEmail");
        var created = await Run(() => client.CreateUserAsync(new CreateUserRequest(settings.FirstName, settings.LastName, email), cancellationToken));
        if (created.Value is not { } user)
        {
            Blocked(["VerifyQuestions", "VerifyAnswers"], "needs a second new user: POST users failed: " + created.Answered);
            return;
        }

        report.Secret(user.Credential.Token);
        report.Name(user.UserId, "kbaUserId");
        var applied = await Run(() => client.ApplyAsync(user.Credential, Application(settings.KbaSsn), settings.CustomerIp, cancellationToken));
        if (applied.Value?.VerificationStatus != "pending")
        {
            Blocked(["VerifyQuestions", "VerifyAnswers"], "needs an applicant FlexShopper sends to identity questions (--kba-ssn): apply "
                + (applied.Value is { } u ? $"answered verificationStatus {u.VerificationStatus ?? "none"}" : "failed: " + applied.Answered));
            return;
        }

        var questions = await Run(() => client.GetVerificationQuestionsAsync(user.Credential, cancellationToken));
        Judge("VerifyQuestions", questions, q => q.Questions.Count > 0 ? null : "no questions", q => $"{questions.Answered} ({q.Questions.Count} question(s))");
        if (questions.Value is not { Questions.Count: > 0 } set)
        {
            report.CouldNotCheck("VerifyAnswers", "needs identity questions: GET users/me/verify-questions failed");
            return;
        }

        var answers = set.Questions.Select(q => new VerificationAnswer(q.Id, settings.KbaAnswers.TryGetValue(q.Id, out var choice) ? choice : q.Choices[0].Id)).ToList();
        var verified = await Run(() => client.VerifyAnswersAsync(user.Credential, new VerifyAnswersRequest(set.Id, answers), cancellationToken));
        Judge("VerifyAnswers", verified, v => v.VerificationStatus is null ? "no data.verificationStatus" : null,
            v => $"{verified.Answered} (verificationStatus {v.VerificationStatus})");
    }

    private async Task ProductsAsync(CancellationToken cancellationToken)
    {
        var products = await Run(() => client.GetProductsAsync(1, cancellationToken));
        Judge("Products", products, _ => null, p => $"{products.Answered} ({p.Products.Count} product(s) on page 1)");
    }

    // ---- One lease: create, sign, finalize, ship, receive, return ----

    private async Task LeaseAsync(CreatedUser? customer, FlexShopperUser? applicant, decimal cost, CancellationToken cancellationToken)
    {
        string[] leaseSteps = ["CreateLease", "GetLease", "SignLease", "ListTransactions", "TransactionNumbers", "ConfirmReceipt", "ReturnItems"];
        if (customer is null || applicant?.Decision is not { } decision)
        {
            Blocked(leaseSteps, "needs an applicant: the application failed");
            return;
        }

        if (decision.Approved != true && decision.Status != "approved")
        {
            Blocked(leaseSteps, $"needs an approved applicant (--ssn): apply answered decision.status {decision.Status ?? "none"}");
            return;
        }

        if (decision.AvailableBalance is { } balance && balance < cost)
        {
            Blocked(leaseSteps, $"the account's minimum order ({cost.ToString("0.00", CultureInfo.InvariantCulture)}) is over the applicant's available balance ({balance.ToString("0.00", CultureInfo.InvariantCulture)})");
            return;
        }

        var transactionId = $"sandbox-check-{_run}";
        report.Name(transactionId, "transactionId");
        var created = await Run(() => client.CreateLeaseAsync(customer.Credential,
            new CreateLeaseRequest(transactionId, [new LeaseItem("Sandbox", Sku, "Sandbox check item") { Cost = cost, Quantity = 1 }]), cancellationToken));
        Judge("CreateLease", created, l => string.IsNullOrEmpty(l.Contract) ? "no data.contract" : null);
        if (created.Value is not { } lease)
        {
            Blocked(leaseSteps, "needs a lease: POST leases failed");
            return;
        }

        report.Name(lease.LeaseId, "leaseId");
        var read = await Run(() => client.GetLeaseAsync(customer.Credential, lease.LeaseId, cancellationToken));
        Judge("GetLease", read, l => l.LeaseStatus == "unsigned" ? null : $"leaseStatus {l.LeaseStatus ?? "missing"} for a lease nobody signed",
            l => $"{read.Answered} (leaseStatus {l.LeaseStatus})");

        var signed = await Run(() => Done(client.SignLeaseAsync(customer.Credential, lease.LeaseId, new SignLeaseRequest(settings.CustomerIp, DateTimeOffset.UtcNow), cancellationToken)));
        Judge("SignLease", signed, _ => null);
        if (signed.Error is not null)
        {
            Blocked(leaseSteps, "needs a signed lease: POST leases/{leaseId}/sign failed");
            return;
        }

        var listed = await Run(() => client.ListTransactionsAsync(new TransactionQuery { LeaseStatus = "signed", Limit = 1000 }, cancellationToken));
        Judge("ListTransactions", listed, p => p.Transactions.Any(t => t.Id == transactionId) ? null : "the signed transaction is not on the first page of 1000",
            p => $"{listed.Answered} (the signed transaction is listed)");

        // Finalize and confirm shipment are confirmed by FlexShopper's Magento module: steps here, not assumptions.
        var finalized = await Run(() => client.FinalizeAsync(transactionId, cancellationToken));
        if (finalized.Value is not { } numbers)
        {
            Blocked(leaseSteps, "needs a finalized transaction: finalize failed: " + finalized.Answered);
            return;
        }

        var after = await Run(() => client.GetTransactionAsync(transactionId, cancellationToken));
        Judge("TransactionNumbers", after,
            t => string.IsNullOrEmpty(t.LeaseNumber) || string.IsNullOrEmpty(t.LoanNumber)
                ? $"no {FlexShopperPaths.TransactionLeaseNumberField}/{FlexShopperPaths.TransactionLoanNumberField} on the finalized transaction"
                : t.LeaseNumber != numbers.LeaseNumber || t.LoanNumber != numbers.LoanNumber ? "they are not the numbers finalize answered" : null,
            _ => $"{after.Answered} (the numbers finalize answered)");

        var shipped = await Run(() => Done(client.ConfirmShipmentAsync(transactionId,
            new ShipmentConfirmation([new ShippedItem("ground", Date(_today)) { Sku = Sku, Quantity = 1 }]), cancellationToken)));
        if (shipped.Error is not null)
        {
            Blocked(leaseSteps, "needs a shipped unit: confirm-shipment failed: " + shipped.Answered);
            return;
        }

        var received = await Run(() => Done(client.ConfirmReceiptAsync(transactionId,
            new ReceiptConfirmation([new ReceivedItem { Sku = Sku, Quantity = 1, ReceivedDate = Date(_today) }]), cancellationToken)));
        Judge("ConfirmReceipt", received, _ => null);

        await ReturnAsync(transactionId, cancellationToken);
    }

    /// <summary>Return Items goes to the configured name first; the client tries the other on an unknown URI, which refutes the setting.</summary>
    private async Task ReturnAsync(string transactionId, CancellationToken cancellationToken)
    {
        var returned = await Run(() => client.ReturnItemsAsync(transactionId, new ItemsRequest([new ItemQuantity(Sku, 1)]), cancellationToken));
        var configured = settings.ReturnItemsPath;
        var other = configured == FlexShopperPaths.ReturnItemsDocumented ? FlexShopperPaths.ReturnItemsMagento : FlexShopperPaths.ReturnItemsDocumented;
        if (returned.Exchanges.Count > 1)
        {
            var first = returned.Exchanges[0].Describe();
            report.Add("ReturnItems", Verdict.Refuted, returned.Value is null
                ? $"{first} (no such route), and the other name: {returned.Answered}"
                : $"{first} (no such route), but {returned.Answered}: set FlexShopper__ReturnItemsPath={other}");
            return;
        }

        Judge("ReturnItems", returned, r => r.Returned?.Any(i => i.Sku == Sku) == true ? null : "the shipped and received unit came back in failed[]",
            _ => $"{returned.Answered} (the unit came back)");
    }

    private async Task CheckoutAsync(decimal cost, CancellationToken cancellationToken)
    {
        var transactionId = $"sandbox-check-{_run}-checkout";
        report.Name(transactionId, "checkoutTransactionId");
        var checkout = await Run(() => client.CheckoutAsync(new CheckoutRequest(transactionId, [new CheckoutItem("Sandbox check item", Sku, cost, "Sandbox", 1) { Condition = "new" }])
        {
            Customer = new CheckoutCustomer(settings.FirstName, settings.LastName, $"sandbox-check-{_run}@{settings.EmailDomain}")
            {
                Address = new CheckoutAddress(settings.Street1, settings.City, settings.Region, settings.PostalCode),
            },
        }, cancellationToken));
        Judge("Checkout", checkout, _ => null, _ => $"{checkout.Answered} (a redirectUri)");
    }

    // ---- Helpers ----

    private ApplicationRequest Application(string ssn) => new()
    {
        Street1 = settings.Street1,
        City = settings.City,
        Region = settings.Region,
        PostalCode = settings.PostalCode,
        Country = "US",
        MobilePhone = settings.Phone,
        DateOfBirth = settings.DateOfBirth,
        Ssn = ssn,
        EmploymentInformation = new EmploymentInformation("biweekly", settings.MonthlyIncome)
        {
            LastPayDate = Date(_today.AddDays(-7)),
            NextPayDate = Date(_today.AddDays(7)),
        },
        BankAccount = new BankAccount(settings.Routing, settings.Account, "checking"),
    };

    private static string Date(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string Bool(bool value) => value ? "true" : "false";

    private static async Task<bool> Done(Task call)
    {
        await call.ConfigureAwait(false);
        return true;
    }

    private async Task<Attempt<T>> Run<T>(Func<Task<T>> call)
    {
        var mark = recorder.Mark;
        try
        {
            var value = await call().ConfigureAwait(false);
            return new Attempt<T>(value, null, recorder.Since(mark));
        }
        catch (FlexShopperApiException ex)
        {
            return new Attempt<T>(default, ex, recorder.Since(mark));
        }
    }

    /// <summary>Held when the call succeeded and <paramref name="problem"/> finds nothing wrong; otherwise what went wrong.</summary>
    private void Judge<T>(string id, Attempt<T> attempt, Func<T, string?> problem, Func<T, string>? held = null)
    {
        if (attempt.Error is not null)
        {
            Failed(id, attempt);
            return;
        }

        var value = attempt.Value!;
        if (problem(value) is { } wrong)
        {
            report.Add(id, Verdict.Refuted, $"{attempt.Answered}, but {wrong}");
            return;
        }

        report.Held(id, held?.Invoke(value) ?? attempt.Answered);
    }

    /// <summary>
    /// A failed call: FlexShopper refusing what the app sends (no such route, a 400, an answer the app cannot read)
    /// refutes the assumption; a refused key, a payment demand, an outage or a non-JSON answer leave it unchecked.
    /// </summary>
    private void Failed<T>(string id, Attempt<T> attempt)
    {
        var error = attempt.Error!;
        var answered = attempt.Answered;
        var (verdict, why) = error.Kind switch
        {
            FlexShopperErrorKind.NotFound when error.Code is null => (Verdict.Refuted, "FlexShopper has no such route"),
            FlexShopperErrorKind.Validation or FlexShopperErrorKind.Conflict or FlexShopperErrorKind.NotFound => (Verdict.Refuted, "FlexShopper refused the request as the app sends it"),
            FlexShopperErrorKind.UnexpectedResponse => (Verdict.Refuted, "the app cannot read it: " + error.Message),
            FlexShopperErrorKind.Unauthorized or FlexShopperErrorKind.Forbidden => (Verdict.CouldNotCheck, "the API key or the customer token was refused"),
            FlexShopperErrorKind.PaymentRequired => (Verdict.CouldNotCheck, "the sandbox asks for a first payment"),
            FlexShopperErrorKind.NonJsonResponse => (Verdict.CouldNotCheck, error.Message),
            _ => (Verdict.CouldNotCheck, "FlexShopper did not answer usefully; run again later"),
        };
        report.Add(id, verdict, $"{answered}: {why}");
    }

    private void Blocked(IEnumerable<string> ids, string reason)
    {
        foreach (var id in ids)
        {
            report.CouldNotCheck(id, reason);
        }
    }

    /// <summary>A call's value or its failure, and the exchanges it made (more than one when the client fell back).</summary>
    private sealed record Attempt<T>(T? Value, FlexShopperApiException? Error, IReadOnlyList<Exchange> Exchanges)
    {
        public string Answered => Exchanges.Count > 0 ? Exchanges[^1].Describe() : Error?.Message ?? "no answer";
    }
}
