using System.Reflection;
using System.Text.Json.Nodes;
using FlexFunctions.Shared.FlexShopper;
using FlexFunctions.Shared.Storage;
using FlexFunctions.Tests.Infrastructure;

namespace FlexFunctions.Tests.Infra;

/// <summary>
/// The app settings the template sets (infra/modules/functionapp.bicep), the Values of local.settings.sample.json and
/// the code's options classes name the same settings. Adding a setting means adding it to the sample and the
/// template (and its options class); only the exceptions below are allowed to differ.
/// </summary>
public sealed class AppSettingsAgreementTests
{
    /// <summary>In the sample for local runs, never set in Azure.</summary>
    private static readonly HashSet<string> LocalOnly =
    [
        "FlexShopper__ApiKey", // Azure reads the key from Key Vault
        "Webhook__SigningSecret", // Azure reads the signing secret from Key Vault
        "StandardWebhooks__Secret", // ... and the store platforms' secrets
        "Shopify__Secret",
        "WooCommerce__Secret",
        "KeyedHashing__Secret", // Azure reads the table key secret ...
        "CustomerSession__KeyRingSecret", // ... and the key ring's sealing secret from Key Vault
        "FUNCTIONS_WORKER_RUNTIME", // Flex Consumption takes it from functionAppConfig.runtime
    ];

    /// <summary>Set in Azure only: the identity and telemetry wiring the platform needs (the sample may list them empty).</summary>
    private static readonly HashSet<string> AzureOnly =
    [
        "AZURE_CLIENT_ID",
        "APPLICATIONINSIGHTS_CONNECTION_STRING",
        "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
    ];

    private static readonly string[] ServiceUriSuffixes = ["__blobServiceUri", "__queueServiceUri", "__tableServiceUri"];

    [Fact]
    public void Template_and_sample_name_the_same_settings()
    {
        var sample = SampleValues();
        var template = TemplateSettings().Keys.ToHashSet(StringComparer.Ordinal);
        var connections = Connections(sample);

        var expectedInAzure = sample.Keys
            .Where(k => !LocalOnly.Contains(k) && !AzureOnly.Contains(k) && !connections.Contains(k))
            .ToHashSet(StringComparer.Ordinal);
        var plainInAzure = template
            .Where(k => !AzureOnly.Contains(k) && !connections.Any(c => k.StartsWith(c + "__", StringComparison.Ordinal)))
            .ToHashSet(StringComparer.Ordinal);

        Assert.True(expectedInAzure.SetEquals(plainInAzure),
            "Missing from the template: " + string.Join(", ", expectedInAzure.Except(plainInAzure)) +
            "\nMissing from local.settings.sample.json: " + string.Join(", ", plainInAzure.Except(expectedInAzure)));
        Assert.All(AzureOnly, name => Assert.Contains(name, template));
        Assert.All(LocalOnly, name => Assert.DoesNotContain(name, template));
    }

