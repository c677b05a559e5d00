using System.Text.Json;
using System.Text.RegularExpressions;
using FlexFunctions.Tests.Infrastructure;

namespace FlexFunctions.Tests.EndToEnd;

/// <summary>One step of <c>scripts/journey.http</c>: a request, or a warehouse message its comments tell you to queue.</summary>
internal sealed record HttpFileStep(int Line, string? Name, string Method, string Url, IReadOnlyDictionary<string, string> Headers, string? Body, string? QueueMessage);

/// <summary>
/// Reads the VS Code REST Client / JetBrains HTTP Client format as <c>scripts/journey.http</c> uses it: file variables
/// (<c>@name = value</c>), named requests (<c># @name x</c>) and response references
/// (<c>{{x.response.body.$.field}}</c>, <c>{{x.response.body.$[-1:].field}}</c>).
/// </summary>
internal sealed partial class HttpFile
{
    private HttpFile(Dictionary<string, string> variables, IReadOnlyList<HttpFileStep> steps)
    {
        Variables = variables;
        Steps = steps;
    }

    /// <summary>File variables, unresolved; a test may replace one (e.g. the emulator's address).</summary>
    public Dictionary<string, string> Variables { get; }

    public IReadOnlyList<HttpFileStep> Steps { get; }

    public static HttpFile Load() => Parse(File.ReadAllText(RepoPaths.Of("scripts", "journey.http")));

    public static HttpFile Parse(string text)
    {
        var lines = text.Replace("\r", "", StringComparison.Ordinal).Split('\n');
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        var steps = new List<HttpFileStep>();
        string? name = null;
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (FileVariable().Match(line) is { Success: true } variable)
            {
                variables[variable.Groups[1].Value] = variable.Groups[2].Value.Trim();
                continue;
            }

            if (line.StartsWith("###", StringComparison.Ordinal))
            {
                name = null;
                continue;
            }

            if (NameComment().Match(line) is { Success: true } named)
            {
                name = named.Groups[1].Value;
                continue;
            }

            if (PutMessage().Match(line) is { Success: true } put)
            {
                steps.Add(new HttpFileStep(i + 1, null, "QUEUE", "", new Dictionary<string, string>(), null, put.Groups[1].Value));
                continue;
            }

            if (RequestLine().Match(line) is not { Success: true } start)
            {
                continue;
            }

            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            var j = i + 1;
            for (; j < lines.Length && lines[j].Trim().Length > 0 && !lines[j].StartsWith("###", StringComparison.Ordinal); j++)
            {
                var colon = lines[j].IndexOf(':', StringComparison.Ordinal);
                headers[lines[j][..colon].Trim()] = lines[j][(colon + 1)..].Trim();
            }

            var body = new List<string>();
            for (j++; j < lines.Length && !lines[j].StartsWith("###", StringComparison.Ordinal) && !lines[j].StartsWith('@'); j++)
            {
                body.Add(lines[j]);
            }

            var content = string.Join('\n', body).Trim();
            steps.Add(new HttpFileStep(i + 1, name, start.Groups[1].Value, start.Groups[2].Value, headers, content.Length == 0 ? null : content, null));
            i = j - 1;
        }

        return new HttpFile(variables, steps);
    }

    /// <summary>Replaces every <c>{{...}}</c>: file variables by their value, response references through <paramref name="response"/>.</summary>
    public string Fill(string text, Func<string, string> response) => Reference().Replace(text, m =>
    {
        var reference = m.Groups[1].Value;
        if (Variables.TryGetValue(reference, out var value))
        {
            return Fill(value, response);
        }

        Assert.True(reference.Contains(".response.body.", StringComparison.Ordinal), $"journey.http uses the undefined variable {{{{{reference}}}}}");
        return response(reference);
    });

    /// <summary>Evaluates a response reference against the named responses received so far.</summary>
    public static string Evaluate(string reference, IReadOnlyDictionary<string, JsonElement> responses)
    {
        var (name, path) = (reference[..reference.IndexOf('.', StringComparison.Ordinal)], reference[(reference.IndexOf(".response.body.", StringComparison.Ordinal) + ".response.body.".Length)..]);
        Assert.True(responses.TryGetValue(name, out var node), $"{{{{{reference}}}}} refers to a response not received yet");
        foreach (var part in JsonPathPart().Matches(path).Select(p => p.Value))
        {
            node = part switch
            {
                "$" => node,
                "[-1:]" => node.EnumerateArray().Last(),
                _ => node.GetProperty(part.TrimStart('.')),
            };
        }

        return node.ValueKind == JsonValueKind.String ? node.GetString()! : node.GetRawText();
    }

    [GeneratedRegex(@"^@(\w+)\s*=\s*(.*)$")]
    private static partial Regex FileVariable();

    [GeneratedRegex(@"^#\s*@name\s+(\w+)")]
    private static partial Regex NameComment();

    [GeneratedRegex(@"^(GET|POST|PUT|DELETE|PATCH) (\S+)")]
    private static partial Regex RequestLine();

    [GeneratedRegex(@"put-message \S+ '([^']+)'")]
    private static partial Regex PutMessage();

    [GeneratedRegex(@"\{\{\s*([^}\s]+)\s*\}\}")]
    private static partial Regex Reference();

    [GeneratedRegex(@"\$|\[-1:\]|\.\w+")]
    private static partial Regex JsonPathPart();
}

/// <summary>The HTTP routes as the host exposes them, from the generated functions.metadata.</summary>
internal static partial class AppRoutes
{
    /// <summary>The function a request reaches, its route template and route values; null when none matches.</summary>
    public static (FunctionEntry Function, string Template, Dictionary<string, string> Values)? Match(string method, string path)
    {
        var candidates = FunctionMetadata.Functions
            .Where(f => f.TriggerType == "httpTrigger" && f.Route is not null && f.Methods.Contains(method))
            .Select(f => (Function: f, Template: f.Route!, Match: Pattern(f.Route!).Match(path)))
            .Where(c => c.Match.Success)
            .OrderBy(c => c.Template.Count(ch => ch == '{')) // a literal segment wins over a parameter, as in ASP.NET Core routing
            .ToList();
        if (candidates.Count == 0)
        {
            return null;
        }

        var best = candidates[0];
        var values = best.Match.Groups.Keys.Where(k => !int.TryParse(k, out _)).ToDictionary(k => k, k => best.Match.Groups[k].Value);
        return (best.Function, best.Template, values);
    }

    private static Regex Pattern(string template) =>
        new("^" + Parameter().Replace(Regex.Escape(template).Replace("\\{", "{", StringComparison.Ordinal), m => $"(?<{m.Groups[1].Value}>[^/]+)") + "$");

    [GeneratedRegex(@"\{([^}/]+)\}")]
    private static partial Regex Parameter();
}
