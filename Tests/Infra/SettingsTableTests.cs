using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FlexFunctions.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FlexFunctions.Tests.Infra;

/// <summary>
/// The README's settings table, <c>local.settings.sample.json</c> and the code name the same settings. "What the code
/// reads" is recorded, not listed: the real service graph (<c>AddFlexFunctions</c>) is built over a configuration that
/// writes down every key asked of it, every option is bound and validated as at start-up and every singleton made, so options sections and
/// direct <c>configuration[...]</c> reads are both caught.
/// </summary>
public sealed partial class SettingsTableTests
{
    /// <summary>Read by the Functions host itself, not by our code: in the sample and the table all the same.</summary>
    private static readonly string[] HostOnly = ["FUNCTIONS_WORKER_RUNTIME", "AzureWebJobsStorage"];

    /// <summary>A storage connection is one setting in several forms (a connection string, or __tableServiceUri and the like).</summary>
    private static readonly string[] Connections = ["Storage", "Warehouse", "AzureWebJobsStorage"];

    /// <summary>Keys the libraries read for themselves (logging levels, OpenTelemetry's own variables): not ours to list.</summary>
    private static readonly string[] LibraryPrefixes = ["Logging", "OTEL_", "OpenTelemetry", "AzureFunctionsJobHost", "Azure__", "AZURE_", "ReadOnlyDataProtectionKeyDirectory"];

    /// <summary>Bound, but replaced before use: the timers' own settings, CatalogRefreshSchedule and StorageCleanupSchedule, are the ones to set.</summary>
    private static readonly string[] Overwritten = ["Catalog__Schedule", "StorageCleanup__Schedule"];

    [Fact]
    public void Every_setting_the_code_reads_is_in_the_sample_and_every_sample_setting_is_read()
    {
        var read = KeysTheCodeReads();
        var sample = SampleKeys();
        Assert.Contains("APPLICATIONINSIGHTS_CONNECTION_STRING", read);
        Assert.Contains("FlexShopper__BaseUrl", read);
        Assert.Contains("Storage", read);

        var notInSample = read.Except(sample).Order(StringComparer.Ordinal).ToList();
        Assert.True(notInSample.Count == 0, "Read by the code but not in local.settings.sample.json: " + string.Join(", ", notInSample));
        var unread = sample.Except(read).Except(HostOnly).Order(StringComparer.Ordinal).ToList();
        Assert.True(unread.Count == 0, "In local.settings.sample.json but read by nothing: " + string.Join(", ", unread));
    }

    [Fact]
    public void The_README_settings_table_names_every_setting_and_nothing_else()
    {
        var settings = KeysTheCodeReads().Concat(HostOnly).ToHashSet(StringComparer.Ordinal);
        var rows = TableNames();
        Assert.True(rows.Count >= 10, $"only {rows.Count} names found in the README's Configuration table");

        var missing = settings.Where(s => !rows.Any(r => Matches(r, s))).Order(StringComparer.Ordinal).ToList();
        Assert.True(missing.Count == 0, "Read by the code but not in the README's Configuration table: " + string.Join(", ", missing));
        var stale = rows.Where(r => !settings.Any(s => Matches(r, s))).ToList();
        Assert.True(stale.Count == 0, "In the README's Configuration table but read by nothing: " + string.Join(", ", stale));
    }

    /// <summary>The keys asked of the configuration while the graph is built, every option bound and validated, and the start-up summary written.</summary>
    private static HashSet<string> KeysTheCodeReads()
    {
        var values = SampleValues().ToDictionary(kv => kv.Key.Replace("__", ":", StringComparison.Ordinal), kv => (string?)kv.Value, StringComparer.OrdinalIgnoreCase);
        var recording = new RecordingSource(values);
        var configuration = new ConfigurationBuilder().Add(recording).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        services.AddFlexFunctions(configuration);
        using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate(); // binds every option registered with ValidateOnStart
        foreach (var options in services.Select(s => s.ServiceType).Where(t => t.IsGenericType && t.GetGenericTypeDefinition() == typeof(IConfigureOptions<>)).Distinct().ToList())
        {
            // Options bound without ValidateOnStart are bound here, as their first use would.
            var type = typeof(IOptions<>).MakeGenericType(options.GetGenericArguments()[0]);
            _ = type.GetProperty("Value")!.GetValue(provider.GetService(type));
        }

        // Settings read by a factory are read when its service is first made (the warehouse queue's name, say): make each.
        foreach (var service in services.Where(s => s.Lifetime == ServiceLifetime.Singleton && !s.ServiceType.IsGenericTypeDefinition && !s.IsKeyedService)
                     .Select(s => s.ServiceType).Distinct().ToList())
        {
            try
            {
                _ = provider.GetServices(service).ToList();
            }
            catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or FormatException)
            {
                // Needs something only the host provides; what it read before failing is recorded all the same.
            }
        }

