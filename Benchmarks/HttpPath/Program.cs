// HTTP-path benchmark: the login and create-lease functions, invoked as the worker invokes them (function class,
// HttpContext in, IActionResult executed) over the real graph from AddFlexFunctions, against a loopback fake
// FlexShopper; compared in the same run with a plain HttpClient sending the same request to the same fake.
// Usage:
//   dotnet run -c Release --project Benchmarks/HttpPath -- [--seconds 3] [--warmup 1] [--no-tracing] [--storage <connection string>]
//       [--upstream-delay-ms 0] [--storage-delay-ms 0 [--trace-storage]] [--only <row name part>]
// --upstream-delay-ms makes the fake wait before answering, as FlexShopper across the internet does; both sides of each
// comparison wait the same, so the added milliseconds stay ours while the ratio shows them against that latency.
// --storage-delay-ms adds that much to every Table Storage request, as a storage account's round trip does (loopback
// Azurite answers in well under a millisecond): the added milliseconds then show how many round trips a path makes;
// --trace-storage prints each storage request as it completes.
// Storage (for the abuse-limit counters on login) defaults to FLEXFUNCTIONS_BENCH_STORAGE, then UseDevelopmentStorage=true.
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using FlexFunctions.Functions.Http;
using FlexFunctions.Shared.AbuseLimits;
using FlexFunctions.Shared.CustomerAuth;
using FlexFunctions.Shared.FlexShopper;
using FlexFunctions.Shared.FlexShopper.Models;
using FlexFunctions.Shared.Secrets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Trace;

var seconds = Arg("--seconds", 3.0);
var warmup = Arg("--warmup", 1.0);
var upstreamDelay = TimeSpan.FromMilliseconds(Arg("--upstream-delay-ms", 0));
var storageDelay = TimeSpan.FromMilliseconds(Arg("--storage-delay-ms", 0));
var only = ArgText("--only");
var storage = ArgText("--storage") ?? Environment.GetEnvironmentVariable("FLEXFUNCTIONS_BENCH_STORAGE") ?? "UseDevelopmentStorage=true";

const string Token = "bench-customer-token";
var loginAnswer = Encoding.UTF8.GetBytes($$$"""{"status":200,"data":{"token":"{{{Token}}}"}}""");
var wrongPasscodeAnswer = Encoding.UTF8.GetBytes("""{"error":{"code":"InvalidPasscode","message":"wrong passcode","statusCode":400}}""");
var leaseAnswer = Encoding.UTF8.GetBytes("""{"status":200,"data":{"leaseId":"L1","payment":24.99,"term":52,"cashPrice":599.99}}""");

// ---- Loopback fake FlexShopper (Kestrel on 127.0.0.1) ----
var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.UseKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0));
await using var upstream = builder.Build();
upstream.MapPost("/v3/users/{id}/passcode-login", (string id, HttpContext c) => id.StartsWith('w')
    ? Answer(c, wrongPasscodeAnswer, upstreamDelay, StatusCodes.Status400BadRequest)
    : Answer(c, loginAnswer, upstreamDelay));
upstream.MapPost("/v3/leases", (HttpContext c) => Answer(c, leaseAnswer, upstreamDelay));
await upstream.StartAsync();
var baseUrl = upstream.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/v3/";

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
if (storageDelay > TimeSpan.Zero)
{
    var tableOptions = new TableClientOptions();
    tableOptions.AddPolicy(new StorageRoundTrip(storageDelay, args.Contains("--trace-storage")), HttpPipelinePosition.PerRetry);
    services.AddSingleton(new TableServiceClient(storage, tableOptions));
}

await using var provider = services.BuildServiceProvider();
if (!args.Contains("--no-tracing"))
{
    // As the host does at start-up. --no-tracing leaves it unstarted, to show what tracing itself costs.
    _ = provider.GetRequiredService<TracerProvider>();
}

var customers = ActivatorUtilities.CreateInstance<CustomerFunctions>(provider);
var leases = ActivatorUtilities.CreateInstance<LeaseFunctions>(provider);
var keyVersion = (await provider.GetRequiredService<IApiKeyProvider>().GetCurrentAsync()).Version;
var session = provider.GetRequiredService<CustomerSessions>().Seal(new CustomerCredential(Token, keyVersion)).Value;

// The same graph with the abuse limiter replaced by one that always allows: separates our code's own cost from
// the cost of the Table Storage counters on the login path.
var unlimitedServices = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLogging(l => l.SetMinimumLevel(LogLevel.Information));
unlimitedServices.AddFlexFunctions(configuration);
unlimitedServices.AddSingleton<IAbuseLimiter, NoLimits>();
await using var unlimitedProvider = unlimitedServices.BuildServiceProvider();
var unlimitedCustomers = ActivatorUtilities.CreateInstance<CustomerFunctions>(unlimitedProvider);

