using FlexFunctions.Shared.FlexShopper;
using FlexFunctions.Shared.FlexShopper.Models;
using FlexFunctions.Tests.Emulator;
using FlexFunctions.Tests.Infrastructure;
using FlexShopper.Emulator;
using static FlexFunctions.Tests.EndToEnd.JourneyDriver;

namespace FlexFunctions.Tests.EndToEnd;

/// <summary>
/// The same journey while the emulator injects latency, 503 bursts, a 429 with Retry-After and a hung request:
/// retry-safe calls recover by themselves, the rest are sent once and fail clearly, and at the end nothing is
/// lost, nothing confirmed twice and no token ever travelled with the wrong key.
/// </summary>
public sealed class FaultyJourneyTests
{
    [Fact]
    public async Task Journey_survives_injected_faults_without_duplicates_losses_or_token_key_violations()
    {
        await using var emulator = await RunningEmulator.StartAsync();
        await using var app = TestServices.Build(emulator.AppSettings());
        var client = app.Get<IFlexShopperClient>();
        void Faults(FaultSettings faults) => emulator.State.SetFaults(faults);
        int Count(string method, string path) => emulator.State.Requests.Count(r => r.Method == method && r.Path == path);

        Faults(new FaultSettings { LatencyMs = 5 });
        var customer = await SignUpAndLogInAsync(client, emulator, "ada.faults@example.com");
        await client.ApplyAsync(customer.Credential, Application("123456781"));

        // A 503 burst on reads: retried until it passes.
        Faults(new FaultSettings { LatencyMs = 5, Burst503Count = 2, Methods = ["GET"] });
        Assert.Equal("approved", (await client.GetMeAsync(customer.Credential)).Decision?.Status);
        Assert.Equal([503, 503, 200], emulator.State.Requests.Where(r => r.Path == "/v3/users/me").Select(r => r.Status));

        Faults(new FaultSettings { LatencyMs = 5 });
        var lease = await client.CreateLeaseAsync(customer.Credential, Lease("order-2001", ("EMU-00010", 300m, 1), ("EMU-00011", 75m, 2)));

        // Signing is not retry-safe: one 503 reaches the caller as transient, the lease stays unsigned, and the
        // customer's second click goes through.
        Faults(new FaultSettings { Burst503Count = 1, PathContains = ["/sign"] });
        var failed = await Assert.ThrowsAsync<FlexShopperApiException>(() => client.SignLeaseAsync(customer.Credential, lease.LeaseId, Signature));
        Assert.True(failed.IsTransient);
        Assert.Equal(1, Count("POST", $"/v3/leases/{lease.LeaseId}/sign"));
        Assert.Equal("unsigned", (await client.GetLeaseAsync(customer.Credential, lease.LeaseId)).LeaseStatus);
        await client.SignLeaseAsync(customer.Credential, lease.LeaseId, Signature);

        // A hung read is cut off by the attempt timeout and tried again (a short timeout here keeps the test fast;
        // the rest of the journey keeps the default so a slow CI machine does not fail a call sent only once).
        var impatientSettings = emulator.AppSettings();
        impatientSettings["FlexShopper:AttemptTimeout"] = "00:00:00.400";
        await using var impatient = TestServices.Build(impatientSettings);
        Faults(new FaultSettings { HangCount = 1, HangMs = 30_000, Methods = ["GET"], PathContains = ["/transactions/"] });
        Assert.Equal("signed", (await impatient.Get<IFlexShopperClient>().GetTransactionAsync("order-2001")).Lease?.Status);
        Assert.Equal([0, 200], emulator.State.Requests.Where(r => r.Path == "/v3/transactions/order-2001").Select(r => r.Status));

        Faults(new FaultSettings { LatencyMs = 5 });
        await client.FinalizeAsync("order-2001");

        // 429 with Retry-After on a confirmation (retry-safe): the retry waits as told, and the units ship once.
        Faults(new FaultSettings { RateLimitCount = 1, RetryAfterSeconds = 1, PathContains = ["confirm-shipment"] });
        await client.ConfirmShipmentAsync("order-2001", new ShipmentConfirmation([new ShippedItem("ground", "2026-01-06")]));
        var shipments = emulator.State.Requests.Where(r => r.Path.EndsWith("/confirm-shipment", StringComparison.Ordinal)).ToList();
        Assert.Equal([429, 200], shipments.Select(r => r.Status));
        Assert.True(shipments[1].At - shipments[0].At >= TimeSpan.FromMilliseconds(900), "the retry must honour Retry-After");

        Faults(new FaultSettings { Burst503Count = 2, PathContains = ["confirm-receipt"] });
        await client.ConfirmReceiptAsync("order-2001", new ReceiptConfirmation(null));

        emulator.State.SetFaults(new FaultSettings());
        var transaction = await client.GetTransactionAsync("order-2001");
        Assert.Equal((1, 1), (Status(transaction, "EMU-00010", "shipped"), Status(transaction, "EMU-00010", "received")));
        Assert.Equal((2, 2), (Status(transaction, "EMU-00011", "shipped"), Status(transaction, "EMU-00011", "received")));
        Assert.Empty(emulator.State.DuplicateConfirmations);
        Assert.Empty(emulator.State.Violations);
        Assert.Equal(1, Count("POST", "/v3/leases"));
        CustomerJourneyTests.AssertNoSecretsLogged(app, customer, customer.Credential.Token, RunningEmulator.Key, "123456781");
    }
}
