using FlexFunctions.Shared.Catalog;
using Microsoft.AspNetCore.Mvc;

namespace FlexFunctions.Tests.Catalog;

public sealed class CatalogRefreshTests
{
    [Fact]
    public async Task First_refresh_of_a_multi_page_catalog_stores_every_product_in_batches_and_records_the_run()
    {
        using var bed = CatalogTestBed.Create();
        var products = CatalogTestBed.Products(237);
        bed.ServeCatalog(products);

        var result = await bed.Refresher.RunAsync("test", CancellationToken.None);

        var run = Assert.IsType<CatalogRun>(result.Run);
        Assert.Equal(RunOutcome.Succeeded, run.Outcome);
        Assert.Equal((3, 237L, 237L, 0L, 0L, 0L), (run.Pages, run.Seen, run.Inserted, run.Updated, run.Deleted, run.Unchanged));
        Assert.NotNull(run.EndedAt);

        var rows = await bed.CatalogRowsAsync();
        Assert.Equal(products.Select(p => p.Sku).Order(), rows.Select(r => r.GetString("Sku")).Order());
        var row = rows.Single(r => r.GetString("Sku") == "SKU-00042");
        Assert.Equal(("Product 42", "https://www.flexshopper.com/product/42"), (row.GetString("Name"), row.GetString("Url")));
        Assert.Equal(CatalogKeys.PartitionFor("SKU-00042"), row.PartitionKey);

        // Every catalog write went through an entity group transaction, never one request per product.
        Assert.Equal(0, bed.Writes.SingleWrites);
        Assert.InRange(bed.Writes.Batches, 1, rows.Select(r => r.PartitionKey).Distinct().Count());

        var stored = await bed.Reader.GetRunAsync(run.RunId, CancellationToken.None);
        Assert.Equal(run, stored);
    }

    [Fact]
    public async Task A_second_refresh_with_nothing_changed_writes_nothing_to_the_catalog()
    {
        using var bed = CatalogTestBed.Create();
        bed.ServeCatalog(CatalogTestBed.Products(150));
        await bed.Refresher.RunAsync("test", CancellationToken.None);
        var before = (await bed.CatalogRowsAsync()).ToDictionary(r => r.RowKey, r => r.ETag);
        bed.Writes.Reset();

        var run = (await bed.Refresher.RunAsync("test", CancellationToken.None)).Run!;

        Assert.Equal(RunOutcome.Succeeded, run.Outcome);
        Assert.Equal((150L, 0L, 0L, 0L, 150L), (run.Seen, run.Inserted, run.Updated, run.Deleted, run.Unchanged));
        Assert.Equal(0, bed.Writes.CatalogWrites);
        var after = (await bed.CatalogRowsAsync()).ToDictionary(r => r.RowKey, r => r.ETag);
        Assert.Equal(before, after);
    }

    [Fact]
    public async Task Changed_added_and_removed_products_are_updated_inserted_and_deleted()
    {
        using var bed = CatalogTestBed.Create();
        var original = CatalogTestBed.Products(120);
        bed.ServeCatalog(original);
        await bed.Refresher.RunAsync("test", CancellationToken.None);

        // Drop 1..30, rename 31..45, keep the rest, add 15 new SKUs: 60 changed rows.
        var renamed = original.Skip(30).Take(15).Select(p => p.Sku).ToHashSet();
        var next = original.Skip(30)
            .Select(p => renamed.Contains(p.Sku) ? (p.Sku, (string?)(p.Name + " v2"), p.Url) : p)
            .Concat(CatalogTestBed.Products(15, prefix: "NEW-"))
            .ToList();
        bed.ServeCatalog(next, pageSize: 40);
        bed.Writes.Reset();

        var run = (await bed.Refresher.RunAsync("test", CancellationToken.None)).Run!;

        Assert.Equal(RunOutcome.Succeeded, run.Outcome);
        Assert.Equal((105L, 15L, 15L, 30L, 75L), (run.Seen, run.Inserted, run.Updated, run.Deleted, run.Unchanged));
        var rows = await bed.CatalogRowsAsync();
        Assert.Equal(next.Select(p => p.Sku).Order(), rows.Select(r => r.GetString("Sku")).Order());
        Assert.Equal("Product 32 v2", rows.Single(r => r.GetString("Sku") == "SKU-00032").GetString("Name"));
        Assert.Null(await bed.Reader.FindAsync("SKU-00003", CancellationToken.None));

        // One entity group transaction per partition that changed (each holds far fewer than 100 rows), nothing
        // written row by row. Several changed rows share a partition, so a transaction per row would be more.
        var changed = original.Take(45).Select(p => p.Sku).Concat(CatalogTestBed.Products(15, prefix: "NEW-").Select(p => p.Sku)).ToList();
        var partitions = changed.Select(CatalogKeys.PartitionFor).Distinct(StringComparer.Ordinal).Count();
        Assert.True(partitions < changed.Count, $"the {changed.Count} changed SKUs fall in {partitions} partitions; pick SKUs that share one");
        Assert.Equal(partitions, bed.Writes.Batches);
        Assert.Equal(0, bed.Writes.SingleWrites);
    }