// ---- Plain HttpClient, the floor ----
using var plain = new HttpClient { BaseAddress = new Uri(baseUrl) };
var loginBody = Encoding.UTF8.GetBytes("""{"passcode":"482913"}""");
var leaseBody = Encoding.UTF8.GetBytes("""{"transactionId":"T1","items":[{"brand":"Acme","sku":"TV-55","description":"55in TV","cost":599.99,"quantity":1}]}""");
var upstreamLeaseBody = Encoding.UTF8.GetBytes("""{"transactionId":"T1","items":[{"brand":"Acme","sku":"TV-55","description":"55in TV","cost":599.99,"quantity":1}]}""");

long customerSeq = 0;
async Task Login()
{
    // A new customer each time: the benchmark measures the path, not the abuse limit refusing it.
    var user = "u" + Interlocked.Increment(ref customerSeq).ToString(CultureInfo.InvariantCulture);
    var context = Request("POST", $"/api/v1/customers/{user}/login", loginBody, null);
    await Execute(context, await customers.LoginCustomer(context.Request, user, default), 200);
}

async Task WrongPasscode()
{
    // A new customer each time, so no lockout refuses it: the path of a wrong passcode FlexShopper answers 400.
    var user = "w" + Interlocked.Increment(ref customerSeq).ToString(CultureInfo.InvariantCulture);
    var context = Request("POST", $"/api/v1/customers/{user}/login", loginBody, null);
    await Execute(context, await customers.LoginCustomer(context.Request, user, default), 400);
}

async Task PlainWrongPasscode()
{
    using var content = new ByteArrayContent(loginBody) { Headers = { ContentType = new("application/json") } };
    using var request = new HttpRequestMessage(HttpMethod.Post, "users/w1/passcode-login") { Content = content };
    request.Headers.TryAddWithoutValidation("Authorization", "benchmark-key");
    using var response = await plain.SendAsync(request);
    _ = await response.Content.ReadAsByteArrayAsync();
}

async Task LoginWithoutLimits()
{
    var user = "n" + Interlocked.Increment(ref customerSeq).ToString(CultureInfo.InvariantCulture);
    var context = Request("POST", $"/api/v1/customers/{user}/login", loginBody, null);
    await Execute(context, await unlimitedCustomers.LoginCustomer(context.Request, user, default), 200);
}

// Our typed client alone (key, resilience pipeline, envelope): splits the function's cost into client and the rest.
var flexShopper = provider.GetRequiredService<IFlexShopperClient>();
Task ClientLogin() => flexShopper.PasscodeLoginAsync("u1", "482913");

async Task CreateLease()
{
    var context = Request("POST", "/api/v1/leases", leaseBody, session);
    await Execute(context, await leases.CreateLease(context.Request, default), 201);
}

async Task PlainLogin()
{
    using var content = new ByteArrayContent(loginBody) { Headers = { ContentType = new("application/json") } };
    using var request = new HttpRequestMessage(HttpMethod.Post, "users/u1/passcode-login") { Content = content };
    request.Headers.TryAddWithoutValidation("Authorization", "benchmark-key");
    using var response = await plain.SendAsync(request);
    _ = await response.Content.ReadAsByteArrayAsync();
    response.EnsureSuccessStatusCode();
}

async Task PlainLease()
{
    using var content = new ByteArrayContent(upstreamLeaseBody) { Headers = { ContentType = new("application/json") } };
    using var request = new HttpRequestMessage(HttpMethod.Post, "leases") { Content = content };
    request.Headers.TryAddWithoutValidation("Authorization", "benchmark-key");
    request.Headers.TryAddWithoutValidation("Customer-Token", Token);
    using var response = await plain.SendAsync(request);
    _ = await response.Content.ReadAsByteArrayAsync();
    response.EnsureSuccessStatusCode();
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"HTTP-path benchmark: {seconds:F0} s per measurement after {warmup:F0} s warm-up, {Environment.ProcessorCount} cores, storage {(storage.Contains("UseDevelopmentStorage", StringComparison.Ordinal) ? "Azurite" : "custom")}, tracing {(args.Contains("--no-tracing") ? "off" : "on")}, upstream delay {upstreamDelay.TotalMilliseconds:F0} ms, storage delay {storageDelay.TotalMilliseconds:F0} ms"));
if (Environment.GetEnvironmentVariable("FLEXFUNCTIONS_BENCH_KEEP_TABLES") == "1")
{
    // This benchmark never deletes its tables; named here for Benchmarks/Retention to count and clean up.
    Console.WriteLine($"kept tables: RateLimits={run}limits Idempotency={run}idem");
}

