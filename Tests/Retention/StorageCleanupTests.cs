using System.Globalization;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using FlexFunctions.Shared.AbuseLimits;
using FlexFunctions.Shared.Catalog;
using FlexFunctions.Shared.Confirmations;
using FlexFunctions.Shared.Idempotency;
using FlexFunctions.Shared.Retention;
using FlexFunctions.Shared.StorePlatforms;
using FlexFunctions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace FlexFunctions.Tests.Retention;

/// <summary>
/// The storage cleanup against Azurite with a fake clock: rows written by the app's own services long ago are deleted
/// from every table, rows still within their table's retention are kept, and a run stopped half way (by its budget or
/// by storage failing) is resumed by the next one.
/// </summary>
public sealed class StorageCleanupTests : IAsyncDisposable
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow.AddDays(-500));
    private readonly Dictionary<string, string?> _settings;
    private readonly List<TestServices> _apps = [];

    public StorageCleanupTests()
    {
        _settings = TestServices.DefaultSettings("http://127.0.0.1:9/v3/");
        _settings["CustomerSession:KeyRingTable"] = Azurite.UniqueName("dpkeys");
    }

    private TestServices App(Action<IServiceCollection>? configure = null)
    {
        var app = TestServices.Build(_settings, s =>
        {
            s.AddSingleton<TimeProvider>(_clock);
            configure?.Invoke(s);
        });
        _apps.Add(app);
        return app;
    }

    private async Task<List<TableEntity>> RowsAsync(TestServices app, string table)
    {
        var rows = new List<TableEntity>();
        try
        {
            await foreach (var row in app.Get<TableServiceClient>().GetTableClient(table).QueryAsync<TableEntity>())
            {
                rows.Add(row);
            }
        }
        catch (Azure.RequestFailedException ex) when (ex.Status == 404)
        {
        }

        return rows;
    }

    private string Table(string setting) => _settings["Tables:" + setting]!;

    [Fact]
    public async Task Expired_rows_of_every_table_are_deleted_and_live_ones_are_kept()
    {
        var app = App();
        var retention = app.Get<Microsoft.Extensions.Options.IOptions<RetentionOptions>>().Value;
        var cleanAt = _clock.GetUtcNow() + TimeSpan.FromDays(450);
        var limiter = app.Get<IAbuseLimiter>();
        var idempotency = app.Get<IIdempotencyStore>();
        var deliveries = app.Get<DeliveryLog>();
        var failures = app.Get<FailedEventStore>();
        var ledger = app.Get<ConfirmationLedger>();
        var orders = app.Get<ShopifyOrderIndex>();
        var reader = app.Get<WarehouseMessageReader>();
        var runsTable = app.Get<TableServiceClient>().GetTableClient(Table("CatalogRuns"));
        await runsTable.CreateIfNotExistsAsync();
        var catalogRuns = new CatalogRunStore(runsTable);
        var keyRing = app.Get<TableServiceClient>().GetTableClient(_settings["CustomerSession:KeyRingTable"]);
        await keyRing.CreateIfNotExistsAsync();

        // Each table gets a row just past its retention ("old") and one just within it ("live") when the cleanup runs.
        var writes = new List<(DateTimeOffset At, Func<Task> Write)>();
        void Both(TimeSpan kept, Func<string, Task> write)
        {
            writes.Add((cleanAt - kept - TimeSpan.FromHours(2), () => write("old")));
            writes.Add((cleanAt - kept + TimeSpan.FromHours(2), () => write("live")));
        }

        Both(retention.RateLimits, async age =>
        {
            await limiter.TryAcquireAsync(LimitKind.PasscodeRequest, "cust-" + age, "198.51.100." + (age == "old" ? "1" : "2"));
            var login = await limiter.TryAcquireAsync(LimitKind.LoginAttempt, "login-" + age, null);
            await limiter.CompleteLoginAsync(login, LoginOutcome.WrongPasscode);
        });
        Both(retention.Idempotency, async age =>
        {
            var begun = await idempotency.BeginAsync("CreateLease", "done-" + age, "fp");
            await idempotency.CompleteAsync("CreateLease", begun, new IdempotencyOutcome(201, "application/json", "{}"u8.ToArray()));
        });
        Both(retention.IdempotencyUnknown, async age =>
        {
            var begun = await idempotency.BeginAsync("SignLease", "unknown-" + age, "fp");
            await idempotency.MarkUnknownAsync("SignLease", begun, _clock.GetUtcNow(), "test");
            await idempotency.BeginAsync("Finalize", "pending-" + age, "fp"); // its process died mid-call
        });
        Both(retention.PlatformDeliveries, age => deliveries.RecordAsync("shopify", "delivery-" + age, "fulfillments/create", "1 queued", default));
        Both(retention.FailedEvents, age => failures.RecordAsync(new FailedEvent { Kind = FailedEventKinds.Failed, Id = EventKey.Hash(age), Reason = "test" }, "{\"age\":\"" + age + "\"}", default));
        Both(retention.ConfirmationLedger, async age =>
        {
            var e = reader.Read($$"""{"version":1,"type":"cancel","transactionId":"T-{{age}}"}""").Event!;
            await ledger.MarkDoneAsync(await ledger.TryClaimAsync(e, "m", default), default);
        });
        // A transaction with an old event and a live one: its rows go together, so the old one stays too.
        writes.Add((cleanAt - retention.ConfirmationLedger - TimeSpan.FromDays(3), () => Claim(ledger, reader, "T-mixed", "R-1")));
        writes.Add((cleanAt - TimeSpan.FromDays(1), () => Claim(ledger, reader, "T-mixed", "R-2")));
        Both(retention.ShopifyOrders, age => orders.LearnAsync("shop.myshopify.com", age == "old" ? 1 : 2, new ShopifyOrderFacts("#" + age, null, null, []), default));
        Both(retention.CatalogRuns, age => catalogRuns.SaveRunAsync(new CatalogRun { RunId = CatalogRunStore.NewRunId(_clock.GetUtcNow()), Trigger = age, StartedAt = _clock.GetUtcNow() }, default));
        Both(retention.KeyRing, age => keyRing.UpsertEntityAsync(new TableEntity("keyring", "key-" + age) { ["Xml"] = KeyXml(_clock.GetUtcNow()) }));
        Both(retention.CleanupRuns, _ => app.Get<StorageCleanup>().RunAsync());

        foreach (var (at, write) in writes.OrderBy(w => w.At))
        {
            _clock.SetUtcNow(at);
            await write();
        }

        await keyRing.UpsertEntityAsync(new TableEntity("keyring", "revocation") { ["Xml"] = $"<revocation version=\"1\"><revocationDate>{cleanAt.AddDays(-449):O}</revocationDate><key id=\"*\" /></revocation>" });
        _clock.SetUtcNow(cleanAt);
        var run = await app.Get<StorageCleanup>().RunAsync();

        Assert.Equal(CleanupOutcome.Completed, run.Outcome);
        var limits = await RowsAsync(app, Table("RateLimits"));
        Assert.Equal(3, limits.Count); // the live customer's passcode counter, its IP's, and the live login row
        Assert.All(limits, r => Assert.True(r.GetDateTimeOffset("WindowStart") > cleanAt.AddDays(-1) || r.GetDateTimeOffset("AttemptsSince") > cleanAt.AddDays(-1)));
        var records = await RowsAsync(app, Table("Idempotency"));
        Assert.Equal(3, records.Count); // live done, live unknown, live pending
        Assert.Equal(["done", "pending", "unknown"], records.Select(r => r.GetString("State")).Order());
        Assert.Single(await RowsAsync(app, Table("PlatformDeliveries")));
        Assert.Equal(EventKey.Hash("live"), Assert.Single(await RowsAsync(app, Table("FailedEvents"))).RowKey);
        Assert.Equal(["T-live", "T-mixed", "T-mixed"], (await RowsAsync(app, Table("ConfirmationLedger"))).Select(r => r.PartitionKey).Order());
        Assert.Equal("2", Assert.Single(await RowsAsync(app, Table("ShopifyOrders"))).RowKey);
        Assert.Equal("live", Assert.Single(await RowsAsync(app, Table("CatalogRuns"))).GetString("Trigger"));
        Assert.Equal(["key-live", "revocation"], (await RowsAsync(app, _settings["CustomerSession:KeyRingTable"]!)).Select(r => r.RowKey).Order());
        var cleanups = (await RowsAsync(app, Table("StorageCleanup"))).Where(r => r.PartitionKey == "run").ToList();
        Assert.Equal(2, cleanups.Count); // the live one and this run; the old one is gone
        Assert.Equal(3, run.Deleted["RateLimits"]); // the old customer's counter, its IP's, and the old login row
        Assert.Equal(3, run.Deleted["Idempotency"]);
        Assert.Equal(1, run.Deleted["ConfirmationLedger"]);
        Assert.Equal(1, run.Deleted["KeyRing"]);

        // The run is recorded with what it deleted, per table.
        var recorded = Assert.Single(await app.Get<StorageCleanup>().RecentRunsAsync(1));
        Assert.Equal((run.RunId, CleanupOutcome.Completed, run.TotalDeleted), (recorded.RunId, recorded.Outcome, recorded.TotalDeleted));

        // A second run finds nothing more to delete.
        Assert.Equal(0, (await app.Get<StorageCleanup>().RunAsync()).TotalDeleted);
    }

    [Fact]
    public async Task A_run_stopped_by_its_budget_resumes_where_it_stopped()
    {
        _settings["StorageCleanup:MaxRowsPerRun"] = "150";
        var app = App();
        var table = await SeedLimitsAsync(app, expired: 400, live: 20);

        var runs = new List<CleanupRun>();
        do
        {
            runs.Add(await app.Get<StorageCleanup>().RunAsync());
        }
        while (runs[^1].Outcome == CleanupOutcome.Paused && runs.Count < 10);

        Assert.Equal([CleanupOutcome.Paused, CleanupOutcome.Paused, CleanupOutcome.Completed], runs.Select(r => r.Outcome));
        Assert.Equal([150L, 150L, 100L], runs.Select(r => r.TotalDeleted));
        Assert.Null(runs[0].ResumedFrom);
        Assert.StartsWith("RateLimits/", runs[1].ResumedFrom, StringComparison.Ordinal);
        Assert.Equal(runs[0].StoppedAt, runs[1].ResumedFrom);
        Assert.Equal(20, (await RowsAsync(app, table)).Count);
        Assert.True(runs[2].Scanned < 400, "the third run started where the second stopped, not from the beginning");
    }

    [Fact]
    public async Task A_run_cut_off_by_storage_failing_half_way_is_resumed_by_the_next()
    {
        var failing = new FailAfter(deletes: 3);
        var table = await SeedLimitsAsync(App(), expired: 500, live: 5);
        var broken = App(s => s.AddSingleton(Azurite.Instance.TablesObservedBy(failing)));

        await Assert.ThrowsAnyAsync<Exception>(() => broken.Get<StorageCleanup>().RunAsync());
        var left = (await RowsAsync(broken, table)).Count;
        Assert.InRange(left, 5 + 1, 5 + 500 - 1); // it deleted some, not all

        failing.Heal();
        var resumed = await App().Get<StorageCleanup>().RunAsync();

        Assert.Equal(CleanupOutcome.Completed, resumed.Outcome);
        Assert.StartsWith("RateLimits/", resumed.ResumedFrom, StringComparison.Ordinal);
        Assert.Equal(5, (await RowsAsync(broken, table)).Count);
        var failed = (await App().Get<StorageCleanup>().RecentRunsAsync(5)).Single(r => r.Outcome == CleanupOutcome.Failed);
        Assert.NotNull(failed.Error);
    }

    /// <summary>Rate-limit counters, as the limiter writes them, spread over many partitions.</summary>
    private async Task<string> SeedLimitsAsync(TestServices app, int expired, int live)
    {
        var table = app.Get<TableServiceClient>().GetTableClient(Table("RateLimits"));
        await table.CreateIfNotExistsAsync();
        var now = _clock.GetUtcNow();
        foreach (var (count, at, name) in new[] { (expired, now.AddDays(-3), "old"), (live, now.AddMinutes(-5), "live") })
        {
            foreach (var group in Enumerable.Range(0, count).GroupBy(i => i % 7))
            {
                var actions = group.Select(i => new TableTransactionAction(TableTransactionActionType.Add,
                    new TableEntity($"P{group.Key:D2}-{name}", i.ToString("D5", CultureInfo.InvariantCulture)) { ["WindowStart"] = at, ["Count"] = 1 })).ToList();
                foreach (var chunk in actions.Chunk(100))
                {
                    await table.SubmitTransactionAsync(chunk);
                }
            }
        }

        return Table("RateLimits");
    }

    private static async Task Claim(ConfirmationLedger ledger, WarehouseMessageReader reader, string transaction, string reference)
    {
        var e = reader.Read($$"""{"version":1,"type":"cancel","transactionId":"{{transaction}}","reference":"{{reference}}"}""").Event!;
        await ledger.MarkDoneAsync(await ledger.TryClaimAsync(e, "m", default), default);
    }

    /// <summary>A Data Protection key as the key ring stores it, expiring at <paramref name="expires"/>.</summary>
    private static string KeyXml(DateTimeOffset expires) =>
        $"<key id=\"{Guid.NewGuid()}\" version=\"1\"><creationDate>{expires.AddDays(-90):O}</creationDate><activationDate>{expires.AddDays(-90):O}</activationDate><expirationDate>{expires:O}</expirationDate></key>";

    /// <summary>Lets a few delete transactions through, then fails every request as storage going away would.</summary>
    private sealed class FailAfter(int deletes) : HttpPipelineSynchronousPolicy
    {
        private int _left = deletes;
        private volatile bool _healed;

        public void Heal() => _healed = true;

        public override void OnSendingRequest(HttpMessage message)
        {
            if (!_healed && message.Request.Uri.Path.EndsWith("$batch", StringComparison.Ordinal) && Interlocked.Decrement(ref _left) < 0)
            {
                throw new Azure.RequestFailedException(0, "storage unreachable (test)");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var app in _apps)
        {
            await app.DisposeAsync();
        }
    }
}
