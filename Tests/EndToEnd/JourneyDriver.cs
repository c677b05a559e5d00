using FlexFunctions.Shared.FlexShopper;
using FlexFunctions.Shared.FlexShopper.Models;
using FlexFunctions.Tests.Emulator;

namespace FlexFunctions.Tests.EndToEnd;

/// <summary>The steps a customer's journey takes through the app's real <see cref="IFlexShopperClient"/>.</summary>
internal static class JourneyDriver
{
    public const string Routing = "021000021"; // passes the ABA check
    public const string Account = "000123456789";

    /// <summary>SSN endings choose the emulator's decision (Emulator/README.md): 1 approved, 0 declined, 9 KBA.</summary>
    public static ApplicationRequest Application(string ssn, decimal monthlyIncome = 4000m) => new()
    {
        Street1 = "1 Ocean Blvd",
        City = "Boca Raton",
        Region = "FL",
        PostalCode = "33431",
        Country = "US",
        MobilePhone = "5615550100",
        DateOfBirth = "1990-04-01",
        Ssn = ssn,
        EmploymentInformation = new EmploymentInformation("biweekly", monthlyIncome),
        BankAccount = new BankAccount(Routing, Account, "checking"),
    };

    /// <summary>Lookup by email, create, passcode from the outbox, login: what a brand-new customer does.</summary>
    public static async Task<Customer> SignUpAndLogInAsync(IFlexShopperClient client, RunningEmulator emulator, string email)
    {
        var before = await client.UserExistsAsync(email);
        Assert.False(before.Exists);
        var created = await client.CreateUserAsync(new CreateUserRequest("Ada", "Lovelace", email) { Locale = "en" });
        var after = await client.UserExistsAsync(email);
        Assert.Equal(created.UserId, after.UserId);

        await client.SendPasscodeAsync(created.UserId, PasscodeTransport.Email);
        var passcode = Assert.Single(emulator.State.Outbox(created.UserId)).Passcode;
        var credential = await client.PasscodeLoginAsync(created.UserId, passcode);
        return new Customer(created.UserId, credential, passcode);
    }

    public static CreateLeaseRequest Lease(string transactionId, params (string Sku, decimal Cost, int Quantity)[] items) =>
        new(transactionId, [.. items.Select(i => new LeaseItem("Acme", i.Sku, "Item " + i.Sku) { Cost = i.Cost, Quantity = i.Quantity })])
        {
            Shipping = new ShippingInfo { Cost = 0m, Method = "ground" },
        };

    public static SignLeaseRequest Signature => new("203.0.113.7", DateTimeOffset.UtcNow);

    public static int Status(PurchaseTransaction transaction, string sku, string status) =>
        transaction.Items!.Single(i => i.Sku == sku).QuantityByStatus!.Value.GetProperty(status).GetInt32();

    internal sealed record Customer(string UserId, CustomerCredential Credential, string Passcode);
}
