using Azure.Data.Tables;
using Azure.Storage.Queues.Models;
using Azure.Storage.Queues.Specialized;
using FlexFunctions.Functions.Queues;
using FlexFunctions.Shared.Confirmations;
using FlexFunctions.Shared.Storage;
using FlexFunctions.Tests.Emulator;
using FlexFunctions.Tests.EndToEnd;
using FlexFunctions.Tests.Http;
using FlexFunctions.Tests.Infrastructure;
using FlexShopper.Emulator;
using Xunit.Abstractions;

namespace FlexFunctions.Tests.Outages;

/// <summary>
/// Our storage goes away: stopped in the middle of a run (a real Azurite of the test's own, stopped by its process
/// id and started again over its data), or refusing connections from the start. Every route that needs it answers
/// 503 with Retry-After, none answers 500 or logs a customer out, and after recovery nothing was lost and nothing
/// reached FlexShopper twice.
/// </summary>
public sealed class StorageOutageTests(ITestOutputHelper output)
{
    private static EmulatorOptions SmallCatalog => new() { ProductCount = 30, ProductPageSize = 20 };

    [Fact]
    public async Task Storage_stopped_mid_run_every_route_needing_it_answers_503_and_after_the_restart_nothing_is_lost_or_sent_twice()
    {
        using var storage = StoppableAzurite.Start();
        await using var emulator = await RunningEmulator.StartAsync(SmallCatalog);
        var settings = OutageJourney.AppSettings(emulator);
        settings["Storage"] = settings["Warehouse"] = storage.ConnectionString;
        await using var app = HttpApp.Build(settings);
        var journey = await OutageJourney.PrepareAsync(app, emulator, "mid");
        var probes = journey.Probes();

        // The host took a warehouse event off the queue just before storage went away.
        var queue = app.Get<WarehouseQueue>().Client;
        await queue.CreateIfNotExistsAsync();
        var shipment = AppDriver.Shipment(journey.ShipmentTransaction, "EMU-00021", 1, "PICK-mid");
        await queue.SendMessageAsync(shipment);
        QueueMessage inHand = (await queue.ReceiveMessageAsync(TimeSpan.FromSeconds(3))).Value;
        var leasesBefore = Count(emulator, "POST", "/v3/leases");

        storage.Stop();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var answers = await RouteSweep.SweepAsync(app, probes);
        output.WriteLine(RouteSweep.Table("storage stopped mid-run", answers) + $"\n(sweep took {clock.Elapsed.TotalSeconds:F1} s)");
        RouteSweep.AssertAnswers(answers, probes, Needs.Tables, readiness: 503, "storage stopped mid-run");

        var failed = await Assert.ThrowsAsync<TransientConfirmationException>(() => new WarehouseEventsFunction(app.Get<ConfirmationProcessor>()).Run(inHand, CancellationToken.None));
        Assert.Contains("storage is unavailable", failed.Message, StringComparison.Ordinal);
        // Nothing the outage refused reached FlexShopper: no lease, no sign, no finalize, no confirmation, no login.
        Assert.Equal(leasesBefore, Count(emulator, "POST", "/v3/leases"));
        Assert.Equal(0, Count(emulator, "POST", $"/v3/leases/{journey.Id("lease.sign")}/sign"));
        Assert.Equal(0, Count(emulator, "POST", "/v3/transactions/fin-mid/finalize"));
        Assert.Equal(0, Count(emulator, "POST", $"/v3/transactions/{journey.ShipmentTransaction}/confirm-shipment"));
        Assert.Equal(0, Count(emulator, "POST", $"/v3/users/{journey.Id("E.user")}/passcode-login"));

        storage.StartAgain();

        // The store retries with the same Idempotency-Keys: each step is carried out once, and a retry replays it.
        foreach (var (function, path) in new[]
                 {
                     ("CreateLease", "/v3/leases"),
                     ("SignLease", $"/v3/leases/{journey.Id("lease.sign")}/sign"),
                     ("FinalizeTransaction", "/v3/transactions/fin-mid/finalize"),
                 })
        {
            var first = await RouteSweep.CallAsync(app, function, probes[function].Call());
            var again = await RouteSweep.CallAsync(app, function, probes[function].Call());
            Assert.True(first.Result.Status == probes[function].Success, $"{first} {first.Result.Body}");
            Assert.Equal((first.Result.Status, first.Result.Body, "true"), (again.Result.Status, again.Result.Body, again.Result.Headers["Idempotent-Replayed"].ToString()));
            var expected = function == "CreateLease" ? leasesBefore + 1 : 1;
            Assert.Equal(expected, Count(emulator, "POST", path));
            output.WriteLine($"after recovery: {function} answered {first.Result.Status}, then replayed; FlexShopper received {path} {Count(emulator, "POST", path) - (function == "CreateLease" ? leasesBefore : 0)} time(s)");
        }

        // What was stored before the outage is still there: the earlier lease's record, the catalog, the failed events.
        var earlier = await RouteSweep.CallAsync(app, "CreateLease", new RouteCall(Body: OutageJourney.LeaseBody("get-mid"), Session: journey.Session, IdempotencyKey: journey.EarlierLeaseKey));
        Assert.Equal((201, "true"), (earlier.Result.Status, earlier.Result.Headers["Idempotent-Replayed"].ToString()));
        Assert.Equal(200, (await RouteSweep.CallAsync(app, "CatalogGetProduct", probes["CatalogGetProduct"].Call())).Result.Status);
        var failedEvents = await RouteSweep.CallAsync(app, "WarehouseFailedEventsList", probes["WarehouseFailedEventsList"].Call());
        Assert.True(failedEvents.Result.Body.Contains(journey.Id("failed.id"), StringComparison.Ordinal), failedEvents.Result.Body);

        // The passcode was not spent during the outage: the customer logs in with it now.
        Assert.Equal(200, (await RouteSweep.CallAsync(app, "LoginCustomer", probes["LoginCustomer"].Call())).Result.Status);

        // The queue hands the event over again once its visibility ran out: confirmed once, and only once.
        var redelivered = await WaitForMessageAsync(queue, shipment);
        Assert.True(redelivered.DequeueCount >= 2);
        await new WarehouseEventsFunction(app.Get<ConfirmationProcessor>()).Run(redelivered, CancellationToken.None);
        await queue.DeleteMessageAsync(redelivered.MessageId, redelivered.PopReceipt);
        var e = app.Get<WarehouseMessageReader>().Read(shipment).Event!;
        Assert.Equal(LedgerState.Done, (await app.Get<ConfirmationLedger>().GetAsync(e.TransactionId, e.Key, CancellationToken.None))?.State);
        Assert.Equal(1, Count(emulator, "POST", $"/v3/transactions/{journey.ShipmentTransaction}/confirm-shipment"));
        Assert.Empty(emulator.State.DuplicateConfirmations);
        output.WriteLine($"after recovery: the warehouse event delivered during the outage was confirmed on delivery {redelivered.DequeueCount}; FlexShopper received confirm-shipment 1 time(s)");

        // The store platforms' deliveries answered 503 during the outage: their retries are taken once and confirmed once.
        output.WriteLine(await journey.RetryPlatformDeliveriesAsync(app, emulator));
    }

