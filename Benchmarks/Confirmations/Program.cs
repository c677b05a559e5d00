// Warehouse confirmations benchmark: the real ConfirmationProcessor (built by AddFlexFunctions) against Azurite
// and a loopback fake FlexShopper. Usage:
//   dotnet run -c Release --project Benchmarks/Confirmations -- [--events 10000] [--duplicates 0.2]
//       [--failures 0.1] [--concurrency 16] [--instances 1] [--upstream-delay-ms 0] [--together] [--max-seconds 110]
//       [--storage <connection string>]
// The storage connection defaults to FLEXFUNCTIONS_BENCH_STORAGE, then UseDevelopmentStorage=true. A delivery that
// throws goes straight back to the workers (a redelivery, without the visibility timeout); one that defers to the
// delivery holding its event's claim puts its copy on the real queue, which a pump feeds back once it is visible.
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using Azure.Data.Tables;
using FlexFunctions.Shared.Confirmations;
using FlexFunctions.Shared.FlexShopper;
using FlexFunctions.Shared.FlexShopper.Models;
using FlexFunctions.Shared.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

var options = Args.Parse(args);
var storage = options.Storage ?? Environment.GetEnvironmentVariable("FLEXFUNCTIONS_BENCH_STORAGE") ?? "UseDevelopmentStorage=true";
using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(options.MaxSeconds));

// ---- Loopback fake FlexShopper: the first request for 1 transaction in 1/failures answers 503 ----
var upstream = new Upstream(options.FailureRate);
var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.UseKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0));
await using var app = builder.Build();
app.MapPost("/v3/transactions/{id}/confirm-shipment", async (string id) =>
{
    if (options.UpstreamDelayMs > 0)
    {
        await Task.Delay(options.UpstreamDelayMs); // as FlexShopper across the internet: duplicates then meet a claim in flight
    }

    return upstream.Confirm(id);
});
await app.StartAsync(deadline.Token);
var baseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/v3/";

// ---- The app's real service graph ----
var run = "bench" + Guid.NewGuid().ToString("N")[..8];
var settings = new Dictionary<string, string?>
{
    ["FlexShopper:BaseUrl"] = baseUrl,
    ["FlexShopper:ApiKey"] = "benchmark-key",
    ["FlexShopper:AttemptTimeout"] = "00:00:05",
    ["FlexShopper:TotalTimeout"] = "00:00:10",
    // Transient failures go back to the queue (as in production after the client's retries), so the ledger path is measured.
    ["FlexShopper:MaxRetryAttempts"] = "0",
    ["FlexShopper:CircuitBreakerMinimumThroughput"] = "10000",
    ["Storage"] = storage,
    ["Warehouse"] = storage,
    ["WarehouseQueueName"] = run,
    ["Tables:ConfirmationLedger"] = run + "ledger",
    ["Tables:FailedEvents"] = run + "failed",
};
var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
// One service graph per app instance, all on the same storage account and queue.
var providers = Enumerable.Range(0, options.Instances).Select(_ =>
{
    var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLogging(l => l.SetMinimumLevel(LogLevel.None));
    services.AddFlexFunctions(configuration);
    return services.BuildServiceProvider();
}).ToList();
await using var provider = providers[0];
var processors = providers.Select(p => p.GetRequiredService<ConfirmationProcessor>()).ToArray();
var processor = processors[0];
var warehouse = provider.GetRequiredService<WarehouseQueue>();
await warehouse.Client.CreateIfNotExistsAsync(cancellationToken: deadline.Token);
var client = provider.GetRequiredService<IFlexShopperClient>();
var tables = provider.GetRequiredService<TableServiceClient>();

// ---- The deliveries: unique shipments plus duplicates, shuffled ----
var random = new Random(42);
var unique = (int)Math.Round(options.Events * (1 - options.DuplicateRate));
var messages = Enumerable.Range(0, unique).Select(Shipment).ToList();
var deliveries = messages.Concat(Enumerable.Range(0, options.Events - unique).Select(_ => messages[random.Next(unique)])).ToArray();
random.Shuffle(deliveries);
if (args.Contains("--together"))
{
    // Each duplicate right behind its original, so the two are picked up at the same moment (a producer's retry).
    var copies = deliveries.Where((d, i) => Array.IndexOf(deliveries, d) != i).ToLookup(d => d);
    deliveries = deliveries.Distinct().SelectMany(d => copies[d].Prepend(d)).ToArray();
}

string Shipment(int i) => string.Create(CultureInfo.InvariantCulture,
    $$"""{"version":1,"type":"shipment","transactionId":"B-{{i}}","items":[{"sku":"SKU-{{i % 97}}","quantity":1,"carrier":"UPS","trackingNumber":"1Z{{i}}","shipDate":"2026-03-01"}]}""");

