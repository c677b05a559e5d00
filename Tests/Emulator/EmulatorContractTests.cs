using System.Net;
using System.Text.Json;
using FlexShopper.Emulator;
using Microsoft.Extensions.Time.Testing;

namespace FlexFunctions.Tests.Emulator;

/// <summary>The emulator answers like FlexShopper: gateway 401s, envelopes, single-use passcodes, key-bound tokens, faults.</summary>
public sealed class EmulatorContractTests
{
    private const string NewUser = """{"firstName":"Grace","lastName":"Hopper","email":"grace@example.com"}""";

    [Fact]
    public async Task Missing_or_unknown_api_key_gets_the_gateways_bare_401()
    {
        await using var emulator = await RunningEmulator.StartAsync();

        using var missing = await emulator.SendAsync(HttpMethod.Get, "products", apiKey: null);
        using var unknown = await emulator.SendAsync(HttpMethod.Get, "products", apiKey: "not-a-key");

        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Equal("No API key found in request", (await RunningEmulator.JsonOf(missing)).GetProperty("message").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        var body = await RunningEmulator.JsonOf(unknown);
        Assert.Equal("Invalid authentication credentials", body.GetProperty("message").GetString());
        Assert.False(body.TryGetProperty("error", out _));
    }

    [Fact]
    public async Task A_token_presented_with_another_key_is_refused_and_recorded_without_the_keys()
    {
        await using var emulator = await RunningEmulator.StartAsync();
        using var created = await emulator.SendAsync(HttpMethod.Post, "users", json: NewUser);
        var token = (await RunningEmulator.JsonOf(created)).GetProperty("data").GetProperty("token").GetString();

        using var sameKey = await emulator.SendAsync(HttpMethod.Get, "users/me", RunningEmulator.Key, token);
        using var otherKey = await emulator.SendAsync(HttpMethod.Get, "users/me", RunningEmulator.OtherKey, token);

        Assert.Equal(HttpStatusCode.OK, sameKey.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, otherKey.StatusCode);
        var error = (await RunningEmulator.JsonOf(otherKey)).GetProperty("error");
        Assert.Equal(401, error.GetProperty("statusCode").GetInt32());
        Assert.Equal("InvalidCustomerToken", error.GetProperty("code").GetString());

        var violation = Assert.Single(emulator.State.Violations);
        Assert.Equal("/v3/users/me", violation.Path);
        using var admin = await emulator.Http.GetAsync("__admin/violations");
        var text = await admin.Content.ReadAsStringAsync();
        Assert.Contains("/v3/users/me", text, StringComparison.Ordinal);
        Assert.DoesNotContain(RunningEmulator.Key, text, StringComparison.Ordinal);
        Assert.DoesNotContain(token!, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Passcodes_go_to_the_outbox_and_are_single_use_replaced_and_short_lived()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-05T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var emulator = await RunningEmulator.StartAsync(new EmulatorOptions { PasscodeLifetime = TimeSpan.FromMinutes(5) }, time);
        using var created = await emulator.SendAsync(HttpMethod.Post, "users", json: NewUser);
        var userId = (await RunningEmulator.JsonOf(created)).GetProperty("data").GetProperty("userId").GetString()!;

        async Task<string> SendPasscode()
        {
            using var sent = await emulator.SendAsync(HttpMethod.Post, $"users/{userId}/send-passcode", json: """{"transport":"email"}""");
            var body = await RunningEmulator.JsonOf(sent);
            Assert.Equal(200, body.GetProperty("status").GetInt32()); // the documented {"status":200,"data":{}}
            using var outbox = await emulator.Http.GetAsync($"__admin/outbox?email=grace@example.com");
            return (await RunningEmulator.JsonOf(outbox)).EnumerateArray().Last().GetProperty("passcode").GetString()!;
        }

        async Task<(HttpStatusCode Status, string? Code)> Login(string passcode)
        {
            using var response = await emulator.SendAsync(HttpMethod.Post, $"users/{userId}/passcode-login", json: $$"""{"passcode":"{{passcode}}"}""");
            var body = await RunningEmulator.JsonOf(response);
            return (response.StatusCode, body.TryGetProperty("error", out var e) ? e.GetProperty("code").GetString() : null);
        }

        var first = await SendPasscode();
        var second = await SendPasscode();
        Assert.Equal((HttpStatusCode.BadRequest, "InvalidPasscode"), await Login(first)); // replaced by the second
        Assert.Equal((HttpStatusCode.OK, null), await Login(second));
        Assert.Equal((HttpStatusCode.BadRequest, "InvalidPasscode"), await Login(second)); // single use

        var third = await SendPasscode();
        time.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1));
        Assert.Equal((HttpStatusCode.BadRequest, "ExpiredPasscode"), await Login(third));
    }

