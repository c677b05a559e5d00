using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace FlexFunctions.Benchmarks.Common;

/// <summary>Bytes allocated and the peak live heap over a scenario, from a collected start.</summary>
public sealed class MemoryProbe : IDisposable
{
    private readonly Thread _thread;
    private readonly long _allocatedAtStart;
    private volatile bool _stop;
    private long _peakLive;

    private MemoryProbe(TimeSpan interval)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        _allocatedAtStart = GC.GetTotalAllocatedBytes(precise: true);
        _peakLive = GC.GetTotalMemory(forceFullCollection: false);
        _thread = new Thread(() =>
        {
            while (!_stop)
            {
                // What the run really holds, garbage excluded: a full collection each interval (250 ms: about 1 % of wall time).
                Thread.Sleep(interval);
                _peakLive = Math.Max(_peakLive, GC.GetTotalMemory(forceFullCollection: true));
            }
        })
        { IsBackground = true, Name = "memory probe" };
        _thread.Start();
    }

    public static MemoryProbe Start() => new(TimeSpan.FromMilliseconds(250));

    /// <summary>Samples less often where a full collection would disturb what is measured (latencies).</summary>
    public static MemoryProbe Start(TimeSpan interval) => new(interval);

    public (long AllocatedBytes, long PeakLiveBytes) Stop()
    {
        _stop = true;
        _thread.Join();
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - _allocatedAtStart;
        _peakLive = Math.Max(_peakLive, GC.GetTotalMemory(forceFullCollection: true));
        return (allocated, _peakLive);
    }

    public void Dispose()
    {
        if (!_stop)
        {
            Stop();
        }
    }
}

/// <summary>CPU seconds (user + system) of a process, from /proc (Linux).</summary>
public static class ProcessCpu
{
    public static double? Seconds(int? pid)
    {
        if (pid is null)
        {
            return null;
        }

        // Fields 14 and 15 of /proc/<pid>/stat, counted after the ')' that closes the command name.
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    /// <summary>This process's CPU seconds.</summary>
    public static double Own() => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
}

/// <summary>The machine the figures came from, and how busy it was.</summary>
public static class Machine
{
    public static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    public static string Describe(string storage) => string.Create(CultureInfo.InvariantCulture,
        $"{Environment.ProcessorCount} cores, .NET {Environment.Version}, storage {(storage.Contains("127.0.0.1", StringComparison.Ordinal) || storage.Contains("UseDevelopmentStorage", StringComparison.Ordinal) ? "emulator on loopback" : "remote")}, load average {LoadAverage()}");
}

/// <summary>A Markdown table, printed once complete.</summary>
public sealed class MarkdownTable(params string[] columns)
{
    private readonly List<string[]> _rows = [];

    public void Add(params string[] cells) => _rows.Add(cells);

    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append("| ").AppendJoin(" | ", columns).Append(" |\n");
        text.Append('|').AppendJoin('|', columns.Select(_ => " --- ")).Append("|\n");
        foreach (var row in _rows)
        {
            text.Append("| ").AppendJoin(" | ", row).Append(" |\n");
        }

        return text.ToString();
    }
}

/// <summary>Number formats the tables share.</summary>
public static class Figures
{
    public static string F(double value, int decimals = 1) => double.IsFinite(value) ? value.ToString("F" + decimals, CultureInfo.InvariantCulture) : "-";

    public static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string Mb(long bytes) => F(bytes / 1048576.0);

    public static string Ratio(double value) => double.IsFinite(value) ? value.ToString("F2", CultureInfo.InvariantCulture) + "x" : "-";
}