    [Fact]
    public async Task Storage_refusing_connections_from_the_start_every_route_needing_it_answers_503_and_nothing_is_sent()
    {
        await using var emulator = await RunningEmulator.StartAsync(SmallCatalog);
        await using var healthy = HttpApp.Build(OutageJourney.AppSettings(emulator));
        var journey = await OutageJourney.PrepareAsync(healthy, emulator, "refused");
        var probes = journey.Probes();

        // A fresh instance whose storage port has nothing listening: no session key ring, no table, nothing cached.
        // Its warehouse queue is on a storage account that works, as when only the tables are unreachable.
        var closed = Azurite.FreePort();
        var settings = OutageJourney.AppSettings(emulator);
        settings["Storage"] = Azurite.ConnectionStringFor(closed, closed, closed);
        await using var refused = HttpApp.Build(settings);
        var requestsBefore = emulator.State.Requests.Count;

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var answers = await RouteSweep.SweepAsync(refused, probes);
        output.WriteLine(RouteSweep.Table("storage refusing connections", answers) + $"\n(sweep took {clock.Elapsed.TotalSeconds:F1} s)");
        RouteSweep.AssertAnswers(answers, probes, Needs.Tables | Needs.Sessions, readiness: 503, "storage refusing connections");

        // Only the routes that need no storage reached FlexShopper: no user created, no lease, no login.
        var sent = emulator.State.Requests.Skip(requestsBefore).Select(r => $"{r.Method} {r.Path}").ToList();
        Assert.DoesNotContain(sent, r => r is "POST /v3/users" or "POST /v3/leases" || r.EndsWith("/passcode-login", StringComparison.Ordinal) || r.EndsWith("/finalize", StringComparison.Ordinal));

        // A warehouse event: the delivery fails as transient, saying why, and nothing is sent to FlexShopper.
        var processor = refused.Get<ConfirmationProcessor>();
        var shipment = AppDriver.Shipment(journey.ShipmentTransaction, "EMU-00021", 1, "PICK-refused");
        var failed = await Assert.ThrowsAsync<TransientConfirmationException>(() => processor.ProcessAsync(new WarehouseDelivery(shipment, "m1", 1), CancellationToken.None));
        Assert.Contains("storage is unavailable", failed.Message, StringComparison.Ordinal);
        Assert.Equal(0, Count(emulator, "POST", $"/v3/transactions/{journey.ShipmentTransaction}/confirm-shipment"));
        Assert.Contains(refused.Logs.GetSnapshot(), r => r.Message.Contains("our storage is unavailable", StringComparison.Ordinal) && r.Level == Microsoft.Extensions.Logging.LogLevel.Warning);

        // A poisoned message that cannot be recorded is not lost: a copy goes back on the poison queue.
        var poison = refused.Get<WarehouseQueue>().Client.GetParentQueueServiceClient().GetQueueClient(settings["WarehouseQueueName"] + "-poison");
        await poison.CreateIfNotExistsAsync();
        Assert.Null(await processor.RecordPoisonedAsync(new WarehouseDelivery(shipment, "p1", 8), CancellationToken.None));
        Assert.Equal(1, (await poison.GetPropertiesAsync()).Value.ApproximateMessagesCount);

        // Once storage answers (here: the healthy instance), the store's retries with the same keys act once.
        var leasesBefore = Count(emulator, "POST", "/v3/leases");
        foreach (var function in new[] { "CreateLease", "CreateLease", "SignLease", "SignLease", "LoginCustomer" })
        {
            var answer = await RouteSweep.CallAsync(healthy, function, probes[function].Call());
            Assert.True(answer.Result.Status == probes[function].Success, $"{answer} {answer.Result.Body}");
        }

        Assert.Equal(leasesBefore + 1, Count(emulator, "POST", "/v3/leases"));
        Assert.Equal(1, Count(emulator, "POST", $"/v3/leases/{journey.Id("lease.sign")}/sign"));
        Assert.Equal(1, Count(emulator, "POST", $"/v3/users/{journey.Id("E.user")}/passcode-login"));
        output.WriteLine(await journey.RetryPlatformDeliveriesAsync(healthy, emulator));
    }

