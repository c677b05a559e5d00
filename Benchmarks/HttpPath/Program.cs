// HTTP-path benchmark: passcode request, login (right and wrong passcode), create lease, sign lease and finalize,
// each invoked as the worker invokes it (function class, HttpContext in, IActionResult executed) over the real graph
// from AddFlexFunctions, against a fake FlexShopper in its own process; compared in the same run with a plain
// HttpClient sending the same upstream request(s) to the same fake (the direct call). Every storage request waits
// --storage-latency-ms first, as a storage account's round trip does. `--help` lists the options.
using System.Diagnostics;
using System.Globalization;
using System.Text;
using FlexFunctions.Benchmarks.Common;
using FlexFunctions.Benchmarks.HttpPath;
using FlexFunctions.Functions.Http;
using FlexFunctions.Shared.CustomerAuth;
using FlexFunctions.Shared.FlexShopper.Models;
using FlexFunctions.Shared.Http;
using FlexFunctions.Shared.Secrets;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Trace;
using static FlexFunctions.Benchmarks.Common.Figures;

if (FakeProcess.IsChild(args))
{
    return await FakeProcess.ServeAsync(FakeFlexShopper.Map);
}

var cli = new BenchArguments("HttpPath",
    "Each HTTP route against the direct call: latency, storage round trips before FlexShopper, the app's own time per request.");
var common = new CommonOptions(cli, latencies: [0, 3], upstreamDelays: [0]);
var secondsOption = cli.Number("--seconds", 3, "measured seconds per route and concurrency", 0.1, 3600);
var warmupOption = cli.Number("--warmup", 1, "warm-up seconds before each measurement", 0, 600);
var concurrencyOption = cli.Ints("--concurrency", [1, 64], "requests in flight", 1, 4096);
var onlyOption = cli.Text("--only", null, "run only the routes whose name contains this text", "TEXT");
var noTracingOption = cli.Flag("--no-tracing", "leave the tracer unstarted (the host starts it), to show what tracing costs");
if (!cli.TryParse(args, out var exitCode))
{
    return exitCode;
}

var storage = common.Storage;
var roundTrips = new StorageRoundTrips();
await using var fake = await FakeProcess.StartAsync();
var baseUrl = fake.BaseUrl + "v3/";

// ---- The app's real graph, started as the host starts it (tracer provider included, no exporter) ----
var run = "bench" + Guid.NewGuid().ToString("N")[..8];
var settings = new Dictionary<string, string?>
{
    ["FlexShopper:BaseUrl"] = baseUrl,
    ["FlexShopper:ApiKey"] = "benchmark-key",
    ["FlexShopper:CircuitBreakerMinimumThroughput"] = "10000",
    ["Storage"] = storage,
    ["Warehouse"] = storage,
    ["WarehouseQueueName"] = run,
    ["Tables:RateLimits"] = run + "limits",
    ["Tables:Idempotency"] = run + "idem",
    ["KeyedHashing:Secret"] = "benchmark-table-key-secret-0123456789",
};
var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLogging(l => l.SetMinimumLevel(LogLevel.Information));
services.AddFlexFunctions(configuration);
services.AddSingleton(roundTrips.Policies);
// Innermost in the FlexShopper client: the time each call waits on the fake.
services.ConfigureAll<HttpClientFactoryOptions>(o => o.HttpMessageHandlerBuilderActions.Add(b => b.AdditionalHandlers.Add(new UpstreamWaits())));
await using var provider = services.BuildServiceProvider();
if (!noTracingOption())
{
    _ = provider.GetRequiredService<TracerProvider>();
}

var customers = ActivatorUtilities.CreateInstance<CustomerFunctions>(provider);
var leases = ActivatorUtilities.CreateInstance<LeaseFunctions>(provider);
var keyVersion = (await provider.GetRequiredService<IApiKeyProvider>().GetCurrentAsync()).Version;
var session = provider.GetRequiredService<CustomerSessions>().Seal(new CustomerCredential(FakeFlexShopper.Token, keyVersion)).Value;

