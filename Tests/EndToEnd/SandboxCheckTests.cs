using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using FlexFunctions.Tests.Infrastructure;
using Xunit.Abstractions;

namespace FlexFunctions.Tests.EndToEnd;

/// <summary>
/// <c>scripts/sandbox-check.sh</c> run as a user runs it, against a real emulator process on 127.0.0.1, so it cannot rot
/// before the first sandbox key arrives: every assumption is held or, where the emulator cannot tell, could not be
/// checked (decided line by line below); a deliberately wrong emulator setting makes it print <c>refuted</c> and fail;
/// the setting it then names makes the line hold again; and the key is never printed.
/// </summary>
public sealed class SandboxCheckTests(ITestOutputHelper output)
{
    /// <summary>Against the emulator, every line holds except the pay-date field, which no answer of FlexShopper shows.</summary>
    private static readonly Dictionary<string, string> Expected = new(StringComparer.Ordinal)
    {
        ["CreateUser"] = "held",
        ["UserExists"] = "held",
        ["ListUsers"] = "held",
        ["GetMe"] = "held",
        ["SendPasscode"] = "held",
        ["PasscodeLogin"] = "held",
        ["RoutingNumber"] = "held",
        ["Apply"] = "held",
        ["NextPayDateField"] = "could not check",
        ["DeepUserExists"] = "held",
        ["ChildTransactionKey"] = "held",
        ["AddPaymentMethod"] = "held",
        ["CustomerPaymentMethods"] = "held",
        ["VerifyQuestions"] = "held",
        ["VerifyAnswers"] = "held",
        ["Products"] = "held",
        ["CreateLease"] = "held",
        ["GetLease"] = "held",
        ["SignLease"] = "held",
        ["ListTransactions"] = "held",
        ["TransactionNumbers"] = "held",
        ["ConfirmReceipt"] = "held",
        ["ReturnItems"] = "held",
        ["Checkout"] = "held",
    };

    [Fact]
    public async Task Against_the_emulator_every_assumption_holds_or_cannot_be_told_and_the_check_exits_0()
    {
        await using var emulator = await EmulatorProcess.StartAsync();

        var run = await SandboxCheckAsync(emulator);

        Assert.Equal(Expected, run.Verdicts);
        Assert.Equal(Expected.Keys, run.Verdicts.Keys); // one line each, in the documented order
        Assert.True(run.ExitCode == 0, run.Everything);
        Assert.Contains("23 held, 0 refuted, 1 could not check", run.Error, StringComparison.Ordinal);
        AssertNothingSecretPrinted(run, emulator.Key);
    }

    [Fact]
    public async Task A_rule_the_emulator_adds_does_not_trouble_the_check()
    {
        await using var emulator = await EmulatorProcess.StartAsync("--Emulator:Strictness:RequireFinalizeBeforeDelivery=true", "--Emulator:Strictness:ReturnOnlyDelivered=true");

        var run = await SandboxCheckAsync(emulator);

        Assert.Equal(Expected, run.Verdicts);
        Assert.True(run.ExitCode == 0, run.Everything);
    }

    [Fact]
    public async Task An_emulator_answering_return_items_elsewhere_is_refuted_and_the_setting_it_names_makes_it_hold()
    {
        await using var emulator = await EmulatorProcess.StartAsync("--Emulator:ReturnItemsPath=return-items");

        var refuted = await SandboxCheckAsync(emulator);
        var fixedBySetting = await SandboxCheckAsync(emulator, "--return-items-path", "return-items");

        Assert.Equal(Expected.ToDictionary(e => e.Key, e => e.Key == "ReturnItems" ? "refuted" : e.Value), refuted.Verdicts);
        Assert.True(refuted.ExitCode == 1, refuted.Everything);
        var line = Assert.Single(refuted.Lines, l => l.StartsWith("refuted: ReturnItems ", StringComparison.Ordinal));
        Assert.Contains("return answered 404", line, StringComparison.Ordinal);
        Assert.Contains("set FlexShopper__ReturnItemsPath=return-items", line, StringComparison.Ordinal);
        Assert.Contains("22 held, 1 refuted, 1 could not check", refuted.Error, StringComparison.Ordinal);
        Assert.Equal(Expected, fixedBySetting.Verdicts);
        Assert.Equal(0, fixedBySetting.ExitCode);
        AssertNothingSecretPrinted(refuted, emulator.Key);
    }

