using WireMock.Server;
using WireMock.Settings;

namespace FlexFunctions.Tests.Infrastructure;

/// <summary>A WireMock.Net stand-in for FlexShopper on a free 127.0.0.1 port; its v3 root is <see cref="BaseUrl"/>.</summary>
public sealed class FakeFlexShopper : IDisposable
{
    public FakeFlexShopper()
    {
        var port = Azurite.FreePort();
        // Bodies are kept for every method: FlexShopper documents Checkout as a GET with a JSON body.
        Server = WireMockServer.Start(new WireMockServerSettings { Urls = [$"http://127.0.0.1:{port}"], AllowBodyForAllHttpMethods = true });
        BaseUrl = $"http://127.0.0.1:{port}/v3/";
    }

    public WireMockServer Server { get; }

    public string BaseUrl { get; }

    public void Dispose() => Server.Stop();
}
