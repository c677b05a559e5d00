using System.Diagnostics;
using System.Net.Http.Json;
using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FlexFunctions.Benchmarks.Common;

/// <summary>
/// The fake FlexShopper in a process of its own (this same program, started with <c>--serve-fake</c>), so its CPU,
/// allocations and heap are not counted as ours. It listens on 127.0.0.1 only and ends when we close its input or stop.
/// </summary>
public sealed class FakeProcess : IAsyncDisposable
{
    private const string Switch = "--serve-fake";
    private readonly Process _process;

    private FakeProcess(Process process, string baseUrl)
    {
        _process = process;
        BaseUrl = baseUrl;
        Admin = new HttpClient { BaseAddress = new Uri(baseUrl) };
    }

    /// <summary>The fake's root, ending in <c>/</c>; FlexShopper's paths are under <c>v3/</c>.</summary>
    public string BaseUrl { get; }

    public int Pid => _process.Id;

    /// <summary>For the fake's own <c>__</c> routes (counts, settings).</summary>
    public HttpClient Admin { get; }

    /// <summary>True in the child: serve with <see cref="ServeAsync"/>, then exit.</summary>
    public static bool IsChild(string[] args) => args is [Switch, ..];

    /// <summary>Starts the child with <paramref name="args"/> after the switch and waits until it listens.</summary>
    public static async Task<FakeProcess> StartAsync(params string[] args)
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("No process path.");
        var info = new ProcessStartInfo(self)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            info.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location); // started as 'dotnet app.dll'
        }

        info.ArgumentList.Add(Switch);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("The fake did not start.");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith("listening ", StringComparison.Ordinal))
            {
                return new FakeProcess(process, line["listening ".Length..].TrimEnd('/') + "/");
            }
        }

        throw new InvalidOperationException("The fake ended before it listened.");
    }

    /// <summary>In the child: maps the routes, listens on a free loopback port, says where, serves until stdin closes.</summary>
    public static async Task<int> ServeAsync(Action<WebApplication> map)
    {
        ArgumentNullException.ThrowIfNull(map);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0));
        await using var app = builder.Build();
        map(app);
        await app.StartAsync();
        Console.WriteLine("listening " + app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        await Console.In.ReadToEndAsync(); // the parent closes our input when it is done (or dies)
        await app.StopAsync();
        return 0;
    }

    public async Task<T> GetAsync<T>(string path) => (await Admin.GetFromJsonAsync<T>(path))!;

    public async Task PostAsync(string path) => (await Admin.PostAsync(path, null)).EnsureSuccessStatusCode();

    public async ValueTask DisposeAsync()
    {
        Admin.Dispose();
        _process.StandardInput.Close();
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await _process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(); // the process we started, by its handle
        }

        _process.Dispose();
    }
}
