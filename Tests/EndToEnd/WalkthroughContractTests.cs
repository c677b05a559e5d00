using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using FlexFunctions.Shared.Applications;
using FlexFunctions.Shared.Confirmations;
using FlexFunctions.Shared.CustomerAuth;
using FlexFunctions.Shared.Http;
using FlexFunctions.Shared.Leases;
using FlexFunctions.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace FlexFunctions.Tests.EndToEnd;

/// <summary>
/// Keeps the developer walk-through true: every request in <c>scripts/journey.http</c> and every <c>ff</c> call
/// <c>scripts/seed-local.sh</c> prints must hit a route in the generated functions.metadata with a method it
/// accepts, send the headers and query parameters the OpenAPI document declares, and carry a body that binds to the
/// route's request type with no unknown field and passes its validation; every warehouse message they show must
/// pass <see cref="WarehouseMessageReader"/>.
/// </summary>
public sealed class WalkthroughContractTests
{
    private static readonly JsonSerializerContext[] Contexts = [CustomerAuthJson.Default, ApplicationsJson.Default, LeasesJson.Default];
    private static readonly string[] AlwaysAllowedHeaders = ["x-functions-key", "Content-Type"];

    [Fact]
    public void Every_request_in_journey_http_matches_the_route_contract()
    {
        var file = HttpFile.Load();
        static string Sample(string reference) => reference.EndsWith(".passcode", StringComparison.Ordinal) ? "123456" : "Sample1";
        var api = file.Fill("{{api}}/", Sample);
        var app = file.Steps.Where(s => s.QueueMessage is null && file.Fill(s.Url, Sample).StartsWith(api, StringComparison.Ordinal)).Select(s =>
        {
            var (path, query) = WalkRequest.SplitUrl(file.Fill(s.Url, Sample)[api.Length..]);
            return new WalkRequest("journey.http:" + s.Line, s.Method, path, query, s.Headers, s.Body is null ? null : file.Fill(s.Body, Sample), s.Line);
        }).ToList();

        // The whole journey is there: sign-up, passcode login, application and KBA, lease, sign, finalize.
        var operations = app.Select(r => Check(r, checkHeaders: true)).ToList();
        Assert.Superset(new HashSet<string>(["LookupCustomer", "CreateCustomer", "RequestPasscode", "LoginCustomer", "GetCurrentCustomer",
            "StartApplication", "GetVerificationQuestions", "SubmitVerificationAnswers", "CreateLease", "GetLease", "SignLease", "FinalizeTransaction",
            "CatalogRefreshNow", "CatalogGetProduct"]),
            operations.ToHashSet());
    }

    [Fact]
    public void Every_app_call_seed_local_prints_matches_the_route_contract()
    {
        var script = File.ReadAllText(RepoPaths.Of("scripts", "seed-local.sh"));
        var calls = SeedScript.AppCalls(script);
        Assert.True(calls.Count >= 12, $"only {calls.Count} ff calls found in seed-local.sh");

        var sessionSetAt = SeedScript.FirstLineOf(script, "SESSION=");
        foreach (var call in calls)
        {
            var operation = Check(call, checkHeaders: false);
            if (OpenApi.RequiredHeaders(call.Method, call.Template!).Contains(CustomerSessions.Header))
            {
                Assert.True(call.Line > sessionSetAt, $"{operation} needs X-Customer-Session, but the walk calls it before SESSION is set");
            }
        }
    }

    [Fact]
    public void Every_warehouse_message_in_the_walkthrough_passes_the_message_reader()
    {
        var reader = new WarehouseMessageReader(Options.Create(new ConfirmationsOptions()), Options.Create(new FlexFunctions.Shared.InputRules.OrderLimitsOptions()));
        var messages = SeedScript.QueueMessages(File.ReadAllText(RepoPaths.Of("scripts", "seed-local.sh")))
            .Concat(HttpFile.Load().Steps.Where(s => s.QueueMessage is not null).Select(s => s.QueueMessage!))
            .Concat(SeedScript.QueueMessages(File.ReadAllText(RepoPaths.Of("README.md"))))
            .ToList();

        Assert.True(messages.Count >= 4, $"only {messages.Count} put-message examples found");
        foreach (var message in messages)
        {
            var read = reader.Read(message);
            Assert.True(read.Event is not null, $"{read.Reason} in: {message}");
        }

        Assert.Equal(["receipt", "shipment"], messages.Select(m => reader.Read(m).Type!).Distinct().Order());
    }

