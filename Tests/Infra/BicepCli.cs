using System.Diagnostics;
using System.Reflection;

namespace FlexFunctions.Tests.Infra;

/// <summary>Runs the Bicep CLI that NuGet restored (package Azure.Bicep.CommandLine.linux-x64), offline.</summary>
internal static class BicepCli
{
    /// <summary>Set to use another Bicep binary, e.g. on a machine that is not linux-x64.</summary>
    public const string OverrideVariable = "FLEXFUNCTIONS_BICEP";

    public static string Path { get; } = Locate();

    public static (int ExitCode, string Output) Run(string workingDirectory, params string[] arguments)
    {
        var start = new ProcessStartInfo(Path)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // Local modules only, so nothing is restored; keep the CLI's own .NET runtime quiet too.
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";

        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start " + Path);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"bicep {string.Join(' ', arguments)} did not finish in 2 minutes.");
        }

        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    private static string Locate()
    {
        var path = Environment.GetEnvironmentVariable(OverrideVariable);
        if (string.IsNullOrWhiteSpace(path))
        {
            path = typeof(BicepCli).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .FirstOrDefault(a => a.Key == "BicepCliPath")?.Value;
        }

        if (string.IsNullOrWhiteSpace(path) || !File.Exists(path))
        {
            throw new InvalidOperationException(
                $"Bicep CLI not found at '{path}'. Restore the test project (package Azure.Bicep.CommandLine.linux-x64), or set {OverrideVariable} to a bicep binary.");
        }

        // Some NuGet clients extract files without the execute bit.
        if (!OperatingSystem.IsWindows() && !File.GetUnixFileMode(path).HasFlag(UnixFileMode.UserExecute))
        {
            File.SetUnixFileMode(path, File.GetUnixFileMode(path) | UnixFileMode.UserExecute);
        }

        return path;
    }
}
