// Counts the rows of the app's tables that other benchmarks left (run them with FLEXFUNCTIONS_BENCH_KEEP_TABLES=1; each
// prints "kept tables: Setting=name ..."), then runs the real storage cleanup (Shared/Retention) over them: once on
// today's clock, which must delete nothing that is still live, and then with the clock moved past every retention,
// run after run until a pass completes, for each --ahead in turn (e.g. 31 days: the short-lived tables go, the ledger
// stays; then 401 days: the ledger goes too). Prints each table's rows before and after, and each run with its
// wall time and storage requests by kind; the cleanup's every storage request waits --storage-latency-ms first, as a
// storage account's round trip does (the counting does not). `--help` lists the options.
using System.Diagnostics;
using System.Globalization;
using Azure;
using Azure.Data.Tables;
using FlexFunctions.Benchmarks.Common;
using FlexFunctions.Shared.Retention;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

var cli = new BenchArguments("Retention",
    "Counts the tables other benchmarks kept (FLEXFUNCTIONS_BENCH_KEEP_TABLES=1) and runs the storage cleanup over them, today and with the clock moved ahead.");
// The cleanup never calls FlexShopper: --upstream-delay-ms is taken like everywhere else, and only 0 applies.
var common = new CommonOptions(cli, latencies: [0], upstreamDelays: [0]);
var tablesOption = cli.Text("--tables", "", "the tables to count and clean, as the other benchmarks print them: \"Setting=name Setting=name ...\"", "\"S=N ...\"");
var aheadOption = cli.Text("--ahead", "31.00:00:00,401.00:00:00", "clock moves, one cleanup pass each, in turn (d.hh:mm:ss)", "SPAN[,SPAN...]");
var maxRowsOption = cli.Int("--max-rows-per-run", 50_000, "StorageCleanup__MaxRowsPerRun", 1);
if (!cli.TryParse(args, out var exitCode))
{
    return exitCode;
}

if (common.UpstreamDelaysMs.Any(d => d != 0))
{
    Console.Error.WriteLine("error: --upstream-delay-ms: the cleanup calls no FlexShopper; only 0 applies here");
    Console.Error.Write(cli.Usage);
    return BenchArguments.UsageExitCode;
}

if (common.StorageLatenciesMs.Count != 1)
{
    Console.Error.WriteLine("error: --storage-latency-ms takes one value here (the kept tables can be cleaned once)");
    Console.Error.Write(cli.Usage);
    return BenchArguments.UsageExitCode;
}

var aheads = new List<TimeSpan>();
foreach (var text in aheadOption()!.Split(','))
{
    if (!TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var ahead) || ahead <= TimeSpan.Zero)
    {
        Console.Error.WriteLine($"error: --ahead: '{text}' is not a positive time span (d.hh:mm:ss)");
        Console.Error.Write(cli.Usage);
        return BenchArguments.UsageExitCode;
    }

    aheads.Add(ahead);
}

