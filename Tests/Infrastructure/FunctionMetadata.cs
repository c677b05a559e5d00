using System.Text.Json;

namespace FlexFunctions.Tests.Infrastructure;

/// <summary>
/// The function metadata the Worker SDK generates at build time (<c>functions.metadata</c>), which is exactly what
/// the Functions host reads to expose triggers. Tests assert routes, auth levels, queues and schedules on it.
/// </summary>
public static class FunctionMetadata
{
    private static readonly Lazy<IReadOnlyList<FunctionEntry>> All = new(Load);

    public static IReadOnlyList<FunctionEntry> Functions => All.Value;

    public static FunctionEntry Get(string name) =>
        Functions.SingleOrDefault(f => f.Name == name) ?? throw new Xunit.Sdk.XunitException($"No function named '{name}' in functions.metadata.");

    private static IReadOnlyList<FunctionEntry> Load()
    {
        // Tests/bin/<Configuration>/net10.0 -> Functions/bin/<Configuration>/net10.0/functions.metadata
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = output.Parent!.Name;
        var path = RepoPaths.Of("Functions", "bin", configuration, output.Name, "functions.metadata");
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"{path} is missing: build the Functions project first.");
        }

        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.EnumerateArray().Select(f => new FunctionEntry(
            f.GetProperty("name").GetString()!,
            f.GetProperty("entryPoint").GetString()!,
            f.GetProperty("bindings").EnumerateArray().Select(b => b.Clone()).ToList())).ToList();
    }
}

/// <summary>One function as the host sees it.</summary>
public sealed record FunctionEntry(string Name, string EntryPoint, IReadOnlyList<JsonElement> Bindings)
{
    public JsonElement Trigger => Bindings.Single(b => b.GetProperty("type").GetString()!.EndsWith("Trigger", StringComparison.Ordinal));

    public string TriggerType => Trigger.GetProperty("type").GetString()!;

    public string? Property(string name) => Trigger.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public string? Route => Property("route");

    public string? AuthLevel => Property("authLevel");

    public IReadOnlyList<string> Methods => Trigger.TryGetProperty("methods", out var m)
        ? m.EnumerateArray().Select(x => x.GetString()!.ToUpperInvariant()).ToList()
        : [];
}
