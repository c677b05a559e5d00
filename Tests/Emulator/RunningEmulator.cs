using System.Text.Json;
using FlexFunctions.Tests.Infrastructure;
using FlexShopper.Emulator;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace FlexFunctions.Tests.Emulator;

/// <summary>The FlexShopper emulator started in-process on a free 127.0.0.1 port, with its state at hand.</summary>
public sealed class RunningEmulator : IAsyncDisposable
{
    public const string Key = EmulatorOptions.DefaultApiKey;
    public const string OtherKey = "local-emulator-key-2";

    private readonly WebApplication _app;

    private RunningEmulator(WebApplication app, string url)
    {
        _app = app;
        Url = url;
        State = app.Services.GetRequiredService<EmulatorState>();
        Http = new HttpClient { BaseAddress = new Uri(url + "/") };
    }

    /// <summary>e.g. <c>http://127.0.0.1:41234</c>, no trailing slash.</summary>
    public string Url { get; }

    /// <summary>The v3 root, as the app's <c>FlexShopper__BaseUrl</c> takes it.</summary>
    public string BaseUrl => Url + "/v3/";

    public EmulatorState State { get; }

    /// <summary>A plain client for raw calls; add the headers each test needs.</summary>
    public HttpClient Http { get; }

    public static async Task<RunningEmulator> StartAsync(EmulatorOptions? options = null, TimeProvider? time = null)
    {
        var url = $"http://127.0.0.1:{Azurite.FreePort()}";
        var app = EmulatorApp.Build(options ?? new EmulatorOptions(), url, time);
        await app.StartAsync();
        return new RunningEmulator(app, url);
    }

    /// <summary>Settings for the app's real service graph pointed at this emulator, with fast resilience timings.</summary>
    public Dictionary<string, string?> AppSettings(string apiKey = Key)
    {
        var settings = TestServices.DefaultSettings(BaseUrl);
        settings["FlexShopper:ApiKey"] = apiKey;
        return settings;
    }

    /// <summary>A raw v3 request with the given key and, optionally, a customer token.</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? apiKey = Key, string? token = null, string? json = null)
    {
        using var request = new HttpRequestMessage(method, "v3/" + path);
        if (apiKey is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", apiKey);
        }

        if (token is not null)
        {
            request.Headers.TryAddWithoutValidation("Customer-Token", token);
        }

        if (json is not null)
        {
            request.Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        }

        return await Http.SendAsync(request);
    }

    public static async Task<JsonElement> JsonOf(HttpResponseMessage response)
    {
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return doc.RootElement.Clone();
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
