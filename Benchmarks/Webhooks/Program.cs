// Webhook-intake benchmark: signed Shopify fulfilments through the ShopifyWebhook function as the worker invokes it
// (function class, HttpContext in, IActionResult executed) over the real graph from AddFlexFunctions, against a real
// storage endpoint (Azurite by default) whose every request waits --storage-latency-ms first, as a storage account's
// round trip does. Each delivery is what a store's webhook costs before its 200: signature, delivery-id read, queue
// send, delivery-id write. The intake calls no FlexShopper, so --upstream-delay-ms has nothing to delay here and
// only 0 is accepted. `--help` lists the options.
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Azure.Data.Tables;
using FlexFunctions.Benchmarks.Common;
using FlexFunctions.Functions.Http;
using FlexFunctions.Shared.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static FlexFunctions.Benchmarks.Common.Figures;

var cli = new BenchArguments("Webhooks", "Shopify fulfilment webhooks through the intake: latency and storage round trips per delivery.");
var common = new CommonOptions(cli, latencies: [0, 3], upstreamDelays: [0]);
var deliveriesOption = cli.Int("--deliveries", 1000, "deliveries per row", 1, 10_000_000);
var concurrencyOption = cli.Ints("--concurrency", [1, 16], "deliveries in flight", 1, 4096);
if (!cli.TryParse(args, out var exitCode))
{
    return exitCode;
}

if (common.UpstreamDelaysMs.Any(d => d != 0))
{
    Console.Error.WriteLine("error: --upstream-delay-ms: the webhook intake calls no FlexShopper; only 0 applies here");
    Console.Error.Write(cli.Usage);
    return BenchArguments.UsageExitCode;
}

var storage = common.Storage;
var deliveries = deliveriesOption();
const string Secret = "shpss_benchmark_0123456789abcdef0123";
var roundTrips = new StorageRoundTrips();
Console.WriteLine($"Webhook-intake benchmark: {Machine.Describe(storage)}; {deliveries} Shopify fulfilments per row");
var table = new MarkdownTable("Storage latency", "c", "Deliveries/s", "p50 ms", "p99 ms", "max ms", "Requests by kind per delivery", "Storage round trips in sequence",
    "Allocated B/delivery", "Peak live heap MB", "Emulator CPU s", "Floor p50 ms", "p50 / floor");
var loads = new List<string>();
foreach (var latency in common.StorageLatenciesMs)
{
    loads.Add($"storage {latency} ms: load average {Machine.LoadAverage()} before");
    foreach (var concurrency in concurrencyOption())
    {
        await RunAsync(latency, concurrency);
    }

    loads.Add($"storage {latency} ms: load average {Machine.LoadAverage()} after");
}

Console.WriteLine();
Console.Write(table);
Console.WriteLine();
loads.ForEach(Console.WriteLine);
return 0;

