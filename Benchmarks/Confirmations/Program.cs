// Warehouse confirmations benchmark: the real ConfirmationProcessor (AddFlexFunctions) against a real storage endpoint
// (Azurite by default) whose every request waits --storage-latency-ms first, and a fake FlexShopper in its own process.
// Deliveries are unique shipments plus duplicates, shuffled (or each duplicate right behind its original with
// --together); the first call for 1 event in 1/--failures is answered 503 and its delivery handed back (a
// redelivery, without the visibility timeout); a delivery that defers to the holder of its event's claim puts its
// copy on the real queue, which a pump feeds back once visible, as the host would. `--help` lists the options.
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using FlexFunctions.Benchmarks.Common;
using FlexFunctions.Benchmarks.Confirmations;
using FlexFunctions.Shared.Confirmations;
using FlexFunctions.Shared.FlexShopper;
using FlexFunctions.Shared.FlexShopper.Models;
using FlexFunctions.Shared.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Logging;
using static FlexFunctions.Benchmarks.Common.Figures;

if (FakeProcess.IsChild(args))
{
    return await FakeProcess.ServeAsync(FakeConfirmations.Map);
}

var cli = new BenchArguments("Confirmations",
    "Warehouse confirmations through the real processor: cost per unique event against the floor, duplicates sent (must be 0).");
var common = new CommonOptions(cli, latencies: [0, 3], upstreamDelays: [0]);
var eventsOption = cli.Ints("--events", [10_000], "deliveries per run, duplicates included; several values show whether cost grows linearly", 10, 10_000_000);
var duplicatesOption = cli.Number("--duplicates", 0.2, "share of deliveries that repeat an earlier event", 0, 0.9);
var failuresOption = cli.Number("--failures", 0.1, "share of events whose first call FlexShopper answers 503", 0, 1);
var concurrencyOption = cli.Int("--concurrency", 16, "deliveries in flight", 1, 1024);
var instancesOption = cli.Int("--instances", 1, "app instances (service graphs) sharing the storage and queue", 1, 64);
var togetherOption = cli.Flag("--together", "put each duplicate right behind its original, so the two are picked up at once");
var maxSecondsOption = cli.Int("--max-seconds", 600, "stop a run after this long (figures then partial, exit code 2)", 1);
if (!cli.TryParse(args, out var exitCode))
{
    return exitCode;
}

var storage = common.Storage;
var concurrency = concurrencyOption();
var roundTrips = new StorageRoundTrips();
await using var fake = await FakeProcess.StartAsync();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"Confirmations benchmark: {Machine.Describe(storage)}; fake FlexShopper in process {fake.Pid}; {concurrency} in flight over {instancesOption()} instance(s), {duplicatesOption():P0} duplicates{(togetherOption() ? " (together)" : "")}, {failuresOption():P0} first calls answered 503"));
var table = new MarkdownTable("Events", "Storage latency", "Upstream delay", "Wall s (all settled)", "Deliveries/s", "Our CPU ms/delivery", "Requests by kind", "Storage round trips in sequence per unique event",
    "Upstream calls", "Confirmed / unique (twice)", "Allocated B/delivery", "Peak live heap MB", "Emulator CPU s", "Floor s", "Ratio to floor", "Floor loop s (ratio)");
var summary = new List<string>();
var failed = false;
foreach (var upstreamDelay in common.UpstreamDelaysMs)
{
    foreach (var latency in common.StorageLatenciesMs)
    {
        var perUnique = new Dictionary<int, double>();
        foreach (var events in eventsOption())
        {
            var loadBefore = Machine.LoadAverage();
            roundTrips.Latency = TimeSpan.FromMilliseconds(latency);
            var result = await RunAsync(events, upstreamDelay);
            perUnique[events] = result.PerUniqueMs;
            failed |= !result.Correct;
            summary.Add(string.Create(CultureInfo.InvariantCulture,
                $"{events:N0} events at {latency} ms: {result.PerUniqueMs:F3} ms per unique event = {result.Ratio:F2}x the floor; load average {loadBefore} before, {Machine.LoadAverage()} after"));
        }

        if (perUnique.Count >= 2)
        {
            var (small, large) = (perUnique.MinBy(p => p.Key), perUnique.MaxBy(p => p.Key));
            summary.Add(string.Create(CultureInfo.InvariantCulture,
                $"linearity at {latency} ms: cost per unique event at {large.Key:N0} events is {large.Value / small.Value:F2}x that at {small.Key:N0}"));
        }
    }
}

