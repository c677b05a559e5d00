using FlexFunctions.Benchmarks.Common;

namespace FlexFunctions.Tests.Benchmarks;

/// <summary>
/// A benchmark's command line either runs exactly what was asked or stops with usage and exit code 2: a figure from
/// a silently ignored option (a README line pasted with its brackets) is worse than no figure.
/// </summary>
public sealed class BenchArgumentsTests
{
    private static (BenchArguments Cli, CommonOptions Common, Func<int> Seconds) Declare()
    {
        var cli = new BenchArguments("HttpPath", "test");
        var common = new CommonOptions(cli, latencies: [0, 3], upstreamDelays: [0]);
        var seconds = cli.Int("--seconds", 3, "seconds", 1, 60);
        return (cli, common, seconds);
    }

    [Theory]
    [InlineData("[--upstream-delay-ms", "20]")] // pasted from a README with its brackets
    [InlineData("--upstream-delay", "20")] // a misspelt option
    [InlineData("--storage-latency-ms")] // no value
    [InlineData("--storage-latency-ms", "--seconds", "2")] // the next option taken for a value
    [InlineData("--storage-latency-ms", "3ms")] // malformed
    [InlineData("--storage-latency-ms", "3,,5")] // an empty item
    [InlineData("--storage-latency-ms", "-1")] // out of range
    [InlineData("--seconds", "2.5")] // not a whole number
    [InlineData("--seconds", "0")] // below its minimum
    [InlineData("--seconds", "2", "--seconds", "3")] // twice
    [InlineData("--seconds", "2", "extra")] // a stray word
    public void Refuses_what_it_cannot_run_exactly(params string[] args)
    {
        var (cli, _, _) = Declare();

        Assert.False(cli.TryParse(args, out var exitCode));
        Assert.Equal(BenchArguments.UsageExitCode, exitCode);
    }

    [Fact]
    public void Reads_the_common_options_and_its_own()
    {
        var (cli, common, seconds) = Declare();

        Assert.True(cli.TryParse(["--storage-latency-ms", "0,3.5", "--upstream-delay-ms", "50", "--seconds", "7", "--emulator-pid", "42"], out var exitCode));

        Assert.Equal(0, exitCode);
        Assert.Equal(new[] { 0, 3.5 }, common.StorageLatenciesMs);
        Assert.Equal(new[] { 50.0 }, common.UpstreamDelaysMs);
        Assert.Equal(7, seconds());
        Assert.Equal(42, common.EmulatorPid);
    }

    [Fact]
    public void Defaults_apply_when_nothing_is_given()
    {
        var (cli, common, seconds) = Declare();

        Assert.True(cli.TryParse([], out _));

        Assert.Equal(new[] { 0.0, 3 }, common.StorageLatenciesMs);
        Assert.Equal(new[] { 0.0 }, common.UpstreamDelaysMs);
        Assert.Equal(3, seconds());
        Assert.Null(common.EmulatorPid);
    }

    [Fact]
    public void Help_stops_without_an_error_and_the_usage_names_every_option()
    {
        var (cli, _, _) = Declare();

        Assert.False(cli.TryParse(["--help"], out var exitCode));

        Assert.Equal(0, exitCode);
        foreach (var option in new[] { "--storage ", "--storage-latency-ms", "--upstream-delay-ms", "--emulator-pid", "--seconds", "--help" })
        {
            Assert.Contains(option, cli.Usage, StringComparison.Ordinal);
        }
    }
}
