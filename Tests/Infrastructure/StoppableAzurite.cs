using System.Diagnostics;
using System.Globalization;

namespace FlexFunctions.Tests.Infrastructure;

/// <summary>
/// An Azurite of one test's own, for outages: its data lives in a folder (an in-memory Azurite would lose it on a
/// restart), it is stopped by the process id this class started, and started again on the same ports.
/// </summary>
public sealed class StoppableAzurite : IDisposable
{
    private readonly int _blob = Azurite.FreePort();
    private readonly int _queue = Azurite.FreePort();
    private readonly int _table = Azurite.FreePort();
    private readonly string _workDir = Directory.CreateTempSubdirectory("flexfunctions-outage-azurite-").FullName;
    private Process? _process;

    private StoppableAzurite()
    {
        ConnectionString = Azurite.ConnectionStringFor(_blob, _queue, _table);
    }

    public string ConnectionString { get; }

    public bool Running => _process is { HasExited: false };

    public static StoppableAzurite Start()
    {
        var azurite = new StoppableAzurite();
        azurite.StartAgain();
        return azurite;
    }

    /// <summary>Starts it again on the same ports over the same data.</summary>
    public void StartAgain()
    {
        if (Running)
        {
            throw new InvalidOperationException("This Azurite is already running.");
        }

        _process?.Dispose();
        _process = Azurite.Launch(_blob, _queue, _table, _workDir, Path.Combine(_workDir, "data"));
    }

    /// <summary>
    /// Stops it the way a service goes down: SIGTERM to our own process id (Azurite then saves its data and closes
    /// its ports), and a kill of that process only if it has not exited within ten seconds.
    /// </summary>
    public void Stop()
    {
        if (_process is not { HasExited: false } process)
        {
            return;
        }

        if (!Terminate(process.Id) || !process.WaitForExit(10_000))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(5_000);
        }
    }

    public void Dispose()
    {
        try
        {
            if (_process is { HasExited: false } process)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5_000);
            }
        }
        catch (InvalidOperationException)
        {
            // already gone
        }

        _process?.Dispose();
        try
        {
            Directory.Delete(_workDir, recursive: true);
        }
        catch (IOException)
        {
            // best effort: a temp folder
        }
    }

    /// <summary>SIGTERM to exactly this process id.</summary>
    private static bool Terminate(int pid)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", pid.ToString(CultureInfo.InvariantCulture) }, UseShellExecute = false });
        return kill is not null && kill.WaitForExit(5_000) && kill.ExitCode == 0;
    }
}