    [Fact]
    public void Every_storage_connection_is_identity_based_in_azure()
    {
        var sample = SampleValues();
        var settings = TemplateSettings();
        var connections = Connections(sample);
        Assert.Equal(["AzureWebJobsStorage", "Storage", "Warehouse"], connections.Order(StringComparer.Ordinal));

        var identityClientId = "[reference('identity').outputs.clientId.value]";
        foreach (var connection in connections)
        {
            Assert.False(settings.ContainsKey(connection), $"{connection} must not be a connection string in Azure");
            Assert.Equal("managedidentity", settings[connection + "__credential"]);
            Assert.Equal(identityClientId, settings[connection + "__clientId"]);
            var uris = ServiceUriSuffixes.Where(s => settings.ContainsKey(connection + s)).ToList();
            Assert.True(uris.Count > 0, $"{connection} has no service URI");
            Assert.All(settings.Keys.Where(k => k.StartsWith(connection + "__", StringComparison.Ordinal)),
                k => Assert.True(k.EndsWith("__credential", StringComparison.Ordinal) || k.EndsWith("__clientId", StringComparison.Ordinal) || ServiceUriSuffixes.Any(k.EndsWith),
                    $"{k} is not part of an identity-based connection"));
        }

        Assert.Equal(["__blobServiceUri", "__queueServiceUri", "__tableServiceUri"],
            ServiceUriSuffixes.Where(s => settings.ContainsKey("AzureWebJobsStorage" + s)));
        Assert.True(settings.ContainsKey("Storage__tableServiceUri"));
        Assert.True(settings.ContainsKey("Warehouse__queueServiceUri"));

        // The app's own clients sign in as the same identity (Shared/Identity/AppCredential.cs); locally it is empty.
        Assert.Equal(identityClientId, settings["ManagedIdentity__ClientId"]);
        Assert.Equal("", sample["ManagedIdentity__ClientId"]);
        Assert.Equal(identityClientId, settings["AZURE_CLIENT_ID"]);
        Assert.Equal("[format('Authorization=AAD;ClientId={0}', parameters('identityClientId'))]",
            TemplateSettingsRaw()["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]!.GetValue<string>());
    }

    [Fact]
    public void Every_option_the_code_binds_is_in_the_sample_and_the_template()
    {
        var sample = SampleValues();
        var template = TemplateSettings();
        var options = OptionSettingNames();
        Assert.Contains("FlexShopper__BaseUrl", options);
        Assert.Contains("KeyVault__VaultUri", options);
        Assert.Contains("Tables__Catalog", options);

        var notInSample = options.Where(o => !sample.ContainsKey(o)).ToList();
        Assert.True(notInSample.Count == 0, "Options missing from local.settings.sample.json: " + string.Join(", ", notInSample));
        var notInTemplate = options.Where(o => !LocalOnly.Contains(o) && !template.ContainsKey(o)).ToList();
        Assert.True(notInTemplate.Count == 0, "Options missing from infra/modules/functionapp.bicep: " + string.Join(", ", notInTemplate));

        // A sample setting under an options section that no property reads is a typo or a leftover.
        var sections = options.Select(o => o[..o.IndexOf("__", StringComparison.Ordinal)]).ToHashSet(StringComparer.Ordinal);
        var unread = sample.Keys.Where(k => k.Contains("__", StringComparison.Ordinal)
            && sections.Contains(k[..k.IndexOf("__", StringComparison.Ordinal)]) && !options.Contains(k)).ToList();
        Assert.True(unread.Count == 0, "Sample settings no options property reads: " + string.Join(", ", unread));
    }

    [Fact]
    public void Template_creates_the_tables_and_queues_the_settings_name()
    {
        var sample = SampleValues();
        var main = CompiledInfra.Instance.Main;
        var tables = main["variables"]!["tableNames"]!.AsObject().ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<string>());

        var sampleTables = sample.Where(kv => kv.Key.StartsWith("Tables__", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key["Tables__".Length..], kv => kv.Value);
        Assert.Equal(sampleTables.OrderBy(kv => kv.Key), tables.OrderBy(kv => kv.Key));

        var defaults = new TableNames();
        Assert.All(tables, t => Assert.Equal(typeof(TableNames).GetProperty(t.Key)!.GetValue(defaults), t.Value));

        Assert.Equal(sample["WarehouseQueueName"], main["variables"]!["warehouseQueueName"]!.GetValue<string>());
        var queues = CompiledInfra.Instance.Module("storage").Properties!["parameters"]!["queueNames"]!["value"]!.AsArray()
            .Select(q => q!.GetValue<string>());
        Assert.Equal(["[variables('warehouseQueueName')]", "[format('{0}-poison', variables('warehouseQueueName'))]"], queues);
        Assert.Equal("[concat(map(items(variables('tableNames')), lambda('table', lambdaVariables('table').value)), createArray(variables('keyRingTableName')))]",
            CompiledInfra.Instance.Module("storage").Properties!["parameters"]!["tableNames"]!["value"]!.GetValue<string>());
        foreach (var table in tables.Keys)
        {
            Assert.Equal($"[parameters('tableNames').{table}]", TemplateSettingsRaw()["Tables__" + table]!.GetValue<string>());
        }
    }

    [Fact]
    public void FlexShopper_environment_parameter_picks_the_base_url()
    {
        var main = CompiledInfra.Instance.Main;
        var allowed = main["parameters"]!["flexShopperEnvironment"]!["allowedValues"]!.AsArray().Select(v => v!.GetValue<string>());
        Assert.Equal(["sandbox", "production"], allowed);

        var urls = main["variables"]!["flexShopperBaseUrls"]!;
        Assert.Equal(FlexShopperOptions.SandboxBaseUrl, urls["sandbox"]!.GetValue<string>());
        Assert.Equal(FlexShopperOptions.ProductionBaseUrl, urls["production"]!.GetValue<string>());
        Assert.Equal("[variables('flexShopperBaseUrls')[parameters('flexShopperEnvironment')]]", TemplateSettings()["FlexShopper__BaseUrl"]);
    }

    [Fact]
    public void Literal_settings_in_the_template_match_the_sample_defaults()
    {
        // Timeouts, retry and circuit-breaker knobs, secret names: the same values locally and in Azure.
        var sample = SampleValues();
        var literals = TemplateSettingsRaw()
            .Where(kv => kv.Value is JsonValue v && v.TryGetValue<string>(out var s) && !s.StartsWith('[') && sample.ContainsKey(kv.Key))
            .ToList();
        Assert.Contains(literals, kv => kv.Key == "FlexShopper__AttemptTimeout");
        Assert.All(literals, kv => Assert.Equal(sample[kv.Key], kv.Value!.GetValue<string>()));
    }

    /// <summary><c>Section__Property</c> for every public settable property of a type with a <c>Section</c> constant.</summary>
    private static HashSet<string> OptionSettingNames()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var assemblies = new[] { typeof(FlexShopperOptions).Assembly }; // options classes live in Shared (house rule)
        foreach (var type in assemblies.SelectMany(a => a.GetTypes()).Where(t => t.IsClass && !t.IsAbstract))
        {
            if (type.GetField("Section", BindingFlags.Public | BindingFlags.Static) is not { IsLiteral: true } field)
            {
                continue;
            }

            AddProperties(names, (string)field.GetRawConstantValue()!, type);
        }

        return names;
    }

    private static void AddProperties(HashSet<string> names, string prefix, Type type)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod?.IsPublic == true)) // what the binder binds
        {
            var propertyType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (propertyType.IsPrimitive || propertyType.IsEnum || propertyType == typeof(string) || propertyType == typeof(Uri)
                || propertyType == typeof(TimeSpan) || propertyType == typeof(decimal))
            {
                names.Add($"{prefix}__{property.Name}");
            }
            else if (propertyType.IsClass && !typeof(System.Collections.IEnumerable).IsAssignableFrom(propertyType))
            {
                AddProperties(names, $"{prefix}__{property.Name}", propertyType);
            }
        }
    }

    private static Dictionary<string, string> SampleValues() =>
        JsonNode.Parse(File.ReadAllText(RepoPaths.Of("local.settings.sample.json")))!["Values"]!.AsObject()
            .ToDictionary(kv => kv.Key, kv => kv.Value?.ToString() ?? "", StringComparer.Ordinal);

    /// <summary>Sample settings whose local value is a storage connection string.</summary>
    private static HashSet<string> Connections(Dictionary<string, string> sample) =>
        sample.Where(kv => kv.Value.StartsWith("UseDevelopmentStorage=", StringComparison.Ordinal) || kv.Value.Contains("AccountName=", StringComparison.Ordinal))
            .Select(kv => kv.Key)
            .ToHashSet(StringComparer.Ordinal);

    private static JsonObject TemplateSettingsRaw()
    {
        var config = Assert.Single(CompiledInfra.Instance.OfType("Microsoft.Web/sites/config"),
            c => c.Resource["name"]!.GetValue<string>().Contains("'appsettings'", StringComparison.Ordinal));
        return config.Properties!.AsObject();
    }

    /// <summary>The app settings, each value resolved through the module's parameters into main.bicep.</summary>
    private static Dictionary<string, string> TemplateSettings()
    {
        var config = Assert.Single(CompiledInfra.Instance.OfType("Microsoft.Web/sites/config"),
            c => c.Resource["name"]!.GetValue<string>().Contains("'appsettings'", StringComparison.Ordinal));
        return config.Properties!.AsObject().ToDictionary(kv => kv.Key, kv => config.Scope.ResolveText(kv.Value), StringComparer.Ordinal);
    }
}
