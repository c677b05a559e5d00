using Azure;
using Azure.Security.KeyVault.Secrets;
using FlexFunctions.Functions.Http;
using FlexFunctions.Shared.Storage;
using FlexFunctions.Tests.Http;
using FlexFunctions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Moq;
using WireMock.RequestBuilders;

namespace FlexFunctions.Tests.Health;

/// <summary>Liveness and readiness as an operator or a load balancer sees them, against Azurite and a fake FlexShopper.</summary>
public sealed class HealthTests : IDisposable
{
    private const string LeaseSettings = """{"status":200,"data":{"minimumOrderValue":50}}""";
    private readonly FakeFlexShopper _flex = new();

    private TestServices App(Action<Dictionary<string, string?>>? settings = null, Action<IServiceCollection>? configure = null)
    {
        var values = TestServices.DefaultSettings(_flex.BaseUrl);
        values["Health:CheckTimeout"] = "00:00:02";
        values["FlexShopper:MaxRetryAttempts"] = "0";
        settings?.Invoke(values);
        return TestServices.Build(values, configure);
    }

    private static Task<HttpResult> Ready(TestServices app) =>
        HttpTestKit.RunAsync(HttpTestKit.Request(app.Provider, "GET", "/api/v1/health/ready"),
            r => HttpTestKit.Create<HealthFunctions>(app.Provider).Ready(r, default));

    [Fact]
    public void Liveness_is_anonymous_and_readiness_needs_a_function_key()
    {
        Assert.Equal("Anonymous", FunctionMetadata.Get(HealthFunctions.LiveName).AuthLevel);
        Assert.Equal("v1/health/live", FunctionMetadata.Get(HealthFunctions.LiveName).Route);
        Assert.Equal("Function", FunctionMetadata.Get(HealthFunctions.ReadyName).AuthLevel);
        Assert.Equal("v1/health/ready", FunctionMetadata.Get(HealthFunctions.ReadyName).Route);
    }

    [Fact]
    public async Task Liveness_answers_without_touching_any_dependency()
    {
        // FlexShopper and storage both unreachable: the process is still alive.
        await using var app = TestServices.Build(TestServices.DefaultSettings("http://127.0.0.1:9/v3/", withStorage: false));
        var result = await HttpTestKit.RunAsync(HttpTestKit.Request(app.Provider, "GET", "/api/v1/health/live"),
            r => Task.FromResult(HttpTestKit.Create<HealthFunctions>(app.Provider).Live(r)));

        Assert.Equal(200, result.Status);
        Assert.Equal("Healthy", result.Json.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Readiness_reports_every_part_healthy_with_its_duration()
    {
        _flex.Server.StubJson("GET", "/v3/settings/lease", 200, LeaseSettings);
        await using var app = App();
        await app.Get<WarehouseQueue>().Client.CreateAsync();
        await app.Get<WarehouseQueue>().Client.SendMessageAsync("{}");

        var result = await Ready(app);

        Assert.Equal(200, result.Status);
        Assert.Equal("Healthy", result.Json.GetProperty("status").GetString());
        var parts = result.Json.GetProperty("checks").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!);
        Assert.Equal(["flexShopper", "keyVault", "queues", "tables"], parts.Keys.Order(StringComparer.Ordinal));
        Assert.All(parts.Values, p =>
        {
            Assert.Equal("Healthy", p.GetProperty("status").GetString());
            Assert.True(p.GetProperty("durationMs").GetDouble() >= 0);
        });
        Assert.Equal(1, parts["queues"].GetProperty("data").GetProperty("messages").GetInt64());
        Assert.Contains("not created yet", parts["tables"].GetProperty("description").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_slow_FlexShopper_and_a_missing_queue_make_it_unready_naming_each_part_within_the_timeout()
    {
        // Checks run in parallel, each cut at Health__CheckTimeout (1 s here) however slow the dependency is. The
        // timeout leaves Azurite room to answer the table check while the rest of the suite loads the machine.
        _flex.Server.Given(Request.Create().WithPath("/v3/settings/lease").UsingGet())
            .RespondWith(WireMock.ResponseBuilders.Response.Create().WithStatusCode(200).WithBody(LeaseSettings).WithDelay(TimeSpan.FromSeconds(30)));
        await using var app = App(s => s["Health:CheckTimeout"] = "00:00:01");
        var started = System.Diagnostics.Stopwatch.StartNew();

        var result = await Ready(app);

        // Cut at the 1 s timeout rather than waiting out FlexShopper's 30 s; the bound leaves a loaded machine room.
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(15), $"took {started.Elapsed}");
        Assert.Equal(503, result.Status);
        Assert.Equal("5", result.Headers.RetryAfter.ToString()); // a probe or caller knows when to ask again
        Assert.Equal("Unhealthy", result.Json.GetProperty("status").GetString());
        var parts = result.Json.GetProperty("checks").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!);
        Assert.Equal("Unhealthy", parts["flexShopper"].GetProperty("status").GetString());
        Assert.Contains("Health__CheckTimeout", parts["flexShopper"].GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.Equal("Unhealthy", parts["queues"].GetProperty("status").GetString());
        Assert.Contains("does not exist", parts["queues"].GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.Equal("Healthy", parts["tables"].GetProperty("status").GetString());
    }

    [Fact]
    public async Task FlexShopper_refusing_the_key_and_Key_Vault_refusing_the_identity_are_told_apart()
    {
        _flex.Server.StubJson("GET", "/v3/settings/lease", 401, """{"error":{"code":"InvalidApiKey","message":"no","statusCode":401}}""");
        var secrets = new Mock<SecretClient>();
        secrets.Setup(c => c.GetSecretAsync(It.IsAny<string>(), It.IsAny<string>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new RequestFailedException(403, "Forbidden by RBAC"));
        await using var app = App(
            s => s["KeyVault:VaultUri"] = "https://flexfunctions-test.vault.azure.net/",
            s => s.AddSingleton(secrets.Object));

        var result = await Ready(app);

        Assert.Equal(503, result.Status);
        var parts = result.Json.GetProperty("checks").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!);
        Assert.Contains("Key Vault Secrets User", parts["keyVault"].GetProperty("description").GetString(), StringComparison.Ordinal);
        // With Key Vault refusing, no key can be had: the FlexShopper check says so rather than hanging.
        Assert.Equal("Unhealthy", parts["flexShopper"].GetProperty("status").GetString());
    }

    [Fact]
    public async Task FlexShopper_refusing_the_key_is_unhealthy_with_its_code()
    {
        _flex.Server.StubJson("GET", "/v3/settings/lease", 401, """{"error":{"code":"InvalidApiKey","message":"no","statusCode":401}}""");
        await using var app = App();

        var result = await Ready(app);

        var flexShopper = result.Json.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "flexShopper");
        Assert.Equal("Unhealthy", flexShopper.GetProperty("status").GetString());
        Assert.Contains("refused the API key (401 InvalidApiKey)", flexShopper.GetProperty("description").GetString(), StringComparison.Ordinal);
    }

    public void Dispose() => _flex.Dispose();
}
