namespace FlexFunctions.Tests.Infra;

/// <summary>The Bicep CLI from NuGet compiles every file under infra/ and its linter finds nothing.</summary>
public sealed class BicepBuildTests
{
    [Fact]
    public void Every_bicep_file_compiles_to_an_arm_template()
    {
        var infra = CompiledInfra.Instance;
        Assert.True(infra.Build.ExitCode == 0, "bicep build failed:\n" + infra.Build.Output);
        Assert.DoesNotContain("Warning", infra.Build.Output, StringComparison.Ordinal);

        var compiled = infra.CompiledFiles.Select(f => Path.GetRelativePath(infra.OutputDirectory, f)).ToHashSet();
        foreach (var bicep in CompiledInfra.BicepFiles)
        {
            var expected = Path.ChangeExtension(Path.GetRelativePath(CompiledInfra.InfraDirectory, bicep), ".json");
            Assert.True(compiled.Contains(expected), $"{expected} was not produced; got {string.Join(", ", compiled)}");
        }
    }

    [Fact]
    public void Linter_reports_no_warning_or_error()
    {
        var lint = CompiledInfra.Instance.Lint;
        Assert.True(lint.ExitCode == 0 && string.IsNullOrWhiteSpace(lint.Output), "bicep lint found problems:\n" + lint.Output);
    }

    [Fact]
    public void Bicepconfig_makes_every_configured_linter_rule_an_error()
    {
        using var config = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(CompiledInfra.InfraDirectory, "bicepconfig.json")));
        var rules = config.RootElement.GetProperty("analyzers").GetProperty("core").GetProperty("rules").EnumerateObject().ToList();
        Assert.NotEmpty(rules);
        Assert.All(rules, rule => Assert.Equal("error", rule.Value.GetProperty("level").GetString()));
    }

    [Fact]
    public void Templates_use_only_local_modules()
    {
        foreach (var file in CompiledInfra.BicepFiles)
        {
            foreach (var line in File.ReadLines(file))
            {
                // Registry (br:, br/public:) and template-spec (ts:) modules cannot be restored on our machines.
                Assert.False(System.Text.RegularExpressions.Regex.IsMatch(line, @"^\s*module\s+\w+\s+'(br[:/]|ts[:/])"),
                    $"{Path.GetFileName(file)} uses a registry module: {line.Trim()}");
            }
        }
    }
}
