using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FlexFunctions.Tests.Infrastructure;

namespace FlexFunctions.Tests.Infra;

/// <summary>
/// Every Bicep file under infra/ built once per test run into a temporary folder, plus the linter's verdict and a
/// walk over the compiled main template (modules included) that tests query.
/// </summary>
internal sealed partial class CompiledInfra
{
    private static readonly Lazy<CompiledInfra> Shared = new(Compile);

    private CompiledInfra(string outputDirectory, (int ExitCode, string Output) build, (int ExitCode, string Output) lint)
    {
        OutputDirectory = outputDirectory;
        Build = build;
        Lint = lint;
        if (build.ExitCode == 0)
        {
            _main = (JsonObject)JsonNode.Parse(File.ReadAllText(System.IO.Path.Combine(outputDirectory, "main.json")))!;
            _resources = [.. Walk(new Scope(_main, null, "main", null))];
        }
    }

    private readonly JsonObject? _main;
    private readonly IReadOnlyList<Deployed>? _resources;

    public static CompiledInfra Instance => Shared.Value;

    public static string InfraDirectory => RepoPaths.Of("infra");

    public static IReadOnlyList<string> BicepFiles =>
        [.. Directory.EnumerateFiles(InfraDirectory, "*.bicep", SearchOption.AllDirectories).Order(StringComparer.Ordinal)];

    public string OutputDirectory { get; }

    public (int ExitCode, string Output) Build { get; }

    public (int ExitCode, string Output) Lint { get; }

    public JsonObject Main => _main ?? throw BuildFailed();

    /// <summary>Every resource the deployment creates, each with the module (scope) it is declared in.</summary>
    public IReadOnlyList<Deployed> Resources => _resources ?? throw BuildFailed();

    private InvalidOperationException BuildFailed() => new("bicep build failed, so there is no template to check:\n" + Build.Output);

    public IEnumerable<string> CompiledFiles => Directory.EnumerateFiles(OutputDirectory, "*.json", SearchOption.AllDirectories);

    public IEnumerable<Deployed> OfType(string type) =>
        Resources.Where(r => string.Equals(r.Type, type, StringComparison.OrdinalIgnoreCase));

    /// <summary>The module main.bicep declares as <paramref name="symbol"/>.</summary>
    public Deployed Module(string symbol) =>
        OfType("Microsoft.Resources/deployments").Single(d => d.Scope.Parent is null && d.Symbol == symbol);

    /// <summary>The scope (template plus arguments) of the module main.bicep declares as <paramref name="symbol"/>.</summary>
    public Scope ModuleScope(string symbol)
    {
        var module = Module(symbol);
        return new Scope((JsonObject)module.Properties!["template"]!, module.Properties["parameters"] as JsonObject, symbol, module.Scope);
    }

    private static CompiledInfra Compile()
    {
        var output = Directory.CreateTempSubdirectory("flexfunctions-bicep-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(output, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp folder is harmless.
            }
        };
        var pattern = "infra/**/*.bicep";
        // --no-restore: local modules only; the CLI must never reach a registry.
        var build = BicepCli.Run(RepoPaths.Root, "build", "--pattern", pattern, "--outdir", output, "--no-restore");
        var lint = BicepCli.Run(RepoPaths.Root, "lint", "--pattern", pattern, "--no-restore");
        return new CompiledInfra(output, build, lint);
    }

    private static IEnumerable<Deployed> Walk(Scope scope)
    {
        var resources = scope.Template["resources"] switch
        {
            JsonArray array => array.Select((r, i) => (Symbol: i.ToString(System.Globalization.CultureInfo.InvariantCulture), Resource: r as JsonObject)),
            JsonObject symbolic => symbolic.Select(kv => (Symbol: kv.Key, Resource: kv.Value as JsonObject)), // languageVersion 2.0
            _ => [],
        };
        foreach (var (symbol, resource) in resources)
        {
            if (resource is null)
            {
                continue;
            }

            if (resource["existing"]?.GetValue<bool>() == true)
            {
                continue;
            }

            var deployed = new Deployed(symbol, resource, scope);
            yield return deployed;
            if (deployed.Type == "Microsoft.Resources/deployments" && resource["properties"]?["template"] is JsonObject inner)
            {
                foreach (var nested in Walk(new Scope(inner, resource["properties"]?["parameters"] as JsonObject, symbol, scope)))
                {
                    yield return nested;
                }
            }
        }
    }

    /// <summary>A template with the arguments its caller passed (null for main).</summary>
    internal sealed record Scope(JsonObject Template, JsonObject? Arguments, string Name, Scope? Parent)
    {
        /// <summary>
        /// Follows <c>[parameters('x')]</c> to the caller's argument and <c>[variables('x')]</c> to the variable,
        /// until the value is a literal or an expression of some other shape.
        /// </summary>
        public (JsonNode? Value, Scope Scope) Resolve(JsonNode? value)
        {
            var text = value is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
            if (text is null)
            {
                return (value, this);
            }

            var parameter = WholeParameter().Match(text);
            if (parameter.Success && Parent is not null && Arguments?[parameter.Groups[1].Value] is JsonObject argument)
            {
                return Parent.Resolve(argument["value"]);
            }

            var variable = WholeVariable().Match(text);
            if (variable.Success && Template["variables"]?[variable.Groups[1].Value] is { } variableValue)
            {
                // [variables('roles').keyVaultSecretsUser]: follow the member path into the variable.
                foreach (var member in variable.Groups[2].Value.Split('.', StringSplitOptions.RemoveEmptyEntries))
                {
                    variableValue = variableValue?[member];
                }

                return variableValue is null ? (value, this) : Resolve(variableValue);
            }

            return (value, this);
        }

        /// <summary>The resolved value as text: a string as is, anything else as JSON.</summary>
        public string ResolveText(JsonNode? value) => Resolve(value).Value switch
        {
            JsonValue v when v.TryGetValue<string>(out var text) => text,
            null => "null",
            var other => other.ToJsonString(),
        };
    }

    internal sealed record Deployed(string Symbol, JsonObject Resource, Scope Scope)
    {
        public string Type => Resource["type"]?.ToString() ?? "";

        public JsonNode? Properties => Resource["properties"];
    }

    [GeneratedRegex(@"^\[parameters\('([^']+)'\)\]$")]
    private static partial Regex WholeParameter();

    [GeneratedRegex(@"^\[variables\('([^']+)'\)((?:\.\w+)*)\]$")]
    private static partial Regex WholeVariable();
}