using var plain = new HttpClient { BaseAddress = new Uri(baseUrl) };
var leaseBody = Encoding.UTF8.GetBytes("""{"transactionId":"T1","items":[{"brand":"Acme","sku":"TV-55","description":"55in TV","cost":599.99,"quantity":1}]}""");
var signBody = Encoding.UTF8.GetBytes("""{"customerIp":"198.51.100.7"}""");
long sequence = 0;
string Next() => Interlocked.Increment(ref sequence).ToString(CultureInfo.InvariantCulture);
// The storage client the graph builds, alone: what one Table request costs our process besides its wait.
var sdkTable = provider.GetRequiredService<Azure.Data.Tables.TableServiceClient>().GetTableClient(run + "sdk");
await sdkTable.CreateIfNotExistsAsync();

// A new customer, shopper IP and Idempotency-Key each time: the benchmark measures the path, not a limit refusing it
// or a replay. Storage round trips before FlexShopper: the fewest the rules allow, stated per route.
var routes = new Route[]
{
    // Counted against the customer's and the IP's passcode limits (side by side) before FlexShopper sends a code.
    new("Passcode request", MinimumBefore: 1, MinimumAfter: 0, MinimumRequests: 2, async () =>
    {
        var n = Next();
        var context = Request("POST", $"/api/v1/customers/u{n}/passcode", Encoding.UTF8.GetBytes($$"""{"transport":"sms","customerIp":"{{Ip(n)}}"}"""), null, null);
        await Execute(context, await customers.RequestPasscode(context.Request, "u" + n, default), 202);
    }, () => Plain(HttpMethod.Post, "users/u1/send-passcode", """{"transport":"sms"}"""u8.ToArray(), customer: false)),
    // Admitted against the abuse limits (held in flight) before FlexShopper sees the passcode; settled after its answer
    // so the next attempt sees the true count.
    new("Login", 1, 1, 3, async () =>
    {
        var n = Next();
        var context = Request("POST", $"/api/v1/customers/u{n}/login", Encoding.UTF8.GetBytes($$"""{"passcode":"482913","customerIp":"{{Ip(n)}}"}"""), null, null);
        await Execute(context, await customers.LoginCustomer(context.Request, "u" + n, default), 200);
    }, () => Plain(HttpMethod.Post, "users/u1/passcode-login", """{"passcode":"482913"}"""u8.ToArray(), customer: false)),
    new("Login, wrong passcode", 1, 1, 3, async () =>
    {
        var n = Next();
        var context = Request("POST", $"/api/v1/customers/w{n}/login", Encoding.UTF8.GetBytes($$"""{"passcode":"482913","customerIp":"{{Ip(n)}}"}"""), null, null);
        await Execute(context, await customers.LoginCustomer(context.Request, "w" + n, default), 400);
    }, () => Plain(HttpMethod.Post, "users/w1/passcode-login", """{"passcode":"482913"}"""u8.ToArray(), customer: false, expected: 400)),
    // The Idempotency-Key is claimed before FlexShopper is called, and the outcome recorded before the answer, so a
    // retry replays it.
    new("Create lease", 1, 1, 2, async () =>
    {
        var context = Request("POST", "/api/v1/leases", leaseBody, session, "lease-" + Next());
        await Execute(context, await leases.CreateLease(context.Request, default), 201);
    }, () => Plain(HttpMethod.Post, "leases", leaseBody, customer: true)),
    new("Create lease, no Idempotency-Key", 0, 0, 0, async () =>
    {
        var context = Request("POST", "/api/v1/leases", leaseBody, session, null);
        await Execute(context, await leases.CreateLease(context.Request, default), 201);
    }, () => Plain(HttpMethod.Post, "leases", leaseBody, customer: true)),
    new("Sign lease", 1, 1, 2, async () =>
    {
        var context = Request("POST", "/api/v1/leases/L1/sign", signBody, session, "sign-" + Next());
        await Execute(context, await leases.SignLease(context.Request, "L1", default), 200);
    }, () => Plain(HttpMethod.Post, "leases/L1/sign", """{"ipAddress":"198.51.100.7","timestamp":"2026-03-01T12:00:00Z"}"""u8.ToArray(), customer: true)),
    // Finalize reads the transaction (its lease must be signed) and then finalizes: two FlexShopper calls.
    new("Finalize", 1, 1, 2, async () =>
    {
        var context = Request("POST", "/api/v1/transactions/T1/finalize", [], null, "final-" + Next());
        await Execute(context, await leases.FinalizeTransaction(context.Request, "T1", default), 200);
    }, async () =>
    {
        await Plain(HttpMethod.Get, "transactions/T1", null, customer: false);
        await Plain(HttpMethod.Post, "transactions/T1/finalize", null, customer: false);
    }),
    // Not a route: one insert of an idempotency-sized row through the same client, no FlexShopper call. Its own time
    // is the Azure SDK's per request, which every route with storage pays once per round trip.
    new("Storage client alone (one insert)", 0, 0, 1, () => sdkTable.AddEntityAsync(new Azure.Data.Tables.TableEntity("create-lease", "r" + Next())
    {
        ["State"] = "pending",
        ["Fingerprint"] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ["HashKeyId"] = "k1",
        ["StartedAt"] = DateTimeOffset.UtcNow,
        ["ExpiresAt"] = DateTimeOffset.UtcNow.AddDays(1),
    }), () => Task.CompletedTask),
};

Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"HTTP-path benchmark: {Machine.Describe(storage)}; fake FlexShopper in process {fake.Pid}; {secondsOption():F0} s per measurement after {warmupOption():F0} s warm-up; tracing {(noTracingOption() ? "off" : "on")}"));
var table = new MarkdownTable("Route", "c", "Storage latency", "Upstream delay", "rps", "p50 ms", "p99 ms", "Direct p50 ms", "p50 / direct",
    "Storage round trips before FlexShopper (fewest allowed)", "Storage round trips in sequence", "Requests by kind per request",
    "Own µs/request (wall − waits, median)", "CPU µs/request", "Allocated B/request", "Peak live heap MB", "Emulator CPU µs/storage request", "Floor p50 ms", "p50 / floor");
