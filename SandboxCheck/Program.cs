using System.Diagnostics;
using FlexFunctions.SandboxCheck;
using FlexFunctions.Shared.FlexShopper;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

// scripts/sandbox-check.sh runs this. Results go to standard output, one line per assumption; the summary and usage
// errors go to standard error. See CheckSettings.Usage.
var (settings, error) = CheckSettings.Parse(args);
if (settings is null)
{
    if (error == "")
    {
        Console.WriteLine(CheckSettings.Usage);
        return 0;
    }

    await Console.Error.WriteLineAsync($"sandbox-check: {error}\n\n{CheckSettings.Usage}");
    return 2;
}

var key = Environment.GetEnvironmentVariable(CheckSettings.KeyVariable);
if (string.IsNullOrWhiteSpace(key))
{
    await Console.Error.WriteLineAsync($"sandbox-check: set {CheckSettings.KeyVariable} to the FlexShopper sandbox API key (it is read from there only, and never printed).");
    return 2;
}

// The app's own service graph, so every path, field and reading of an answer is exactly what the app does. Retries
// are off: each assumption gets one request, and its answer is the one reported.
var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
{
    ["FlexShopper:BaseUrl"] = settings.BaseUrl.ToString(),
    ["FlexShopper:ApiKey"] = key,
    ["FlexShopper:ReturnItemsPath"] = settings.ReturnItemsPath,
    ["FlexShopper:MaxRetryAttempts"] = "0",
    ["FlexShopper:AttemptTimeout"] = "00:00:20",
    ["FlexShopper:TotalTimeout"] = "00:00:40",
    ["FlexShopper:CircuitBreakerSamplingDuration"] = "00:00:40",
    ["FlexShopper:CircuitBreakerMinimumThroughput"] = "1000",
    // Registered by the graph, never used by the check.
    ["Storage"] = "UseDevelopmentStorage=true",
    ["Warehouse"] = "UseDevelopmentStorage=true",
}).Build();
var services = new ServiceCollection();
services.AddSingleton<IConfiguration>(configuration);
services.AddLogging(); // no provider: the report is the output
services.AddFlexFunctions(configuration);
var recorder = new ExchangeRecorder();
recorder.UseBase(settings.BaseUrl);
services.ConfigureHttpClientDefaults(http => http.AddHttpMessageHandler(() => recorder));
await using var provider = services.BuildServiceProvider();

var report = new Report([key, settings.Ssn, settings.KbaSsn, settings.Account, settings.DateOfBirth]);
var watch = Stopwatch.StartNew();
using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(10));
try
{
    await new AssumptionChecks(provider.GetRequiredService<IFlexShopperClient>(), recorder, settings, report).RunAsync(deadline.Token);
}
catch (OperationCanceledException) when (deadline.IsCancellationRequested)
{
    report.Rest("the check ran out of its 10 minutes: FlexShopper answers slowly; run it again later");
}

foreach (var line in report.Lines)
{
    Console.WriteLine(line);
}

await Console.Error.WriteLineAsync(report.Summary(watch.Elapsed, settings.BaseUrl));
return report.ExitCode;
