using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using FlexFunctions.Tests.Infrastructure;

namespace FlexFunctions.Tests.EndToEnd;

/// <summary>
/// The developer scripts fail loudly: <c>ff</c> returns non-zero on a transport error or a 4xx/5xx (unless told the
/// failure is expected), <c>run-local.sh</c> stops before starting anything when Core Tools are missing, and every
/// script keeps to what macOS's bash 3.2 has.
/// </summary>
public sealed partial class ScriptTests : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly int _port = FreePort();
    private readonly Task _serving;

    public ScriptTests()
    {
        _listener.Prefixes.Add($"http://127.0.0.1:{_port}/api/");
        _listener.Start();
        _serving = Task.Run(ServeAsync);
    }

    public void Dispose()
    {
        _listener.Close();
        _serving.Wait(TimeSpan.FromSeconds(5));
    }

    [Theory]
    [InlineData("ok", 200)]
    [InlineData("created", 201)]
    [InlineData("nobody", 404)]
    [InlineData("broken", 500)]
    [InlineData("busy", 503)]
    public async Task Ff_fails_on_a_4xx_or_5xx_and_prints_the_body_either_way(string path, int status)
    {
        var run = await Ff($"ff GET {path}");
        Assert.Equal($"{{\"status\":{status}}}", run.Output);
        if (status < 400)
        {
            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.Equal("", run.Error);
        }
        else
        {
            Assert.True(run.ExitCode == 1, run.ToString());
            Assert.Contains($"GET {path} answered {status}", run.Error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Ff_allows_an_expected_failure_when_told()
    {
        var run = await Ff("ff --allow-failure POST nobody '{\"a\":1}'");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("{\"status\":404}", run.Output);
    }

    [Fact]
    public async Task Ff_fails_with_curls_code_when_nothing_answers()
    {
        var closed = FreePort();
        var run = await Ff("ff GET ok", $"http://127.0.0.1:{closed}/api");
        Assert.True(run.ExitCode == 7, run.ToString()); // curl: could not connect
        Assert.Contains("no answer from", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_local_stops_before_starting_anything_when_Core_Tools_are_missing()
    {
        // A `func` that is there but broken is treated as missing, whatever this machine has installed.
        var bin = Directory.CreateTempSubdirectory("flexfunctions-nofunc-");
        try
        {
            var stub = Path.Combine(bin.FullName, "func");
            await File.WriteAllTextAsync(stub, "#!/bin/sh\nexit 127\n");
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(stub, UnixFileMode.UserRead | UnixFileMode.UserExecute);
            }

            var path = bin.FullName + ":" + Environment.GetEnvironmentVariable("PATH");
            var run = await Bash($"PATH='{path}' '{RepoPaths.Of("scripts", "run-local.sh")}'", "");

            Assert.True(run.ExitCode == 1, run.ToString());
            Assert.Contains("Core Tools 4", run.Error, StringComparison.Ordinal);
            Assert.Contains("nothing was started", run.Error, StringComparison.Ordinal);
            Assert.Contains("--no-func", run.Error, StringComparison.Ordinal);
            Assert.DoesNotContain("starting", run.Output, StringComparison.Ordinal);
        }
        finally
        {
            bin.Delete(recursive: true);
        }
    }

    public static TheoryData<string> Scripts => new(["run-local.sh", "local-api.sh", "seed-local.sh", "test.sh"]);

    /// <summary>What macOS's bash 3.2 and its userland lack: bash 4 syntax, setsid, GNU timeout, /proc.</summary>
    [Theory]
    [MemberData(nameof(Scripts))]
    public void A_script_uses_nothing_macOS_bash_3_2_lacks(string script)
    {
        var lines = File.ReadAllLines(RepoPaths.Of("scripts", script));
        var found = lines.Select((line, i) => (Line: i + 1, Text: line.TrimStart()))
            .Where(l => !l.Text.StartsWith('#') && Bash4Only().IsMatch(l.Text))
            .Select(l => $"{script}:{l.Line}: {l.Text}")
            .ToList();
        Assert.True(found.Count == 0, "not in bash 3.2 or macOS:\n" + string.Join("\n", found));
    }

    // Negative array indexes, associative arrays, mapfile, case conversion, |&, &>>, coproc, and tools macOS lacks.
    [GeneratedRegex(@"\[-[0-9]+\]|declare -A|local -A|\bmapfile\b|\breadarray\b|\$\{[A-Za-z_]+(,,|\^\^)\}|\|&|&>>|\bcoproc\b|\bsetsid\b|(^|[;&|(]\s*)timeout\s|/proc/", RegexOptions.CultureInvariant)]
    private static partial Regex Bash4Only();

    private Task<Run> Ff(string command, string? url = null) =>
        Bash($". '{RepoPaths.Of("scripts", "local-api.sh")}' && FUNCTIONS_URL='{url ?? $"http://127.0.0.1:{_port}/api"}' FF_MAX_TIME=10 {command}", "");

    private static async Task<Run> Bash(string script, string input)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        using var process = Process.Start(start)!;
        await process.StandardInput.WriteAsync(input);
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return new Run(process.ExitCode, (await output).Trim(), (await error).Trim());
    }

    private sealed record Run(int ExitCode, string Output, string Error)
    {
        public override string ToString() => $"exit {ExitCode}; stdout: {Output}; stderr: {Error}";
    }

    /// <summary>Answers /api/{name} with the status the name stands for, and a body saying it.</summary>
    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException)
            {
                return;
            }

            var status = context.Request.Url!.AbsolutePath.Split('/')[^1] switch
            {
                "ok" => 200,
                "created" => 201,
                "broken" => 500,
                "busy" => 503,
                _ => 404,
            };
            var body = Encoding.UTF8.GetBytes($"{{\"status\":{status}}}");
            context.Response.StatusCode = status;
            context.Response.ContentType = status >= 400 ? "application/problem+json" : "application/json";
            await context.Response.OutputStream.WriteAsync(body);
            context.Response.Close();
        }
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }
}
