using System.Text.Json.Nodes;
using FlexFunctions.Shared.FlexShopper;
using FlexFunctions.Shared.FlexShopper.Models;
using FlexFunctions.Shared.Secrets;
using FlexFunctions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace FlexFunctions.Tests.FlexShopper;

/// <summary>
/// One fake FlexShopper plus the real client built through AddFlexFunctions, and assertions on what reached the
/// wire. Each test makes its own, so tests never share recorded requests.
/// </summary>
public sealed class ClientHarness : IDisposable
{
    /// <summary>The key <see cref="TestServices.DefaultSettings"/> configures.</summary>
    public const string ApiKey = "test-api-key-0001";

    private ClientHarness(FakeFlexShopper fake, TestServices services)
    {
        Fake = fake;
        Services = services;
        Client = services.Get<IFlexShopperClient>();
    }

    public FakeFlexShopper Fake { get; }

    public TestServices Services { get; }

    public IFlexShopperClient Client { get; }

    /// <summary>
    /// Builds the client. Retries are off unless asked for, so an error status reaches the mapping exactly once;
    /// <paramref name="configure"/> runs after AddFlexFunctions (e.g. to replace <see cref="IApiKeyProvider"/>).
    /// </summary>
    public static ClientHarness Start(Action<IServiceCollection>? configure = null, bool retries = false, string? apiKey = null,
        Action<Dictionary<string, string?>>? settings = null)
    {
        var fake = new FakeFlexShopper();
        var values = TestServices.DefaultSettings(fake.BaseUrl, withStorage: false);
        settings?.Invoke(values);
        if (!retries)
        {
            values["FlexShopper:MaxRetryAttempts"] = "0";
        }

        if (apiKey is not null)
        {
            values["FlexShopper:ApiKey"] = apiKey;
        }

        return new ClientHarness(fake, TestServices.Build(values, configure));
    }

    /// <summary>A credential bound to the configured key's version, as a real login would give.</summary>
    public async Task<CustomerCredential> CustomerAsync(string token = "cust-token-abc")
    {
        var key = await Services.Get<IApiKeyProvider>().GetCurrentAsync();
        return new CustomerCredential(token, key.Version);
    }

    /// <summary>Answers every request with this status and body (JSON unless <paramref name="contentType"/> says otherwise).</summary>
    public void RespondToAll(int status, string? body, string contentType = "application/json", IDictionary<string, string>? headers = null)
    {
        var response = Response.Create().WithStatusCode(status);
        if (body is not null)
        {
            response = response.WithHeader("Content-Type", contentType).WithBody(body);
        }

        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            response = response.WithHeader(name, value);
        }

        Fake.Server.Given(Request.Create().UsingAnyMethod()).RespondWith(response);
    }

    /// <summary>Answers requests to one path (below /v3/; any path when null) and, optionally, only those carrying this Authorization.</summary>
    public void Respond(string? path, int status, string? body, string? authorization = null)
    {
        var request = Request.Create().UsingAnyMethod();
        if (path is not null)
        {
            request = request.WithPath("/v3/" + path);
        }

        if (authorization is not null)
        {
            request = request.WithHeader("Authorization", authorization);
        }

        var response = Response.Create().WithStatusCode(status);
        if (body is not null)
        {
            response = response.WithHeader("Content-Type", "application/json").WithBody(body);
        }

        Fake.Server.Given(request).RespondWith(response);
    }

    public IReadOnlyList<IRequestMessage> Requests => Fake.Server.LogEntries.Select(e => e.RequestMessage!).ToList();

    public IRequestMessage SingleRequest()
    {
        var all = Requests;
        Assert.True(all.Count == 1, $"expected exactly one request, got {all.Count}: {string.Join(", ", all.Select(r => r.Method + " " + r.Url))}");
        return all[0];
    }

    /// <summary>The request's path and query below the v3 root, exactly as sent (escapes kept).</summary>
    public static string PathAndQuery(IRequestMessage request)
    {
        var uri = new Uri(request.AbsoluteUrl);
        Assert.StartsWith("/v3/", uri.AbsolutePath, StringComparison.Ordinal);
        return uri.GetComponents(UriComponents.PathAndQuery, UriFormat.UriEscaped)["/v3/".Length..];
    }

    public static string? Header(IRequestMessage request, string name)
    {
        var match = request.Headers?.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase));
        return match is { Value: { } values } ? string.Join(",", values) : null;
    }

    /// <summary>
    /// The common request shape: method, path with query, the raw key as Authorization, Customer-Token exactly
    /// when expected, and a JSON body equal to <paramref name="expectedBody"/> (field names as sent, no nulls).
    /// </summary>
    public static void AssertRequest(IRequestMessage request, string method, string pathAndQuery, string? customerToken, string? expectedBody, string apiKey = ApiKey)
    {
        Assert.Equal(method, request.Method);
        Assert.Equal(pathAndQuery, PathAndQuery(request));
        Assert.Equal(apiKey, Header(request, "Authorization"));
        Assert.Equal(customerToken, Header(request, FlexShopperPaths.CustomerTokenHeader));
        if (expectedBody is null)
        {
            Assert.True(string.IsNullOrEmpty(request.Body), $"expected no body, got {request.Body}");
            return;
        }

        Assert.StartsWith("application/json", Header(request, "Content-Type"), StringComparison.Ordinal);
        var actual = JsonNode.Parse(request.Body ?? "");
        var expected = JsonNode.Parse(expectedBody);
        Assert.True(JsonNode.DeepEquals(expected, actual), $"body differs.\nexpected: {expected?.ToJsonString()}\nactual:   {actual?.ToJsonString()}");
    }

    public void Dispose()
    {
        Services.Dispose();
        Fake.Dispose();
    }
}
