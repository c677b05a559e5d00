using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;

namespace FlexFunctions.Tests.Infrastructure;

/// <summary>
/// One real Azurite for the whole test run, in memory, on free loopback ports, telemetry off. Tests isolate
/// themselves with unique table and queue names. Set FLEXFUNCTIONS_TEST_STORAGE to a connection string to use
/// an Azurite you started yourself instead.
/// </summary>
public sealed class Azurite : IDisposable
{
    private static readonly Lazy<Azurite> Shared = new(Start, LazyThreadSafetyMode.ExecutionAndPublication);
    private readonly Process? _process;
    private readonly string? _workDir;

    private Azurite(string connectionString, Process? process, string? workDir)
    {
        ConnectionString = connectionString;
        _process = process;
        _workDir = workDir;
    }

    public static Azurite Instance => Shared.Value;

    public string ConnectionString { get; }

    /// <summary>A Table client on this Azurite whose every request also passes <paramref name="observer"/> (to count what a test sends).</summary>
    public TableServiceClient TablesObservedBy(HttpPipelinePolicy observer)
    {
        var options = new TableClientOptions();
        options.AddPolicy(observer, HttpPipelinePosition.PerCall);
        return new TableServiceClient(ConnectionString, options);
    }

    /// <summary>A name unique to this run, valid for tables and queues.</summary>
    public static string UniqueName(string prefix) => (prefix + Guid.NewGuid().ToString("N")[..12]).ToLowerInvariant();

    private static Azurite Start()
    {
        var external = Environment.GetEnvironmentVariable("FLEXFUNCTIONS_TEST_STORAGE");
        if (!string.IsNullOrWhiteSpace(external))
        {
            return new Azurite(external, null, null);
        }

        var azurite = Path.Combine(RepoPaths.Root, "node_modules", ".bin", "azurite");
        if (!File.Exists(azurite))
        {
            throw new InvalidOperationException($"Azurite is not installed at {azurite}. Run `npm ci` at the repo root (scripts/test.sh does).");
        }

        int blob = FreePort(), queue = FreePort(), table = FreePort();
        var workDir = Directory.CreateTempSubdirectory("flexfunctions-azurite-").FullName;
        var info = new ProcessStartInfo(azurite)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workDir,
        };
        foreach (var arg in new[]
                 {
                     "--silent", "--inMemoryPersistence", "--disableTelemetry", "--skipApiVersionCheck", "--loose",
                     "--blobHost", "127.0.0.1", "--blobPort", blob.ToString(),
                     "--queueHost", "127.0.0.1", "--queuePort", queue.ToString(),
                     "--tableHost", "127.0.0.1", "--tablePort", table.ToString(),
                 })
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("Azurite did not start.");
        if (Environment.GetEnvironmentVariable("FLEXFUNCTIONS_AZURITE_PIDS") is { Length: > 0 } pids)
        {
            // scripts/test.sh stops this one by id if the test host dies without disposing it.
            File.AppendAllText(pids, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\n");
        }

        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        WaitForPorts(process, blob, queue, table);

        const string account = "devstoreaccount1";
        const string key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
        var connection = $"DefaultEndpointsProtocol=http;AccountName={account};AccountKey={key};" +
                         $"BlobEndpoint=http://127.0.0.1:{blob}/{account};QueueEndpoint=http://127.0.0.1:{queue}/{account};" +
                         $"TableEndpoint=http://127.0.0.1:{table}/{account};";
        var instance = new Azurite(connection, process, workDir);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => instance.Dispose();
        return instance;
    }

    private static void WaitForPorts(Process process, params int[] ports)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        foreach (var port in ports)
        {
            while (true)
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"Azurite exited with code {process.ExitCode} before listening.");
                }

                try
                {
                    using var client = new TcpClient();
                    client.Connect(IPAddress.Loopback, port);
                    break;
                }
                catch (SocketException) when (DateTime.UtcNow < deadline)
                {
                    Thread.Sleep(100);
                }
            }
        }
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        try
        {
            if (_process is { HasExited: false })
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // already gone
        }

        _process?.Dispose();
        if (_workDir is not null && Directory.Exists(_workDir))
        {
            try
            {
                Directory.Delete(_workDir, recursive: true);
            }
            catch (IOException)
            {
                // best effort: a temp folder
            }
        }
    }
}
