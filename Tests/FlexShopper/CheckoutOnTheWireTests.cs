using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using FlexFunctions.Shared.FlexShopper;
using FlexFunctions.Shared.FlexShopper.Models;
using FlexFunctions.Tests.Emulator;
using FlexFunctions.Tests.Infrastructure;

namespace FlexFunctions.Tests.FlexShopper;

/// <summary>
/// Checkout goes out as every doc page says, a GET with a JSON body: the bytes on the wire carry the method, the
/// length and the body (HttpClient sends a GET's content; a server reading only headers would drop it), and the
/// emulator reads it. WireMock's view is in ClientContractTests.
/// </summary>
public sealed class CheckoutOnTheWireTests
{
    private static readonly CheckoutRequest Order = new("order-2002", [new CheckoutItem("Sofa", "SOFA-1", 899.5m, "Comfy", 1)]);

    [Fact]
    public async Task The_request_line_headers_and_body_of_a_checkout_are_a_get_with_json()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var baseUrl = $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/v3/";
        using var services = TestServices.Build(TestServices.DefaultSettings(baseUrl, withStorage: false));
        var checkout = services.Get<IFlexShopperClient>().CheckoutAsync(Order);

        using var connection = await listener.AcceptTcpClientAsync().WaitAsync(TimeSpan.FromSeconds(10));
        var stream = connection.GetStream();
        var (head, body) = await ReadRequestAsync(stream);
        const string answer = """{"data":{"id":"co-1","redirectUri":"https://pay.flexshopper.com/?id=co-1"}}""";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {answer.Length}\r\nConnection: close\r\n\r\n{answer}"));
        var result = await checkout.WaitAsync(TimeSpan.FromSeconds(10));

        var lines = head.Split("\r\n");
        Assert.Equal("GET /v3/checkout HTTP/1.1", lines[0]);
        Assert.Contains(lines, l => l.StartsWith("Content-Type: application/json", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(lines, l => l.Equals("Authorization: " + ClientHarness.ApiKey, StringComparison.Ordinal));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"transactionId":"order-2002","items":[{"description":"Sofa","sku":"SOFA-1","cost":899.5,"brand":"Comfy","quantity":1}]}"""),
            JsonNode.Parse(body)), body);
        Assert.Equal(new Uri("https://pay.flexshopper.com/?id=co-1"), result.RedirectUri);
    }

    [Fact]
    public async Task The_emulator_receives_the_get_and_its_body()
    {
        await using var emulator = await RunningEmulator.StartAsync();
        await using var app = TestServices.Build(emulator.AppSettings());

        var result = await app.Get<IFlexShopperClient>().CheckoutAsync(Order);

        Assert.Contains("transactionId=order-2002", result.RedirectUri.ToString(), StringComparison.Ordinal);
        Assert.Equal(("GET", 200), emulator.State.Requests.Where(r => r.Path == "/v3/checkout").Select(r => (r.Method, r.Status)).Single());
    }

    /// <summary>Reads one HTTP/1.1 request: the head up to the blank line, then Content-Length bytes of body.</summary>
    private static async Task<(string Head, string Body)> ReadRequestAsync(NetworkStream stream)
    {
        var buffer = new List<byte>();
        var chunk = new byte[4096];
        int end;
        while ((end = IndexOfBlankLine(buffer)) < 0)
        {
            var n = await stream.ReadAsync(chunk).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.True(n > 0, "the connection closed before the request head ended");
            buffer.AddRange(chunk.AsSpan(0, n));
        }

        var head = Encoding.ASCII.GetString(buffer.ToArray(), 0, end);
        var length = head.Split("\r\n").Select(l => l.Split(':', 2)).Where(p => p.Length == 2 && p[0].Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            .Select(p => int.Parse(p[1].Trim(), CultureInfo.InvariantCulture)).SingleOrDefault();
        Assert.True(length > 0, "a GET checkout must carry Content-Length and a body:\n" + head);
        while (buffer.Count < end + 4 + length)
        {
            var n = await stream.ReadAsync(chunk).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.True(n > 0, "the connection closed before the body ended");
            buffer.AddRange(chunk.AsSpan(0, n));
        }

        return (head, Encoding.UTF8.GetString(buffer.ToArray(), end + 4, length));
    }

    private static int IndexOfBlankLine(List<byte> bytes)
    {
        for (var i = 0; i + 3 < bytes.Count; i++)
        {
            if (bytes[i] == '\r' && bytes[i + 1] == '\n' && bytes[i + 2] == '\r' && bytes[i + 3] == '\n')
            {
                return i;
            }
        }

        return -1;
    }
}
