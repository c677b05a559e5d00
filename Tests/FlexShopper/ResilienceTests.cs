using System.Diagnostics;
using System.Net;
using FlexFunctions.Shared.FlexShopper;
using FlexFunctions.Shared.FlexShopper.Models;
using FlexFunctions.Tests.Infrastructure;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace FlexFunctions.Tests.FlexShopper;

/// <summary>Retries, Retry-After, never-retried calls, the circuit breaker and timeouts, through the real pipeline.</summary>
public sealed class ResilienceTests : IDisposable
{
    private const string TransactionJson = """{"data":{"id":"T1","lease":{"id":"L1","status":"signed"},"items":[]}}""";
    private readonly FakeFlexShopper _fake = new();

    private TestServices Build(Action<Dictionary<string, string?>>? tweak = null)
    {
        var settings = TestServices.DefaultSettings(_fake.BaseUrl, withStorage: false);
        tweak?.Invoke(settings);
        return TestServices.Build(settings);
    }

    private int Calls(string path) => _fake.Server.LogEntries.Count(e => e.RequestMessage?.Path == path);

    /// <summary>Answers the given statuses in order, then 200 with <paramref name="finalBody"/>.</summary>
    private void Sequence(string path, string method, string finalBody, params (int Status, string? RetryAfter)[] failures)
    {
        var state = "start";
        for (var i = 0; i < failures.Length; i++)
        {
            var next = "after" + i;
            var response = Response.Create().WithStatusCode(failures[i].Status).WithBody("""{"error":{"statusCode":503,"code":"Maintenance","message":"down"}}""");
            if (failures[i].RetryAfter is { } retryAfter)
            {
                response = response.WithHeader("Retry-After", retryAfter);
            }

            var given = _fake.Server.Given(Request.Create().WithPath(path).UsingMethod(method)).InScenario(path);
            (i == 0 ? given : given.WhenStateIs(state)).WillSetStateTo(next).RespondWith(response);
            state = next;
        }

        _fake.Server.Given(Request.Create().WithPath(path).UsingMethod(method)).InScenario(path).WhenStateIs(state)
            .RespondWith(Response.Create().WithStatusCode(200).WithBody(finalBody));
    }

    [Fact]
    public async Task A_GET_is_retried_through_503_503_and_succeeds()
    {
        Sequence("/v3/transactions/T1", "GET", TransactionJson, (503, null), (503, null));
        using var services = Build();

        var transaction = await services.Get<IFlexShopperClient>().GetTransactionAsync("T1");

        Assert.Equal("signed", transaction.Lease?.Status);
        Assert.Equal(3, Calls("/v3/transactions/T1"));
    }