    [Fact]
    public async Task An_upstream_failure_on_page_n_leaves_the_previous_catalog_intact_and_records_the_run_as_failed()
    {
        using var bed = CatalogTestBed.Create();
        bed.ServeCatalog(CatalogTestBed.Products(250));
        var first = (await bed.Refresher.RunAsync("test", CancellationToken.None)).Run!;
        var before = (await bed.CatalogRowsAsync()).ToDictionary(r => r.RowKey, r => r.ETag);

        // Page 1 now lacks products (they would be deleted by a complete pass), page 3 changed names, page 2 fails.
        bed.ServeCatalog(CatalogTestBed.Products(250, nameSuffix: " changed").Skip(50).ToList(), failPage: 2);
        bed.Writes.Reset();

        var failed = (await bed.Refresher.RunAsync("test", CancellationToken.None)).Run!;

        Assert.Equal(RunOutcome.Failed, failed.Outcome);
        Assert.Contains("GetProducts page 2", failed.Error);
        Assert.Equal((0L, 0L, 0L), (failed.Inserted, failed.Updated, failed.Deleted));
        Assert.Equal(0, bed.Writes.CatalogWrites);
        Assert.Equal(before, (await bed.CatalogRowsAsync()).ToDictionary(r => r.RowKey, r => r.ETag));

        var stored = await bed.Reader.GetRunAsync(failed.RunId, CancellationToken.None);
        Assert.Equal(RunOutcome.Failed, stored!.Outcome);
        var status = await bed.Reader.GetStatusAsync(CancellationToken.None);
        Assert.Equal(first.RunId, status.LastSuccessfulRunId);
        Assert.Equal(failed.RunId, status.LastRun!.RunId);
        Assert.Equal(250L, status.ProductCount);

        // The lock was released: the next run goes ahead.
        bed.ServeCatalog(CatalogTestBed.Products(250));
        Assert.Equal(RunOutcome.Succeeded, (await bed.Refresher.RunAsync("test", CancellationToken.None)).Run!.Outcome);
    }

    [Fact]
    public async Task An_empty_listing_never_empties_the_catalog()
    {
        using var bed = CatalogTestBed.Create();
        bed.ServeCatalog(CatalogTestBed.Products(120));
        await bed.Refresher.RunAsync("test", CancellationToken.None);
        var before = (await bed.CatalogRowsAsync()).ToDictionary(r => r.RowKey, r => r.ETag);

        // FlexShopper answers page 1 with no products (an outage page, a reshaped answer): nothing may be deleted.
        bed.ServeCatalog([]);
        bed.Writes.Reset();
        var run = (await bed.Refresher.RunAsync("test", CancellationToken.None)).Run!;

        Assert.Equal(RunOutcome.Failed, run.Outcome);
        Assert.Contains("no usable products", run.Error);
        Assert.Equal(0, bed.Writes.CatalogWrites);
        Assert.Equal(before, (await bed.CatalogRowsAsync()).ToDictionary(r => r.RowKey, r => r.ETag));
    }

