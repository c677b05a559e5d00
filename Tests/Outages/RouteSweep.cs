using System.Globalization;
using System.Reflection;
using System.Text;
using FlexFunctions.Functions.Http;
using FlexFunctions.Shared.CustomerAuth;
using FlexFunctions.Shared.Http;
using FlexFunctions.Shared.Webhooks;
using FlexFunctions.Tests.Http;
using FlexFunctions.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;

namespace FlexFunctions.Tests.Outages;

/// <summary>What a route needs to answer; an outage of any of them must turn its answer into 503 with Retry-After.</summary>
[Flags]
public enum Needs
{
    None = 0,

    /// <summary>Its own tables: abuse limits, idempotency records, the catalog, failed events.</summary>
    Tables = 1,

    /// <summary>The session key ring (in a table, cached once read): opening or sealing a customer session.</summary>
    Sessions = 2,

    /// <summary>The FlexShopper API key from Key Vault (cached once read).</summary>
    ApiKey = 4,

    /// <summary>The webhook signing secret from Key Vault, when signatures are required (cached once read).</summary>
    Signature = 8,

    /// <summary>A store platform's webhook secret from Key Vault, always required on its route (cached once read).</summary>
    PlatformSecret = 16,
}

/// <summary>One call of one HTTP function: its route values, body, query and the headers a store (or a platform) would send.</summary>
public sealed record RouteCall(IReadOnlyDictionary<string, string>? Values = null, string? Body = null, string? Query = null, string? Session = null, string? IdempotencyKey = null,
    IReadOnlyDictionary<string, string>? Headers = null);

/// <summary>How a route is called in a sweep, what it needs, and what it answers when nothing is down.</summary>
public sealed record RouteProbe(Needs Needs, int Success, Func<RouteCall> Call);

/// <summary>What one route answered.</summary>
public sealed record RouteAnswer(string Function, string Method, string Route, HttpResult Result)
{
    public string? Code => Result.Body.StartsWith('{') && Result.Json.TryGetProperty("code", out var code) ? code.ToString() : null;

    public string RetryAfter => Result.Headers.RetryAfter.ToString();

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Method,-4} {Route,-50} {Result.Status}{(Code is null ? "" : " " + Code)}{(RetryAfter.Length == 0 ? "" : " Retry-After: " + RetryAfter)}");
}

/// <summary>
/// Calls every HTTP function the Worker SDK generated (functions.metadata), through the real function classes built
/// from the app's service graph, as the host would: so a new route cannot be left out of an outage test.
/// </summary>
public static class RouteSweep
{
    /// <summary>Routes that touch no dependency at all (they must keep answering whatever is down).</summary>
    public static readonly IReadOnlySet<string> DependencyFree = new HashSet<string>(StringComparer.Ordinal) { HealthFunctions.LiveName, nameof(OpenApiFunction.GetOpenApiDocument) };

    public static IReadOnlyList<FunctionEntry> HttpFunctions =>
        FunctionMetadata.Functions.Where(f => f.TriggerType == "httpTrigger").OrderBy(f => f.Route, StringComparer.Ordinal).ThenBy(f => f.Name, StringComparer.Ordinal).ToList();