async Task RunAsync(double latency, int concurrency)
{
    var run = "bench" + Guid.NewGuid().ToString("N")[..8];
    var settings = new Dictionary<string, string?>
    {
        ["FlexShopper:BaseUrl"] = "http://127.0.0.1:9/v3/", // never called: the intake only queues
        ["FlexShopper:ApiKey"] = "benchmark-key",
        ["Storage"] = storage,
        ["Warehouse"] = storage,
        ["WarehouseQueueName"] = run,
        ["Tables:PlatformDeliveries"] = run + "deliveries",
        ["Tables:FailedEvents"] = run + "failed",
        ["Shopify:Secret"] = Secret,
    };
    var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
    var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLogging(l => l.SetMinimumLevel(LogLevel.Warning));
    services.AddFlexFunctions(configuration);
    services.AddSingleton(roundTrips.Policies);
    await using var provider = services.BuildServiceProvider();
    var functions = ActivatorUtilities.CreateInstance<StorePlatformFunctions>(provider);
    var queue = provider.GetRequiredService<WarehouseQueue>().Client;
    roundTrips.Latency = TimeSpan.Zero;
    await queue.CreateIfNotExistsAsync();
    try
    {
        // One delivery first creates the tables (once per process, as in the app); it is not measured.
        await DeliverAsync(functions, "warmup");
        roundTrips.Latency = TimeSpan.FromMilliseconds(latency);
        roundTrips.Reset();
        var latencies = new double[deliveries];
        long inSequence = 0;
        var next = -1;
        var emulatorStart = ProcessCpu.Seconds(common.EmulatorPid);
        using var memory = MemoryProbe.Start(TimeSpan.FromSeconds(1));
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < deliveries)
            {
                var flow = Flow.Begin();
                var started = Stopwatch.GetTimestamp();
                await DeliverAsync(functions, i.ToString(CultureInfo.InvariantCulture));
                latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                Flow.End();
                Interlocked.Add(ref inSequence, flow.StorageInSequence());
            }
        }));
        var elapsed = clock.Elapsed;
        var (allocated, peakLive) = memory.Stop();
        var emulator = ProcessCpu.Seconds(common.EmulatorPid) - emulatorStart;
        Array.Sort(latencies);
        var kinds = string.Join(", ", roundTrips.Kinds.OrderByDescending(k => k.Value).ThenBy(k => k.Key, StringComparer.Ordinal)
            .Select(k => string.Create(CultureInfo.InvariantCulture, $"{k.Key} {k.Value / (double)deliveries:0.##}")));
        // The floor: the signature check aside, one storage round trip (the queue send: the event must be queued before
        // the 200; a repeat is caught downstream by the confirmation ledger), costing the latency as applied and the
        // emulator's own work for one request.
        var perRequest = roundTrips.Requests == 0 ? 0 : (emulator ?? 0) * 1000 / roundTrips.Requests;
        var floor = roundTrips.MeanAppliedLatency.TotalMilliseconds + perRequest;
        var p50 = Percentile(latencies, 0.50);
        table.Add($"{latency} ms", N(concurrency), F(deliveries / elapsed.TotalSeconds, 0), F(p50, 2), F(Percentile(latencies, 0.99), 2), F(latencies[^1], 2), kinds,
            F(inSequence / (double)deliveries, 2), N(allocated / deliveries), Mb(peakLive), emulator is { } e ? F(e) : "-", F(floor, 2), Ratio(p50 / floor));
    }
    finally
    {
        roundTrips.Latency = TimeSpan.Zero;
        await queue.DeleteIfExistsAsync();
        var tables = new TableServiceClient(storage);
        // FLEXFUNCTIONS_BENCH_KEEP_TABLES=1 leaves the app's tables for Benchmarks/Retention to count and clean up.
        if (Environment.GetEnvironmentVariable("FLEXFUNCTIONS_BENCH_KEEP_TABLES") == "1")
        {
            Console.WriteLine($"kept tables: PlatformDeliveries={run}deliveries FailedEvents={run}failed");
        }
        else
        {
            await tables.DeleteTableAsync(run + "deliveries");
            await tables.DeleteTableAsync(run + "failed");
        }
    }
}

static async Task DeliverAsync(StorePlatformFunctions functions, string n)
{
    var body = Encoding.UTF8.GetBytes($$"""
        {"id":{{n.GetHashCode(StringComparison.Ordinal) & int.MaxValue}},"order_id":5551234567,"name":"#1001.1","status":"success","created_at":"2026-03-01T18:30:00-05:00",
         "tracking_company":"UPS","tracking_number":"1Z999AA10123456784","tracking_numbers":["1Z999AA10123456784"],
         "tracking_url":"https://www.ups.com/track?tracknum=1Z999AA10123456784","tracking_urls":["https://www.ups.com/track?tracknum=1Z999AA10123456784"],
         "line_items":[{"id":866550311766439020,"sku":"TV-55","quantity":1,"title":"Television"}]}
        """);
    var context = new DefaultHttpContext();
    context.Request.Method = "POST";
    context.Request.Path = "/api/v1/webhooks/shopify";
    context.Request.Body = new MemoryStream(body, writable: false);
    context.Request.ContentLength = body.Length;
    context.Request.ContentType = "application/json";
    context.Request.Headers["X-Shopify-Topic"] = "fulfillments/create";
    context.Request.Headers["X-Shopify-Webhook-Id"] = Guid.NewGuid().ToString();
    context.Request.Headers["X-Shopify-Shop-Domain"] = "bench.myshopify.com";
    context.Request.Headers["X-Shopify-Hmac-SHA256"] = Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), body));
    context.Response.Body = new MemoryStream();
    var result = await functions.Shopify(context.Request, default);
    await result.ExecuteResultAsync(new ActionContext(context, new RouteData(), new ActionDescriptor()));
    if (context.Response.StatusCode != 200)
    {
        throw new InvalidOperationException($"The webhook answered {context.Response.StatusCode}.");
    }
}

static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