// Warm up connections and table creation outside the measurement.
await processor.ProcessAsync(new WarehouseDelivery(Shipment(-1), "warmup", 1), deadline.Token);
upstream.Reset();

// ---- Run: workers pull from an in-memory queue; a transient failure puts the delivery back (a redelivery) ----
var queue = Channel.CreateUnbounded<(string Text, int Dequeue)>();
foreach (var d in deliveries)
{
    queue.Writer.TryWrite((d, 1));
}

var outcomes = new ConcurrentDictionary<ProcessOutcome, int>();
var redeliveries = 0;
var remaining = deliveries.Length;
var clock = Stopwatch.StartNew();
var lastConfirmed = TimeSpan.Zero;
var lastDeferred = TimeSpan.Zero;
var timedOut = false;
using var drained = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);

// The copies deferred deliveries put back: fed to the workers once the queue shows them, as the host would.
var pump = Task.Run(async () =>
{
    while (!drained.IsCancellationRequested)
    {
        var received = (await warehouse.Client.ReceiveMessagesAsync(32, TimeSpan.FromMinutes(5), drained.Token)).Value;
        foreach (var message in received)
        {
            queue.Writer.TryWrite((message.MessageText, (int)message.DequeueCount));
            await warehouse.Client.DeleteMessageAsync(message.MessageId, message.PopReceipt, drained.Token);
        }

        if (received.Length == 0)
        {
            await Task.Delay(200, drained.Token);
        }
    }
});

try
{
    await Task.WhenAll(Enumerable.Range(0, options.Concurrency).Select(async worker =>
    {
        var mine = processors[worker % processors.Length];
        await foreach (var (text, dequeue) in queue.Reader.ReadAllAsync(deadline.Token))
        {
            try
            {
                var outcome = await mine.ProcessAsync(new WarehouseDelivery(text, null, dequeue), deadline.Token);
                outcomes.AddOrUpdate(outcome, 1, (_, n) => n + 1);
                if (outcome == ProcessOutcome.Deferred)
                {
                    lastDeferred = clock.Elapsed;
                    continue; // its copy is on the queue: still to be settled
                }

                if (outcome == ProcessOutcome.Confirmed)
                {
                    lastConfirmed = clock.Elapsed;
                }

                if (Interlocked.Decrement(ref remaining) == 0)
                {
                    queue.Writer.Complete();
                }
            }
            catch (TransientConfirmationException)
            {
                Interlocked.Increment(ref redeliveries);
                queue.Writer.TryWrite((text, dequeue + 1));
            }
        }
    }));
}
catch (OperationCanceledException) when (deadline.IsCancellationRequested)
{
    timedOut = true;
}

var elapsed = clock.Elapsed;
await drained.CancelAsync();
try
{
    await pump;
}
catch (OperationCanceledException)
{
}

await warehouse.Client.DeleteIfExistsAsync();
foreach (var other in providers.Skip(1))
{
    await other.DisposeAsync();
}

var confirmations = upstream.Successes;
var requests = upstream.Requests;

// ---- Floor, same run, same concurrency: one upstream call plus the ledger's two table operations per event ----
var floorCount = Math.Min(2000, unique);
var floorTable = tables.GetTableClient(run + "floor");
await floorTable.CreateIfNotExistsAsync();
var next = -1;
var floorClock = Stopwatch.StartNew();
await Task.WhenAll(Enumerable.Range(0, options.Concurrency).Select(async _ =>
{
    int i;
    while ((i = Interlocked.Increment(ref next)) < floorCount)
    {
        var entity = new TableEntity("F-" + i, "k") { ["State"] = "InProgress" };
        var added = await floorTable.AddEntityAsync(entity);
        await client.ConfirmShipmentAsync("F-" + i, new ShipmentConfirmation([new ShippedItem("UPS", "2026-03-01") { Sku = "S", Quantity = 1 }]));
        await floorTable.UpdateEntityAsync(new TableEntity("F-" + i, "k") { ["State"] = "Done" }, added.Headers.ETag!.Value, TableUpdateMode.Merge);
    }
}));
var floorPerEvent = floorClock.Elapsed.TotalMilliseconds / floorCount;

// FLEXFUNCTIONS_BENCH_KEEP_TABLES=1 leaves the app's tables for Benchmarks/Retention to count and clean up.
var keepTables = Environment.GetEnvironmentVariable("FLEXFUNCTIONS_BENCH_KEEP_TABLES") == "1";
foreach (var name in keepTables ? ["floor"] : new[] { "ledger", "failed", "floor" })
{
    await tables.DeleteTableAsync(run + name);
}

