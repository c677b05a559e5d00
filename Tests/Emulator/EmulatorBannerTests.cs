using FlexShopper.Emulator;

namespace FlexFunctions.Tests.Emulator;

/// <summary>The emulator's start-up line says where it listens and never prints a key (consoles end up in CI logs and issues).</summary>
public sealed class EmulatorBannerTests
{
    [Fact]
    public void The_banner_names_the_url_and_how_many_keys_but_no_key()
    {
        var defaults = EmulatorApp.Banner(new EmulatorOptions(), "http://127.0.0.1:5080");
        var custom = EmulatorApp.Banner(new EmulatorOptions { ApiKeys = ["sandbox-key-7f3a", "rotated-key-9c2e"] }, "http://127.0.0.1:5080");

        Assert.StartsWith("FlexShopper emulator: http://127.0.0.1:5080/v3/", defaults, StringComparison.Ordinal);
        Assert.Contains("the 2 local defaults", defaults, StringComparison.Ordinal);
        Assert.Contains("2 from Emulator:ApiKeys", custom, StringComparison.Ordinal);
        foreach (var key in EmulatorOptions.DefaultApiKeys)
        {
            Assert.DoesNotContain(key, defaults, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("sandbox-key-7f3a", custom, StringComparison.Ordinal);
        Assert.DoesNotContain("rotated-key-9c2e", custom, StringComparison.Ordinal);
    }
}
