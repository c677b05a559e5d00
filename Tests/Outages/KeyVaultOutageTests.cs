using System.Text;
using FlexFunctions.Tests.Emulator;
using FlexFunctions.Tests.Http;
using FlexFunctions.Tests.Infrastructure;
using FlexShopper.Emulator;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace FlexFunctions.Tests.Outages;

/// <summary>
/// Key Vault answering 503 (a fake vault behind the app's real <c>SecretClient</c>), with the API key and signing
/// secret already cached, and on a fresh instance with nothing cached. A cached key keeps every route serving; with
/// nothing cached every route that needs the key answers 503 with Retry-After and the customer keeps their session.
/// Only a key version the vault says is gone sends the customer to log in again.
/// </summary>
public sealed class KeyVaultOutageTests(ITestOutputHelper output) : IDisposable
{
    private const string ApiKeyName = "FlexShopperApiKey";
    private const string SigningSecretName = "WebhookSigningSecret";
    private static readonly byte[] SigningSecret = Encoding.UTF8.GetBytes("a-webhook-signing-secret-of-32-chars-or-more");
    private readonly FakeKeyVault _vault = new();

    [Fact]
    public async Task Key_Vault_answering_503_every_route_keeps_serving_on_the_cached_key_and_without_one_answers_503_and_keeps_the_session()
    {
        _vault.Serve(ApiKeyName, "v1", RunningEmulator.Key);
        _vault.Serve(SigningSecretName, "s1", Encoding.UTF8.GetString(SigningSecret));
        _vault.Serve("ShopifyWebhookSecret", "p1", StorePlatforms.PlatformBed.ShopifySecret);
        _vault.Serve("WooCommerceWebhookSecret", "p1", StorePlatforms.PlatformBed.WooSecret);
        _vault.Serve("StandardWebhooksSecret", "p1", StorePlatforms.PlatformBed.StandardSecret);
        await using var emulator = await RunningEmulator.StartAsync(new EmulatorOptions { ProductCount = 30, ProductPageSize = 20 });
        var shared = Settings(emulator);
        await using var warm = Build(shared, signatures: true);
        await using var warmUnsigned = Build(shared, signatures: false);
        var cachedJourney = await OutageJourney.PrepareAsync(warm, emulator, "kvcached", SigningSecret);
        var coldJourney = await OutageJourney.PrepareAsync(warmUnsigned, emulator, "kvcold");
        var coldSignedJourney = await OutageJourney.PrepareAsync(warmUnsigned, emulator, "kvcoldsigned");

        _vault.GoDown();
        await Task.Delay(TimeSpan.FromSeconds(1.2)); // past KeyVault__RefreshInterval: the next use tries the vault first

        // 1. The key, the signing secret and the platforms' secrets are cached: every route serves as usual, readiness says Degraded.
        var readsBefore = _vault.SecretReads;
        var probes = cachedJourney.Probes();
        var answers = await RouteSweep.SweepAsync(warm, probes, SigningSecret);
        output.WriteLine(RouteSweep.Table("Key Vault 503, key and signing secret cached", answers));
        RouteSweep.AssertAnswers(answers, probes, Needs.None, readiness: 200, "Key Vault 503 with the key cached");
        Assert.True(_vault.SecretReads > readsBefore, "the cached key was due for a refresh, so the vault was asked (and failed)");
        Assert.Contains("Degraded", answers.Single(a => a.Function == "HealthReady").Result.Body, StringComparison.Ordinal);

        // 2. A fresh instance, nothing cached: every route that needs the API key answers 503 ApiKeyUnavailable with
        // Retry-After (never 401 KeyVersionUnavailable), each platform's route 503 DependencyUnavailable (its secret),
        // and nothing reaches FlexShopper.
        await using var cold = Build(shared, signatures: false);
        probes = coldJourney.Probes();
        var requestsBefore = emulator.State.Requests.Count;
        answers = await RouteSweep.SweepAsync(cold, probes);
        output.WriteLine(RouteSweep.Table("Key Vault 503, nothing cached", answers));
        RouteSweep.AssertAnswers(answers, probes, Needs.ApiKey | Needs.PlatformSecret, readiness: 503, "Key Vault 503 with nothing cached");
        Assert.Equal(requestsBefore, emulator.State.Requests.Count);
        Assert.DoesNotContain(answers, a => a.Code == "KeyVersionUnavailable");
        // A session cannot even be opened: the key ring's sealing secret is in the same vault (503, the session stays valid).
        Assert.All(answers.Where(a => probes.TryGetValue(a.Function, out var p) && p.Needs.HasFlag(Needs.Sessions)), a => Assert.Equal("DependencyUnavailable", a.Code));

        // 3. The same with signatures required: the signing secret cannot be read either, so every store and customer
        // route answers 503 before doing anything.
        await using var coldSigned = Build(shared, signatures: true);
        probes = coldSignedJourney.Probes();
        answers = await RouteSweep.SweepAsync(coldSigned, probes, SigningSecret);
        output.WriteLine(RouteSweep.Table("Key Vault 503, nothing cached, signatures required", answers));
        RouteSweep.AssertAnswers(answers, probes, Needs.ApiKey | Needs.Signature | Needs.PlatformSecret, readiness: 503, "Key Vault 503 with nothing cached, signatures required");

        // The vault is back: the customer's session from before the outage still works, and the store's retry with
        // the same Idempotency-Key creates the lease once.
        _vault.Recover();
        probes = coldJourney.Probes();
        Assert.Equal(200, (await RouteSweep.CallAsync(cold, "GetCurrentCustomer", probes["GetCurrentCustomer"].Call())).Result.Status);
        var leases = emulator.State.Requests.Count(r => r is { Method: "POST", Path: "/v3/leases" });
        Assert.Equal(201, (await RouteSweep.CallAsync(cold, "CreateLease", probes["CreateLease"].Call())).Result.Status);
        Assert.Equal("true", (await RouteSweep.CallAsync(cold, "CreateLease", probes["CreateLease"].Call())).Result.Headers["Idempotent-Replayed"].ToString());
        Assert.Equal(leases + 1, emulator.State.Requests.Count(r => r is { Method: "POST", Path: "/v3/leases" }));
        // The platforms' deliveries refused for want of their secret: retried now, each is taken and confirmed once.
        output.WriteLine(await coldJourney.RetryPlatformDeliveriesAsync(cold, emulator));
        Assert.Empty(emulator.State.Violations);
    }