    [Fact]
    public async Task Without_a_key_or_against_production_it_refuses_to_run()
    {
        var noKey = await RunAsync(["--base-url", "http://127.0.0.1:9/v3/"], key: null);
        var production = await RunAsync(["--base-url", "https://apis.flexshopper.com/v3/"], key: "some-key");

        Assert.Equal(2, noKey.ExitCode);
        Assert.Contains("FLEXSHOPPER_API_KEY", noKey.Error, StringComparison.Ordinal);
        Assert.Equal(2, production.ExitCode);
        Assert.Contains("never runs against production", production.Error, StringComparison.Ordinal);
        Assert.Empty(noKey.Lines);
        Assert.Empty(production.Lines);
    }

    private async Task<CheckRun> SandboxCheckAsync(EmulatorProcess emulator, params string[] extra) =>
        await RunAsync(["--base-url", emulator.BaseUrl, .. extra], emulator.Key);

    private async Task<CheckRun> RunAsync(string[] args, string? key)
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(RepoPaths.Of("scripts", "sandbox-check.sh"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        // The test build already built the check (Tests references it); the script runs that output.
        info.Environment["SANDBOX_CHECK_NO_BUILD"] = "1";
        info.Environment["SANDBOX_CHECK_CONFIGURATION"] = EmulatorProcess.Configuration;
        info.Environment.Remove("FLEXSHOPPER_API_KEY");
        if (key is not null)
        {
            info.Environment["FLEXSHOPPER_API_KEY"] = key;
        }

        var watch = Stopwatch.StartNew();
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true); // only the check this test started
            throw;
        }

        var run = new CheckRun(process.ExitCode, await stdout, await stderr);
        output.WriteLine($"sandbox-check {string.Join(' ', args)} -> exit {run.ExitCode} in {watch.Elapsed.TotalSeconds:F1} s\n{run.Everything}");
        return run;
    }

    private static void AssertNothingSecretPrinted(CheckRun run, string key)
    {
        foreach (var secret in new[] { key, "123456781", "123456789", "000123456789", "1990-01-31" })
        {
            Assert.DoesNotContain(secret, run.Everything, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("eyJ", run.Everything, StringComparison.Ordinal); // the emulator's customer tokens and lease ids
    }

    private sealed record CheckRun(int ExitCode, string Output, string Error)
    {
        public IReadOnlyList<string> Lines => Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

        /// <summary>Each line's verdict by its assumption id; a line of any other form fails the test.</summary>
        public Dictionary<string, string> Verdicts => Lines.Select(line =>
        {
            var verdict = new[] { "held", "refuted", "could not check" }.FirstOrDefault(v => line.StartsWith(v + ": ", StringComparison.Ordinal))
                          ?? throw new Xunit.Sdk.XunitException("a line that is no verdict: " + line);
            var id = line[(verdict.Length + 2)..].Split(' ')[0];
            return KeyValuePair.Create(id, verdict);
        }).ToDictionary(StringComparer.Ordinal);

        public string Everything => Output + Error;
    }

    /// <summary>The emulator as its own process on a free 127.0.0.1 port, with a key of its own; stopped by its process id.</summary>
    private sealed class EmulatorProcess : IAsyncDisposable
    {
        private readonly Process _process;

        private EmulatorProcess(Process process, string baseUrl, string key)
        {
            _process = process;
            BaseUrl = baseUrl;
            Key = key;
        }

        /// <summary>Release or Debug: whichever this test assembly was built as, so the emulator and the check match it.</summary>
        public static string Configuration { get; } = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;

        public string BaseUrl { get; }

        public string Key { get; }

        public static async Task<EmulatorProcess> StartAsync(params string[] settings)
        {
            var dll = RepoPaths.Of("Emulator", "bin", Configuration, "net10.0", "FlexShopper.Emulator.dll");
            Assert.True(File.Exists(dll), $"the emulator is not built at {dll}");
            var port = Azurite.FreePort();
            var key = "sandbox-check-key-" + Guid.NewGuid().ToString("N");
            var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var arg in new[] { dll, "--urls", $"http://127.0.0.1:{port}", "--Emulator:ApiKeys:0=" + key }.Concat(settings))
            {
                info.ArgumentList.Add(arg);
            }

            var process = Process.Start(info)!;
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var emulator = new EmulatorProcess(process, $"http://127.0.0.1:{port}/v3/", key);
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (true)
            {
                try
                {
                    using var client = new TcpClient();
                    await client.ConnectAsync(IPAddress.Loopback, port);
                    return emulator;
                }
                catch (SocketException) when (DateTime.UtcNow < deadline && !process.HasExited)
                {
                    await Task.Delay(100);
                }
                catch (SocketException)
                {
                    await emulator.DisposeAsync();
                    throw new InvalidOperationException($"the emulator did not listen on {port} (exited: {process.HasExited})");
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }

            _process.Dispose();
        }
    }
}
