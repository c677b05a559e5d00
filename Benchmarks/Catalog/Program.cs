// Catalog refresh benchmark: a loopback fake FlexShopper serving N products (pages of 100), refreshed into a real
// Table endpoint (Azurite by default). Prints wall time, catalog writes and memory for a first, an unchanged and a
// 1 %-changed refresh, and a naive one-upsert-per-product loop over the same pages for comparison.
//
//   dotnet run -c Release --project Benchmarks/Catalog -- [--products 10000,100000] [--storage <connection string>] [--concurrency N] [--no-naive]
//       [--emulator-pid <pid>]
//
// --emulator-pid (Linux) adds the CPU seconds the storage emulator's process spent in each scenario: Azurite serves
// requests on one thread, so its CPU time is the floor under any scenario's wall time.
//
// Storage defaults to FLEXFUNCTIONS_BENCH_STORAGE or UseDevelopmentStorage=true. Every table it creates is deleted.
using System.Diagnostics;
using System.Globalization;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using FlexFunctions.Benchmarks.Catalog;
using FlexFunctions.Shared.Catalog;
using FlexFunctions.Shared.FlexShopper;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

var sizes = new List<int> { 10_000, 100_000 };
var storage = Environment.GetEnvironmentVariable("FLEXFUNCTIONS_BENCH_STORAGE") ?? "UseDevelopmentStorage=true";
var naive = true;
string? concurrency = null;
int? emulatorPid = null;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--products":
            sizes = args[++i].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToList();
            break;
        case "--storage":
            storage = args[++i];
            break;
        case "--concurrency":
            concurrency = args[++i];
            break;
        case "--emulator-pid":
            emulatorPid = int.Parse(args[++i], CultureInfo.InvariantCulture);
            break;
        case "--no-naive":
            naive = false;
            break;
        default:
            Console.Error.WriteLine($"Unknown argument {args[i]}");
            return 2;
    }
}

await using var fake = await FakeCatalogServer.StartAsync();
var rows = new List<string>();
var ratios = new List<string>();
foreach (var size in sizes)
{
    fake.Products = size;
    fake.Generation = 0;
    var catalogTable = "benchcat" + Guid.NewGuid().ToString("N")[..10];
    var runsTable = "benchruns" + Guid.NewGuid().ToString("N")[..10];
    var naiveTable = "benchnaive" + Guid.NewGuid().ToString("N")[..10];
    var writes = new WriteCounter(catalogTable);
    var tableOptions = new TableClientOptions();
    tableOptions.AddPolicy(writes, HttpPipelinePosition.PerCall);
    var tables = new TableServiceClient(storage, tableOptions);

    var settings = new Dictionary<string, string?>
    {
        ["FlexShopper:BaseUrl"] = fake.BaseUrl,
        ["FlexShopper:ApiKey"] = "benchmark-key",
        ["Storage"] = storage,
        ["Warehouse"] = storage,
        ["WarehouseQueueName"] = "benchmark",
        ["Tables:Catalog"] = catalogTable,
        ["Tables:CatalogRuns"] = runsTable,
        ["CatalogRefreshSchedule"] = "0 0 */6 * * *",
        ["Catalog:MaxPages"] = "100000",
    };
    if (concurrency is not null)
    {
        settings["Catalog:WriteConcurrency"] = concurrency;
    }

    var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
    var services = new ServiceCollection()
        .AddLogging(l => l.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning).AddFilter("FlexFunctions.Shared.Catalog", LogLevel.Information))
        .AddFlexFunctions(configuration)
        .AddSingleton(tables)
        .BuildServiceProvider();
    var refresher = services.GetRequiredService<CatalogRefresher>();
    try
    {
        Console.WriteLine($"== {size:N0} products ({(size + FakeCatalogServer.PageSize - 1) / FakeCatalogServer.PageSize:N0} pages)");
        var first = await MeasureRefresh("first", size, refresher, writes, emulatorPid);
        rows.Add(first.Row);
        rows.Add((await MeasureRefresh("unchanged", size, refresher, writes, emulatorPid)).Row);
        fake.Generation = 1;
        rows.Add((await MeasureRefresh("1% changed", size, refresher, writes, emulatorPid)).Row);
        if (naive)
        {
            fake.Generation = 0;
            var loop = await MeasureNaive(size, services.GetRequiredService<IFlexShopperClient>(), tables.GetTableClient(naiveTable), emulatorPid);
            rows.Add(loop.Row);
            ratios.Add(string.Create(CultureInfo.InvariantCulture, $"{size:N0} products: first refresh {loop.Seconds / first.Seconds:F1}x faster than the naive loop"));
            if (first.EmulatorSeconds is { } emulatorFirst)
            {
                // However fast our side, the first refresh cannot take less than the emulator's own CPU time for it.
                ratios.Add(string.Create(CultureInfo.InvariantCulture,
                    $"{size:N0} products: the emulator alone spent {emulatorFirst:F1} s of CPU on the first refresh, so no client could beat the naive loop by more than {loop.Seconds / emulatorFirst:F1}x against it"));
            }
        }
    }
    finally
    {
        // FLEXFUNCTIONS_BENCH_KEEP_TABLES=1 leaves the app's tables for Benchmarks/Retention to count and clean up.
        var keep = Environment.GetEnvironmentVariable("FLEXFUNCTIONS_BENCH_KEEP_TABLES") == "1";
        foreach (var name in keep ? [naiveTable] : new[] { catalogTable, runsTable, naiveTable })
        {
            await tables.DeleteTableAsync(name);
        }

        if (keep)
        {
            Console.WriteLine($"kept tables: Catalog={catalogTable} CatalogRuns={runsTable}");
        }

        await services.DisposeAsync();
    }
}