var loads = new List<string>();
foreach (var upstreamDelay in common.UpstreamDelaysMs)
{
    await fake.PostAsync(string.Create(CultureInfo.InvariantCulture, $"__set?delayMs={upstreamDelay}"));
    foreach (var latency in common.StorageLatenciesMs)
    {
        loads.Add($"storage {latency} ms, upstream {upstreamDelay} ms: load average {Machine.LoadAverage()} before");
        foreach (var route in routes.Where(r => onlyOption() is not { } only || r.Name.Contains(only, StringComparison.OrdinalIgnoreCase)))
        {
            foreach (var concurrency in concurrencyOption())
            {
                // The direct call first, then the function, each warmed up: both see the same fake and machine state.
                roundTrips.Latency = TimeSpan.FromMilliseconds(latency);
                var direct = await Measure(route.Direct, concurrency, observe: false);
                var measured = await Measure(route.Function, concurrency, observe: true);
                // The floor: the direct call plus the fewest storage round trips the rules allow on the path, each
                // costing the latency as applied and the emulator's own work for one request; or, where the emulator
                // (one thread) is saturated, what it takes to serve the requests in flight ahead of this one: with c
                // requests in flight each needing MinimumRequests of its work, a request waits c times that on
                // average (Little's law).
                var perRequest = measured.StorageRequests == 0 ? 0 : ((measured.EmulatorSeconds ?? 0) * 1000 / measured.StorageRequests);
                var floor = Math.Max(direct.P50 + ((route.MinimumBefore + route.MinimumAfter) * (measured.AppliedLatencyMs + perRequest)),
                    concurrency * route.MinimumRequests * perRequest);
                table.Add(route.Name, N(concurrency), $"{latency} ms", $"{upstreamDelay} ms", F(measured.Rps, 0), F(measured.P50, 3), F(measured.P99, 3), F(direct.P50, 3),
                    Ratio(measured.P50 / direct.P50), $"{F(measured.StorageBefore, 2)} ({route.MinimumBefore})", F(measured.StorageInSequence, 2), measured.Kinds,
                    F(measured.OwnMicroseconds, 0), F(measured.CpuMicroseconds, 0), N(measured.AllocatedPerRequest), Mb(measured.PeakLive), F(perRequest * 1000, 0), F(floor, 3), Ratio(measured.P50 / floor));
            }
        }

        loads.Add($"storage {latency} ms, upstream {upstreamDelay} ms: load average {Machine.LoadAverage()} after");
    }
}

