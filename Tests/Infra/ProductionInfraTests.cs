using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FlexFunctions.Tests.Infrastructure;

namespace FlexFunctions.Tests.Infra;

/// <summary>
/// What production needs from the compiled template: a warehouse that can send to its queue, signatures on unless
/// turned off, a vault audit trail, an environment that can be torn down and provisioned again, zone-redundant
/// options, and private networking that works in every cloud.
/// </summary>
public sealed partial class ProductionInfraTests
{
    private const string QueueMessageSender = "c6a89b2d-59bc-44d0-9896-0f6e12d7b80a";

    private static CompiledInfra Infra => CompiledInfra.Instance;

    private static JsonObject MainParameter(string name) =>
        Infra.Main["parameters"]![name] as JsonObject ?? throw new Xunit.Sdk.XunitException($"main.bicep has no parameter {name}");

    private static string AzdValue(string parameter) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(CompiledInfra.InfraDirectory, "main.parameters.json")))!["parameters"]![parameter]?["value"]?.GetValue<string>()
        ?? throw new Xunit.Sdk.XunitException($"main.parameters.json does not set {parameter}");

    private static string Text(CompiledInfra.Deployed resource, JsonNode? value) => resource.Scope.ResolveText(value);

    [Fact]
    public void The_warehouse_principal_may_only_send_messages_to_the_warehouse_queue()
    {
        var roles = Infra.OfType("Microsoft.Authorization/roleAssignments").ToList();
        var sender = Assert.Single(roles, r => Text(r, JsonValue.Create($"[{RoleVariable().Match(r.Properties!["roleDefinitionId"]!.GetValue<string>()).Value}]")) == QueueMessageSender);

        // Scoped to the one queue (not the account), and that queue is the one the app's trigger reads.
        var scope = QueueScope().Match(sender.Resource["scope"]!.GetValue<string>());
        Assert.True(scope.Success, "the sender role must be scoped to a queue: " + sender.Resource["scope"]);
        Assert.Equal("default", scope.Groups["service"].Value);
        Assert.Equal("warehouse-events", Text(sender, JsonValue.Create($"[parameters('{scope.Groups["queue"].Value}')]")));
        Assert.Equal("warehouse-events", Infra.Main["variables"]!["warehouseQueueName"]!.GetValue<string>());

        Assert.Equal("[parameters('warehouseSenderPrincipalId')]", Text(sender, sender.Properties!["principalId"]));
        Assert.Contains("empty(parameters('warehouseSenderPrincipalId'))", sender.Resource["condition"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("", MainParameter("warehouseSenderPrincipalId")["defaultValue"]!.GetValue<string>());
        Assert.Equal("${WAREHOUSE_SENDER_PRINCIPAL_ID}", AzdValue("warehouseSenderPrincipalId"));

        // The principal type is optional: empty leaves it to ARM, otherwise one of the types ARM accepts.
        Assert.Equal("[if(empty(parameters('warehouseSenderPrincipalType')), null(), parameters('warehouseSenderPrincipalType'))]",
            sender.Properties!["principalType"]!.GetValue<string>());
        Assert.Equal(["", "ServicePrincipal", "User", "Group"], MainParameter("warehouseSenderPrincipalType")["allowedValues"]!.AsArray().Select(v => v!.GetValue<string>()));
        Assert.Equal("", MainParameter("warehouseSenderPrincipalType")["defaultValue"]!.GetValue<string>());

        // Nothing else is granted to the warehouse.
        Assert.Single(roles, r => Text(r, r.Properties!["principalId"]).Contains("warehouseSenderPrincipalId", StringComparison.Ordinal));
        Assert.Contains("WAREHOUSE_QUEUE_URL", Infra.Main["outputs"]!.AsObject().Select(o => o.Key));
    }

    [Fact]
    public void Webhook_signatures_follow_their_parameter_which_is_on_by_default()
    {
        var signature = MainParameter("requireWebhookSignature");
        Assert.Equal("bool", signature["type"]!.GetValue<string>());
        Assert.True(signature["defaultValue"]!.GetValue<bool>());
        Assert.Equal("${WEBHOOK_REQUIRE_SIGNATURE=true}", AzdValue("requireWebhookSignature"));

        var config = Assert.Single(Infra.OfType("Microsoft.Web/sites/config"));
        var setting = config.Properties!["Webhook__RequireSignature"]!.GetValue<string>();
        Assert.Equal("[if(parameters('requireWebhookSignature'), 'true', 'false')]", setting);
        // The module's parameter is main's, passed straight through.
        Assert.Equal("[parameters('requireWebhookSignature')]", Text(config, JsonValue.Create("[parameters('requireWebhookSignature')]")));

        // Local runs keep it off: the sample has no secret to sign with.
        var sample = JsonNode.Parse(File.ReadAllText(RepoPaths.Of("local.settings.sample.json")))!["Values"]!;
        Assert.Equal("false", sample["Webhook__RequireSignature"]!.GetValue<string>());
    }

    [Fact]
    public void The_vault_sends_its_audit_log_to_the_workspace()
    {
        var audit = Assert.Single(Infra.OfType("Microsoft.Insights/diagnosticSettings"),
            d => d.Resource["scope"]!.GetValue<string>().StartsWith("[resourceId('Microsoft.KeyVault/vaults'", StringComparison.Ordinal));

        Assert.Null(audit.Resource["condition"]); // always, not optional
        var logs = audit.Properties!["logs"]!.AsArray();
        Assert.Contains(logs, l => l!["category"]?.GetValue<string>() == "AuditEvent" && l["enabled"]!.GetValue<bool>());
        Assert.Equal("Dedicated", audit.Properties["logAnalyticsDestinationType"]!.GetValue<string>()); // table AZKVAuditLogs
        Assert.Equal("[reference('monitoring').outputs.workspaceId.value]", Text(audit, audit.Properties["workspaceId"]));
        var workspaceOutput = Infra.ModuleScope("monitoring").Template["outputs"]!["workspaceId"]!["value"]!.GetValue<string>();
        Assert.StartsWith("[resourceId('Microsoft.OperationalInsights/workspaces'", workspaceOutput, StringComparison.Ordinal);
    }

    [Fact]
    public void Storage_request_logs_are_optional_for_the_queue_and_tables()
    {
        var settings = Infra.OfType("Microsoft.Insights/diagnosticSettings")
            .Where(d => d.Resource["scope"]!.GetValue<string>().Contains("Microsoft.Storage/storageAccounts/", StringComparison.Ordinal))
            .ToList();

        Assert.Equal(["queueServices", "tableServices"], settings.Select(s => StorageService().Match(s.Resource["scope"]!.GetValue<string>()).Groups[1].Value).Order());
        Assert.All(settings, s =>
        {
            Assert.Equal("[parameters('enableLogs')]", s.Resource["condition"]!.GetValue<string>());
            Assert.Equal("[parameters('enableStorageLogs')]", Text(s, s.Resource["condition"]));
            var categories = s.Scope.Resolve(s.Properties!["logs"]).Value!.AsArray().Select(l => l!["category"]!.GetValue<string>());
            Assert.Equal(["StorageDelete", "StorageRead", "StorageWrite"], categories.Order());
        });
        Assert.False(MainParameter("enableStorageLogs")["defaultValue"]!.GetValue<bool>());
    }

    [Fact]
    public void A_torn_down_environment_can_be_provisioned_again_under_the_same_name()
    {
        var vault = Assert.Single(Infra.OfType("Microsoft.KeyVault/vaults"));

        // createMode comes from main's parameter: default, or recover for the soft-deleted vault.
        Assert.Equal("[parameters('vaultCreateMode')]", Text(vault, vault.Properties!["createMode"]));
        Assert.Equal(["default", "recover"], MainParameter("vaultCreateMode")["allowedValues"]!.AsArray().Select(v => v!.GetValue<string>()));
        Assert.Equal("default", MainParameter("vaultCreateMode")["defaultValue"]!.GetValue<string>());
        Assert.Equal("${AZURE_KEY_VAULT_CREATE_MODE=default}", AzdValue("vaultCreateMode"));

        // The name can be given (a fresh vault while the old one is soft-deleted); azd feeds back the one it deployed.
        Assert.Equal("[if(empty(parameters('vaultName')), format('kv-flex-{0}', variables('token')), parameters('vaultName'))]",
            Infra.Main["variables"]!["names"]!["keyVault"]!.GetValue<string>());
        Assert.Equal(24, MainParameter("vaultName")["maxLength"]!.GetValue<int>());
        Assert.Equal("${AZURE_KEY_VAULT_NAME}", AzdValue("vaultName"));
        Assert.Contains("AZURE_KEY_VAULT_NAME", Infra.Main["outputs"]!.AsObject().Select(o => o.Key));
    }

    [Fact]
    public void Storage_redundancy_and_plan_zone_redundancy_are_parameters()
    {
        var storage = Assert.Single(Infra.OfType("Microsoft.Storage/storageAccounts"));
        Assert.Equal("[parameters('storageSkuName')]", Text(storage, storage.Resource["sku"]!["name"]));
        var skus = MainParameter("storageSkuName")["allowedValues"]!.AsArray().Select(v => v!.GetValue<string>()).ToList();
        Assert.Contains("Standard_ZRS", skus);
        Assert.Contains("Standard_GZRS", skus);
        // Functions needs blobs, queues and tables: general-purpose v2 standard accounts only.
        Assert.All(skus, s => Assert.StartsWith("Standard_", s, StringComparison.Ordinal));
        Assert.Equal("Standard_LRS", MainParameter("storageSkuName")["defaultValue"]!.GetValue<string>());
        Assert.Equal("${AZURE_STORAGE_SKU=Standard_LRS}", AzdValue("storageSkuName"));

        var plan = Assert.Single(Infra.OfType("Microsoft.Web/serverfarms"));
        Assert.Equal("[parameters('zoneRedundant')]", Text(plan, plan.Properties!["zoneRedundant"]));
        Assert.Equal("bool", MainParameter("zoneRedundant")["type"]!.GetValue<string>());
        Assert.False(MainParameter("zoneRedundant")["defaultValue"]!.GetValue<bool>());
        Assert.Equal("${AZURE_ZONE_REDUNDANT=false}", AzdValue("zoneRedundant"));
    }

    [Fact]
    public void The_deployer_role_leaves_the_principal_type_to_ARM()
    {
        var deployer = Assert.Single(Infra.OfType("Microsoft.Authorization/roleAssignments"),
            r => Text(r, r.Properties!["principalId"]) == "[parameters('deployerPrincipalId')]");

        Assert.Null(deployer.Properties!["principalType"]);
        Assert.Null(Infra.Main["parameters"]!["deployerPrincipalType"]);
        Assert.DoesNotContain("AZURE_PRINCIPAL_TYPE", File.ReadAllText(Path.Combine(CompiledInfra.InfraDirectory, "main.parameters.json")), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(".vault.azure.net", "privatelink.vaultcore.azure.net")] // AzureCloud
    [InlineData(".vault.usgovcloudapi.net", "privatelink.vaultcore.usgovcloudapi.net")] // AzureUSGovernment
    [InlineData(".vault.azure.cn", "privatelink.vaultcore.azure.cn")] // AzureChinaCloud
    public void The_vault_private_dns_zone_is_the_one_of_the_cloud_deployed_to(string keyvaultDns, string zone)
    {
        var network = Infra.ModuleScope("network");
        var zoneResource = Assert.Single(Infra.OfType("Microsoft.Network/privateDnsZones"), z => z.Resource["name"]!.GetValue<string>() == "[variables('vaultZoneName')]");
        Assert.Equal("network", zoneResource.Scope.Name);

        // Evaluate the compiled expression for that cloud's environment().suffixes.keyvaultDns.
        var replace = VaultZoneExpression().Match(network.Template["variables"]!["vaultZoneName"]!.GetValue<string>());
        Assert.True(replace.Success, "the vault zone must be derived from environment().suffixes.keyvaultDns");
        Assert.Equal(zone, keyvaultDns.Replace(replace.Groups["from"].Value, replace.Groups["to"].Value, StringComparison.Ordinal));
    }

    [Fact]
    public void With_private_networking_only_named_public_addresses_pass_the_firewalls()
    {
        Assert.Equal("${ENABLE_PRIVATE_NETWORKING=false}", AzdValue("enablePrivateNetworking"));
        Assert.Equal("${KEY_VAULT_ALLOWED_IP_RANGES}", AzdValue("vaultAllowedIpRanges"));
        Assert.Equal("${STORAGE_ALLOWED_IP_RANGES}", AzdValue("storageAllowedIpRanges"));

        foreach (var resource in new[] { Assert.Single(Infra.OfType("Microsoft.KeyVault/vaults")), Assert.Single(Infra.OfType("Microsoft.Storage/storageAccounts")) })
        {
            var p = resource.Properties!;
            // Closed entirely unless some addresses are named; rules apply only with private networking.
            Assert.Equal("[if(and(parameters('privateNetworking'), empty(parameters('allowedIpRanges'))), 'Disabled', 'Enabled')]", p["publicNetworkAccess"]!.GetValue<string>());
            Assert.Equal("[if(parameters('privateNetworking'), 'Deny', 'Allow')]", p["networkAcls"]!["defaultAction"]!.GetValue<string>());
            Assert.StartsWith("[if(parameters('privateNetworking'), map(parameters('allowedIpRanges')", p["networkAcls"]!["ipRules"]!.GetValue<string>(), StringComparison.Ordinal);
        }

        // The comma-separated azd values become lists without blanks.
        Assert.Equal("[filter(map(split(parameters('vaultAllowedIpRanges'), ','), lambda('range', trim(lambdaVariables('range')))), lambda('range', not(empty(lambdaVariables('range')))))]",
            Infra.Main["variables"]!["vaultIpRanges"]!.GetValue<string>());
        Assert.Equal("[variables('vaultIpRanges')]", Infra.Module("keyVault").Properties!["parameters"]!["allowedIpRanges"]!["value"]!.GetValue<string>());
        Assert.Equal("[variables('storageIpRanges')]", Infra.Module("storage").Properties!["parameters"]!["allowedIpRanges"]!["value"]!.GetValue<string>());
    }

    [GeneratedRegex(@"variables\('[^']+'\)(\.\w+)+")]
    private static partial Regex RoleVariable();

    [GeneratedRegex(@"^\[resourceId\('Microsoft\.Storage/storageAccounts/queueServices/queues', parameters\('storageAccountName'\), '(?<service>[^']+)', parameters\('(?<queue>[^']+)'\)\)\]$")]
    private static partial Regex QueueScope();

    [GeneratedRegex(@"Microsoft\.Storage/storageAccounts/(\w+)'")]
    private static partial Regex StorageService();

    [GeneratedRegex(@"^\[replace\(environment\(\)\.suffixes\.keyvaultDns, '(?<from>[^']+)', '(?<to>[^']+)'\)\]$")]
    private static partial Regex VaultZoneExpression();
}
