using System.Text.Json;

namespace FlexFunctions.SandboxCheck;

/// <summary>One request the app's client sent and what came back, kept so a refutation can say what FlexShopper answered.</summary>
internal sealed record Exchange(string Method, string Path, int Status, string? ContentType, byte[] Body)
{
    /// <summary>
    /// The answer without its values: the error's code and message, the gateway's message, or the JSON shape of a
    /// success (names and types only), so no token, key or customer datum is ever printed.
    /// </summary>
    public string Describe()
    {
        var head = $"{Method} {Path} answered {Status}";
        JsonElement root;
        try
        {
            root = JsonDocument.Parse(Body).RootElement;
        }
        catch (JsonException)
        {
            return Body.Length == 0 ? head + " with no body" : $"{head} with {Body.Length} bytes of {ContentType ?? "an unnamed type"}, not JSON";
        }

        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
        {
            var code = error.TryGetProperty("code", out var c) ? c.ToString() : "no code";
            var message = error.TryGetProperty("message", out var m) ? m.ToString() : "";
            return $"{head} {code}: {message}";
        }

        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("message", out var bare) && bare.ValueKind == JsonValueKind.String && root.EnumerateObject().Count() == 1)
        {
            return $"{head} {{\"message\": \"{bare.GetString()}\"}}";
        }

        return $"{head} {Shape(root, depth: 0)}";
    }

    /// <summary>A JSON value's shape: objects list their members, arrays their first element, scalars their type.</summary>
    internal static string Shape(JsonElement value, int depth) => value.ValueKind switch
    {
        JsonValueKind.Object when depth > 3 => "{...}",
        JsonValueKind.Object => "{" + string.Join(", ", value.EnumerateObject().Select(p => p.Name + ": " + Shape(p.Value, depth + 1))) + "}",
        JsonValueKind.Array => value.GetArrayLength() == 0 ? "[]" : "[" + Shape(value[0], depth + 1) + (value.GetArrayLength() > 1 ? ", ..." : "") + "]",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "bool",
        _ => "null",
    };
}

/// <summary>Keeps every exchange of the app's FlexShopper client; outermost, so it sees what the caller sees.</summary>
internal sealed class ExchangeRecorder : DelegatingHandler
{
    private readonly List<Exchange> _exchanges = [];
    private string _basePath = "/";

    public void UseBase(Uri baseUrl) => _basePath = baseUrl.AbsolutePath;

    /// <summary>How many exchanges have been kept so far; a step reads those after its mark.</summary>
    public int Mark
    {
        get
        {
            lock (_exchanges)
            {
                return _exchanges.Count;
            }
        }
    }

    public IReadOnlyList<Exchange> Since(int mark)
    {
        lock (_exchanges)
        {
            return [.. _exchanges.Skip(mark)];
        }
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        await response.Content.LoadIntoBufferAsync(cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        // Path only, below the v3 root: the query may carry an email.
        var path = request.RequestUri!.AbsolutePath;
        path = path.StartsWith(_basePath, StringComparison.Ordinal) ? path[_basePath.Length..] : path;
        lock (_exchanges)
        {
            _exchanges.Add(new Exchange(request.Method.Method, Uri.UnescapeDataString(path), (int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, body));
        }

        return response;
    }
}
