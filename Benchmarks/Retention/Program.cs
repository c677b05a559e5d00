// Counts the rows of the app's tables that other benchmarks left (run them with FLEXFUNCTIONS_BENCH_KEEP_TABLES=1; each
// prints "kept tables: Setting=name ..."), then runs the real storage cleanup (Shared/Retention) over them: once on
// today's clock, which must delete nothing that is still live, and then with the clock moved past every retention,
// run after run until a pass completes, for each --ahead in turn (e.g. 31 days: the short-lived tables go, the ledger
// stays; then 401 days: the ledger goes too). Prints each table's rows before and after, and each run.
//
//   dotnet run -c Release --project Benchmarks/Retention -- --storage "<connection string>" --tables "RateLimits=x Idempotency=y ..." [--ahead 31.00:00:00,401.00:00:00] [--max-rows-per-run 50000]
using System.Diagnostics;
using System.Globalization;
using Azure;
using Azure.Data.Tables;
using FlexFunctions.Shared.Retention;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

var storage = Arg("--storage") ?? Environment.GetEnvironmentVariable("FLEXFUNCTIONS_BENCH_STORAGE") ?? "UseDevelopmentStorage=true";
var aheads = (Arg("--ahead") ?? "31.00:00:00,401.00:00:00").Split(',').Select(a => TimeSpan.Parse(a, CultureInfo.InvariantCulture)).ToList();
var tables = (Arg("--tables") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
    .Select(pair => pair.Split('=', 2)).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
var run = "retention" + Guid.NewGuid().ToString("N")[..8];

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
    ["StorageCleanup:MaxRowsPerRun"] = Arg("--max-rows-per-run") ?? "50000",
};
foreach (var name in new[] { "Catalog", "CatalogRuns", "ConfirmationLedger", "FailedEvents", "Idempotency", "RateLimits", "PlatformDeliveries", "ShopifyOrders" })
{
    // Tables no benchmark wrote get a name of their own that does not exist: the cleanup skips them.
    settings["Tables:" + name] = tables.TryGetValue(name, out var given) ? given : run + name.ToLowerInvariant();
}

var client = new TableServiceClient(storage);
var clock = new MovableClock();
await using var services = Build(settings, clock);
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

async Task CleanUntilDoneAsync(string what)
{
    for (var i = 0; i < 1000; i++)
    {
        var watch = Stopwatch.StartNew();
        var result = await cleanup.RunAsync();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"cleanup ({what}) run {i + 1}: {result.Outcome}, {result.TotalDeleted} rows deleted ({string.Join(", ", result.Deleted.Select(d => $"{d.Key} {d.Value}"))}), {result.Scanned} scanned, {watch.Elapsed.TotalSeconds:F1} s{(result.StoppedAt is null ? "" : ", stopped at " + result.StoppedAt)}"));
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

static ServiceProvider Build(Dictionary<string, string?> settings, TimeProvider clock)
{
    var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
    var services = new ServiceCollection();
    services.AddSingleton<IConfiguration>(configuration);
    services.AddLogging();
    services.AddSingleton(clock);
    services.AddFlexFunctions(configuration);
    services.AddSingleton(clock);
    return services.BuildServiceProvider();
}

string? Arg(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

/// <summary>The system clock, moved ahead when asked: the cleanup then sees every row as that much older.</summary>
internal sealed class MovableClock : TimeProvider
{
    public TimeSpan Ahead { get; set; }

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Ahead;
}
