using System.Reflection;
using System.Text.Json;
using FlexFunctions.Functions.Queues;
using FlexFunctions.Tests.Confirmations;
using FlexFunctions.Tests.Emulator;
using FlexFunctions.Tests.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;

namespace FlexFunctions.Tests.EndToEnd;

/// <summary>
/// Runs <c>scripts/journey.http</c> itself, top to bottom, the way a developer sends it: each app request goes to the
/// function class its route reaches in functions.metadata (built by the real <c>AddFlexFunctions</c>), each emulator
/// request to the emulator over HTTP, and each warehouse message in its comments through the real Azurite queue to
/// the queue function. Every step must succeed, so the walk-through in the README works as written.
/// </summary>
public sealed class JourneyFileTests
{
    private static readonly Assembly FunctionsAssembly = typeof(WarehouseEventsFunction).Assembly;

    [Fact]
    public async Task Every_step_of_journey_http_succeeds_against_the_app_and_the_emulator()
    {
        await using var emulator = await RunningEmulator.StartAsync();
        await using var app = HttpApp.Build(emulator.AppSettings());
        var file = HttpFile.Load();
        file.Variables["emulator"] = emulator.Url;
        var api = file.Fill("{{api}}/", _ => "");
        var responses = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        string Response(string reference) => HttpFile.Evaluate(reference, responses);
        var warehouse = new WarehouseEventsFunction(app.Get<FlexFunctions.Shared.Confirmations.ConfirmationProcessor>());
        var queue = app.Get<FlexFunctions.Shared.Storage.WarehouseQueue>();
        await queue.Client.CreateIfNotExistsAsync(); // as run-local.sh does before the host starts

        foreach (var step in file.Steps)
        {
            var where = "journey.http:" + step.Line;
            if (step.QueueMessage is { } message)
            {
                await warehouse.Run(await ConfirmationHarness.ThroughQueue(queue, message), CancellationToken.None);
                continue;
            }

            var url = file.Fill(step.Url, Response);
            var headers = step.Headers.ToDictionary(h => h.Key, h => file.Fill(h.Value, Response));
            var body = step.Body is null ? null : file.Fill(step.Body, Response);
            var (status, text) = url.StartsWith(api, StringComparison.Ordinal)
                ? await CallFunction(app.Provider, step.Method, url[api.Length..], headers, body, where)
                : await CallEmulator(emulator, step.Method, url, headers, body);

            Assert.True(status is >= 200 and < 300, $"{where} {step.Method} {url} answered {status}: {text}");
            if (step.Name is not null)
            {
                responses[step.Name] = JsonDocument.Parse(text).RootElement.Clone();
            }
        }

        // The walk ends where it says: the television shipped and received, the catalog copied, nothing twice, no
        // token with another key.
        using var transaction = await emulator.SendAsync(HttpMethod.Get, "transactions/order-1001");
        var units = (await RunningEmulator.JsonOf(transaction)).GetProperty("data").GetProperty("items").EnumerateArray()
            .Single(i => i.GetProperty("sku").GetString() == "EMU-00005").GetProperty("quantityByStatus");
        Assert.Equal((1, 1), (units.GetProperty("shipped").GetInt32(), units.GetProperty("received").GetInt32()));
        Assert.Equal(emulator.State.Options.ProductCount, responses["catalogStatus"].GetProperty("productCount").GetInt64());
        Assert.Empty(emulator.State.Violations);
        Assert.Empty(emulator.State.DuplicateConfirmations);
        Assert.Empty(await app.Get<FlexFunctions.Shared.Confirmations.FailedEventStore>().ListAsync(null, default));
    }

    /// <summary>Invokes the function the route reaches, binding route values by parameter name as the host does.</summary>
    private static async Task<(int Status, string Body)> CallFunction(IServiceProvider services, string method, string pathAndQuery, Dictionary<string, string> headers, string? body, string where)
    {
        var (path, query) = pathAndQuery.IndexOf('?', StringComparison.Ordinal) is var q and >= 0 ? (pathAndQuery[..q], pathAndQuery[q..]) : (pathAndQuery, null);
        var (function, _, values) = AppRoutes.Match(method, path) ?? throw new Xunit.Sdk.XunitException($"{where}: no route for {method} {path}");
        var typeName = function.EntryPoint[..function.EntryPoint.LastIndexOf('.')];
        var type = FunctionsAssembly.GetType(typeName, throwOnError: true)!;
        var target = type.GetMethod(function.EntryPoint[(typeName.Length + 1)..])!;
        var instance = target.IsStatic ? null : ActivatorUtilities.CreateInstance(services, type);
        headers.Remove("Content-Type"); // the kit sets it with the body

        var context = HttpTestKit.Request(services, method, "/api/" + path, body, headers, query);
        var result = await HttpTestKit.RunAsync(context, request => (Task<IActionResult>)target.Invoke(instance, [.. target.GetParameters().Select(p =>
            p.ParameterType == typeof(HttpRequest) ? request
            : p.ParameterType == typeof(CancellationToken) ? CancellationToken.None
            : (object?)Uri.UnescapeDataString(values[p.Name!]))])!);
        return (result.Status, result.Body);
    }

    private static async Task<(int Status, string Body)> CallEmulator(RunningEmulator emulator, string method, string url, Dictionary<string, string> headers, string? body)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), url);
        foreach (var (name, value) in headers.Where(h => !h.Key.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)))
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        if (body is not null)
        {
            request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        }

        using var response = await emulator.Http.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