    [Fact]
    public async Task An_on_demand_refresh_that_fails_answers_a_problem_saying_the_catalog_is_unchanged()
    {
        using var bed = CatalogTestBed.Create();
        bed.ServeCatalog(CatalogTestBed.Products(10), failPage: 1);

        var result = await bed.AdminFunctions().RefreshNow(CatalogTestBed.Get(), CancellationToken.None);

        var problem = Assert.IsAssignableFrom<ObjectResult>(result);
        Assert.Equal(502, problem.StatusCode);
        Assert.Contains("GetProducts page 1", Assert.IsType<ProblemDetails>(problem.Value).Detail);
        Assert.Empty(await bed.CatalogRowsAsync());
        Assert.DoesNotContain(bed.Services.AllLogText(), line => line.Contains("test-api-key-0001", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_run_already_in_progress_is_not_started_twice_and_an_expired_lock_is_taken_over()
    {
        using var bed = CatalogTestBed.Create(fakeTime: true);
        bed.ServeCatalog(CatalogTestBed.Products(5));
        await bed.Refresher.RunAsync("warm-up", CancellationToken.None); // creates the tables
        var store = new CatalogRunStore(bed.RunsTable);
        var crashedRunId = CatalogRunStore.NewRunId(bed.Time.GetUtcNow());
        await store.SaveRunAsync(new CatalogRun { RunId = crashedRunId, Trigger = "timer", StartedAt = bed.Time.GetUtcNow(), Outcome = RunOutcome.Running }, CancellationToken.None);
        Assert.NotNull(await store.TryClaimAsync(crashedRunId, bed.Time.GetUtcNow(), TimeSpan.FromMinutes(5), CancellationToken.None));

        var busy = await bed.Refresher.RunAsync("timer", CancellationToken.None);
        Assert.True(busy.AlreadyRunning);
        var conflict = Assert.IsAssignableFrom<ObjectResult>(await bed.AdminFunctions().RefreshNow(CatalogTestBed.Get(), CancellationToken.None));
        Assert.Equal(409, conflict.StatusCode);

        bed.Time.Advance(TimeSpan.FromMinutes(6));
        var taken = await bed.Refresher.RunAsync("timer", CancellationToken.None);

        Assert.Equal(RunOutcome.Succeeded, taken.Run!.Outcome);
        Assert.Equal(RunOutcome.Abandoned, (await bed.Reader.GetRunAsync(crashedRunId, CancellationToken.None))!.Outcome);
    }

    [Fact]
    public async Task Products_with_unusable_or_repeated_skus_are_skipped_and_counted_and_awkward_skus_round_trip()
    {
        using var bed = CatalogTestBed.Create();
        bed.ServeCatalog(
        [
            ("A/B#1?x%y\\z", "Awkward", null),
            ("", "No SKU", null),
            (new string('x', CatalogKeys.MaxSkuLength + 1), "Too long", null),
            ("DUP-1", "First", null),
            ("DUP-1", "Second", null),
        ]);

        var run = (await bed.Refresher.RunAsync("test", CancellationToken.None)).Run!;

        Assert.Equal((2L, 3L, 2L), (run.Seen, run.Skipped, run.Inserted));
        Assert.Equal("Awkward", (await bed.Reader.FindAsync("A/B#1?x%y\\z", CancellationToken.None))!.Name);
        Assert.Equal("Second", (await bed.Reader.FindAsync("DUP-1", CancellationToken.None))!.Name);
    }

    [Fact]
    public async Task Pages_are_requested_ahead_but_applied_in_order_and_answers_past_the_last_page_are_ignored()
    {
        using var bed = CatalogTestBed.Create(configure: s => s["Catalog:PageConcurrency"] = "4");
        // The same SKU on the first and the last page: the later listing must win, as it does when paging one by one.
        var products = CatalogTestBed.Products(48).Prepend(("DUP-1", "First", null)).Append(("DUP-1", "Last", null)).ToList();
        bed.ServeCatalog(products, pageSize: 10);

        var run = (await bed.Refresher.RunAsync("test", CancellationToken.None)).Run!;

        Assert.Equal(RunOutcome.Succeeded, run.Outcome);
        Assert.Equal((5, 49L, 1L), (run.Pages, run.Seen, run.Skipped));
        Assert.Equal("Last", (await bed.Reader.FindAsync("DUP-1", CancellationToken.None))!.Name);

        // Pages 1-5 and the empty page 6 were needed; at most three more were asked for, and they had no answer
        // (the fake has no page 7 and up) without failing the run.
        var asked = bed.Fake.Server.LogEntries.Select(e => e.RequestMessage!).Where(r => r.Path == "/v3/products")
            .Select(r => int.Parse(r.Query!["page"][0], System.Globalization.CultureInfo.InvariantCulture)).Distinct().Order().ToList();
        Assert.Equal(Enumerable.Range(1, asked.Count), asked);
        Assert.InRange(asked.Count, 6, 9);
    }

    [Fact]
    public async Task A_catalog_of_exactly_max_pages_refreshes_and_one_page_more_fails_without_writing()
    {
        using var bed = CatalogTestBed.Create(configure: s => s["Catalog:MaxPages"] = "3");
        bed.ServeCatalog(CatalogTestBed.Products(30), pageSize: 10);
        Assert.Equal(RunOutcome.Succeeded, (await bed.Refresher.RunAsync("test", CancellationToken.None)).Run!.Outcome);

        bed.ServeCatalog(CatalogTestBed.Products(31), pageSize: 10);
        bed.Writes.Reset();
        var failed = (await bed.Refresher.RunAsync("test", CancellationToken.None)).Run!;

        Assert.Equal(RunOutcome.Failed, failed.Outcome);
        Assert.Contains("Catalog__MaxPages (3)", failed.Error);
        Assert.Equal(0, bed.Writes.CatalogWrites);
    }

    [Fact]
    public void The_schedule_setting_is_required_and_must_be_six_field_ncrontab()
    {
        var validator = new CatalogOptionsValidator();
        Assert.True(validator.Validate(null, new CatalogOptions { Schedule = "0 0 */6 * * *" }).Succeeded);
        var missing = validator.Validate(null, new CatalogOptions());
        Assert.Contains("CatalogRefreshSchedule", missing.FailureMessage);
        Assert.True(validator.Validate(null, new CatalogOptions { Schedule = "0 */6 * * *" }).Failed); // five fields: no seconds
    }
}
