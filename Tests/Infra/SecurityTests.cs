using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace FlexFunctions.Tests.Infra;

/// <summary>Least privilege, identity-only access and transport security, read from the compiled ARM JSON.</summary>
public sealed partial class SecurityTests
{
    private static CompiledInfra Infra => CompiledInfra.Instance;

    [Fact]
    public void App_identity_gets_exactly_the_five_data_plane_roles_on_the_right_resources()
    {
        var expected = new[]
        {
            (Role: "4633458b-17de-408a-b874-0445c86b69e6", Scope: "Microsoft.KeyVault/vaults"), // Key Vault Secrets User
            (Role: "b7e6dc6d-f1e8-4753-8033-0f276bb0955b", Scope: "Microsoft.Storage/storageAccounts"), // Storage Blob Data Owner
            (Role: "974c5e8b-45b9-4653-ba55-5f855dd0fb88", Scope: "Microsoft.Storage/storageAccounts"), // Storage Queue Data Contributor
            (Role: "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3", Scope: "Microsoft.Storage/storageAccounts"), // Storage Table Data Contributor
            (Role: "3913510d-42f4-4e42-8a64-420c390055eb", Scope: "Microsoft.Insights/components"), // Monitoring Metrics Publisher
        };
        var appIdentityName = Infra.Module("identity").Scope.ResolveText(Infra.Module("identity").Properties!["parameters"]!["name"]!["value"]);

        var granted = Assignments().Where(a => a.Principal == "app:" + appIdentityName).Select(a => (a.Role, a.Scope)).ToList();

        Assert.Equal(expected.OrderBy(e => e.Role), granted.OrderBy(g => g.Role));
        Assert.All(Assignments().Where(a => a.Principal.StartsWith("app:", StringComparison.Ordinal)),
            a => Assert.Equal("ServicePrincipal", a.PrincipalType));
    }

    [Fact]
    public void Besides_the_app_identity_only_the_deployer_and_the_warehouse_get_a_role_each_on_one_resource()
    {
        var appIdentityName = Infra.Module("identity").Scope.ResolveText(Infra.Module("identity").Properties!["parameters"]!["name"]!["value"]);
        var others = Assignments().Where(a => a.Principal != "app:" + appIdentityName).OrderBy(a => a.Principal, StringComparer.Ordinal).ToList();

        Assert.Equal(2, others.Count);
        var (deployer, warehouse) = (others[0], others[1]);
        Assert.Equal("[parameters('deployerPrincipalId')]", deployer.Principal);
        Assert.Equal("b86a8fe4-44ce-4948-aee5-eccb2c155cd7", deployer.Role); // Key Vault Secrets Officer
        Assert.Equal("Microsoft.KeyVault/vaults", deployer.Scope);
        Assert.Contains("empty(parameters('deployerPrincipalId'))", deployer.Condition, StringComparison.Ordinal);

        Assert.Equal("[parameters('warehouseSenderPrincipalId')]", warehouse.Principal);
        Assert.Equal("c6a89b2d-59bc-44d0-9896-0f6e12d7b80a", warehouse.Role); // Storage Queue Data Message Sender
        Assert.Equal("Microsoft.Storage/storageAccounts/queueServices/queues", warehouse.Scope);
        Assert.Contains("empty(parameters('warehouseSenderPrincipalId'))", warehouse.Condition, StringComparison.Ordinal);
    }

    [Fact]
    public void Storage_accepts_only_entra_id_over_https_with_tls_1_2()
    {
        var accounts = Infra.OfType("Microsoft.Storage/storageAccounts").ToList();
        Assert.NotEmpty(accounts);
        foreach (var account in accounts)
        {
            var p = account.Properties!;
            Assert.False(p["allowSharedKeyAccess"]!.GetValue<bool>(), "shared-key access must be off");
            Assert.True(p["defaultToOAuthAuthentication"]!.GetValue<bool>());
            Assert.False(p["allowBlobPublicAccess"]!.GetValue<bool>());
            Assert.True(p["supportsHttpsTrafficOnly"]!.GetValue<bool>());
            Assert.Equal("TLS1_2", p["minimumTlsVersion"]!.GetValue<string>());
        }

        Assert.All(Infra.OfType("Microsoft.Storage/storageAccounts/blobServices/containers"),
            c => Assert.Equal("None", c.Properties!["publicAccess"]!.GetValue<string>()));
    }

    [Fact]
    public void Key_vault_uses_rbac_with_soft_delete_and_purge_protection_and_holds_no_secret()
    {
        var vault = Assert.Single(Infra.OfType("Microsoft.KeyVault/vaults"));
        var p = vault.Properties!;
        Assert.True(p["enableRbacAuthorization"]!.GetValue<bool>());
        Assert.True(p["enableSoftDelete"]!.GetValue<bool>());
        Assert.True(p["enablePurgeProtection"]!.GetValue<bool>());
        Assert.Null(p["accessPolicies"]);
        Assert.Empty(Infra.OfType("Microsoft.KeyVault/vaults/secrets"));
    }

    [Fact]
    public void Function_app_is_https_only_with_tls_1_2_and_no_basic_publishing()
    {
        var site = Assert.Single(Infra.OfType("Microsoft.Web/sites"));
        var p = site.Properties!;
        Assert.True(p["httpsOnly"]!.GetValue<bool>());
        Assert.Equal("1.2", p["siteConfig"]!["minTlsVersion"]!.GetValue<string>());
        Assert.Equal("1.2", p["siteConfig"]!["scmMinTlsVersion"]!.GetValue<string>());
        Assert.Equal("Disabled", p["siteConfig"]!["ftpsState"]!.GetValue<string>());

        var policies = Infra.OfType("Microsoft.Web/sites/basicPublishingCredentialsPolicies").ToList();
        Assert.Equal(2, policies.Count);
        Assert.All(policies, policy => Assert.False(policy.Properties!["allow"]!.GetValue<bool>()));
    }