    [Fact]
    public async Task The_shell_helper_signs_bodies_exactly_as_the_app_verifies_them()
    {
        const string secret = "walkthrough-signing-secret-0123456789";
        const string body = "{\"customerIp\":\"203.0.113.7\"}";
        var at = DateTimeOffset.FromUnixTimeSeconds(1_767_225_600);
        var script = RepoPaths.Of("scripts", "local-api.sh");
        var output = await Shell.RunAsync("bash", "-c", $". '{script}' && ff_sign \"$1\" \"$2\" {at.ToUnixTimeSeconds()}", "sign", secret, body);

        Assert.Equal(WebhookSignatureOf(secret, at, body), output);
    }

    private static string WebhookSignatureOf(string secret, DateTimeOffset at, string body) =>
        Shared.Webhooks.WebhookSignature.Sign(System.Text.Encoding.UTF8.GetBytes(secret), at, System.Text.Encoding.UTF8.GetBytes(body));

    /// <summary>Checks one request against metadata and OpenAPI; returns the function (operation) it reaches.</summary>
    private static string Check(WalkRequest request, bool checkHeaders)
    {
        var where = $"{request.Source}: {request.Method} {request.Path}";
        var (function, template, _) = AppRoutes.Match(request.Method, request.Path) ?? throw new Xunit.Sdk.XunitException($"{where} matches no route in functions.metadata");
        request.Template = template;
        Assert.True(OpenApi.OperationId(request.Method, template) == function.Name, $"{where}: OpenAPI and metadata disagree");

        if (checkHeaders)
        {
            var declared = OpenApi.Headers(request.Method, template);
            foreach (var header in OpenApi.RequiredHeaders(request.Method, template))
            {
                Assert.True(request.Headers.ContainsKey(header), $"{where} lacks the required header {header}");
            }

            foreach (var header in request.Headers.Keys)
            {
                Assert.True(declared.Contains(header, StringComparer.OrdinalIgnoreCase) || AlwaysAllowedHeaders.Contains(header, StringComparer.OrdinalIgnoreCase),
                    $"{where} sends {header}, which the route does not declare");
            }
        }

        var query = OpenApi.QueryParameters(request.Method, template);
        foreach (var name in request.Query)
        {
            Assert.True(query.Contains(name), $"{where} sends query parameter {name}, which the route does not declare");
        }

        var schema = OpenApi.RequestSchema(request.Method, template);
        if (schema is null)
        {
            Assert.True(string.IsNullOrWhiteSpace(request.Body), $"{where} sends a body the route does not take");
            return function.Name;
        }

        Assert.False(string.IsNullOrWhiteSpace(request.Body), $"{where} needs a {schema} body");
        var value = Bind(schema, request.Body!, where);
        var errors = new FieldErrors();
        ((IValidatedInput)value).Validate(errors);
        Assert.True(!errors.Any, $"{where}: the app would refuse the body: {string.Join(", ", errors.Fields)}");
        return function.Name;
    }

    private static object Bind(string schema, string body, string where)
    {
        var type = typeof(IValidatedInput).Assembly.GetTypes().Single(t => t.Name == schema);
        var context = Contexts.Single(c => c.GetTypeInfo(type) is not null);
        var strict = new JsonSerializerOptions(context.Options)
        {
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            PropertyNameCaseInsensitive = false, // the examples should spell fields exactly as documented
        };
        try
        {
            return JsonSerializer.Deserialize(body, strict.GetTypeInfo(type)) ?? throw new Xunit.Sdk.XunitException($"{where}: the body is null");
        }
        catch (JsonException ex)
        {
            throw new Xunit.Sdk.XunitException($"{where}: the body does not bind to {schema}: {ex.Message}");
        }
    }

    /// <summary>The parts of the generated OpenAPI document (the one <c>GET v1/openapi.json</c> serves) these checks need.</summary>
    private static class OpenApi
    {
        private static readonly Lazy<JsonNode> Document = new(GeneratedApiDocument.Parse);

        private static JsonNode? Operation(string method, string template) =>
            Document.Value["paths"]?["/" + template]?[method.ToLowerInvariant()];

        public static string? OperationId(string method, string template) => Operation(method, template)?["operationId"]?.GetValue<string>();

        public static string? RequestSchema(string method, string template) =>
            Operation(method, template)?["requestBody"]?["content"]?["application/json"]?["schema"]?["$ref"]?.GetValue<string>().Split('/')[^1];

        private static IEnumerable<JsonNode> Parameters(string method, string template) =>
            (Operation(method, template)?["parameters"]?.AsArray() ?? []).Select(p =>
                p!["$ref"] is { } reference ? Document.Value["components"]!["parameters"]![reference.GetValue<string>().Split('/')[^1]]! : p!);

