using FlexFunctions.Shared.Retention;
using FlexFunctions.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace FlexFunctions.Tests.Retention;

/// <summary>Start-up refuses a retention shorter than what its table's own rules rely on, naming the setting.</summary>
public sealed class RetentionSettingsTests
{
    [Theory]
    [InlineData("Retention:IdempotencyUnknown", "12:00:00", "Retention__IdempotencyUnknown")] // the 12-hour session could still retry
    [InlineData("Retention:KeyRing", "06:00:00", "Retention__KeyRing")] // a key must outlive the sessions it sealed
    [InlineData("Retention:RateLimits", "00:40:00", "Retention__RateLimits")] // window 15 min + hold 1 + lockout 30
    [InlineData("Retention:ConfirmationLedger", "60.00:00:00", "Retention__ConfirmationLedger")] // under failed events' 90 days + 7
    [InlineData("Retention:PlatformDeliveries", "2.00:00:00", "Retention__PlatformDeliveries")]
    public void A_retention_too_short_for_its_table_stops_start_up_naming_it(string setting, string value, string named)
    {
        var settings = TestServices.DefaultSettings("http://127.0.0.1:9/v3/", withStorage: false);
        settings[setting] = value;
        using var app = TestServices.Build(settings);

        var error = Assert.Throws<OptionsValidationException>(() => app.Get<IOptions<RetentionOptions>>().Value);

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_defaults_hold_every_rule()
    {
        using var app = TestServices.Build(TestServices.DefaultSettings("http://127.0.0.1:9/v3/", withStorage: false));

        var retention = app.Get<IOptions<RetentionOptions>>().Value;

        Assert.Equal(TimeSpan.FromDays(8), retention.IdempotencyUnknown);
        Assert.Equal(TimeSpan.FromDays(400), retention.ConfirmationLedger);
    }
}