    [Fact]
    public async Task A_retry_waits_for_the_servers_Retry_After()
    {
        Sequence("/v3/transactions/T1", "GET", TransactionJson, (429, "1"));
        using var services = Build();
        var clock = Stopwatch.StartNew();

        await services.Get<IFlexShopperClient>().GetTransactionAsync("T1");

        // The configured backoff is 10 ms; only Retry-After explains a wait of a second.
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(900), $"retried after {clock.Elapsed.TotalMilliseconds} ms");
        Assert.Equal(2, Calls("/v3/transactions/T1"));
    }

    [Fact]
    public async Task A_Retry_After_beyond_the_total_budget_fails_at_once_as_rate_limited()
    {
        Sequence("/v3/transactions/T1", "GET", TransactionJson, (429, "42"));
        using var services = Build();
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<FlexShopperApiException>(() => services.Get<IFlexShopperClient>().GetTransactionAsync("T1"));

        Assert.Equal(FlexShopperErrorKind.RateLimited, error.Kind);
        Assert.Equal(TimeSpan.FromSeconds(42), error.RetryAfter);
        Assert.Equal(1, Calls("/v3/transactions/T1"));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}"); // generous for a loaded machine; the alternative is far longer
    }

    [Fact]
    public async Task A_passcode_login_answered_503_is_made_exactly_once()
    {
        Sequence("/v3/users/U1/passcode-login", "POST", """{"data":{"token":"tok"}}""", (503, null));
        using var services = Build();

        var error = await Assert.ThrowsAsync<FlexShopperApiException>(() => services.Get<IFlexShopperClient>().PasscodeLoginAsync("U1", "123456"));

        Assert.Equal(FlexShopperErrorKind.Transient, error.Kind);
        Assert.Equal(1, Calls("/v3/users/U1/passcode-login"));
    }

    public static TheoryData<string, string> NeverRetried => new()
    {
        { "/v3/users/U1/send-passcode", "SendPasscode" },
        { "/v3/users", "CreateUser" },
        { "/v3/users/me/apply", "Apply" },
        { "/v3/leases", "CreateLease" },
        { "/v3/leases/L1/sign", "SignLease" },
        { "/v3/transactions/T1/finalize", "Finalize" },
        { "/v3/paymentMethods/add", "AddPaymentMethod" },
    };

    [Theory]
    [MemberData(nameof(NeverRetried))]
    public async Task Calls_that_must_not_repeat_are_sent_once_even_on_503(string path, string operation)
    {
        Sequence(path, "POST", """{"data":{}}""", (503, null));
        using var services = Build();
        var client = services.Get<IFlexShopperClient>();
        var customer = new CustomerCredential("tok", (await services.Get<FlexFunctions.Shared.Secrets.IApiKeyProvider>().GetCurrentAsync()).Version);
        var application = new ApplicationRequest
        {
            Street1 = "1 Main St",
            City = "Boca Raton",
            Region = "FL",
            PostalCode = "33431",
            Country = "US",
            EmploymentInformation = new EmploymentInformation("weekly", 3000m),
            BankAccount = new BankAccount("011000015", "123456789", "checking"),
        };

        Task call = operation switch
        {
            "SendPasscode" => client.SendPasscodeAsync("U1", PasscodeTransport.Sms),
            "CreateUser" => client.CreateUserAsync(new CreateUserRequest("Ada", "Lovelace", "ada@example.com")),
            "Apply" => client.ApplyAsync(customer, application),
            "CreateLease" => client.CreateLeaseAsync(customer, new CreateLeaseRequest("T1", [new LeaseItem("Acme", "SKU1", "Sofa") { Cost = 100m, Quantity = 1 }])),
            "SignLease" => client.SignLeaseAsync(customer, "L1", new SignLeaseRequest("203.0.113.7", DateTimeOffset.UtcNow)),
            "Finalize" => client.FinalizeAsync("T1"),
            "AddPaymentMethod" => client.AddPaymentMethodAsync(customer, new AddPaymentMethodRequest { Ach = new AchAccount("011000015", "123456789", "checking") }),
            _ => throw new ArgumentOutOfRangeException(nameof(operation)),
        };

        var error = await Assert.ThrowsAsync<FlexShopperApiException>(() => call);
        Assert.True(error.IsTransient);
        Assert.Equal(1, Calls(path));
    }

    [Fact]
    public async Task A_confirmation_goes_round_again_when_FlexShopper_certainly_did_not_act()
    {
        Sequence("/v3/transactions/T1/confirm-shipment", "POST", """{"data":{}}""", (503, null), (429, null), (408, null));
        using var services = Build();

        await services.Get<IFlexShopperClient>().ConfirmShipmentAsync("T1", new ShipmentConfirmation([new ShippedItem("ground", "2026-11-24") { Sku = "SKU1" }]));

        Assert.Equal(4, Calls("/v3/transactions/T1/confirm-shipment"));
    }

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(504)]
    public async Task A_confirmation_is_not_resent_when_FlexShopper_may_have_acted(int status)
    {
        // A gateway error can follow a change upstream: the queue's ledger settles it on redelivery instead.
        Sequence("/v3/transactions/T1/confirm-shipment", "POST", """{"data":{}}""", (status, null));
        using var services = Build();

        var error = await Assert.ThrowsAsync<FlexShopperApiException>(() =>
            services.Get<IFlexShopperClient>().ConfirmShipmentAsync("T1", new ShipmentConfirmation(null)));

        Assert.True(error.IsTransient);
        Assert.Equal(1, Calls("/v3/transactions/T1/confirm-shipment"));
    }

    [Fact]
    public async Task A_confirmation_whose_answer_never_comes_is_not_resent()
    {
        using var hung = new HungServer();
        var settings = TestServices.DefaultSettings(hung.BaseUrl, withStorage: false);
        settings["FlexShopper:AttemptTimeout"] = "00:00:00.200";
        settings["FlexShopper:TotalTimeout"] = "00:00:01";
        using var services = TestServices.Build(settings);

        var error = await Assert.ThrowsAsync<FlexShopperApiException>(() =>
            services.Get<IFlexShopperClient>().ReturnItemsAsync("T1", new ItemsRequest([new ItemQuantity("SKU1", 1)])));

        Assert.True(error.IsTransient);
        Assert.Equal(1, hung.Connections);
    }

    [Fact]
    public async Task The_circuit_opens_after_repeated_failures_and_stops_calling_upstream()
    {
        _fake.Server.Given(Request.Create().WithPath("/v3/settings/lease").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(500).WithBody("""{"error":{"statusCode":500,"code":"Boom","message":"x"}}"""));
        using var services = Build(s =>
        {
            s["FlexShopper:CircuitBreakerMinimumThroughput"] = "4";
            s["FlexShopper:CircuitBreakerBreakDuration"] = "00:00:30";
            s["FlexShopper:MaxRetryAttempts"] = "1";
        });
        var client = services.Get<IFlexShopperClient>();

        var failures = new List<FlexShopperApiException>();
        for (var i = 0; i < 6; i++)
        {
            failures.Add(await Assert.ThrowsAsync<FlexShopperApiException>(() => client.GetLeaseSettingsAsync()));
        }

        var callsWhenOpen = Calls("/v3/settings/lease");
        var open = await Assert.ThrowsAsync<FlexShopperApiException>(() => client.GetLeaseSettingsAsync());

        Assert.Equal(FlexShopperErrorKind.Transient, open.Kind);
        Assert.Null(open.StatusCode);
        Assert.Contains("circuit", open.Message, StringComparison.OrdinalIgnoreCase);
        Assert.True(callsWhenOpen < 12, $"upstream saw {callsWhenOpen} calls: the breaker never opened");
        Assert.Equal(callsWhenOpen, Calls("/v3/settings/lease"));
        // The first calls met FlexShopper's own 500; once open, the breaker answers without a status of its own.
        Assert.Equal(((HttpStatusCode?)HttpStatusCode.InternalServerError, "Boom"), (failures[0].StatusCode, failures[0].Code));
        Assert.Null(failures[^1].StatusCode);
        Assert.Contains("circuit", failures[^1].Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_hung_upstream_is_cut_by_the_attempt_timeout()
    {
        using var hung = new HungServer();
        var settings = TestServices.DefaultSettings(hung.BaseUrl, withStorage: false);
        settings["FlexShopper:AttemptTimeout"] = "00:00:00.300";
        settings["FlexShopper:TotalTimeout"] = "00:00:01";
        using var services = TestServices.Build(settings);
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<FlexShopperApiException>(() => services.Get<IFlexShopperClient>().PasscodeLoginAsync("U1", "123456"));

        Assert.Equal(FlexShopperErrorKind.Transient, error.Kind);
        Assert.Contains("did not answer in time", error.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}"); // generous for a loaded machine; the alternative is far longer
        Assert.Equal(1, hung.Connections);
    }

    [Fact]
    public async Task A_hung_GET_is_retried_per_attempt_and_ended_by_the_total_timeout()
    {
        using var hung = new HungServer();
        var settings = TestServices.DefaultSettings(hung.BaseUrl, withStorage: false);
        settings["FlexShopper:AttemptTimeout"] = "00:00:00.200";
        settings["FlexShopper:TotalTimeout"] = "00:00:01";
        using var services = TestServices.Build(settings);
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<FlexShopperApiException>(() => services.Get<IFlexShopperClient>().GetTransactionAsync("T1"));

        Assert.True(error.IsTransient);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}"); // generous for a loaded machine; the alternative is far longer
        Assert.True(hung.Connections >= 2, $"the hung attempt was not retried ({hung.Connections} connection)");
    }

    /// <summary>Accepts connections on 127.0.0.1 and never answers, like an upstream that hangs.</summary>
    private sealed class HungServer : IDisposable
    {
        private readonly System.Net.Sockets.TcpListener _listener = new(System.Net.IPAddress.Loopback, 0);
        private readonly List<System.Net.Sockets.TcpClient> _clients = [];
        private int _connections;

        public HungServer()
        {
            _listener.Start();
            BaseUrl = $"http://127.0.0.1:{((System.Net.IPEndPoint)_listener.LocalEndpoint).Port}/v3/";
            _ = AcceptAsync();
        }

        public string BaseUrl { get; }

        public int Connections => Volatile.Read(ref _connections);

        private async Task AcceptAsync()
        {
            try
            {
                while (true)
                {
                    var client = await _listener.AcceptTcpClientAsync();
                    Interlocked.Increment(ref _connections);
                    lock (_clients)
                    {
                        _clients.Add(client);
                    }
                }
            }
            catch (Exception ex) when (ex is System.Net.Sockets.SocketException or ObjectDisposedException)
            {
                // stopped
            }
        }

        public void Dispose()
        {
            _listener.Stop();
            lock (_clients)
            {
                _clients.ForEach(c => c.Dispose());
            }
        }
    }

    public void Dispose() => _fake.Dispose();
}