    [Fact]
    public void Function_app_runs_dotnet_isolated_10_on_flex_consumption_as_the_user_assigned_identity()
    {
        var plan = Assert.Single(Infra.OfType("Microsoft.Web/serverfarms"));
        Assert.Equal("FlexConsumption", plan.Resource["sku"]!["tier"]!.GetValue<string>());
        Assert.Equal("FC1", plan.Resource["sku"]!["name"]!.GetValue<string>());

        var site = Assert.Single(Infra.OfType("Microsoft.Web/sites"));
        Assert.Equal("UserAssigned", site.Resource["identity"]!["type"]!.GetValue<string>());
        var config = site.Properties!["functionAppConfig"]!;
        Assert.Equal("dotnet-isolated", config["runtime"]!["name"]!.GetValue<string>());
        Assert.Equal("10.0", config["runtime"]!["version"]!.GetValue<string>());
        var deployment = config["deployment"]!["storage"]!;
        Assert.Equal("blobContainer", deployment["type"]!.GetValue<string>());
        Assert.Equal("UserAssignedIdentity", deployment["authentication"]!["type"]!.GetValue<string>());
        Assert.Equal("[parameters('identityId')]", deployment["authentication"]!["userAssignedIdentityResourceId"]!.GetValue<string>());
    }

    [Fact]
    public void Monitoring_accepts_only_entra_id_telemetry()
    {
        var insights = Assert.Single(Infra.OfType("Microsoft.Insights/components"));
        Assert.True(insights.Properties!["DisableLocalAuth"]!.GetValue<bool>());
        var workspace = Assert.Single(Infra.OfType("Microsoft.OperationalInsights/workspaces"));
        Assert.True(workspace.Properties!["features"]!["disableLocalAuth"]!.GetValue<bool>());
    }

    [Fact]
    public void Private_networking_is_optional_and_covers_storage_and_key_vault()
    {
        var network = Infra.Module("network");
        Assert.Equal("[parameters('enablePrivateNetworking')]", network.Resource["condition"]!.GetValue<string>());

        var groups = Infra.OfType("Microsoft.Network/privateEndpoints")
            .SelectMany(e => e.Properties!["privateLinkServiceConnections"]!.AsArray())
            .Select(c => c!["properties"]!["groupIds"]!.ToJsonString())
            .ToList();
        Assert.Contains("[\"vault\"]", groups);
        // The storage endpoints are one copy loop over blob, queue and table.
        Assert.Contains(groups, g => g.Contains("storageServices", StringComparison.Ordinal));
        var services = network.Properties!["template"]!["variables"]!["storageServices"]!.AsArray().Select(s => s!.GetValue<string>());
        Assert.Equal(["blob", "queue", "table"], services);

        var storage = Assert.Single(Infra.OfType("Microsoft.Storage/storageAccounts"));
        Assert.Contains("privateNetworking", storage.Properties!["publicNetworkAccess"]!.GetValue<string>(), StringComparison.Ordinal);
        var vault = Assert.Single(Infra.OfType("Microsoft.KeyVault/vaults"));
        Assert.Contains("privateNetworking", vault.Properties!["publicNetworkAccess"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    private sealed record Assignment(string Role, string Scope, string Principal, string PrincipalType, string Condition);

    /// <summary>
    /// Each role assignment with its role GUID, the resource type it is scoped to, and its principal: "app:" plus
    /// the identity name it reads the principal id from, or the resolved expression otherwise.
    /// </summary>
    private static List<Assignment> Assignments()
    {
        var result = new List<Assignment>();
        foreach (var assignment in Infra.OfType("Microsoft.Authorization/roleAssignments"))
        {
            var p = assignment.Properties!;
            var roleExpression = p["roleDefinitionId"]!.GetValue<string>();
            var role = Guid().Match(roleExpression) is { Success: true } literal
                ? literal.Value
                : assignment.Scope.Resolve(JsonValue.Create($"[{RoleVariable().Match(roleExpression).Value}]")).Value!.GetValue<string>();

            var scope = ScopeType().Match(assignment.Resource["scope"]?.GetValue<string>() ?? "") is { Success: true } s ? s.Groups[1].Value : "(deployment scope)";

            var principalExpression = p["principalId"]!.GetValue<string>();
            var identity = IdentityReference().Match(principalExpression);
            var principal = identity.Success
                ? "app:" + assignment.Scope.ResolveText(JsonValue.Create($"[parameters('{identity.Groups[1].Value}')]"))
                : assignment.Scope.ResolveText(p["principalId"]);

            var principalType = assignment.Scope.Resolve(p["principalType"]).Value?.ToString() ?? "";
            result.Add(new Assignment(role, scope, principal, principalType, assignment.Resource["condition"]?.ToString() ?? ""));
        }

        Assert.NotEmpty(result);
        return result;
    }

    [GeneratedRegex("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")]
    private static partial Regex Guid();

    [GeneratedRegex(@"variables\('[^']+'\)(\.\w+)+")]
    private static partial Regex RoleVariable();

    [GeneratedRegex(@"^\[(?:extensionR|r)esourceId\('([^']+)'")]
    private static partial Regex ScopeType();

    [GeneratedRegex(@"^\[reference\(resourceId\('Microsoft\.ManagedIdentity/userAssignedIdentities', parameters\('([^']+)'\)\), '[^']+'\)\.principalId\]$")]
    private static partial Regex IdentityReference();
}
