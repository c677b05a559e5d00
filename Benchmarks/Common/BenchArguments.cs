using System.Globalization;
using System.Text;

namespace FlexFunctions.Benchmarks.Common;

/// <summary>
/// A benchmark's command line: every option declared with its default and meaning, so the usage text is complete and
/// anything else stops the run. Unknown options, a missing or malformed value, a value out of range, a repeated
/// option or a stray word print the error and the usage and give exit code 2.
/// </summary>
public sealed class BenchArguments
{
    /// <summary>The exit code for a command line that was refused.</summary>
    public const int UsageExitCode = 2;

    private readonly string _program;
    private readonly string _summary;
    private readonly List<Option> _options = [];

    public BenchArguments(string program, string summary)
    {
        _program = program;
        _summary = summary;
    }

    /// <summary>The usage text: the command, then each option with its value, default and meaning.</summary>
    public string Usage
    {
        get
        {
            var text = new StringBuilder();
            text.Append(CultureInfo.InvariantCulture, $"Usage: dotnet run -c Release --project Benchmarks/{_program} -- [options]\n{_summary}\n\nOptions:\n");
            foreach (var option in _options)
            {
                var name = option.Value is null ? option.Name : $"{option.Name} {option.Value}";
                text.Append(CultureInfo.InvariantCulture, $"  {name,-34} {option.Help}{(option.Default is null ? "" : $" (default {option.Default})")}\n");
            }

            text.Append("  --help                             this text\n");
            return text.ToString();
        }
    }

    public Func<int> Int(string name, int fallback, string help, int min = 0, int max = int.MaxValue)
    {
        var value = fallback;
        Add(name, "N", help, fallback.ToString(CultureInfo.InvariantCulture), text => value = ParseInt(name, text, min, max));
        return () => value;
    }

    public Func<double> Number(string name, double fallback, string help, double min = 0, double max = double.MaxValue)
    {
        var value = fallback;
        Add(name, "N", help, fallback.ToString(CultureInfo.InvariantCulture), text => value = ParseNumber(name, text, min, max));
        return () => value;
    }

    /// <summary>A comma-separated list of whole numbers, each run in turn.</summary>
    public Func<IReadOnlyList<int>> Ints(string name, int[] fallback, string help, int min = 0, int max = int.MaxValue)
    {
        IReadOnlyList<int> value = fallback;
        Add(name, "N[,N...]", help, string.Join(',', fallback), text => value = List(name, text, t => ParseInt(name, t, min, max)));
        return () => value;
    }

    /// <summary>A comma-separated list of numbers, each run in turn.</summary>
    public Func<IReadOnlyList<double>> Numbers(string name, double[] fallback, string help, double min = 0, double max = double.MaxValue)
    {
        IReadOnlyList<double> value = fallback;
        Add(name, "N[,N...]", help, string.Join(',', fallback.Select(f => f.ToString(CultureInfo.InvariantCulture))),
            text => value = List(name, text, t => ParseNumber(name, t, min, max)));
        return () => value;
    }

    public Func<string?> Text(string name, string? fallback, string help, string placeholder = "TEXT")
    {
        var value = fallback;
        Add(name, placeholder, help, fallback, text => value = text);
        return () => value;
    }

    public Func<bool> Flag(string name, string help)
    {
        var value = false;
        _options.Add(new Option(name, null, help, null, _ => value = true));
        return () => value;
    }

    /// <summary>
    /// Reads <paramref name="args"/>. False when the run must stop: <paramref name="exitCode"/> is 0 after --help
    /// (usage on stdout) and <see cref="UsageExitCode"/> after an error (error and usage on stderr).
    /// </summary>
    public bool TryParse(string[] args, out int exitCode)
    {
        ArgumentNullException.ThrowIfNull(args);
        exitCode = 0;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            for (var i = 0; i < args.Length; i++)
            {
                if (args[i] is "--help" or "-h")
                {
                    Console.Out.Write(Usage);
                    return false;
                }

                var option = _options.FirstOrDefault(o => o.Name == args[i])
                    ?? throw new UsageException(args[i].StartsWith('-') ? $"unknown option {args[i]}" : $"unexpected argument '{args[i]}' (every value follows its option)");
                if (!seen.Add(option.Name))
                {
                    throw new UsageException($"{option.Name} is given twice");
                }

                if (option.Value is null)
                {
                    option.Apply(string.Empty);
                    continue;
                }

                if (i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    throw new UsageException($"{option.Name} needs a value ({option.Value})");
                }

                option.Apply(args[++i]);
            }

            return true;
        }
        catch (UsageException ex)
        {
            Console.Error.WriteLine($"error: {ex.Message}");
            Console.Error.Write(Usage);
            exitCode = UsageExitCode;
            return false;
        }
    }

    private void Add(string name, string placeholder, string help, string? fallback, Action<string> apply)
    {
        if (_options.Any(o => o.Name == name))
        {
            throw new InvalidOperationException($"{name} is declared twice.");
        }

        _options.Add(new Option(name, placeholder, help, fallback, apply));
    }

    private static List<T> List<T>(string name, string text, Func<string, T> parse)
    {
        var parts = text.Split(',');
        if (parts.Any(string.IsNullOrWhiteSpace))
        {
            throw new UsageException($"{name}: '{text}' has an empty item");
        }

        return parts.Select(p => parse(p.Trim())).ToList();
    }

    private static int ParseInt(string name, string text, int min, int max) =>
        int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? n
            : throw new UsageException($"{name}: '{text}' is not a whole number from {min} to {max}");

    private static double ParseNumber(string name, string text, double min, double max) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && double.IsFinite(n) && n >= min && n <= max
            ? n
            : throw new UsageException($"{name}: '{text}' is not a number from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}");

    private sealed record Option(string Name, string? Value, string Help, string? Default, Action<string> Apply);

    private sealed class UsageException(string message) : Exception(message);
}

/// <summary>The options every benchmark takes, with one meaning everywhere.</summary>
public sealed class CommonOptions
{
    private readonly Func<string?> _storage;
    private readonly Func<IReadOnlyList<double>> _latency;
    private readonly Func<IReadOnlyList<double>> _upstream;
    private readonly Func<int> _emulatorPid;

    public CommonOptions(BenchArguments arguments, double[] latencies, double[] upstreamDelays)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        _storage = arguments.Text("--storage", null,
            "storage connection string; else FLEXFUNCTIONS_BENCH_STORAGE, else UseDevelopmentStorage=true", "CONNECTION");
        _latency = arguments.Numbers("--storage-latency-ms", latencies,
            "added to every storage request (tables and queues, ours and the baseline's alike), as a storage account's round trip; each value is a run of every scenario", 0, 10_000);
        _upstream = arguments.Numbers("--upstream-delay-ms", upstreamDelays,
            "the fake FlexShopper waits this long before each answer, as FlexShopper across the internet does; each value is a run", 0, 60_000);
        _emulatorPid = arguments.Int("--emulator-pid", 0,
            "process id of the storage emulator (Linux): its CPU seconds per scenario are reported and enter the floor where it is the bottleneck (0: none)", 0);
    }

    public string Storage => _storage() ?? Environment.GetEnvironmentVariable("FLEXFUNCTIONS_BENCH_STORAGE") ?? "UseDevelopmentStorage=true";

    public IReadOnlyList<double> StorageLatenciesMs => _latency();

    public IReadOnlyList<double> UpstreamDelaysMs => _upstream();

    public int? EmulatorPid => _emulatorPid() is > 0 and var pid ? pid : null;
}
