using System.Text.Json.Nodes;
using FlexFunctions.Tests.Infrastructure;

namespace FlexFunctions.Tests.Infra;

/// <summary>
/// The app can only be deployed to a US region that offers Flex Consumption: FlexShopper answers callers outside the
/// US with a page that is not JSON (its own Magento module catches it), so a deployment elsewhere would fail every
/// call. No module can put a resource anywhere else, and the README says why.
/// </summary>
public sealed class RegionTests
{
    /// <summary>The US regions offering Flex Consumption (Microsoft's Flex Consumption azd template, Feb 2026).</summary>
    private static readonly string[] UsFlexConsumptionRegions =
        ["centralus", "eastus", "eastus2", "northcentralus", "southcentralus", "westcentralus", "westus", "westus2", "westus3"];

    private static JsonObject Location => CompiledInfra.Instance.Main["parameters"]!["location"]!.AsObject();

    [Fact]
    public void The_location_is_one_of_the_us_regions_that_offer_flex_consumption()
    {
        var allowed = Location["allowedValues"]!.AsArray().Select(v => v!.GetValue<string>()).ToList();

        Assert.Equal(UsFlexConsumptionRegions, allowed);
        Assert.All(allowed, region => Assert.Matches("^(central|east|north|south|west)[a-z]*us[23]?$", region));
        Assert.DoesNotContain("westeurope", allowed);
        Assert.DoesNotContain("eastus2euap", allowed); // a canary region, not for a store's money
        Assert.Null(Location["defaultValue"]); // chosen on purpose, never defaulted
        Assert.Equal("location", Location["metadata"]!["azd"]!["type"]!.GetValue<string>()); // azd offers only these
        Assert.Contains("US", Location["metadata"]!["description"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public void Every_resource_is_placed_by_that_one_parameter()
    {
        var main = CompiledInfra.Instance.Main;
        Assert.Equal(["location"], main["parameters"]!.AsObject().Select(p => p.Key).Where(k => k.Contains("location", StringComparison.OrdinalIgnoreCase)));
        foreach (var file in Directory.EnumerateFiles(Path.Combine(CompiledInfra.InfraDirectory, "modules"), "*.bicep"))
        {
            var text = File.ReadAllText(file);
            Assert.DoesNotContain("resourceGroup().location", text, StringComparison.Ordinal);
            Assert.DoesNotMatch(@"param location string\s*=", text); // a module takes main's location, never its own default
        }

        Assert.Equal("${AZURE_LOCATION}", JsonNode.Parse(File.ReadAllText(Path.Combine(CompiledInfra.InfraDirectory, "main.parameters.json")))!["parameters"]!["location"]!["value"]!.GetValue<string>());
    }

    [Fact]
    public void The_readme_says_why_the_region_must_be_in_the_us()
    {
        var readme = File.ReadAllText(RepoPaths.Of("README.md"));

        Assert.Contains("US regions only", readme, StringComparison.Ordinal);
        Assert.Contains("outside the US", readme, StringComparison.Ordinal);
        Assert.All(UsFlexConsumptionRegions, region => Assert.Contains(region, readme, StringComparison.Ordinal));
    }
}