Console.WriteLine();
Console.Write(table);
Console.WriteLine();
loads.ForEach(Console.WriteLine);

// FLEXFUNCTIONS_BENCH_KEEP_TABLES=1 leaves the app's tables for Benchmarks/Retention to count and clean up.
if (Environment.GetEnvironmentVariable("FLEXFUNCTIONS_BENCH_KEEP_TABLES") == "1")
{
    Console.WriteLine($"kept tables: RateLimits={run}limits Idempotency={run}idem");
}

roundTrips.Latency = TimeSpan.Zero;
var cleanup = provider.GetRequiredService<Azure.Data.Tables.TableServiceClient>();
foreach (var name in Environment.GetEnvironmentVariable("FLEXFUNCTIONS_BENCH_KEEP_TABLES") == "1" ? ["sdk"] : new[] { "limits", "idem", "sdk" })
{
    await cleanup.DeleteTableAsync(run + name);
}

return 0;

async Task<Result> Measure(Func<Task> operation, int concurrency, bool observe)
{
    await RunFor(operation, concurrency, TimeSpan.FromSeconds(warmupOption()), null);
    roundTrips.Reset();
    var emulatorStart = ProcessCpu.Seconds(common.EmulatorPid);
    var cpuStart = ProcessCpu.Own();
    using var memory = MemoryProbe.Start(TimeSpan.FromSeconds(1));
    var samples = new List<Sample>[concurrency];
    var elapsed = await RunFor(operation, concurrency, TimeSpan.FromSeconds(secondsOption()), samples);
    var cpu = ProcessCpu.Own() - cpuStart;
    var (allocated, peakLive) = memory.Stop();
    var emulator = ProcessCpu.Seconds(common.EmulatorPid) - emulatorStart;
    var all = samples.SelectMany(s => s).ToArray();
    var latencies = all.Select(s => s.Milliseconds).Order().ToArray();
    var count = Math.Max(1, all.Length);
    var kinds = string.Join(", ", roundTrips.Kinds.OrderByDescending(k => k.Value).ThenBy(k => k.Key, StringComparer.Ordinal)
        .Select(k => string.Create(CultureInfo.InvariantCulture, $"{k.Key} {k.Value / (double)count:0.##}")));
    return new Result(all.Length / elapsed.TotalSeconds, Percentile(latencies, 0.50), Percentile(latencies, 0.99),
        observe ? all.Average(s => s.StorageBefore) : 0, observe ? all.Average(s => s.StorageInSequence) : 0, observe && kinds.Length > 0 ? kinds : "none",
        observe ? Percentile(all.Select(s => s.OwnMicroseconds).Order().ToArray(), 0.50) : 0, cpu * 1e6 / count, allocated / count, peakLive,
        roundTrips.MeanAppliedLatency.TotalMilliseconds, roundTrips.Requests, emulator);
}