    [Theory]
    [InlineData("deleted", 401, "KeyVersionUnavailable")]
    [InlineData("disabled", 401, "KeyVersionUnavailable")]
    // The session is opened first, with the key ring's sealing secret from the same vault: 503, the session stays valid.
    [InlineData("our identity refused", 503, "DependencyUnavailable")]
    [InlineData("down", 503, "DependencyUnavailable")]
    public async Task Only_a_key_version_the_vault_says_is_gone_sends_the_customer_to_log_in_again(string vault, int status, string code)
    {
        _vault.Serve(ApiKeyName, "v1", RunningEmulator.Key);
        await using var emulator = await RunningEmulator.StartAsync();
        var shared = Settings(emulator);
        await using var before = Build(shared, signatures: false);
        var signedUp = await RouteSweep.CallAsync(before, "CreateCustomer", new RouteCall(Body: OutageJourney.Customer($"gone.{Guid.NewGuid():N}@example.com")));
        var session = signedUp.Result.Json.GetProperty("session").GetString()!;

        // The key was rotated to v2; what happened to v1 (or to the vault) decides the answer on a fresh instance.
        _vault.Serve(ApiKeyName, "v2", RunningEmulator.OtherKey);
        switch (vault)
        {
            case "deleted": _vault.Delete(ApiKeyName, "v1"); break;
            case "disabled": _vault.Disable(ApiKeyName, "v1"); break;
            case "our identity refused": _vault.RefuseOurIdentity(); break;
            default: _vault.GoDown(); break;
        }

        await using var after = Build(shared, signatures: false);
        var me = await RouteSweep.CallAsync(after, "GetCurrentCustomer", new RouteCall(Session: session));

        Assert.Equal((status, code), (me.Result.Status, me.Code));
        Assert.Equal(status == 503, me.RetryAfter.Length > 0);
        Assert.Empty(emulator.State.Violations); // the token never travelled with another key
    }

    public void Dispose() => _vault.Dispose();

    private Dictionary<string, string?> Settings(RunningEmulator emulator)
    {
        // The app's own secrets live in the same vault: the table key and the key ring's sealing secret.
        _vault.Serve("TableKeySecret", "h1", "vault-table-key-secret-0123456789abcdef");
        _vault.Serve("SessionKeyRingSecret", "r1", "vault-key-ring-secret-0123456789abcdefgh");
        var settings = emulator.AppSettings();
        settings.Remove("FlexShopper:ApiKey");
        settings["KeyVault:VaultUri"] = _vault.VaultUri.ToString();
        settings["KeyVault:RefreshInterval"] = "00:00:01";
        settings["CustomerSession:KeyRingTable"] = Azurite.UniqueName("dpkeys");
        return settings;
    }

    /// <summary>An instance of the app: its own caches, the shared tables and session key ring, the fake vault.</summary>
    private TestServices Build(Dictionary<string, string?> shared, bool signatures) =>
        HttpApp.Build(new Dictionary<string, string?>(shared), s =>
        {
            s["CustomerSession:KeyRingTable"] = shared["CustomerSession:KeyRingTable"];
            s["Webhook:RequireSignature"] = signatures ? "true" : "false";
        }, services => services.AddSingleton(_vault.CreateClient()));
}
