using FlexFunctions.Functions.Queues;
using FlexFunctions.Shared.FlexShopper;
using FlexFunctions.Tests.Emulator;
using FlexFunctions.Tests.Http;
using FlexFunctions.Tests.StorePlatforms;
using static FlexFunctions.Tests.EndToEnd.JourneyDriver;
using static FlexFunctions.Tests.StorePlatforms.PlatformSamples;

namespace FlexFunctions.Tests.EndToEnd;

/// <summary>
/// A Shopify merchant's fulfilment, end to end: Shopify's signed webhook to the function, the real Azurite warehouse
/// queue, the queue function, and the FlexShopper emulator.
/// </summary>
public sealed class PlatformJourneyTests
{
    [Fact]
    public async Task A_signed_Shopify_fulfilment_delivered_twice_reaches_FlexShopper_once_with_its_tracking_number()
    {
        await using var emulator = await RunningEmulator.StartAsync();
        await using var bed = new PlatformBed(values: emulator.AppSettings());
        await bed.CreateQueueAsync();

        // The store leased the order with Shopify's order id as the transaction id (Shopify__TransactionId=id).
        var client = bed.App.Get<IFlexShopperClient>();
        var customer = await SignUpAndLogInAsync(client, emulator, "shopify.buyer@example.com");
        await client.ApplyAsync(customer.Credential, Application("123456781"), customerIp: "203.0.113.7");
        var transactionId = OrderId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var lease = await client.CreateLeaseAsync(customer.Credential, Lease(transactionId, ("EMU-00005", 599.99m, 1)));
        await client.SignLeaseAsync(customer.Credential, lease.LeaseId, Signature);
        await client.FinalizeAsync(transactionId);

        // Shopify delivers the fulfilment, retries it (same webhook id), then sends an update that changes nothing we send.
        var body = ShopifyFulfillment(4_242_001, "1Z999AA10123456784", new Line(10, "EMU-00005", 1, "Smartphone"));
        var first = await bed.Shopify("fulfillments/create", body, webhookId: "wh-4242001-create");
        var retry = await bed.Shopify("fulfillments/create", body, webhookId: "wh-4242001-create");
        var update = await bed.Shopify("fulfillments/update", body, webhookId: "wh-4242001-update");
        Assert.Equal(("accepted", "duplicate", "accepted"),
            (first.Json.GetProperty("outcome").GetString(), retry.Json.GetProperty("outcome").GetString(), update.Json.GetProperty("outcome").GetString()));

        // The host runs the queue function for every message on the warehouse queue.
        var function = HttpTestKit.Create<WarehouseEventsFunction>(bed.App.Provider);
        var delivered = 0;
        while ((await bed.Queue.Client.ReceiveMessageAsync()).Value is { } message)
        {
            await function.Run(message, CancellationToken.None);
            await bed.Queue.Client.DeleteMessageAsync(message.MessageId, message.PopReceipt);
            delivered++;
        }

        Assert.Equal(2, delivered); // the retry never reached the queue; the update did, and the ledger knew it
        Assert.Single(emulator.State.Requests, r => r.Path == $"/v3/transactions/{transactionId}/confirm-shipment");
        var shipped = Assert.Single(emulator.State.Shipments);
        Assert.Equal(("EMU-00005", 1, "UPS", "1Z999AA10123456784", "2026-03-01"), (shipped.Sku, shipped.Quantity, shipped.Carrier, shipped.TrackingNumber, shipped.ShipDate));
        Assert.Equal("https://www.ups.com/track?tracknum=1Z999AA10123456784", shipped.TrackingLink);
        Assert.Empty(emulator.State.DuplicateConfirmations);
        Assert.Equal(1, Status(await client.GetTransactionAsync(transactionId), "EMU-00005", "shipped"));
        Assert.Empty(await bed.SkippedAsync());
    }
}
