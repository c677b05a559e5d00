// Webhook-intake benchmark: signed Shopify fulfilments through the ShopifyWebhook function as the worker invokes it
// (function class, HttpContext in, IActionResult executed) over the real graph from AddFlexFunctions, against Azurite.
// Each delivery is what a store's webhook costs before its 200: signature, delivery-id read, queue send, delivery-id
// write. --storage-delay-ms adds that wait before every storage request, modelling a storage account's round trip
// (Azurite on loopback answers in well under a millisecond; a storage account in the app's region takes several).
// Usage:
//   dotnet run -c Release --project Benchmarks/Webhooks -- [--deliveries 1000] [--storage-delay-ms 0,10] [--storage <connection string>]
// Storage defaults to FLEXFUNCTIONS_BENCH_STORAGE, then UseDevelopmentStorage=true.
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using FlexFunctions.Functions.Http;
using FlexFunctions.Shared.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

var deliveries = (int)Arg("--deliveries", 1000);
var delays = (ArgText("--storage-delay-ms") ?? "0,10").Split(',').Select(d => double.Parse(d, CultureInfo.InvariantCulture)).ToArray();
var storage = ArgText("--storage") ?? Environment.GetEnvironmentVariable("FLEXFUNCTIONS_BENCH_STORAGE") ?? "UseDevelopmentStorage=true";
const string Secret = "shpss_benchmark_0123456789abcdef0123";

Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"Webhook-intake benchmark: {deliveries} Shopify fulfilments per row, {Environment.ProcessorCount} cores, storage {(storage.Contains("UseDevelopmentStorage", StringComparison.Ordinal) ? "Azurite" : "custom")}"));
Console.WriteLine("| Storage delay per request | Concurrency | Deliveries/s | p50 ms | p99 ms | max ms | Storage requests per delivery |");
Console.WriteLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
foreach (var delay in delays)
{
    foreach (var concurrency in new[] { 1, 16 })
    {
        var row = await RunAsync(TimeSpan.FromMilliseconds(delay), concurrency);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {delay:F0} ms | {concurrency} | {row.Rate:F0} | {row.P50:F2} | {row.P99:F2} | {row.Max:F2} | {row.RequestsPerDelivery:F1} |"));
    }
}

return 0;

async Task<Row> RunAsync(TimeSpan delay, int concurrency)
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
    var wait = new StorageRoundTrip(delay);
    var tableOptions = new TableClientOptions();
    tableOptions.AddPolicy(wait, HttpPipelinePosition.PerRetry);
    var queueOptions = new QueueClientOptions();
    queueOptions.AddPolicy(wait, HttpPipelinePosition.PerRetry);
    services.AddSingleton(new TableServiceClient(storage, tableOptions));
    services.AddSingleton(new WarehouseQueue(new QueueClient(storage, run, queueOptions)));
    await using var provider = services.BuildServiceProvider();
    var functions = ActivatorUtilities.CreateInstance<StorePlatformFunctions>(provider);
    var queue = provider.GetRequiredService<WarehouseQueue>().Client;
    await queue.CreateIfNotExistsAsync();
    try
    {
        // One delivery first creates the tables (once per process, as in the app); it is not measured.
        await DeliverAsync(functions, "warmup");
        wait.Reset();
        var latencies = new double[deliveries];
        var next = -1;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < deliveries)
            {
                var started = Stopwatch.GetTimestamp();
                await DeliverAsync(functions, i.ToString(CultureInfo.InvariantCulture));
                latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }
        }));
        var elapsed = clock.Elapsed;
        Array.Sort(latencies);
        return new Row(deliveries / elapsed.TotalSeconds, Percentile(latencies, 0.50), Percentile(latencies, 0.99), latencies[^1], wait.Requests / (double)deliveries);
    }
    finally
    {
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

double Arg(string name, double fallback) => ArgText(name) is { } text ? double.Parse(text, CultureInfo.InvariantCulture) : fallback;

string? ArgText(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

internal sealed record Row(double Rate, double P50, double P99, double Max, double RequestsPerDelivery);

/// <summary>Waits before each storage request, as the round trip to a storage account does, and counts them.</summary>
internal sealed class StorageRoundTrip(TimeSpan delay) : HttpPipelinePolicy
{
    private long _requests;

    public long Requests => Interlocked.Read(ref _requests);

    public void Reset() => Interlocked.Exchange(ref _requests, 0);

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Interlocked.Increment(ref _requests);
        if (delay > TimeSpan.Zero)
        {
            Thread.Sleep(delay);
        }

        ProcessNext(message, pipeline);
    }

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Interlocked.Increment(ref _requests);
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay).ConfigureAwait(false);
        }

        await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
    }
}
