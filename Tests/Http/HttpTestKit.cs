using System.Text;
using System.Text.Json;
using FlexFunctions.Shared.FlexShopper.Models;
using FlexFunctions.Shared.Secrets;
using FlexFunctions.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace FlexFunctions.Tests.Http;

/// <summary>What a caller of an HTTP function receives once its IActionResult has run.</summary>
public sealed record HttpResult(int Status, IHeaderDictionary Headers, string Body)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement.Clone();

    public string? ContentType => Headers.ContentType;

    public IReadOnlyCollection<string> ErrorFields =>
        Json.TryGetProperty("errors", out var errors) ? errors.EnumerateObject().Select(p => p.Name).ToList() : [];
}

/// <summary>Calls HTTP function classes as the host would: a DefaultHttpContext in, the executed result out.</summary>
public static class HttpTestKit
{
    public static DefaultHttpContext Request(IServiceProvider services, string method, string path, string? body = null,
        IDictionary<string, string>? headers = null, string? query = null)
    {
        var context = new DefaultHttpContext { RequestServices = services };
        context.Request.Method = method;
        context.Request.Path = path;
        if (query is not null)
        {
            context.Request.QueryString = new QueryString(query);
        }

        if (body is not null)
        {
            var bytes = Encoding.UTF8.GetBytes(body);
            context.Request.Body = new MemoryStream(bytes);
            context.Request.ContentLength = bytes.Length;
            context.Request.ContentType = "application/json";
        }

        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            context.Request.Headers[name] = value;
        }

        context.Response.Body = new MemoryStream();
        return context;
    }

    public static async Task<HttpResult> RunAsync(HttpContext context, Func<HttpRequest, Task<IActionResult>> function)
    {
        var result = await function(context.Request);
        await result.ExecuteResultAsync(new ActionContext(context, new RouteData(), new ActionDescriptor()));
        context.Response.Body.Position = 0;
        var text = await new StreamReader(context.Response.Body).ReadToEndAsync();
        return new HttpResult(context.Response.StatusCode, context.Response.Headers, text);
    }

    public static T Create<T>(IServiceProvider services) => ActivatorUtilities.CreateInstance<T>(services);

    public static void StubJson(this WireMockServer server, string method, string path, int status, string body) =>
        server.Given(WireMock.RequestBuilders.Request.Create().WithPath(path).UsingMethod(method))
            .RespondWith(Response.Create().WithStatusCode(status).WithHeader("Content-Type", "application/json").WithBody(body));
}

/// <summary>An API key provider with versions a test can rotate and withdraw, standing in for Key Vault.</summary>
public sealed class RotatingKeys : IApiKeyProvider
{
    private readonly Dictionary<string, ApiKey> _versions = new(StringComparer.Ordinal);
    private readonly HashSet<string> _withdrawn = new(StringComparer.Ordinal);
    private ApiKey _current;

    public RotatingKeys(string value, string version)
    {
        _current = new ApiKey(value, version);
        _versions[version] = _current;
    }

    public ApiKey Current => _current;

    public void Rotate(string value, string version)
    {
        _current = new ApiKey(value, version);
        _versions[version] = _current;
    }

    public void Withdraw(string version) => _withdrawn.Add(version);

    public ValueTask<ApiKey> GetCurrentAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(_current);

    public ValueTask<ApiKey> GetVersionAsync(string version, CancellationToken cancellationToken = default) =>
        _versions.TryGetValue(version, out var key) && !_withdrawn.Contains(version)
            ? ValueTask.FromResult(key)
            : throw new ApiKeyUnavailableException(version, "withdrawn in the test");

    public ValueTask<ApiKey> RefreshAfterRejectionAsync(ApiKey rejected, CancellationToken cancellationToken = default) => ValueTask.FromResult(_current);
}

/// <summary>Builds the real graph (AddFlexFunctions) against a fake FlexShopper, with host pieces and test overrides.</summary>
public static class HttpApp
{
    /// <summary>Every log record of every app the HTTP tests build, for the suite-wide redaction check.</summary>
    public static FakeLogCollector SuiteLogs { get; } = new();

    public static TestServices Build(FakeFlexShopper flex, Action<Dictionary<string, string?>>? settings = null, Action<IServiceCollection>? configure = null)
    {
        var values = TestServices.DefaultSettings(flex.BaseUrl);
        values["CustomerSession:KeyRingTable"] = Azurite.UniqueName("dpkeys");
        settings?.Invoke(values);
        return TestServices.Build(values, services =>
        {
            services.AddLogging(logging => logging.AddProvider(new FakeLoggerProvider(SuiteLogs)));
            configure?.Invoke(services);
        });
    }

    public static CustomerCredential Credential(string token, string version) => new(token, version);
}