Console.WriteLine();
Console.Write(table);
Console.WriteLine();
summary.ForEach(Console.WriteLine);
return failed ? 1 : 0;

async Task<(double PerUniqueMs, double Ratio, bool Correct)> RunAsync(int events, double upstreamDelay)
{
    using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(maxSecondsOption()));
    await fake.PostAsync(string.Create(CultureInfo.InvariantCulture, $"__set?failures={failuresOption()}&delayMs={upstreamDelay}"));
    var run = "bench" + Guid.NewGuid().ToString("N")[..8];
    var settings = new Dictionary<string, string?>
    {
        ["FlexShopper:BaseUrl"] = fake.BaseUrl + "v3/",
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
    // One service graph per app instance, all on the same storage account and queue, every storage client delayed.
    var providers = Enumerable.Range(0, instancesOption()).Select(_ =>
    {
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLogging(l => l.SetMinimumLevel(LogLevel.None));
        services.AddFlexFunctions(configuration);
        services.AddSingleton(roundTrips.Policies);
        services.ConfigureAll<HttpClientFactoryOptions>(o => o.HttpMessageHandlerBuilderActions.Add(b => b.AdditionalHandlers.Add(new UpstreamWaits())));
        return services.BuildServiceProvider();
    }).ToList();
    try
    {
        var processors = providers.Select(p => p.GetRequiredService<ConfirmationProcessor>()).ToArray();
        var warehouse = providers[0].GetRequiredService<WarehouseQueue>();
        await warehouse.Client.CreateIfNotExistsAsync(cancellationToken: deadline.Token);
        // The host's own polling is not our code: it reads the queue without the modelled latency.
        var hostQueue = new QueueClient(storage, run, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None });

        // ---- The deliveries: unique shipments plus duplicates, shuffled ----
        var random = new Random(42);
        var unique = (int)Math.Round(events * (1 - duplicatesOption()));
        var messages = Enumerable.Range(0, unique).Select(Shipment).ToList();
        var deliveries = messages.Concat(Enumerable.Range(0, events - unique).Select(_ => messages[random.Next(unique)])).ToArray();
        random.Shuffle(deliveries);
        if (togetherOption())
        {
            var copies = deliveries.Where((d, i) => Array.IndexOf(deliveries, d) != i).ToLookup(d => d);
            deliveries = deliveries.Distinct().SelectMany(d => copies[d].Prepend(d)).ToArray();
        }

        // Warm up connections and table creation outside the measurement, on every instance.
        foreach (var p in processors)
        {
            await p.ProcessAsync(new WarehouseDelivery(Shipment(-1 - Array.IndexOf(processors, p)), "warmup", 1), deadline.Token);
        }

        await fake.PostAsync("__reset");
        roundTrips.Reset();
        UpstreamWaits.Reset();

        var queue = Channel.CreateUnbounded<(string Text, int Dequeue)>();
        foreach (var d in deliveries)
        {
            queue.Writer.TryWrite((d, 1));
        }

        var outcomes = new ConcurrentDictionary<ProcessOutcome, int>();
        var redeliveries = 0;
        var remaining = deliveries.Length;
        long inSequence = 0;
        var timedOut = false;
        using var drained = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
        var emulatorStart = ProcessCpu.Seconds(common.EmulatorPid);
        var cpuStart = ProcessCpu.Own();
        using var memory = MemoryProbe.Start();
        var clock = Stopwatch.StartNew();
        long lastConfirmedTicks = 0;

        // The copies deferred deliveries put back: fed to the workers once the queue shows them, as the host would.
        var pump = Task.Run(async () =>
        {
            while (!drained.IsCancellationRequested)
            {
                var received = (await hostQueue.ReceiveMessagesAsync(32, TimeSpan.FromMinutes(5), drained.Token)).Value;
                foreach (var message in received)
                {
                    queue.Writer.TryWrite((message.MessageText, (int)message.DequeueCount));
                    await hostQueue.DeleteMessageAsync(message.MessageId, message.PopReceipt, drained.Token);
                }

                if (received.Length == 0)
                {
                    await Task.Delay(200, drained.Token);
                }
            }
        });

        try
        {
            await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async worker =>
            {
                var mine = processors[worker % processors.Length];
                await foreach (var (text, dequeue) in queue.Reader.ReadAllAsync(deadline.Token))
                {
                    var flow = Flow.Begin();
                    try
                    {
                        var outcome = await mine.ProcessAsync(new WarehouseDelivery(text, null, dequeue), deadline.Token);
                        outcomes.AddOrUpdate(outcome, 1, (_, n) => n + 1);
                        if (outcome == ProcessOutcome.Confirmed)
                        {
                            Interlocked.Exchange(ref lastConfirmedTicks, clock.Elapsed.Ticks);
                        }

                        if (outcome != ProcessOutcome.Deferred && Interlocked.Decrement(ref remaining) == 0)
                        {
                            queue.Writer.Complete(); // a deferred copy is still to be settled
                        }
                    }
                    catch (TransientConfirmationException)
                    {
                        Interlocked.Increment(ref redeliveries);
                        queue.Writer.TryWrite((text, dequeue + 1));
                    }
                    finally
                    {
                        Flow.End();
                        Interlocked.Add(ref inSequence, flow.StorageInSequence());
                    }
                }
            }));
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            timedOut = true;
        }

        var settled = clock.Elapsed;
        var ownCpu = ProcessCpu.Own() - cpuStart;
        // The work is done when the last unique event is confirmed; a duplicate deferred to a claim in flight settles
        // later, when its copy becomes visible on the queue again (2 s at least), which says nothing about throughput.
        var elapsed = TimeSpan.FromTicks(Interlocked.Read(ref lastConfirmedTicks));
        var (allocated, peakLive) = memory.Stop();
        var emulator = ProcessCpu.Seconds(common.EmulatorPid) - emulatorStart;
        await drained.CancelAsync();
        try
        {
            await pump;
        }
        catch (OperationCanceledException)
        {
        }

        var stats = await fake.GetAsync<UpstreamStats>("__stats");
        var ourRequests = roundTrips.Requests;
        var kinds = roundTrips.KindsText;
        var applied = roundTrips.MeanAppliedLatency.TotalMilliseconds;

        // ---- The floor: the fewest round trips any correct design needs, at the same concurrency ----
        // A unique event: claim and record done (2) around one call. An event whose first call failed: also the
        // release, and the redelivery's read and take-over (3 more) and a second call. A duplicate: nothing (a design
        // that remembers done events needs no round trip for one).
        var upstreamMs = await MeanUpstreamMsAsync(providers[0]);
        var chainMs = (unique * ((2 * applied) + upstreamMs)) + (stats.Injected * ((3 * applied) + upstreamMs));
        var floorRequests = (2.0 * unique) + (3.0 * stats.Injected);
        var emulatorFloor = emulator is { } e && ourRequests > 0 ? e * Math.Min(1, floorRequests / ourRequests) : 0;
        var floorSeconds = Math.Max(chainMs / concurrency / 1000, emulatorFloor);
        var perUniqueMs = elapsed.TotalMilliseconds / unique;
        var ratio = elapsed.TotalSeconds / floorSeconds;

        // ---- The floor loop, same run, clients and latency: insert, call, update for 2,000 clean events ----
        var floorLoop = await FloorLoopAsync(providers[0], run, Math.Min(2000, unique), deadline.Token);
        var floorLoopRatio = perUniqueMs / (floorLoop * 1000 / Math.Min(2000, unique));

        var correct = !timedOut && stats.Successes == unique && stats.Doubles == 0;
        table.Add(N(events), $"{roundTrips.Latency.TotalMilliseconds} ms", $"{upstreamDelay} ms", $"{F(elapsed.TotalSeconds)} ({F(settled.TotalSeconds)})" + (timedOut ? " TIMED OUT" : ""),
            F((deliveries.Length - remaining) / settled.TotalSeconds, 0), F(ownCpu * 1000 / deliveries.Length, 3), kinds, F(inSequence / (double)unique, 2),
            $"{N(stats.Requests)} ({N(stats.Injected)} answered 503)", $"{N(stats.Successes)} / {N(unique)} ({stats.Doubles})",
            N(allocated / deliveries.Length), Mb(peakLive), emulator is { } cpu ? F(cpu) : "-", F(floorSeconds, 2), Ratio(ratio),
            $"{F(floorLoop, 2)} ({Ratio(floorLoopRatio)})");
        summary.Add(string.Create(CultureInfo.InvariantCulture,
            $"{events:N0} events at {roundTrips.Latency.TotalMilliseconds} ms: outcomes {string.Join(", ", outcomes.OrderBy(o => o.Key).Select(o => $"{o.Key} {o.Value}"))}; {redeliveries} redeliveries; storage latency as applied {applied:F2} ms; mean upstream call {upstreamMs:F2} ms"));
        await warehouse.Client.DeleteIfExistsAsync();
        return (perUniqueMs, ratio, correct);
    }
    finally
    {
        var cleanup = new TableServiceClient(storage);
        // FLEXFUNCTIONS_BENCH_KEEP_TABLES=1 leaves the app's tables for Benchmarks/Retention to count and clean up.
        var keep = Environment.GetEnvironmentVariable("FLEXFUNCTIONS_BENCH_KEEP_TABLES") == "1";
        foreach (var name in keep ? ["floor"] : new[] { "ledger", "failed", "floor" })
        {
            await cleanup.DeleteTableAsync(run + name);
        }

        if (keep)
        {
            Console.WriteLine($"kept tables: ConfirmationLedger={run}ledger FailedEvents={run}failed");
        }

        foreach (var provider in providers)
        {
            await provider.DisposeAsync();
        }
    }
}

