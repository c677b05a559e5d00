using FlexFunctions.Shared.Confirmations;
using FlexFunctions.Tests.Emulator;
using FlexFunctions.Tests.Http;
using FlexShopper.Emulator;

namespace FlexFunctions.Tests.EndToEnd;

/// <summary>
/// A customer's whole journey through the function classes, built by the real <c>AddFlexFunctions</c> against the
/// FlexShopper emulator and Azurite: what the store and the warehouse see, end to end, with and without faults.
/// </summary>
public sealed class FunctionJourneyTests
{
    /// <summary>Three full pages and a short one: enough to show paging, small enough to stay fast.</summary>
    private static EmulatorOptions SmallCatalog => new() { ProductCount = 70, ProductPageSize = 20 };

    [Fact]
    public async Task New_customer_signs_up_logs_in_passes_identity_questions_leases_signs_finalizes_and_the_warehouse_ships_and_delivers()
    {
        await using var emulator = await RunningEmulator.StartAsync(SmallCatalog);
        await using var app = HttpApp.Build(emulator.AppSettings());
        var store = new AppDriver(app, emulator);

        var userId = await store.SignUpAsync("kba.journey@example.com");
        await store.LogInAsync(userId);
        Assert.Equal(200, (await store.RoutingAsync(JourneyDriver.Routing)).Status);

        // SSN ending 9: pending identity verification, then the documented right answers approve.
        var applied = await store.ApplyAsync("123456789");
        Assert.True(applied.Status == 200, applied.Body);
        Assert.Equal(("pending", "pending"), (Text(applied, "decision", "status"), Text(applied, "verificationStatus")));
        var questions = await store.QuestionsAsync();
        Assert.Equal(3, questions.Json.GetProperty("questions").GetArrayLength());
        var answered = await store.AnswerAsync(questions.Json.GetProperty("id").GetString()!, [("q1", "q1-b"), ("q2", "q2-a"), ("q3", "q3-c")]);
        Assert.Equal(("approved", "succeeded"), (Text(answered, "decision", "status"), Text(answered, "verificationStatus")));
        Assert.Equal(2000m, (await store.MeAsync()).Json.GetProperty("decision").GetProperty("spendingLimit").GetDecimal());

        // The lease, created once even when the store sends it twice with the same Idempotency-Key.
        var lease = await store.CreateLeaseAsync("order-3001", "EMU-00021", "EMU-00022", idempotencyKey: "lease-order-3001");
        Assert.True(lease.Status == 201, lease.Body);
        var again = await store.CreateLeaseAsync("order-3001", "EMU-00021", "EMU-00022", idempotencyKey: "lease-order-3001");
        Assert.Equal((201, lease.Body, "true"), (again.Status, again.Body, again.Headers["Idempotent-Replayed"].ToString()));
        Assert.Single(emulator.State.Requests, r => r is { Method: "POST", Path: "/v3/leases" });
        var leaseId = lease.Json.GetProperty("leaseId").GetString()!;

        var early = await store.FinalizeAsync("order-3001");
        Assert.Equal((409, "LeaseNotSigned"), (early.Status, early.Json.GetProperty("code").GetString()));
        Assert.Equal("unsigned", Text(await store.GetLeaseAsync(leaseId), "leaseStatus"));
        Assert.Equal(200, (await store.SignAsync(leaseId, "sign-order-3001")).Status);
        var finalized = await store.FinalizeAsync("order-3001", "finalize-order-3001");
        Assert.True(finalized.Status == 200, finalized.Body);
        Assert.Equal("signed", Text(await store.TransactionAsync("order-3001"), "lease", "status"));

        // The warehouse: a shipment per item, then the whole order received, each through the real queue.
        Assert.Null(await store.ShipAsync(AppDriver.Shipment("order-3001", "EMU-00021", 1, "PICK-1")));
        Assert.Null(await store.ShipAsync(AppDriver.Shipment("order-3001", "EMU-00022", 2, "PICK-2")));
        Assert.Null(await store.ShipAsync(AppDriver.Receipt("order-3001")));
        // The warehouse sends one shipment twice: acknowledged, not confirmed again.
        Assert.Null(await store.ShipAsync(AppDriver.Shipment("order-3001", "EMU-00021", 1, "PICK-1")));

        Assert.Equal((1, 1), (await store.UnitsAsync("order-3001", "EMU-00021", "shipped"), await store.UnitsAsync("order-3001", "EMU-00021", "received")));
        Assert.Equal((2, 2), (await store.UnitsAsync("order-3001", "EMU-00022", "shipped"), await store.UnitsAsync("order-3001", "EMU-00022", "received")));
        Assert.Equal(2, emulator.State.Requests.Count(r => r.Path.EndsWith("/confirm-shipment", StringComparison.Ordinal)));
        await store.AssertEveryMessageConfirmedAsync();

        // The catalog refresh copies every product page by page; the storefront reads it without calling FlexShopper.
        await store.RefreshCatalogAsync();
        await AssertCatalogCopiedAsync(store, emulator);
        store.AssertNothingWentWrong();
    }

