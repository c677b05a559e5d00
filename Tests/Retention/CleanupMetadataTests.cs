using System.Text.Json;
using FlexFunctions.Tests.Infrastructure;

namespace FlexFunctions.Tests.Retention;

public sealed class CleanupMetadataTests
{
    [Fact]
    public void The_cleanup_timer_reads_its_schedule_from_the_StorageCleanupSchedule_setting_and_never_runs_on_startup()
    {
        var timer = FunctionMetadata.Get("StorageCleanupTimer");

        Assert.Equal("timerTrigger", timer.TriggerType);
        Assert.Equal("%StorageCleanupSchedule%", timer.Property("schedule"));
        Assert.False(timer.Trigger.TryGetProperty("runOnStartup", out var onStartup) && onStartup.ValueKind == JsonValueKind.True);
    }

    [Fact]
    public void The_sample_settings_carry_a_six_field_cleanup_schedule_apart_from_the_catalog_refresh()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(RepoPaths.Of("local.settings.sample.json")));
        var values = doc.RootElement.GetProperty("Values");
        var schedule = values.GetProperty("StorageCleanupSchedule").GetString()!;

        Assert.Equal(6, schedule.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.NotEqual(values.GetProperty("CatalogRefreshSchedule").GetString(), schedule);
    }
}