// The time one confirm-shipment takes through the typed client, as the floor's upstream call.
static async Task<double> MeanUpstreamMsAsync(IServiceProvider provider)
{
    var client = provider.GetRequiredService<IFlexShopperClient>();
    var clock = Stopwatch.StartNew();
    for (var i = 0; i < 50; i++)
    {
        await client.ConfirmShipmentAsync("P-" + i, new ShipmentConfirmation([new ShippedItem("UPS", "2026-03-01") { Sku = "S", Quantity = 1 }]));
    }

    return clock.Elapsed.TotalMilliseconds / 50;
}

async Task<double> FloorLoopAsync(IServiceProvider provider, string run, int count, CancellationToken cancellationToken)
{
    var client = provider.GetRequiredService<IFlexShopperClient>();
    var floorTable = provider.GetRequiredService<TableServiceClient>().GetTableClient(run + "floor");
    await floorTable.CreateIfNotExistsAsync(cancellationToken);
    var next = -1;
    var clock = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
    {
        int i;
        while ((i = Interlocked.Increment(ref next)) < count)
        {
            var added = await floorTable.AddEntityAsync(new TableEntity("F-" + i, "k") { ["State"] = "InProgress" }, cancellationToken);
            await client.ConfirmShipmentAsync("F-" + i, new ShipmentConfirmation([new ShippedItem("UPS", "2026-03-01") { Sku = "S", Quantity = 1 }]), cancellationToken);
            await floorTable.UpdateEntityAsync(new TableEntity("F-" + i, "k") { ["State"] = "Done" }, added.Headers.ETag!.Value, TableUpdateMode.Merge, cancellationToken);
        }
    }));
    return clock.Elapsed.TotalSeconds;
}

static string Shipment(int i) => string.Create(CultureInfo.InvariantCulture,
    $$"""{"version":1,"type":"shipment","transactionId":"B-{{i}}","items":[{"sku":"SKU-{{i % 97}}","quantity":1,"carrier":"UPS","trackingNumber":"1Z{{i}}","shipDate":"2026-03-01"}]}""");