    [Fact]
    public async Task Storage_going_down_while_FlexShopper_carries_out_a_confirmation_or_a_lease_each_is_carried_out_once()
    {
        using var storage = StoppableAzurite.Start();
        await using var emulator = await RunningEmulator.StartAsync(SmallCatalog);
        var settings = OutageJourney.AppSettings(emulator);
        settings["Storage"] = settings["Warehouse"] = storage.ConnectionString;
        settings["Confirmations:ClaimLease"] = "00:00:10"; // short, so the claim the outage strands runs out within the test
        // FlexShopper answers after 1.5 s below: an attempt timeout with a wide margin, so a loaded CI machine cannot
        // turn the answered call into a timed-out one (an unknown outcome, which is another test's subject).
        settings["FlexShopper:AttemptTimeout"] = "00:00:08";
        settings["FlexShopper:TotalTimeout"] = "00:00:20";
        await using var app = HttpApp.Build(settings);
        var journey = await OutageJourney.PrepareAsync(app, emulator, "inflight");
        var probes = journey.Probes();
        var ledger = new TableClient(storage.ConnectionString, settings["Tables:ConfirmationLedger"]);
        var records = new TableClient(storage.ConnectionString, settings["Tables:Idempotency"]);

        // A shipment: FlexShopper takes 1.5 s (well within the attempt timeout), and storage stops meanwhile.
        var queue = app.Get<WarehouseQueue>().Client;
        var shipment = AppDriver.Shipment(journey.ShipmentTransaction, "EMU-00021", 1, "PICK-inflight");
        await queue.SendMessageAsync(shipment);
        QueueMessage inHand = (await queue.ReceiveMessageAsync(TimeSpan.FromSeconds(5))).Value;
        emulator.State.SetFaults(new FaultSettings { LatencyMs = 1500, PathContains = ["confirm-shipment"] });
        var delivery = new WarehouseEventsFunction(app.Get<ConfirmationProcessor>()).Run(inHand, CancellationToken.None);
        await WaitUntilAsync(async () => await RowsAsync(ledger) > 0); // claimed: the call to FlexShopper is under way
        var clock = System.Diagnostics.Stopwatch.StartNew();
        storage.Stop();
        output.WriteLine($"Azurite stopped in {clock.Elapsed.TotalSeconds:F1} s");

        var failed = await Assert.ThrowsAsync<TransientConfirmationException>(() => delivery);
        Assert.Contains("FlexShopper confirmed the event but our storage failed to record it", failed.Message, StringComparison.Ordinal);
        Assert.Equal(1, Count(emulator, "POST", $"/v3/transactions/{journey.ShipmentTransaction}/confirm-shipment"));
        emulator.State.SetFaults(new FaultSettings());

        // A lease: storage stops after the Idempotency-Key was claimed, while FlexShopper creates the lease.
        emulator.State.SetFaults(new FaultSettings { LatencyMs = 1500, Methods = ["POST"], PathContains = ["/v3/leases"] });
        storage.StartAgain();
        var leasesBefore = Count(emulator, "POST", "/v3/leases");
        var recordsBefore = await RowsAsync(records);
        var create = RouteSweep.CallAsync(app, "CreateLease", probes["CreateLease"].Call());
        await WaitUntilAsync(async () => await RowsAsync(records) > recordsBefore);
        storage.Stop();
        var created = await create;
        emulator.State.SetFaults(new FaultSettings());
        // The lease exists, so the store is told so, not handed a 503 that would invite a blind retry.
        Assert.True(created.Result.Status == 201, $"{created} {created.Result.Body}");
        var duringOutage = await RouteSweep.CallAsync(app, "CreateLease", probes["CreateLease"].Call());
        Assert.Equal((503, "DependencyUnavailable"), (duringOutage.Result.Status, duringOutage.Code));

        storage.StartAgain();
        var afterwards = await RouteSweep.CallAsync(app, "CreateLease", probes["CreateLease"].Call());
        // Whatever the store retries, FlexShopper created the lease once (the key's record is still pending: 409).
        Assert.True(afterwards.Result.Status is 201 or 409, $"{afterwards} {afterwards.Result.Body}");
        Assert.Equal(leasesBefore + 1, Count(emulator, "POST", "/v3/leases"));
        output.WriteLine($"lease created while storage went down: answered {created.Result.Status}, retried during the outage {duringOutage.Result.Status}, after it {afterwards.Result.Status}; FlexShopper created it {Count(emulator, "POST", "/v3/leases") - leasesBefore} time(s)");

        // The stranded claim runs out and the queue hands the shipment over again: the transaction already shows the
        // unit shipped, so it is recorded as done without a second confirmation.
        var e = app.Get<WarehouseMessageReader>().Read(shipment).Event!;
        var stranded = await app.Get<ConfirmationLedger>().GetAsync(e.TransactionId, e.Key, CancellationToken.None);
        Assert.Equal(LedgerState.InProgress, stranded?.State);
        var wait = stranded!.LeaseUntil!.Value - DateTimeOffset.UtcNow;
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait + TimeSpan.FromMilliseconds(200));
        }

        var redelivered = await WaitForMessageAsync(queue, shipment);
        await new WarehouseEventsFunction(app.Get<ConfirmationProcessor>()).Run(redelivered, CancellationToken.None);
        Assert.Equal(LedgerState.Done, (await app.Get<ConfirmationLedger>().GetAsync(e.TransactionId, e.Key, CancellationToken.None))?.State);
        Assert.Equal(1, Count(emulator, "POST", $"/v3/transactions/{journey.ShipmentTransaction}/confirm-shipment"));
        Assert.Empty(emulator.State.DuplicateConfirmations);
        Assert.Contains(app.Logs.GetSnapshot(), r => r.Message.Contains("found it already applied at FlexShopper", StringComparison.Ordinal));
        output.WriteLine($"shipment confirmed while storage went down: redelivered on delivery {redelivered.DequeueCount}, found applied; FlexShopper received confirm-shipment 1 time(s)");
    }

    private static async Task<int> RowsAsync(TableClient table)
    {
        try
        {
            var rows = 0;
            await foreach (var _ in table.QueryAsync<TableEntity>(select: ["RowKey"]))
            {
                rows++;
            }

            return rows;
        }
        catch (Azure.RequestFailedException ex) when (ex.Status == 404)
        {
            return 0;
        }
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting");
            await Task.Delay(25);
        }
    }

    private static int Count(RunningEmulator emulator, string method, string path) =>
        emulator.State.Requests.Count(r => r.Method == method && r.Path == path);

    private static async Task<QueueMessage> WaitForMessageAsync(Azure.Storage.Queues.QueueClient queue, string text)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            foreach (var message in (await queue.ReceiveMessagesAsync(maxMessages: 16, visibilityTimeout: TimeSpan.FromSeconds(30))).Value)
            {
                if (message.Body.ToString() == text)
                {
                    return message;
                }

                await queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: TimeSpan.Zero);
            }

            await Task.Delay(250);
        }

        throw new TimeoutException("The warehouse event did not come back on the queue.");
    }
}