    [Fact]
    public async Task The_same_journey_rides_out_latency_503_bursts_rate_limits_and_a_lost_answer_without_duplicates_or_losses()
    {
        await using var emulator = await RunningEmulator.StartAsync(SmallCatalog);
        var settings = emulator.AppSettings();
        settings["FlexShopper:AttemptTimeout"] = "00:00:05"; // generous: no call below should time out on a slow machine
        await using var app = HttpApp.Build(settings);
        var store = new AppDriver(app, emulator);
        void Faults(FaultSettings faults) => emulator.State.SetFaults(faults);
        IEnumerable<int> Statuses(string pathEnd) => emulator.State.Requests.Where(r => r.Path.EndsWith(pathEnd, StringComparison.Ordinal)).Select(r => r.Status);

        Faults(new FaultSettings { LatencyMs = 5 });
        var userId = await store.SignUpAsync("faults.journey@example.com");
        await store.LogInAsync(userId);
        var applied = await store.ApplyAsync("123456781");
        Assert.Equal("approved", Text(applied, "decision", "status"));

        // Reads are retried through a 503 burst and a 429 that says when to come back.
        Faults(new FaultSettings { LatencyMs = 5, Burst503Count = 2, Methods = ["GET"] });
        Assert.Equal(200, (await store.MeAsync()).Status);
        Assert.Equal([503, 503, 200], Statuses("/users/me"));

        Faults(new FaultSettings { LatencyMs = 5 });
        var lease = await store.CreateLeaseAsync("order-4001", "EMU-00031", "EMU-00032", idempotencyKey: "lease-order-4001");
        Assert.True(lease.Status == 201, lease.Body);
        var leaseId = lease.Json.GetProperty("leaseId").GetString()!;
        Faults(new FaultSettings { RateLimitCount = 1, RetryAfterSeconds = 1, Methods = ["GET"], PathContains = ["/leases/"] });
        Assert.Equal(200, (await store.GetLeaseAsync(leaseId)).Status);
        Assert.Equal([429, 200], Statuses("/leases/" + leaseId));

        // Signing is sent once: the 503 reaches the store, which tries again with the same key and succeeds
        // (an outage is not recorded against the Idempotency-Key).
        Faults(new FaultSettings { Burst503Count = 1, PathContains = ["/sign"] });
        var refused = await store.SignAsync(leaseId, "sign-order-4001");
        Assert.Equal(503, refused.Status);
        var signed = await store.SignAsync(leaseId, "sign-order-4001");
        Assert.True(signed.Status == 200, signed.Body);
        Assert.False(signed.Headers.ContainsKey("Idempotent-Replayed"));
        Assert.Equal([503, 200], Statuses($"/leases/{leaseId}/sign"));
        Faults(new FaultSettings { LatencyMs = 5 });
        Assert.Equal(200, (await store.FinalizeAsync("order-4001", "finalize-order-4001")).Status);

        // A 503 burst outlasting the client's retries fails the delivery; the queue redelivers and it confirms once.
        Faults(new FaultSettings { Burst503Count = 5, PathContains = ["confirm-shipment"] });
        var shipA = AppDriver.Shipment("order-4001", "EMU-00031", 1, "PICK-A");
        Assert.IsType<TransientConfirmationException>(await store.ShipAsync(shipA));
        var (redelivered, failure) = await store.RedeliverAsync();
        Assert.Null(failure);
        Assert.Equal(2, redelivered.DequeueCount);
        Assert.Equal([503, 503, 503, 503, 503, 200], Statuses("/confirm-shipment"));

        // FlexShopper applies the next shipment but its answer is lost, and the host stops the function meanwhile.
        // The redelivery finds the units shipped on the transaction and does not confirm again.
        Faults(new FaultSettings { LostResponseCount = 1, HangMs = 30_000, PathContains = ["confirm-shipment"] });
        using (var hostStopping = new CancellationTokenSource())
        {
            var delivery = store.ShipAsync(AppDriver.Shipment("order-4001", "EMU-00032", 2, "PICK-B"), hostStopping.Token);
            await WaitUntil(() => emulator.State.Requests.Any(r => r.Fault == "lost"), delivery);
            hostStopping.Cancel();
            Assert.NotNull(await delivery);
        }

        Faults(new FaultSettings());
        var (afterCrash, crashFailure) = await store.RedeliverAsync();
        Assert.Null(crashFailure);
        Assert.Equal(2, afterCrash.DequeueCount);
        Assert.Equal(2, await store.UnitsAsync("order-4001", "EMU-00032", "shipped"));
        Assert.Equal([503, 503, 503, 503, 503, 200, 200], Statuses("/confirm-shipment")); // the lost one was not sent again

        // The receipt meets a 429 with Retry-After: the client waits as told and confirms on the same delivery.
        Faults(new FaultSettings { RateLimitCount = 1, RetryAfterSeconds = 1, PathContains = ["confirm-receipt"] });
        Assert.Null(await store.ShipAsync(AppDriver.Receipt("order-4001")));
        Assert.Equal([429, 200], Statuses("/confirm-receipt"));

        Faults(new FaultSettings());
        Assert.Equal((1, 1), (await store.UnitsAsync("order-4001", "EMU-00031", "shipped"), await store.UnitsAsync("order-4001", "EMU-00031", "received")));
        Assert.Equal((2, 2), (await store.UnitsAsync("order-4001", "EMU-00032", "shipped"), await store.UnitsAsync("order-4001", "EMU-00032", "received")));
        Assert.Single(emulator.State.Requests, r => r is { Method: "POST", Path: "/v3/leases" });
        await store.AssertEveryMessageConfirmedAsync();

        // The catalog refresh rides out a 503 burst and a 429 on its pages (requested several at a time, so which
        // page meets which fault depends on arrival order; the first four answers are the three faults and a 200).
        Faults(new FaultSettings { LatencyMs = 5, RateLimitCount = 1, RetryAfterSeconds = 1, Burst503Count = 2, PathContains = ["/products"] });
        await store.RefreshCatalogAsync();
        Assert.Equal([200, 429, 503, 503], Statuses("/products").Take(4).Order());
        await AssertCatalogCopiedAsync(store, emulator);
        store.AssertNothingWentWrong();
    }

