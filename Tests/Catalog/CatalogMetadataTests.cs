using System.Text.Json;
using FlexFunctions.Tests.Infrastructure;

namespace FlexFunctions.Tests.Catalog;

public sealed class CatalogMetadataTests
{
    [Fact]
    public void The_timer_reads_its_schedule_from_the_CatalogRefreshSchedule_setting_and_never_runs_on_startup()
    {
        var timer = FunctionMetadata.Get("CatalogRefreshTimer");

        Assert.Equal("timerTrigger", timer.TriggerType);
        Assert.Equal("%CatalogRefreshSchedule%", timer.Property("schedule"));
        Assert.False(timer.Trigger.TryGetProperty("runOnStartup", out var onStartup) && onStartup.ValueKind == JsonValueKind.True);
    }

    [Theory]
    [InlineData("CatalogRefreshNow", "v1/admin/catalog/refresh", "Admin", "POST")]
    [InlineData("CatalogList", "v1/catalog/products", "Function", "GET")]
    [InlineData("CatalogGetProduct", "v1/catalog/products/{sku}", "Function", "GET")]
    [InlineData("CatalogStatus", "v1/catalog/status", "Function", "GET")]
    [InlineData("CatalogLeaseSettings", "v1/catalog/lease-settings", "Function", "GET")]
    public void Catalog_http_functions_have_their_routes_and_auth_levels(string name, string route, string authLevel, string method)
    {
        var function = FunctionMetadata.Get(name);

        Assert.Equal("httpTrigger", function.TriggerType);
        Assert.Equal(route, function.Route);
        Assert.Equal(authLevel, function.AuthLevel);
        Assert.Equal([method], function.Methods);
    }

    [Fact]
    public void The_sample_settings_carry_a_six_field_schedule()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(RepoPaths.Of("local.settings.sample.json")));
        var schedule = doc.RootElement.GetProperty("Values").GetProperty("CatalogRefreshSchedule").GetString()!;

        Assert.Equal(6, schedule.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
    }
}