if (keepTables)
{
    Console.WriteLine($"kept tables: ConfirmationLedger={run}ledger FailedEvents={run}failed");
}

var perDelivery = elapsed.TotalMilliseconds / Math.Max(1, deliveries.Length - remaining);
var perUnique = elapsed.TotalMilliseconds / Math.Max(1, unique);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
    deliveries            {deliveries.Length} ({unique} unique events, {deliveries.Length - unique} duplicates), concurrency {options.Concurrency} over {options.Instances} instance(s)
    processed             {deliveries.Length - remaining} in {elapsed.TotalSeconds:F1} s{(timedOut ? " (TIMED OUT: partial figures)" : "")}
    throughput            {(deliveries.Length - remaining) / elapsed.TotalSeconds:F0} deliveries/s, {(unique - Math.Max(0, remaining)) / elapsed.TotalSeconds:F0} unique events/s
    outcomes              {string.Join(", ", outcomes.OrderBy(o => o.Key).Select(o => $"{o.Key} {o.Value}"))}
    failed deliveries     {redeliveries} (the function would fail and the queue redeliver; injected 503s {upstream.InjectedFailures})
    deferred duplicates   {outcomes.GetValueOrDefault(ProcessOutcome.Deferred)} (acknowledged, copy re-queued; last deferral at {lastDeferred.TotalSeconds:F1} s)
    settled after last confirmation {(elapsed - lastConfirmed).TotalSeconds:F1} s (every delivery and copy done at {elapsed.TotalSeconds:F1} s, last confirmation at {lastConfirmed.TotalSeconds:F1} s)
    upstream requests     {requests} = {confirmations} confirmations + {requests - confirmations} injected failures
    confirmations         {confirmations} for {unique} unique events; transactions confirmed twice: {upstream.Doubles}
    floor per event       {floorPerEvent:F2} ms (1 upstream call + table insert + table update, {floorCount} events, same concurrency)
    cost per delivery     {perDelivery:F2} ms = {perDelivery / floorPerEvent:F2} x floor
    cost per unique event {perUnique:F2} ms = {perUnique / floorPerEvent:F2} x floor
    """));

return timedOut ? 2 : confirmations == unique && upstream.Doubles == 0 ? 0 : 1;

internal sealed class Upstream(double failureRate)
{
    private readonly ConcurrentDictionary<string, int> _attempts = new();
    private readonly ConcurrentDictionary<string, int> _confirmed = new();
    private int _requests;
    private int _successes;
    private int _injected;
    private readonly int _failEvery = failureRate <= 0 ? int.MaxValue : (int)Math.Round(1 / failureRate);

    public int Requests => _requests;
    public int Successes => _successes;
    public int InjectedFailures => _injected;
    public int Doubles => _confirmed.Count(c => c.Value > 1);

    public IResult Confirm(string id)
    {
        Interlocked.Increment(ref _requests);
        var attempt = _attempts.AddOrUpdate(id, 1, (_, n) => n + 1);
        var number = id.StartsWith("B-", StringComparison.Ordinal) && int.TryParse(id.AsSpan(2), CultureInfo.InvariantCulture, out var n) ? n : -1;
        if (attempt == 1 && number >= 0 && number % _failEvery == 0)
        {
            Interlocked.Increment(ref _injected);
            return Results.Json(new Dictionary<string, object> { ["error"] = new Dictionary<string, object> { ["statusCode"] = 503, ["message"] = "maintenance" } }, statusCode: 503);
        }

        Interlocked.Increment(ref _successes);
        _confirmed.AddOrUpdate(id, 1, (_, c) => c + 1);
        return Results.Text("{\"data\":{}}", "application/json");
    }

    public void Reset()
    {
        _attempts.Clear();
        _confirmed.Clear();
        _requests = _successes = _injected = 0;
    }
}

internal sealed record Args(int Events, double DuplicateRate, double FailureRate, int Concurrency, int Instances, int UpstreamDelayMs, int MaxSeconds, string? Storage)
{
    public static Args Parse(string[] args)
    {
        string? Value(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        return new Args(
            int.Parse(Value("--events") ?? "10000", CultureInfo.InvariantCulture),
            double.Parse(Value("--duplicates") ?? "0.2", CultureInfo.InvariantCulture),
            double.Parse(Value("--failures") ?? "0.1", CultureInfo.InvariantCulture),
            int.Parse(Value("--concurrency") ?? "16", CultureInfo.InvariantCulture),
            int.Parse(Value("--instances") ?? "1", CultureInfo.InvariantCulture),
            int.Parse(Value("--upstream-delay-ms") ?? "0", CultureInfo.InvariantCulture),
            int.Parse(Value("--max-seconds") ?? "110", CultureInfo.InvariantCulture),
            Value("--storage"));
    }
}