static async Task<TimeSpan> RunFor(Func<Task> operation, int concurrency, TimeSpan duration, List<Sample>[]? samples)
{
    var stopwatch = Stopwatch.StartNew();
    var workers = Enumerable.Range(0, concurrency).Select(async worker =>
    {
        var mine = new List<Sample>(4096);
        while (stopwatch.Elapsed < duration)
        {
            var flow = Flow.Begin();
            var started = Stopwatch.GetTimestamp();
            await operation();
            var wall = Stopwatch.GetElapsedTime(started);
            Flow.End();
            if (samples is not null)
            {
                mine.Add(new Sample(wall.TotalMilliseconds, flow.StorageInSequence(flow.FirstUpstreamStart), flow.StorageInSequence(), (wall - flow.Waiting).TotalMicroseconds));
            }
        }

        if (samples is not null)
        {
            samples[worker] = mine;
        }
    }).ToArray();
    await Task.WhenAll(workers);
    return stopwatch.Elapsed;
}

static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

static string Ip(string n)
{
    var i = int.Parse(n, CultureInfo.InvariantCulture);
    return string.Create(CultureInfo.InvariantCulture, $"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}");
}

async Task Plain(HttpMethod method, string path, byte[]? body, bool customer, int expected = 200)
{
    using var request = new HttpRequestMessage(method, path);
    if (body is not null)
    {
        request.Content = new ByteArrayContent(body) { Headers = { ContentType = new("application/json") } };
    }

    request.Headers.TryAddWithoutValidation("Authorization", "benchmark-key");
    if (customer)
    {
        request.Headers.TryAddWithoutValidation("Customer-Token", FakeFlexShopper.Token);
    }

    using var response = await plain.SendAsync(request);
    _ = await response.Content.ReadAsByteArrayAsync();
    if ((int)response.StatusCode != expected)
    {
        throw new InvalidOperationException($"The direct call to {path} answered {(int)response.StatusCode}.");
    }
}

static DefaultHttpContext Request(string method, string path, byte[] body, string? session, string? idempotencyKey)
{
    var context = new DefaultHttpContext();
    context.Request.Method = method;
    context.Request.Path = path;
    context.Request.Body = new MemoryStream(body, writable: false);
    context.Request.ContentLength = body.Length;
    context.Request.ContentType = "application/json";
    if (session is not null)
    {
        context.Request.Headers[CustomerSessions.Header] = session;
    }

    if (idempotencyKey is not null)
    {
        context.Request.Headers[ApiEndpoint.IdempotencyKeyHeader] = idempotencyKey;
    }

    context.Response.Body = new MemoryStream();
    return context;
}

static async Task Execute(HttpContext context, IActionResult result, int expected)
{
    await result.ExecuteResultAsync(new ActionContext(context, new RouteData(), new ActionDescriptor()));
    if (context.Response.StatusCode != expected)
    {
        context.Response.Body.Position = 0;
        throw new InvalidOperationException($"{context.Request.Path} answered {context.Response.StatusCode}, expected {expected}: {new StreamReader(context.Response.Body).ReadToEnd()}");
    }
}

/// <summary>
/// One route: the function call, its direct call, the storage round trips the rules require before and after
/// FlexShopper, and the storage requests they amount to (side-by-side requests share a round trip).
/// </summary>
internal sealed record Route(string Name, int MinimumBefore, int MinimumAfter, int MinimumRequests, Func<Task> Function, Func<Task> Direct);

internal sealed record Sample(double Milliseconds, int StorageBefore, int StorageInSequence, double OwnMicroseconds);

internal sealed record Result(double Rps, double P50, double P99, double StorageBefore, double StorageInSequence, string Kinds, double OwnMicroseconds,
    double CpuMicroseconds, long AllocatedPerRequest, long PeakLive, double AppliedLatencyMs, long StorageRequests, double? EmulatorSeconds);