        var keys = recording.Read
            .Select(k => k.Replace(":", "__", StringComparison.Ordinal))
            .Select(k => Connections.FirstOrDefault(c => k == c || k.StartsWith(c + "__", StringComparison.Ordinal)) ?? k)
            .Where(k => !LibraryPrefixes.Any(p => k.StartsWith(p, StringComparison.Ordinal)) && !Overwritten.Contains(k))
            .ToHashSet(StringComparer.Ordinal);
        // Binding an options class also asks for its section's own value: the section is not a setting.
        keys.RemoveWhere(k => !Connections.Contains(k) && keys.Any(other => other.StartsWith(k + "__", StringComparison.Ordinal)));
        return keys;
    }

    private static Dictionary<string, string> SampleValues() =>
        JsonNode.Parse(File.ReadAllText(RepoPaths.Of("local.settings.sample.json")))!["Values"]!.AsObject()
            .ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<string>(), StringComparer.Ordinal);

    private static HashSet<string> SampleKeys() => [.. SampleValues().Keys];

    /// <summary>
    /// The names in the first column of the README's Configuration table: <c>`A__B`, `__C`</c> is A__B and A__C, and a
    /// name ending in <c>*</c> stands for every setting it begins.
    /// </summary>
    private static List<string> TableNames()
    {
        var readme = File.ReadAllLines(RepoPaths.Of("README.md"));
        var start = Array.IndexOf(readme, "## Configuration");
        Assert.True(start >= 0, "README.md has no '## Configuration' section");
        var names = new List<string>();
        foreach (var line in readme.Skip(start + 1).TakeWhile(l => !l.StartsWith("## ", StringComparison.Ordinal)).Where(l => l.StartsWith("| `", StringComparison.Ordinal)))
        {
            var section = string.Empty;
            foreach (Match name in Backticked().Matches(line.Split('|')[1]))
            {
                var value = name.Groups[1].Value;
                if (value.StartsWith("__", StringComparison.Ordinal))
                {
                    names.Add(section + value);
                }
                else
                {
                    var cut = value.IndexOf("__", StringComparison.Ordinal);
                    section = cut > 0 ? value[..cut] : value;
                    names.Add(value);
                }
            }
        }

        return names;
    }

    private static bool Matches(string row, string setting) =>
        row.EndsWith('*') ? setting.StartsWith(row[..^1], StringComparison.Ordinal) : row == setting;

    [GeneratedRegex("`([^`]+)`", RegexOptions.CultureInvariant)]
    private static partial Regex Backticked();

    /// <summary>An in-memory configuration that remembers every key asked of it, present or not.</summary>
    private sealed class RecordingSource(IDictionary<string, string?> values) : IConfigurationSource
    {
        public ConcurrentDictionary<string, bool> Asked { get; } = new(StringComparer.OrdinalIgnoreCase);

        public IEnumerable<string> Read => Asked.Keys;

        public IConfigurationProvider Build(IConfigurationBuilder builder) => new Provider(this, values);

        private sealed class Provider(RecordingSource source, IDictionary<string, string?> values) : ConfigurationProvider
        {
            public override void Load() => Data = new Dictionary<string, string?>(values, StringComparer.OrdinalIgnoreCase);

            public override bool TryGet(string key, out string? value)
            {
                source.Asked[key] = true;
                return base.TryGet(key, out value);
            }
        }
    }
}
