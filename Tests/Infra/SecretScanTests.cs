using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FlexFunctions.Tests.Infrastructure;

namespace FlexFunctions.Tests.Infra;

/// <summary>No secret value is written in, or read into, any template or parameter file.</summary>
public sealed partial class SecretScanTests
{
    [Fact]
    public void No_template_or_parameter_file_contains_a_secret_or_reads_one()
    {
        var files = Directory.EnumerateFiles(CompiledInfra.InfraDirectory, "*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".bicep", StringComparison.Ordinal) || f.EndsWith(".json", StringComparison.Ordinal) || f.EndsWith(".bicepparam", StringComparison.Ordinal))
            .Concat(CompiledInfra.Instance.CompiledFiles)
            .Append(RepoPaths.Of("azure.yaml"))
            .ToList();
        Assert.Contains(files, f => f.EndsWith("main.parameters.json", StringComparison.Ordinal));

        var findings = files.SelectMany(f => Findings(File.ReadAllText(f)).Select(x => $"{Path.GetFileName(f)}: {x}")).ToList();

        Assert.True(findings.Count == 0, string.Join("\n", findings));
    }

    [Fact]
    public void Parameter_files_set_no_secret_like_parameter()
    {
        foreach (var file in Directory.EnumerateFiles(CompiledInfra.InfraDirectory, "*.parameters.json", SearchOption.AllDirectories))
        {
            var parameters = JsonNode.Parse(File.ReadAllText(file))!["parameters"]!.AsObject();
            Assert.DoesNotContain(parameters, p => SecretName().IsMatch(p.Key));
        }
    }

    [Fact]
    public void Templates_declare_no_secure_parameter_because_secrets_are_set_out_of_band()
    {
        foreach (var file in CompiledInfra.Instance.CompiledFiles)
        {
            var text = File.ReadAllText(file);
            Assert.DoesNotContain("\"securestring\"", text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("\"secureobject\"", text, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Theory]
    [InlineData("DefaultEndpointsProtocol=https;AccountName=st;AccountKey=c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0")]
    [InlineData("\"[listKeys(resourceId('Microsoft.Storage/storageAccounts', 'st'), '2025-01-01').keys[0].value]\"")]
    [InlineData("https://st.blob.core.windows.net/c?sv=2024-01-01&sig=abcdefABCDEF0123456789%2B%2F")]
    [InlineData("Endpoint=sb://x.servicebus.windows.net/;SharedAccessKeyName=root;SharedAccessKey=abc")]
    [InlineData("param apiKey = 'Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6'")]
    public void The_scanner_catches_the_usual_shapes_of_secrets(string text) =>
        Assert.NotEmpty(Findings(text));

    /// <summary>Account keys, SAS signatures, list*() calls that read keys at deploy time, and long base64 literals.</summary>
    private static IEnumerable<string> Findings(string text)
    {
        foreach (Match m in SecretPattern().Matches(text))
        {
            yield return m.Value;
        }
    }

    [GeneratedRegex(@"AccountKey=|SharedAccessKey=|SharedAccessSignature=|[?&]sig=|\blist(Keys|Secrets|ConnectionStrings|Credentials?|AccountSas|ServiceSas)\s*\(|(?<![A-Za-z0-9+/_.-])[A-Za-z0-9+/]{40,}={0,2}(?![A-Za-z0-9+/_.-])")]
    private static partial Regex SecretPattern();

    [GeneratedRegex("(key|secret|password|token|connectionstring)", RegexOptions.IgnoreCase)]
    private static partial Regex SecretName();
}