        public static IReadOnlyList<string> Headers(string method, string template) =>
            [.. Parameters(method, template).Where(p => p["in"]!.GetValue<string>() == "header").Select(p => p["name"]!.GetValue<string>())];

        public static IReadOnlyList<string> RequiredHeaders(string method, string template) =>
            [.. Parameters(method, template).Where(p => p["in"]!.GetValue<string>() == "header" && p["required"]?.GetValue<bool>() == true).Select(p => p["name"]!.GetValue<string>())];

        public static IReadOnlyList<string> QueryParameters(string method, string template) =>
            [.. Parameters(method, template).Where(p => p["in"]!.GetValue<string>() == "query").Select(p => p["name"]!.GetValue<string>())];
    }
}

/// <summary>One example request of the walk-through, with its variables filled in by sample values.</summary>
internal sealed class WalkRequest(string source, string method, string path, IReadOnlyList<string> query, IReadOnlyDictionary<string, string> headers, string? body, int line)
{
    public string Source { get; } = source;
    public string Method { get; } = method;

    /// <summary>Relative to the app's <c>/api/</c> root, e.g. <c>v1/leases/L1/sign</c>.</summary>
    public string Path { get; } = path;
    public IReadOnlyList<string> Query { get; } = query;
    public IReadOnlyDictionary<string, string> Headers { get; } = headers;
    public string? Body { get; } = body;
    public int Line { get; } = line;
    public string? Template { get; set; }

    public static (string Path, IReadOnlyList<string> Query) SplitUrl(string url)
    {
        var q = url.IndexOf('?', StringComparison.Ordinal);
        if (q < 0)
        {
            return (url, []);
        }

        return (url[..q], [.. url[(q + 1)..].Split('&').Select(p => p.Split('=')[0])]);
    }
}

/// <summary>Reads the commands <c>scripts/seed-local.sh</c> prints, with its shell variables filled in by sample values.</summary>
internal static partial class SeedScript
{
    private static readonly Dictionary<string, string> Samples = new(StringComparer.Ordinal)
    {
        ["EMAIL"] = "returning@example.com",
        ["USER_ID"] = "100000",
        ["ORDER"] = "order-120000",
        ["TODAY"] = "2026-03-01",
        ["LEASE_ID"] = "L100",
        ["PASSCODE"] = "123456",
        ["QUESTIONS_ID"] = "kba-1",
        ["EMULATOR_DLL"] = "Emulator.dll",
        ["SETTINGS"] = "local.settings.json",
    };

    public static IReadOnlyList<WalkRequest> AppCalls(string script)
    {
        var lines = script.Split('\n');
        var calls = new List<WalkRequest>();
        for (var i = 0; i < lines.Length; i++)
        {
            foreach (Match m in FfCall().Matches(lines[i]))
            {
                var (path, query) = WalkRequest.SplitUrl(Fill(m.Groups["path"].Value.Trim('"')));
                var body = m.Groups["single"].Success ? Fill(m.Groups["single"].Value)
                    : m.Groups["double"].Success ? Fill(m.Groups["double"].Value.Replace("\\\"", "\"", StringComparison.Ordinal))
                    : null;
                calls.Add(new WalkRequest("seed-local.sh:" + (i + 1), m.Groups["method"].Value, path, query, new Dictionary<string, string>(), body, i + 1));
            }
        }

        return calls;
    }

    public static int FirstLineOf(string script, string text) =>
        Array.FindIndex(script.Split('\n'), l => l.Contains(text, StringComparison.Ordinal)) + 1;

    /// <summary>The JSON of every <c>put-message &lt;settings&gt; '&lt;json&gt;'</c> example.</summary>
    public static IReadOnlyList<string> QueueMessages(string text) =>
        [.. PutMessage().Matches(text).Select(m => Fill(m.Groups[1].Value))];

    private static string Fill(string text) =>
        ShellVariable().Replace(text.Replace("\\$", "$", StringComparison.Ordinal), m => Samples.GetValueOrDefault(m.Groups[1].Value) ?? m.Value);

    [GeneratedRegex("""\bff (?<method>GET|POST) (?<path>"[^"]+"|\S+)(?: '(?<single>[^']*)'| "(?<double>(?:[^"\\]|\\.)*)")?""")]
    private static partial Regex FfCall();

    [GeneratedRegex(@"put-message \S+ '([^']+)'")]
    private static partial Regex PutMessage();

    [GeneratedRegex(@"\$\{?([A-Z_]+)\}?")]
    private static partial Regex ShellVariable();
}

/// <summary>Runs a local program and returns its standard output.</summary>
internal static class Shell
{
    public static async Task<string> RunAsync(string program, params string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{program} failed ({process.ExitCode}): {error}");
        return output.Trim();
    }
}
