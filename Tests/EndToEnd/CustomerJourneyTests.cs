using System.Text;
using FlexFunctions.Shared.FlexShopper;
using FlexFunctions.Shared.FlexShopper.Models;
using FlexFunctions.Tests.Emulator;
using FlexFunctions.Tests.Infrastructure;
using FlexShopper.Emulator;
using static FlexFunctions.Tests.EndToEnd.JourneyDriver;

namespace FlexFunctions.Tests.EndToEnd;

/// <summary>
/// Whole customer journeys through the app's real service graph (<c>AddFlexFunctions</c>) against the FlexShopper
/// emulator and Azurite: what a developer clicks through locally, without a sandbox key.
/// </summary>
public sealed class CustomerJourneyTests
{
    [Fact]
    public async Task New_customer_is_approved_leases_signs_finalizes_and_the_order_is_shipped_received_canceled_and_returned()
    {
        await using var emulator = await RunningEmulator.StartAsync();
        await using var app = TestServices.Build(emulator.AppSettings());
        var client = app.Get<IFlexShopperClient>();
        var customer = await SignUpAndLogInAsync(client, emulator, "ada.approved@example.com");

        Assert.True((await client.ValidateRoutingNumberAsync(Routing)).Valid);
        Assert.False((await client.ValidateRoutingNumberAsync("021000022")).Valid);
        var applied = await client.ApplyAsync(customer.Credential, Application("123456781", monthlyIncome: 4000m), customerIp: "203.0.113.7");
        Assert.Equal("approved", applied.Decision?.Status);
        Assert.Equal(2000m, applied.Decision?.SpendingLimit);
        Assert.Equal(49.95m, (await client.GetLeaseSettingsAsync()).MinimumOrderValue);

        var tooSmall = await Assert.ThrowsAsync<FlexShopperApiException>(() =>
            client.CreateLeaseAsync(customer.Credential, Lease("order-small", ("EMU-00001", 49.94m, 1))));
        Assert.Equal((FlexShopperErrorKind.Validation, "LeaseAmountNotSatisfied"), (tooSmall.Kind, tooSmall.Code));
        var tooBig = await Assert.ThrowsAsync<FlexShopperApiException>(() =>
            client.CreateLeaseAsync(customer.Credential, Lease("order-big", ("EMU-00002", 1000.01m, 2))));
        Assert.Equal((FlexShopperErrorKind.Validation, "ExceedSpendingLimitError"), (tooBig.Kind, tooBig.Code));

        var created = await client.CreateLeaseAsync(customer.Credential, Lease("order-1001", ("EMU-00005", 599.99m, 1), ("EMU-00006", 149.50m, 2)));
        Assert.Contains("Lease-purchase agreement", Encoding.UTF8.GetString(Convert.FromBase64String(created.Contract!)), StringComparison.Ordinal);
        Assert.Equal(898.99m, created.CashPrice);
        Assert.Equal("unsigned", (await client.GetLeaseAsync(customer.Credential, created.LeaseId)).LeaseStatus);
        Assert.Equal("pending", (await client.GetTransactionAsync("order-1001")).Lease?.Status);

        await client.SignLeaseAsync(customer.Credential, created.LeaseId, Signature);
        Assert.Equal("signed", (await client.GetLeaseAsync(customer.Credential, created.LeaseId)).LeaseStatus);
        Assert.Equal("signed", (await client.GetTransactionAsync("order-1001")).Lease?.Status);
        var finalized = await client.FinalizeAsync("order-1001");
        Assert.False(string.IsNullOrEmpty(finalized.LeaseNumber));
        Assert.Equal(finalized, await client.FinalizeAsync("order-1001")); // finalizing again changes nothing

        await client.ConfirmShipmentAsync("order-1001", new ShipmentConfirmation([new ShippedItem("ground", "2026-01-06") { Sku = "EMU-00005", Quantity = 1 }]));
        await client.ConfirmReceiptAsync("order-1001", new ReceiptConfirmation([new ReceivedItem { Sku = "EMU-00005", Quantity = 1, ReceivedDate = "2026-01-08" }]));
        var canceled = await client.CancelItemsAsync("order-1001", new ItemsRequest([new ItemQuantity("EMU-00006", 1)]));
        Assert.Equal(new ItemQuantity("EMU-00006", 1), Assert.Single(canceled.Canceled!));
        // The signed soundbar never shipped comes back too: the docs refuse only units that do not exist, were
        // already returned or were never signed (refusing it is Emulator:Strictness:ReturnOnlyDelivered, FidelityTests).
        var returned = await client.ReturnItemsAsync("order-1001", new ItemsRequest([new ItemQuantity("EMU-00005", 1), new ItemQuantity("EMU-00006", 1)]));
        Assert.Equal([new ItemQuantity("EMU-00005", 1), new ItemQuantity("EMU-00006", 1)], returned.Returned!);
        Assert.Empty(returned.Failed!);
        var again = await client.ReturnItemsAsync("order-1001", new ItemsRequest([new ItemQuantity("EMU-00005", 1)]));
        Assert.Equal("EMU-00005", Assert.Single(again.Failed!).Sku); // each unit comes back once

        var transaction = await client.GetTransactionAsync("order-1001");
        Assert.Equal((1, 1, 1), (Status(transaction, "EMU-00005", "shipped"), Status(transaction, "EMU-00005", "received"), Status(transaction, "EMU-00005", "returned")));
        Assert.Equal((2, 1, 0, 1), (Status(transaction, "EMU-00006", "signed"), Status(transaction, "EMU-00006", "canceled"), Status(transaction, "EMU-00006", "shipped"), Status(transaction, "EMU-00006", "returned")));
        Assert.Contains((await client.ListTransactionsAsync(new TransactionQuery { LeaseStatus = "signed" })).Transactions, t => t.Id == "order-1001");
        // Nothing is out on lease any more: the whole limit is available again.
        Assert.Equal(2000m, (await client.GetMeAsync(customer.Credential)).Decision?.AvailableBalance);

        Assert.Empty(emulator.State.Violations);
        Assert.Empty(emulator.State.DuplicateConfirmations);
        AssertNoSecretsLogged(app, customer, customer.Credential.Token, RunningEmulator.Key, "123456781", Routing, Account);
    }

