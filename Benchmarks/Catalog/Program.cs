// Catalog refresh benchmark: the real CatalogRefresher (AddFlexFunctions) against a fake FlexShopper in its own
// process serving N products in pages of 100, into a real Table endpoint (Azurite by default) whose every request
// waits --storage-latency-ms first, as a storage account's round trip does. For each size and latency: a first, an
// unchanged and a 1 %-changed refresh, and the naive loop (one upsert per product, the same clients and latency).
// `--help` lists the options. Every table it creates is deleted.
using System.Diagnostics;
using Azure.Data.Tables;
using FlexFunctions.Benchmarks.Catalog;
using FlexFunctions.Benchmarks.Common;
using FlexFunctions.Shared.Catalog;
using FlexFunctions.Shared.FlexShopper;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static FlexFunctions.Benchmarks.Common.Figures;

if (FakeProcess.IsChild(args))
{
    return await FakeProcess.ServeAsync(FakeCatalog.Map);
}

var cli = new BenchArguments("Catalog",
    "Catalog refresh (first, unchanged, 1 % changed) against the naive one-upsert-per-product loop, per catalog size and storage latency.");
var common = new CommonOptions(cli, latencies: [0, 3], upstreamDelays: [0]);
var sizesOption = cli.Ints("--products", [10_000, 100_000], "catalog sizes", 1, 10_000_000);
var naiveLimitOption = cli.Int("--naive-products", 0, "run the naive loop over the first N products only and scale its time to the whole catalog (0: all)");
var noNaiveOption = cli.Flag("--no-naive", "skip the naive loop");
var writeConcurrencyOption = cli.Int("--write-concurrency", 4, "Catalog__WriteConcurrency (partitions written at once)", 1, 32);
var pageConcurrencyOption = cli.Int("--page-concurrency", 4, "Catalog__PageConcurrency (pages requested at once)", 1, 16);
if (!cli.TryParse(args, out var exitCode))
{
    return exitCode;
}

var writers = writeConcurrencyOption();
var pagesAhead = pageConcurrencyOption();
var storage = common.Storage;
var roundTrips = new StorageRoundTrips();
await using var fake = await FakeProcess.StartAsync();
Console.WriteLine($"Catalog benchmark: {Machine.Describe(storage)}; fake FlexShopper in process {fake.Pid}; write concurrency {writers}, page concurrency {pagesAhead}");
var table = new MarkdownTable("Products", "Storage latency", "Upstream delay", "Scenario", "Wall s", "Requests by kind", "Storage round trips in sequence",
    "Allocated B/product", "Peak live heap MB", "Emulator CPU s", "Fake FlexShopper CPU s", "Floor s", "Ratio to floor");