    private static async Task AssertCatalogCopiedAsync(AppDriver store, RunningEmulator emulator)
    {
        var status = await store.CatalogStatusAsync();
        Assert.True(status.Status == 200, status.Body);
        Assert.Equal(emulator.State.Options.ProductCount, status.Json.GetProperty("productCount").GetInt64());
        var product = await store.CatalogProductAsync("EMU-00005");
        Assert.True(product.Status == 200, product.Body);
        Assert.Equal("Smartphone model 5", product.Json.GetProperty("name").GetString());
        Assert.Equal(49.95m, (await store.CatalogLeaseSettingsAsync()).Json.GetProperty("minimumOrderValue").GetDecimal());
        var reads = emulator.State.Requests.Count;
        Assert.Equal(404, (await store.CatalogProductAsync("EMU-99999")).Status);
        Assert.Equal(reads, emulator.State.Requests.Count); // reads never reach FlexShopper
    }

    private static string? Text(HttpResult result, params string[] path)
    {
        var node = result.Json;
        foreach (var name in path)
        {
            node = node.GetProperty(name);
        }

        return node.GetString();
    }

    /// <summary>Waits for something the emulator records, failing if the delivery ends first or it never comes.</summary>
    private static async Task WaitUntil(Func<bool> condition, Task delivery)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            Assert.False(delivery.IsCompleted, "the delivery ended before FlexShopper applied the event");
            Assert.True(DateTime.UtcNow < deadline, "FlexShopper never received the event");
            await Task.Delay(10);
        }
    }
}