    [Fact]
    public async Task Declined_customer_cannot_lease()
    {
        await using var emulator = await RunningEmulator.StartAsync();
        await using var app = TestServices.Build(emulator.AppSettings());
        var client = app.Get<IFlexShopperClient>();
        var customer = await SignUpAndLogInAsync(client, emulator, "ada.declined@example.com");

        var applied = await client.ApplyAsync(customer.Credential, Application("123456780"));

        Assert.Equal((false, "denied"), (applied.Decision?.Approved, applied.Decision?.Status));
        var refused = await Assert.ThrowsAsync<FlexShopperApiException>(() =>
            client.CreateLeaseAsync(customer.Credential, Lease("order-declined", ("EMU-00001", 100m, 1))));
        Assert.Equal("ExceedSpendingLimitError", refused.Code);
    }

    [Theory]
    [InlineData(true, "approved", "succeeded")]
    [InlineData(false, "denied", "failed")]
    public async Task Identity_verification_questions_decide_a_pending_application(bool answerCorrectly, string decision, string verification)
    {
        await using var emulator = await RunningEmulator.StartAsync();
        await using var app = TestServices.Build(emulator.AppSettings());
        var client = app.Get<IFlexShopperClient>();
        var customer = await SignUpAndLogInAsync(client, emulator, $"ada.kba.{answerCorrectly}@example.com");

        var applied = await client.ApplyAsync(customer.Credential, Application("123456789"));
        Assert.Equal(("pending", "pending"), (applied.Decision?.Status, applied.VerificationStatus));
        var questions = await client.GetVerificationQuestionsAsync(customer.Credential);
        Assert.Equal(3, questions.Questions.Count);

        // The right answers are documented in Emulator/README.md: q1-b, q2-a, q3-c.
        var right = new Dictionary<string, string> { ["q1"] = "q1-b", ["q2"] = "q2-a", ["q3"] = "q3-c" };
        var answers = questions.Questions.Select(q => new VerificationAnswer(q.Id, answerCorrectly ? right[q.Id] : q.Choices[0].Id == right[q.Id] ? q.Choices[1].Id : q.Choices[0].Id)).ToList();
        var verified = await client.VerifyAnswersAsync(customer.Credential, new VerifyAnswersRequest(questions.Id, answers));

        Assert.Equal((decision, verification), (verified.Decision?.Status, verified.VerificationStatus));
        var me = await client.GetMeAsync(customer.Credential);
        Assert.Equal(answerCorrectly, me.Decision?.Approved);
        Assert.Empty(emulator.State.Violations);
    }

    [Fact]
    public async Task Catalog_is_read_page_by_page_until_an_empty_page()
    {
        await using var emulator = await RunningEmulator.StartAsync(new EmulatorOptions { ProductCount = 123, ProductPageSize = 50 });
        await using var app = TestServices.Build(emulator.AppSettings());
        var client = app.Get<IFlexShopperClient>();

        var sizes = new List<int>();
        var skus = new HashSet<string>();
        for (var page = 1; ; page++)
        {
            var products = (await client.GetProductsAsync(page)).Products;
            sizes.Add(products.Count);
            skus.UnionWith(products.Select(p => p.Sku));
            if (products.Count == 0)
            {
                break;
            }
        }

        Assert.Equal([50, 50, 23, 0], sizes);
        Assert.Equal(123, skus.Count);
    }

    [Fact]
    public async Task A_passcode_cannot_be_used_twice_and_a_token_never_travels_with_another_key()
    {
        await using var emulator = await RunningEmulator.StartAsync();
        await using var app = TestServices.Build(emulator.AppSettings());
        var client = app.Get<IFlexShopperClient>();
        var customer = await SignUpAndLogInAsync(client, emulator, "ada.rotation@example.com");

        var reused = await Assert.ThrowsAsync<FlexShopperApiException>(() => client.PasscodeLoginAsync(customer.UserId, customer.Passcode));
        Assert.Equal((FlexShopperErrorKind.Validation, "InvalidPasscode"), (reused.Kind, reused.Code));

        // The app restarts with the second key: the old token must not be sent with it.
        await using var rotated = TestServices.Build(emulator.AppSettings(RunningEmulator.OtherKey));
        var refused = await Assert.ThrowsAsync<FlexShopperApiException>(() => rotated.Get<IFlexShopperClient>().GetMeAsync(customer.Credential));
        Assert.Equal("KeyVersionUnavailable", refused.Code);
        Assert.Empty(emulator.State.Violations);
        Assert.DoesNotContain(emulator.State.Requests, r => r.Path == "/v3/users/me");
    }

    internal static void AssertNoSecretsLogged(TestServices app, JourneyDriver.Customer customer, params string[] secrets)
    {
        var logs = string.Join('\n', app.AllLogText());
        foreach (var secret in secrets.Append(customer.Passcode))
        {
            Assert.DoesNotContain(secret, logs, StringComparison.Ordinal);
        }
    }
}