    /// <summary>Calls one function by its metadata name. An exception escaping the function is what the host answers 500 for.</summary>
    public static async Task<RouteAnswer> CallAsync(TestServices app, string function, RouteCall call, byte[]? signingSecret = null)
    {
        var entry = FunctionMetadata.Get(function);
        var split = entry.EntryPoint.LastIndexOf('.');
        var type = typeof(HealthFunctions).Assembly.GetType(entry.EntryPoint[..split], throwOnError: true)!;
        var method = type.GetMethod(entry.EntryPoint[(split + 1)..], BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static)!;
        var values = call.Values ?? new Dictionary<string, string>();
        var path = "/api/" + values.Aggregate(entry.Route!, (route, v) => route.Replace("{" + v.Key + "}", Uri.EscapeDataString(v.Value), StringComparison.Ordinal));

        var headers = new Dictionary<string, string>();
        if (call.Session is not null)
        {
            headers[CustomerSessions.Header] = call.Session;
        }

        if (call.IdempotencyKey is not null)
        {
            headers[ApiEndpoint.IdempotencyKeyHeader] = call.IdempotencyKey;
        }

        foreach (var (name, value) in call.Headers ?? new Dictionary<string, string>())
        {
            headers[name] = value;
        }

        if (signingSecret is not null)
        {
            headers[WebhookSignature.Header] = WebhookSignature.Sign(signingSecret, DateTimeOffset.UtcNow, Encoding.UTF8.GetBytes(call.Body ?? ""));
        }

        var context = HttpTestKit.Request(app.Provider, entry.Methods.Single(), path, call.Body, headers, call.Query);
        HttpResult result;
        try
        {
            var instance = method.IsStatic ? null : ActivatorUtilities.CreateInstance(app.Provider, type);
            result = await HttpTestKit.RunAsync(context, async request =>
            {
                var args = method.GetParameters().Select(p => p.ParameterType == typeof(HttpRequest) ? request
                    : p.ParameterType == typeof(CancellationToken) ? CancellationToken.None
                    : (object?)values[p.Name!]).ToArray();
                return method.Invoke(instance, args) switch
                {
                    Task<IActionResult> pending => await pending,
                    IActionResult done => done,
                    var other => throw new InvalidOperationException($"{function} returned {other?.GetType().Name}"),
                };
            });
        }
        catch (Exception ex)
        {
            var thrown = ex is TargetInvocationException { InnerException: { } inner } ? inner : ex;
            result = new HttpResult(500, new HeaderDictionary(), $"unhandled {thrown.GetType().Name}: {thrown.Message}");
        }

        return new RouteAnswer(function, entry.Methods.Single(), entry.Route!, result);
    }

    /// <summary>Calls every HTTP function at once (an outage hits them together), in route order.</summary>
    public static async Task<IReadOnlyList<RouteAnswer>> SweepAsync(TestServices app, IReadOnlyDictionary<string, RouteProbe> probes, byte[]? signingSecret = null)
    {
        var missing = HttpFunctions.Select(f => f.Name).Where(n => !probes.ContainsKey(n) && !DependencyFree.Contains(n)).ToList();
        Assert.True(missing.Count == 0, "Give these HTTP functions a probe in the outage sweep: " + string.Join(", ", missing));
        var calls = HttpFunctions.Select(f => CallAsync(app, f.Name, probes.TryGetValue(f.Name, out var probe) ? probe.Call() : new RouteCall(),
            probes.TryGetValue(f.Name, out var p) && p.Needs.HasFlag(Needs.Signature) ? signingSecret : null));
        return await Task.WhenAll(calls);
    }

    /// <summary>
    /// Every route needing something <paramref name="down"/> answered 503 with Retry-After (never 500, never 401, never
    /// a success); every other route answered as usual. Readiness answers <paramref name="readiness"/>.
    /// </summary>
    public static void AssertAnswers(IReadOnlyList<RouteAnswer> answers, IReadOnlyDictionary<string, RouteProbe> probes, Needs down, int readiness, string scenario)
    {
        var wrong = new List<string>();
        foreach (var answer in answers)
        {
            var expected = answer.Function == HealthFunctions.ReadyName ? readiness
                : DependencyFree.Contains(answer.Function) ? 200
                : (probes[answer.Function].Needs & down) != 0 ? 503
                : probes[answer.Function].Success;
            var ok = answer.Result.Status == expected
                     && (expected != 503 || int.TryParse(answer.RetryAfter, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds >= 1)
                     && (expected != 503 || answer.Function == HealthFunctions.ReadyName || answer.Code is "DependencyUnavailable" or "ApiKeyUnavailable");
            if (!ok)
            {
                wrong.Add($"expected {expected}{(expected == 503 ? " with Retry-After" : "")}, got {answer} {Truncate(answer.Result.Body)}");
            }
        }

        Assert.True(wrong.Count == 0, $"{scenario}:\n" + string.Join("\n", wrong));
    }

    public static string Table(string scenario, IEnumerable<RouteAnswer> answers) =>
        $"--- {scenario} ---\n" + string.Join("\n", answers.Select(a => a.ToString()));

    private static string Truncate(string text) => text.Length <= 300 ? text : text[..300] + "...";
}