    [Fact]
    public async Task Errors_use_the_envelope_and_unknown_uris_the_gateways_bare_404()
    {
        await using var emulator = await RunningEmulator.StartAsync();

        using var missing = await emulator.SendAsync(HttpMethod.Get, "transactions/nope");
        using var unknownUri = await emulator.SendAsync(HttpMethod.Post, "transactions/nope/return-all");
        using var duplicate1 = await emulator.SendAsync(HttpMethod.Post, "users", json: NewUser);
        using var duplicate2 = await emulator.SendAsync(HttpMethod.Post, "users", json: NewUser);
        using var badPage = await emulator.SendAsync(HttpMethod.Get, "products?page=0");

        var error = (await RunningEmulator.JsonOf(missing)).GetProperty("error");
        Assert.Equal(404, error.GetProperty("statusCode").GetInt32());
        Assert.Equal("TransactionNotFound", error.GetProperty("code").GetString());
        Assert.Equal(JsonValueKind.Object, error.GetProperty("data").ValueKind);
        Assert.Equal(HttpStatusCode.NotFound, unknownUri.StatusCode);
        Assert.False((await RunningEmulator.JsonOf(unknownUri)).TryGetProperty("error", out _));
        Assert.Equal(HttpStatusCode.Conflict, duplicate2.StatusCode);
        Assert.Equal("UserAlreadyExists", (await RunningEmulator.JsonOf(duplicate2)).GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, badPage.StatusCode);
        Assert.True((await RunningEmulator.JsonOf(badPage)).GetProperty("error").GetProperty("data").TryGetProperty("page", out _));
    }

    [Fact]
    public async Task Faults_set_through_the_admin_endpoint_are_used_up_in_order_then_clear()
    {
        await using var emulator = await RunningEmulator.StartAsync();
        using var set = await emulator.Http.PostAsync("__admin/faults", new StringContent(
            """{"rateLimitCount":1,"retryAfterSeconds":7,"burst503Count":1,"methods":["GET"]}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);

        using var post = await emulator.SendAsync(HttpMethod.Post, "users", json: NewUser); // not a GET: untouched
        using var limited = await emulator.SendAsync(HttpMethod.Get, "settings/lease");
        using var unavailable = await emulator.SendAsync(HttpMethod.Get, "settings/lease");
        using var ok = await emulator.SendAsync(HttpMethod.Get, "settings/lease");

        Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), limited.Headers.RetryAfter?.Delta);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, unavailable.StatusCode);
        Assert.Equal("ServiceUnavailable", (await RunningEmulator.JsonOf(unavailable)).GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(49.95m, (await RunningEmulator.JsonOf(ok)).GetProperty("data").GetProperty("minimumOrderValue").GetDecimal());
        Assert.Equal(["429", "503", null], emulator.State.Requests.Where(r => r.Method == "GET").Select(r => r.Fault));

        using var bad = await emulator.Http.PostAsync("__admin/faults", new StringContent("""{"errorRate":2}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task Configured_error_rate_and_hangs_apply_from_start_up()
    {
        var options = new EmulatorOptions { Faults = new FaultSettings { ErrorRate = 1.0, HangCount = 1, HangMs = 50 } };
        await using var emulator = await RunningEmulator.StartAsync(options);

        using var hung = await emulator.SendAsync(HttpMethod.Get, "products");
        using var failed = await emulator.SendAsync(HttpMethod.Get, "products");

        Assert.Equal(HttpStatusCode.GatewayTimeout, hung.StatusCode);
        Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        Assert.Equal("InternalServerError", (await RunningEmulator.JsonOf(failed)).GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task Application_validation_names_the_field()
    {
        await using var emulator = await RunningEmulator.StartAsync();
        using var created = await emulator.SendAsync(HttpMethod.Post, "users", json: NewUser);
        var token = (await RunningEmulator.JsonOf(created)).GetProperty("data").GetProperty("token").GetString();

        // "region" instead of the documented "regionAbbr".
        using var response = await emulator.SendAsync(HttpMethod.Post, "users/me/apply", token: token, json:
            """{"street1":"1 Main St","city":"Boca Raton","region":"FL","postalCode":"33431","country":"US","ssn":"123456781","dateOfBirth":"1990-01-01"}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await RunningEmulator.JsonOf(response)).GetProperty("error");
        Assert.Equal("ValidationError", error.GetProperty("code").GetString());
        Assert.True(error.GetProperty("data").TryGetProperty("regionAbbr", out _));
    }

    [Fact]
    public async Task A_retired_key_is_refused_and_the_request_log_keeps_no_emails()
    {
        await using var emulator = await RunningEmulator.StartAsync();
        using var lookup = await emulator.SendAsync(HttpMethod.Get, "user-exists?email=grace@example.com");
        Assert.Equal(HttpStatusCode.OK, lookup.StatusCode);

        using var retire = await emulator.Http.PutAsync("__admin/keys", new StringContent(
            $$"""{"apiKeys":["{{RunningEmulator.OtherKey}}"]}""", System.Text.Encoding.UTF8, "application/json"));
        using var retired = await emulator.SendAsync(HttpMethod.Get, "products", RunningEmulator.Key);
        using var current = await emulator.SendAsync(HttpMethod.Get, "products", RunningEmulator.OtherKey);

        Assert.Equal(HttpStatusCode.NoContent, retire.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, retired.StatusCode);
        Assert.Equal(HttpStatusCode.OK, current.StatusCode);
        using var requests = await emulator.Http.GetAsync("__admin/requests");
        var log = await requests.Content.ReadAsStringAsync();
        Assert.Contains("/v3/user-exists", log, StringComparison.Ordinal);
        Assert.DoesNotContain("grace@example.com", log, StringComparison.Ordinal);
    }

    [Fact]
    public void Only_loopback_addresses_are_accepted()
    {
        Assert.Throws<ArgumentException>(() => EmulatorApp.Build(new EmulatorOptions(), "http://0.0.0.0:5080"));
        Assert.Throws<ArgumentException>(() => EmulatorApp.Build(new EmulatorOptions(), "http://localhost:5080"));
    }
}