Console.WriteLine("| Function | Concurrency | Function rps | p50 ms | p99 ms | Plain HttpClient rps | p50 ms | p99 ms | p50 ratio | Added at p50 | Added at p50 ms |");
Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
foreach (var (name, function, floor) in new (string, Func<Task>, Func<Task>)[]
         {
             ("Login", Login, PlainLogin),
             ("Login, wrong passcode", WrongPasscode, PlainWrongPasscode),
             ("Login, abuse limits off", LoginWithoutLimits, PlainLogin),
             ("FlexShopper client alone (passcode login)", ClientLogin, PlainLogin),
             ("CreateLease", CreateLease, PlainLease),
         }.Where(row => only is null || row.Item1.Contains(only, StringComparison.OrdinalIgnoreCase)))
{
    foreach (var concurrency in new[] { 1, 64 })
    {
        // Floor first, then the function, each warmed up: both see the same fake and the same machine state.
        var baseline = await Measure(floor, concurrency);
        var measured = await Measure(function, concurrency);
        var ratio = measured.P50 / baseline.P50;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {name} | {concurrency} | {measured.Rps:F0} | {measured.P50:F3} | {measured.P99:F3} | {baseline.Rps:F0} | {baseline.P50:F3} | {baseline.P99:F3} | {ratio:F2} | {(ratio - 1) * 100:F0} % | {measured.P50 - baseline.P50:F3} |"));
    }
}

await upstream.StopAsync();
return 0;

async Task<Result> Measure(Func<Task> operation, int concurrency)
{
    await RunFor(operation, concurrency, TimeSpan.FromSeconds(warmup), null);
    var latencies = new List<double>[concurrency];
    var elapsed = await RunFor(operation, concurrency, TimeSpan.FromSeconds(seconds), latencies);
    var all = latencies.SelectMany(l => l).Order().ToArray();
    return new Result(all.Length / elapsed.TotalSeconds, Percentile(all, 0.50), Percentile(all, 0.99));
}

static async Task<TimeSpan> RunFor(Func<Task> operation, int concurrency, TimeSpan duration, List<double>[]? latencies)
{
    var stopwatch = Stopwatch.StartNew();
    var workers = Enumerable.Range(0, concurrency).Select(async worker =>
    {
        var mine = new List<double>(4096);
        while (stopwatch.Elapsed < duration)
        {
            var started = Stopwatch.GetTimestamp();
            await operation();
            mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        if (latencies is not null)
        {
            latencies[worker] = mine;
        }
    }).ToArray();
    await Task.WhenAll(workers);
    return stopwatch.Elapsed;
}

static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

static DefaultHttpContext Request(string method, string path, byte[] body, string? session)
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

    context.Response.Body = new MemoryStream();
    return context;
}

static async Task Execute(HttpContext context, IActionResult result, int expected)
{
    await result.ExecuteResultAsync(new ActionContext(context, new RouteData(), new ActionDescriptor()));
    if (context.Response.StatusCode != expected)
    {
        throw new InvalidOperationException($"{context.Request.Path} answered {context.Response.StatusCode}, expected {expected}.");
    }
}

static async Task Answer(HttpContext context, byte[] body, TimeSpan delay, int status = StatusCodes.Status200OK)
{
    if (delay > TimeSpan.Zero)
    {
        await Task.Delay(delay);
    }

    context.Response.StatusCode = status;
    context.Response.ContentType = "application/json";
    await context.Response.Body.WriteAsync(body);
}

double Arg(string name, double fallback) =>
    ArgText(name) is { } text ? double.Parse(text, CultureInfo.InvariantCulture) : fallback;

string? ArgText(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

internal sealed record Result(double Rps, double P50, double P99);

/// <summary>Allows everything: for the comparison row only, never registered by the app.</summary>
internal sealed class NoLimits : IAbuseLimiter
{
    public Task<LimitDecision> TryAcquireAsync(LimitKind kind, string customerId, string? clientIp, CancellationToken cancellationToken = default) =>
        Task.FromResult(LimitDecision.Allow);

    public Task CompleteLoginAsync(LimitDecision admitted, LoginOutcome outcome, CancellationToken cancellationToken = default) => Task.CompletedTask;
}

/// <summary>Holds each storage request for a fixed time, as the network to a storage account does.</summary>
internal sealed class StorageRoundTrip(TimeSpan delay, bool trace) : HttpPipelinePolicy
{
    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Thread.Sleep(delay);
        ProcessNext(message, pipeline);
    }

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        await Task.Delay(delay, message.CancellationToken).ConfigureAwait(false);
        await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
        if (trace)
        {
            Console.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {message.Request.Method} {message.Request.Uri.Path} {message.Response.Status}");
        }
    }
}