var summary = new List<string>();
foreach (var upstreamDelay in common.UpstreamDelaysMs)
{
    foreach (var latency in common.StorageLatenciesMs)
    {
        roundTrips.Latency = TimeSpan.FromMilliseconds(latency);
        var heaps = new Dictionary<int, long>();
        foreach (var size in sizesOption())
        {
            var loadBefore = Machine.LoadAverage();
            await fake.PostAsync(FormattableString.Invariant($"__set?products={size}&generation=0&delayMs={upstreamDelay}"));
            var names = new[] { "benchcat", "benchruns", "benchnaive" }.Select(n => n + Guid.NewGuid().ToString("N")[..10]).ToArray();
            var settings = new Dictionary<string, string?>
            {
                ["FlexShopper:BaseUrl"] = fake.BaseUrl + "v3/",
                ["FlexShopper:ApiKey"] = "benchmark-key",
                ["Storage"] = storage,
                ["Warehouse"] = storage,
                ["WarehouseQueueName"] = "benchmark",
                ["Tables:Catalog"] = names[0],
                ["Tables:CatalogRuns"] = names[1],
                ["CatalogRefreshSchedule"] = "0 0 */6 * * *",
                ["Catalog:MaxPages"] = "100000",
                ["Catalog:WriteConcurrency"] = writers.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Catalog:PageConcurrency"] = pagesAhead.ToString(System.Globalization.CultureInfo.InvariantCulture),
            };
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
            await using var services = new ServiceCollection()
                .AddLogging(l => l.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning))
                .AddFlexFunctions(configuration)
                .AddSingleton(roundTrips.Policies)
                .BuildServiceProvider();
            var tables = services.GetRequiredService<TableServiceClient>();
            var refresher = services.GetRequiredService<CatalogRefresher>();
            var pages = ((size + FakeCatalog.PageSize - 1) / FakeCatalog.PageSize) + 1; // and the empty page that ends it
            try
            {
                var first = await Refresh("first", existing: 0, changed: size);
                var unchanged = await Refresh("unchanged", existing: size, changed: 0);
                await fake.PostAsync(FormattableString.Invariant($"__set?products={size}&generation=1&delayMs={upstreamDelay}"));
                await Refresh("1% changed", existing: size, changed: size / 100);
                heaps[size] = first.PeakLive;
                summary.Add(FormattableString.Invariant(
                    $"{size:N0} products at {latency} ms: unchanged refresh wrote {unchanged.CatalogWrites} catalog transactions; first refresh allocated {first.Allocated / (double)size:F0} B per product"));
                if (!noNaiveOption())
                {
                    await fake.PostAsync(FormattableString.Invariant($"__set?products={size}&generation=0&delayMs={upstreamDelay}"));
                    var naive = await Naive(services.GetRequiredService<IFlexShopperClient>(), tables.GetTableClient(names[2]));
                    summary.Add(FormattableString.Invariant($"{size:N0} products at {latency} ms: first refresh {naive / first.Seconds:F1}x faster than the naive loop ({naive:F1} s vs {first.Seconds:F1} s)"));
                }
            }
            finally
            {
                roundTrips.Latency = TimeSpan.Zero;
                // FLEXFUNCTIONS_BENCH_KEEP_TABLES=1 leaves the app's tables for Benchmarks/Retention to count and clean up.
                var keep = Environment.GetEnvironmentVariable("FLEXFUNCTIONS_BENCH_KEEP_TABLES") == "1";
                foreach (var name in keep ? [names[2]] : names)
                {
                    await tables.DeleteTableAsync(name);
                }

                if (keep)
                {
                    Console.WriteLine($"kept tables: Catalog={names[0]} CatalogRuns={names[1]}");
                }

                roundTrips.Latency = TimeSpan.FromMilliseconds(latency);
            }

            summary.Add($"{size:N0} products at {latency} ms: load average {loadBefore} before, {Machine.LoadAverage()} after");

            async Task<(double Seconds, long Allocated, long PeakLive, long CatalogWrites)> Refresh(string scenario, long existing, long changed)
            {
                roundTrips.Reset();
                var emulatorStart = ProcessCpu.Seconds(common.EmulatorPid);
                var fakeStart = ProcessCpu.Seconds(fake.Pid)!.Value;
                using var memory = MemoryProbe.Start();
                var flow = Flow.Begin();
                var clock = Stopwatch.StartNew();
                var result = await refresher.RunAsync("benchmark", CancellationToken.None);
                clock.Stop();
                Flow.End();
                var (allocated, peakLive) = memory.Stop();
                var emulator = ProcessCpu.Seconds(common.EmulatorPid) - emulatorStart;
                var fakeCpu = ProcessCpu.Seconds(fake.Pid)!.Value - fakeStart;
                var run = result.Run ?? throw new InvalidOperationException("A run was already in progress.");
                if (run.Outcome != RunOutcome.Succeeded || run.Inserted + run.Updated != changed)
                {
                    throw new InvalidOperationException($"The {scenario} refresh did not do what it should: {run.Outcome} {run.Error}, {run.Inserted} inserted, {run.Updated} updated.");
                }

                // The floor is two phases, one after the other, because nothing may be written before the whole upstream
                // pass succeeded: (1) the upstream pages at the same read-ahead, each waiting the upstream delay, or
                // the fake FlexShopper's own CPU to serve them when that is longer; then (2) the fewest storage round
                // trips any design needs at the same write concurrency (claim the run, read what is there in pages of
                // 1,000, write what changed in transactions of 100, record the run), each costing the latency as
                // applied, or the emulator's own CPU for the same entities when that is longer.
                var sequence = 2 + Math.Ceiling(Math.Max(1, Math.Ceiling(existing / 1000.0)) / writers) + Math.Ceiling(Math.Ceiling(changed / 100.0) / writers);
                var floor = Math.Max(Math.Ceiling(pages / (double)pagesAhead) * upstreamDelay / 1000, fakeCpu)
                    + Math.Max(sequence * roundTrips.MeanAppliedLatency.TotalSeconds, emulator ?? 0);
                var writes = roundTrips.Kinds.GetValueOrDefault("table batch");
                table.Add(N(size), $"{latency} ms", $"{upstreamDelay} ms", scenario, F(clock.Elapsed.TotalSeconds), roundTrips.KindsText, N(flow.StorageInSequence()),
                    N(allocated / size), Mb(peakLive), emulator is { } e ? F(e) : "-", F(fakeCpu), F(floor, 2), Ratio(clock.Elapsed.TotalSeconds / floor));
                return (clock.Elapsed.TotalSeconds, allocated, peakLive, writes);
            }

            // What the refresh is measured against: every product upserted with its own request, as a simple loop would.
            async Task<double> Naive(IFlexShopperClient flexShopper, TableClient naiveTable)
            {
                await naiveTable.CreateIfNotExistsAsync();
                var limit = naiveLimitOption() is > 0 and var cap ? Math.Min(cap, size) : size;
                roundTrips.Reset();
                var emulatorStart = ProcessCpu.Seconds(common.EmulatorPid);
                var fakeStart = ProcessCpu.Seconds(fake.Pid)!.Value;
                using var memory = MemoryProbe.Start();
                var flow = Flow.Begin();
                var clock = Stopwatch.StartNew();
                var written = 0;
                for (var page = 1; written < limit; page++)
                {
                    var products = (await flexShopper.GetProductsAsync(page)).Products;
                    if (products.Count == 0)
                    {
                        break;
                    }

                    foreach (var product in products.Take(limit - written))
                    {
                        await naiveTable.UpsertEntityAsync(new TableEntity(CatalogKeys.PartitionFor(product.Sku), CatalogKeys.RowKeyFor(product.Sku))
                        {
                            ["Sku"] = product.Sku,
                            ["Name"] = product.Name,
                            ["Url"] = product.Url,
                        });
                        written++;
                    }
                }

                clock.Stop();
                Flow.End();
                var (allocated, peakLive) = memory.Stop();
                var emulator = ProcessCpu.Seconds(common.EmulatorPid) - emulatorStart;
                var fakeCpu = ProcessCpu.Seconds(fake.Pid)!.Value - fakeStart;
                var scale = size / (double)written;
                var seconds = clock.Elapsed.TotalSeconds * scale;
                table.Add(N(size), $"{latency} ms", $"{upstreamDelay} ms", written == size ? "naive loop" : $"naive loop ({written:N0} run, time scaled x{scale:F1})",
                    F(seconds), roundTrips.KindsText, N(flow.StorageInSequence()), N(allocated / written), Mb(peakLive), emulator is { } e ? F(e * scale) : "-", F(fakeCpu * scale), "-", "-");
                return seconds;
            }
        }

        if (heaps.Count >= 2)
        {
            var (small, large) = (heaps.MinBy(h => h.Key), heaps.MaxBy(h => h.Key));
            summary.Add(FormattableString.Invariant(
                $"peak live heap at {latency} ms, first refresh: {large.Key:N0} products {large.Value / 1048576.0:F1} MB = {large.Value / (double)small.Value:F2}x the {small.Value / 1048576.0:F1} MB at {small.Key:N0}"));
        }
    }
}

Console.WriteLine();
Console.Write(table);
Console.WriteLine();
summary.ForEach(Console.WriteLine);
Console.WriteLine($"Storage latency as applied: {roundTrips.MeanAppliedLatency.TotalMilliseconds:F2} ms per request in the last scenario (asked {roundTrips.Latency.TotalMilliseconds} ms)");
return 0;