var tables = new Dictionary<string, string>(StringComparer.Ordinal);
foreach (var pair in tablesOption()!.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
{
    if (pair.Split('=', 2) is not [{ Length: > 0 } setting, { Length: > 0 } name] || !tables.TryAdd(setting, name))
    {
        Console.Error.WriteLine($"error: --tables: '{pair}' is not Setting=name (each setting once)");
        Console.Error.Write(cli.Usage);
        return BenchArguments.UsageExitCode;
    }
}

var storage = common.Storage;
var roundTrips = new StorageRoundTrips { Latency = TimeSpan.FromMilliseconds(common.StorageLatenciesMs[0]) };
var run = "retention" + Guid.NewGuid().ToString("N")[..8];
Console.WriteLine($"Retention benchmark: {Machine.Describe(storage)}; storage latency {roundTrips.Latency.TotalMilliseconds} ms per cleanup request");

var settings = new Dictionary<string, string?>
{
    ["FlexShopper:BaseUrl"] = "http://127.0.0.1:9/v3/", // never called
    ["FlexShopper:ApiKey"] = "benchmark-key",
    ["KeyedHashing:Secret"] = "benchmark-table-key-secret-0123456789",
    ["Storage"] = storage,
    ["Warehouse"] = storage,
    ["WarehouseQueueName"] = run,
    ["StorageCleanupSchedule"] = "0 30 * * * *",
    ["Tables:StorageCleanup"] = run + "cleanup",
    ["StorageCleanup:MaxRowsPerRun"] = maxRowsOption().ToString(CultureInfo.InvariantCulture),
};
foreach (var name in new[] { "Catalog", "CatalogRuns", "ConfirmationLedger", "FailedEvents", "Idempotency", "RateLimits", "PlatformDeliveries", "ShopifyOrders" })
{
    // Tables no benchmark wrote get a name of their own that does not exist: the cleanup skips them.
    settings["Tables:" + name] = tables.TryGetValue(name, out var given) ? given : run + name.ToLowerInvariant();
}

var client = new TableServiceClient(storage);
var clock = new MovableClock();
await using var services = Build(settings, clock, roundTrips.Policies);
var cleanup = services.GetRequiredService<StorageCleanup>();

await PrintCountsAsync("after the benchmarks");
await CleanUntilDoneAsync("today's clock");
await PrintCountsAsync("after a cleanup on today's clock");
foreach (var ahead in aheads)
{
    clock.Ahead = ahead;
    await CleanUntilDoneAsync($"clock moved {ahead.TotalDays:F0} days ahead");
    await PrintCountsAsync($"after the cleanup {ahead.TotalDays:F0} days later");
}

await client.DeleteTableAsync(run + "cleanup");
Console.WriteLine($"load average after: {Machine.LoadAverage()}");
return 0;

async Task CleanUntilDoneAsync(string what)
{
    for (var i = 0; i < 1000; i++)
    {
        roundTrips.Reset();
        var watch = Stopwatch.StartNew();
        var result = await cleanup.RunAsync();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"cleanup ({what}) run {i + 1}: {result.Outcome}, {result.TotalDeleted} rows deleted ({string.Join(", ", result.Deleted.Select(d => $"{d.Key} {d.Value}"))}), {result.Scanned} scanned, {watch.Elapsed.TotalSeconds:F1} s, storage requests: {roundTrips.KindsText}{(result.StoppedAt is null ? "" : ", stopped at " + result.StoppedAt)}"));
        if (result.Outcome != CleanupOutcome.Paused)
        {
            return;
        }
    }
}

async Task PrintCountsAsync(string when)
{
    Console.WriteLine($"| Table ({when}) | Rows |");
    Console.WriteLine("| --- | ---: |");
    foreach (var (setting, name) in settings.Where(s => s.Key.StartsWith("Tables:", StringComparison.Ordinal) && s.Key != "Tables:StorageCleanup").OrderBy(s => s.Key, StringComparer.Ordinal))
    {
        long rows = 0;
        try
        {
            await foreach (var _ in client.GetTableClient(name).QueryAsync<TableEntity>(select: ["PartitionKey"], maxPerPage: 1000))
            {
                rows++;
            }
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            rows = -1;
        }

        Console.WriteLine($"| {setting["Tables:".Length..]} | {(rows < 0 ? "(not written by these benchmarks)" : rows.ToString("N0", CultureInfo.InvariantCulture))} |");
    }
}

static ServiceProvider Build(Dictionary<string, string?> settings, TimeProvider clock, FlexFunctions.Shared.Storage.StoragePipelinePolicies policies)
{
    var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
    var services = new ServiceCollection();
    services.AddSingleton<IConfiguration>(configuration);
    services.AddLogging();
    services.AddSingleton(clock);
    services.AddFlexFunctions(configuration);
    services.AddSingleton(clock);
    services.AddSingleton(policies);
    return services.BuildServiceProvider();
}

/// <summary>The system clock, moved ahead when asked: the cleanup then sees every row as that much older.</summary>
internal sealed class MovableClock : TimeProvider
{
    public TimeSpan Ahead { get; set; }

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Ahead;
}
