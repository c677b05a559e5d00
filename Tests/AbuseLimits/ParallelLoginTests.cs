using FlexFunctions.Functions.Http;
using FlexFunctions.Tests.Http;
using FlexFunctions.Tests.Infrastructure;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Types;
using WireMock.Util;
using Xunit.Abstractions;

namespace FlexFunctions.Tests.AbuseLimits;

/// <summary>
/// Wrong passcodes sent in parallel streams against one customer through two app instances (two service graphs from
/// AddFlexFunctions) sharing one storage account. The fake FlexShopper holds each answer until every stream is
/// waiting, so the attempts really are in flight together; what reaches it is counted there.
/// </summary>
public sealed class ParallelLoginTests(ITestOutputHelper output) : IDisposable
{
    private const int Limit = 5;
    private const string WrongPasscode = """{"error":{"code":"InvalidPasscode","message":"wrong passcode","statusCode":400}}""";
    private readonly FakeFlexShopper _flex = new();

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(8)]
    [InlineData(16)]
    public async Task Parallel_wrong_passcodes_through_two_instances_never_get_more_than_the_limit_to_FlexShopper(int streams)
    {
        var reached = await Attack(streams, _ => "cust-42");

        Assert.Equal(Limit, reached.Upstream);
        Assert.Equal(streams, reached.Locked); // every stream ends up refused with LoginLocked
        Assert.True(reached.MostHeldTogether >= Math.Min(streams, Limit), $"only {reached.MostHeldTogether} attempts overlapped at FlexShopper");
    }

    [Fact]
    public async Task Spelling_the_customer_id_differently_does_not_escape_the_limit()
    {
        // Case variants reach the limiter (and FlexShopper) as valid ids; ' ABC' is refused as a bad id before either.
        var spellings = new[] { "abc", "ABC", "aBc", " ABC", "Abc", "abC" };
        var reached = await Attack(12, i => spellings[i % spellings.Length]);

        Assert.Equal(Limit, reached.Upstream);
        Assert.Equal(12, reached.Locked + reached.RejectedAsBadId);
        Assert.True(reached.MostHeldTogether >= 2, $"only {reached.MostHeldTogether} attempts overlapped at FlexShopper");
    }

    private async Task<(int Upstream, int Locked, int RejectedAsBadId, int MostHeldTogether)> Attack(int streams, Func<int, string> customerOf)
    {
        var gate = new RoundGate(streams);
        _flex.Server.Given(Request.Create().WithPath("/v3/users/*/passcode-login").UsingPost())
            .RespondWith(Response.Create().WithCallback(async _ =>
            {
                await gate.HoldAtUpstreamAsync();
                return new ResponseMessage
                {
                    StatusCode = 400,
                    Headers = new Dictionary<string, WireMockList<string>> { ["Content-Type"] = new("application/json") },
                    BodyData = new BodyData { BodyAsString = WrongPasscode, DetectedBodyType = BodyType.String },
                };
            }));

        // Two instances of the app: separate service graphs (own limiter, HTTP clients, caches) on one storage account.
        var settings = TestServices.DefaultSettings(_flex.BaseUrl);
        await using var first = HttpApp.Build(new Dictionary<string, string?>(settings));
        await using var second = HttpApp.Build(new Dictionary<string, string?>(settings));
        var instances = new[] { first, second };

        var endings = await Task.WhenAll(Enumerable.Range(0, streams).Select(i => Task.Run(() => Stream(instances[i % 2], customerOf(i), i, gate))));

        var upstream = _flex.Server.LogEntries.Count(e => e.RequestMessage!.Path.EndsWith("/passcode-login", StringComparison.Ordinal));
        Assert.Equal(gate.UpstreamRequests, upstream);
        output.WriteLine($"{streams} streams: {upstream} wrong passcodes reached FlexShopper (limit {Limit}); at most {gate.MostHeldTogether} held there at once");
        Assert.DoesNotContain(instances.SelectMany(a => a.AllLogText()), line => line.Contains("000000", StringComparison.Ordinal));
        return (upstream, endings.Count(e => e == "LoginLocked"), endings.Count(e => e == "userId"), gate.MostHeldTogether);
    }

    /// <summary>One attacker stream: wrong passcodes until locked out. Returns how it ended.</summary>
    private static async Task<string> Stream(TestServices app, string customer, int stream, RoundGate gate)
    {
        var functions = HttpTestKit.Create<CustomerFunctions>(app.Provider);
        try
        {
            for (var attempt = 0; attempt < 100; attempt++)
            {
                var passcode = $"{stream:D2}{attempt:D4}"; // never 000000: the log check below looks for it
                var request = HttpTestKit.Request(app.Provider, "POST", $"/api/v1/customers/{Uri.EscapeDataString(customer)}/login", $$"""{"passcode":"{{passcode}}"}""");
                var result = await HttpTestKit.RunAsync(request, r => functions.LoginCustomer(r, customer, default));
                var code = result.Json.TryGetProperty("code", out var c) ? c.GetString() : null;
                switch (result.Status, code)
                {
                    case (400, "InvalidPasscode"):
                        continue; // FlexShopper said wrong (this request was held at the gate)
                    case (429, "LoginLocked"):
                        return "LoginLocked";
                    case (429, "TooManyLoginAttempts"):
                        await gate.RefusedAsync(); // wrong passcodes plus attempts in flight reached the limit
                        continue;
                    case (400, _) when result.ErrorFields.Contains("userId"):
                        return "userId";
                    default:
                        throw new InvalidOperationException($"Stream {stream} got {result.Status}: {result.Body}");
                }
            }

            throw new InvalidOperationException($"Stream {stream} was never locked out.");
        }
        finally
        {
            gate.Leave();
        }
    }

    public void Dispose() => _flex.Dispose();
}