Console.WriteLine();
Console.WriteLine("| products | scenario | wall s | pages | inserted | updated | deleted | unchanged | catalog write requests | emulator CPU s | peak managed heap MB | peak live heap MB (full GC every 250 ms) | allocated MB |");
Console.WriteLine("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
foreach (var row in rows)
{
    Console.WriteLine(row);
}

Console.WriteLine();
ratios.ForEach(Console.WriteLine);
Console.WriteLine($"Process peak working set: {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:F0} MB (whole run)");
return 0;

static async Task<(string Row, double Seconds, double? EmulatorSeconds)> MeasureRefresh(string scenario, int size, CatalogRefresher refresher, WriteCounter writes, int? emulatorPid)
{
    writes.Reset();
    var emulatorStart = EmulatorCpu.Seconds(emulatorPid);
    using var memory = MemorySampler.Start();
    var stopwatch = Stopwatch.StartNew();
    var result = await refresher.RunAsync("benchmark", CancellationToken.None);
    stopwatch.Stop();
    var (peak, live, allocated) = memory.Stop();
    var emulator = EmulatorCpu.Seconds(emulatorPid) - emulatorStart;
    var run = result.Run ?? throw new InvalidOperationException("A run was already in progress.");
    if (run.Outcome != RunOutcome.Succeeded)
    {
        throw new InvalidOperationException($"Refresh failed: {run.Error}");
    }

    Console.WriteLine($"{scenario}: {stopwatch.Elapsed.TotalSeconds:F1} s, {writes.Requests} catalog write requests");
    return (string.Create(CultureInfo.InvariantCulture,
        $"| {size:N0} | {scenario} | {stopwatch.Elapsed.TotalSeconds:F1} | {run.Pages} | {run.Inserted} | {run.Updated} | {run.Deleted} | {run.Unchanged} | {writes.Requests} | {EmulatorCpu.Format(emulator)} | {peak / 1048576.0:F1} | {live / 1048576.0:F1} | {allocated / 1048576.0:F0} |"), stopwatch.Elapsed.TotalSeconds, emulator);
}

// What the refresh is measured against: every product upserted with its own request, as a simple loop would.
static async Task<(string Row, double Seconds)> MeasureNaive(int size, IFlexShopperClient flexShopper, TableClient table, int? emulatorPid)
{
    await table.CreateIfNotExistsAsync();
    var emulatorStart = EmulatorCpu.Seconds(emulatorPid);
    using var memory = MemorySampler.Start();
    var stopwatch = Stopwatch.StartNew();
    var pages = 0;
    var written = 0;
    for (var page = 1; ; page++)
    {
        var products = (await flexShopper.GetProductsAsync(page)).Products;
        if (products.Count == 0)
        {
            break;
        }

        pages++;
        foreach (var product in products)
        {
            await table.UpsertEntityAsync(new TableEntity(CatalogKeys.PartitionFor(product.Sku), CatalogKeys.RowKeyFor(product.Sku))
            {
                ["Sku"] = product.Sku,
                ["Name"] = product.Name,
                ["Url"] = product.Url,
            });
            written++;
        }
    }

    stopwatch.Stop();
    var (peak, live, allocated) = memory.Stop();
    var emulator = EmulatorCpu.Seconds(emulatorPid) - emulatorStart;
    Console.WriteLine($"naive: {stopwatch.Elapsed.TotalSeconds:F1} s, {written} single upserts");
    return (string.Create(CultureInfo.InvariantCulture,
        $"| {size:N0} | naive loop | {stopwatch.Elapsed.TotalSeconds:F1} | {pages} | {written} | 0 | 0 | 0 | {written} | {EmulatorCpu.Format(emulator)} | {peak / 1048576.0:F1} | {live / 1048576.0:F1} | {allocated / 1048576.0:F0} |"), stopwatch.Elapsed.TotalSeconds);
}

/// <summary>User plus system CPU seconds of another process, from /proc (Linux); null when no pid was given.</summary>
internal static class EmulatorCpu
{
    public static double? Seconds(int? pid)
    {
        if (pid is null)
        {
            return null;
        }

        // Fields 14 and 15 of /proc/<pid>/stat, counted after the ')' that closes the command name.
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    public static string Format(double? seconds) => seconds is { } s ? s.ToString("F1", CultureInfo.InvariantCulture) : "-";
}

/// <summary>Counts write requests (anything but GET) to the measured catalog table, batches included.</summary>
internal sealed class WriteCounter(string catalogTable) : HttpPipelineSynchronousPolicy
{
    private int _requests;

    public int Requests => Volatile.Read(ref _requests);

    public void Reset() => Interlocked.Exchange(ref _requests, 0);

    public override void OnSendingRequest(HttpMessage message)
    {
        var path = message.Request.Uri.Path;
        if (message.Request.Method != RequestMethod.Get
            && (path.EndsWith("$batch", StringComparison.Ordinal) || path.Contains("/" + catalogTable, StringComparison.Ordinal)))
        {
            Interlocked.Increment(ref _requests);
        }
    }
}

/// <summary>From a collected baseline: the peak managed heap (sampled every 5 ms, garbage included), the peak live heap and the bytes allocated.</summary>
internal sealed class MemorySampler : IDisposable
{
    private readonly Thread _thread;
    private readonly long _allocatedAtStart;
    private volatile bool _stop;
    private long _peak;
    private long _peakLive;

    private MemorySampler()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        _allocatedAtStart = GC.GetTotalAllocatedBytes(precise: true);
        _peak = GC.GetTotalMemory(forceFullCollection: false);
        _peakLive = _peak;
        _thread = new Thread(() =>
        {
            var ticks = 0;
            while (!_stop)
            {
                _peak = Math.Max(_peak, GC.GetTotalMemory(forceFullCollection: false));
                if (++ticks % 50 == 0)
                {
                    // Every ~250 ms a full collection: what the run really holds, garbage excluded (costs ~1 % of wall time).
                    _peakLive = Math.Max(_peakLive, GC.GetTotalMemory(forceFullCollection: true));
                }

                Thread.Sleep(5);
            }
        })
        { IsBackground = true };
        _thread.Start();
    }

    public static MemorySampler Start() => new();

    public (long PeakHeapBytes, long PeakLiveBytes, long AllocatedBytes) Stop()
    {
        _stop = true;
        _thread.Join();
        return (_peak, _peakLive, GC.GetTotalAllocatedBytes(precise: true) - _allocatedAtStart);
    }

    public void Dispose()
    {
        if (!_stop)
        {
            Stop();
        }
    }
}
