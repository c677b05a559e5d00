using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;
using Azure.Security.KeyVault.Secrets;
using FlexFunctions.Functions.Http;
using FlexFunctions.Shared.AbuseLimits;
using FlexFunctions.Shared.CustomerAuth;
using FlexFunctions.Shared.Http;
using FlexFunctions.Shared.KeyedHashing;
using FlexFunctions.Shared.Secrets;
using FlexFunctions.Tests.Http;
using FlexFunctions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Moq;

namespace FlexFunctions.Tests.KeyedHashing;

/// <summary>
/// Identifiers stored as table keys (customer ids, client IPs, idempotency keys) are HMACs under a secret: not the plain
/// SHA-256 anyone could recompute from every IPv4 address, different under another secret, and still found across a
/// rotation of that secret, so limits and idempotency hold while rows written under the old secret expire.
/// </summary>
public sealed class KeyedHashTests : IAsyncDisposable
{
    private const string OldSecret = "old-table-key-secret-0123456789abcdefgh";
    private const string NewSecret = "new-table-key-secret-0123456789abcdefgh";
    private const string Customer = "cust-7734";
    private const string Ip = "203.0.113.77";
    // From now: Data Protection's time-limited sessions check their expiry against the real clock.
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly FakeFlexShopper _flex = new();
    private readonly Dictionary<string, string?> _shared;
    private readonly List<TestServices> _apps = [];

    public KeyedHashTests()
    {
        _shared = TestServices.DefaultSettings(_flex.BaseUrl);
        _shared["AbuseLimits:PasscodeRequestsPerCustomer"] = "3";
        _shared["AbuseLimits:PasscodeRequestsPerClientIp"] = "3";
        _shared["AbuseLimits:FailedLoginsBeforeLockout"] = "2";
        _shared["CustomerSession:KeyRingTable"] = Azurite.UniqueName("dpkeys");
    }

    /// <summary>An app instance on the shared tables with <paramref name="secret"/> (one line, or "new\nold" during a rotation).</summary>
    private TestServices App(string secret)
    {
        var settings = new Dictionary<string, string?>(_shared) { ["KeyedHashing:Secret"] = secret };
        var app = TestServices.Build(settings, s => s.AddSingleton<TimeProvider>(_clock));
        _apps.Add(app);
        return app;
    }

    private async Task<List<string>> PartitionKeys(TestServices app, string setting)
    {
        var table = app.Get<TableServiceClient>().GetTableClient(_shared["Tables:" + setting]);
        var keys = new List<string>();
        await foreach (var row in table.QueryAsync<TableEntity>(select: ["PartitionKey", "RowKey"]))
        {
            keys.Add(row.PartitionKey + "|" + row.RowKey);
        }

        return keys;
    }

    private static string Sha256(string text, bool upper) =>
        upper ? Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text))) : Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    [Fact]
    public async Task Stored_keys_for_an_IP_and_a_customer_are_not_their_plain_SHA256_and_change_with_the_secret()
    {
        var first = App(OldSecret);
        Assert.True((await first.Get<IAbuseLimiter>().TryAcquireAsync(LimitKind.PasscodeRequest, Customer, Ip)).Allowed);
        var underOld = await PartitionKeys(first, "RateLimits");

        // The same subjects under another secret, in a table of their own.
        var otherTable = new Dictionary<string, string?>(_shared) { ["KeyedHashing:Secret"] = NewSecret, ["Tables:RateLimits"] = Azurite.UniqueName("tlimits") };
        await using var other = TestServices.Build(otherTable, s => s.AddSingleton<TimeProvider>(_clock));
        Assert.True((await other.Get<IAbuseLimiter>().TryAcquireAsync(LimitKind.PasscodeRequest, Customer, Ip)).Allowed);
        var underNew = new List<string>();
        await foreach (var row in other.Get<TableServiceClient>().GetTableClient(otherTable["Tables:RateLimits"]).QueryAsync<TableEntity>(select: ["PartitionKey"]))
        {
            underNew.Add(row.PartitionKey);
        }

        var plain = new[] { Sha256("customer\n" + Customer.ToUpperInvariant(), upper: true), Sha256("clientIp\n" + Ip, upper: true) };
        Assert.Equal(2, underOld.Count); // one row per subject: the customer's counter and the IP's
        Assert.All(underOld, k => Assert.DoesNotContain(k.Split('|')[0], plain));
        Assert.All(underOld, k => Assert.DoesNotContain(Ip, k, StringComparison.Ordinal));
        Assert.All(underOld, k => Assert.DoesNotContain(Customer, k, StringComparison.OrdinalIgnoreCase));
        Assert.Empty(underOld.Select(k => k.Split('|')[0]).Intersect(underNew));
    }

    [Fact]
    public async Task An_idempotency_key_is_stored_keyed_and_its_request_fingerprint_too()
    {
        _flex.Server.StubJson("POST", "/v3/leases", 200, """{"status":200,"data":{"leaseId":"L1","payment":24.99}}""");
        var app = App(OldSecret);
        const string key = "order-1001-lease";

        var created = await CreateLease(app, key);

        Assert.Equal(201, created.Status);
        var table = app.Get<TableServiceClient>().GetTableClient(_shared["Tables:Idempotency"]);
        var row = Assert.Single(table.Query<TableEntity>());
        Assert.NotEqual(Sha256(key, upper: false), row.RowKey);
        Assert.DoesNotContain("1001", row.RowKey, StringComparison.Ordinal);
        var unkeyed = FlexFunctions.Shared.Idempotency.TableIdempotencyStore.Fingerprint("POST", "/api/v1/leases", Encoding.UTF8.GetBytes(LeaseBody), "tok");
        Assert.NotEqual(unkeyed, row.GetString("Fingerprint"));
    }

    [Fact]
    public async Task Limits_and_lockouts_hold_across_a_rotation_of_the_secret()
    {
        var before = App(OldSecret).Get<IAbuseLimiter>();
        for (var i = 0; i < 2; i++)
        {
            Assert.True((await before.TryAcquireAsync(LimitKind.PasscodeRequest, Customer, Ip)).Allowed);
        }

        // Two wrong passcodes lock the customer's login.
        for (var i = 0; i < 2; i++)
        {
            var login = await before.TryAcquireAsync(LimitKind.LoginAttempt, "cust-locked", null);
            await before.CompleteLoginAsync(login, LoginOutcome.WrongPasscode);
        }

        // The secret is rotated: new first, old second. Counters written under the old secret are still found: the
        // third request is the last one allowed, and is counted on from the old row.
        var during = App(NewSecret + "\n" + OldSecret).Get<IAbuseLimiter>();
        Assert.True((await during.TryAcquireAsync(LimitKind.PasscodeRequest, Customer, Ip)).Allowed);
        var refused = await during.TryAcquireAsync(LimitKind.PasscodeRequest, Customer, null);
        var refusedByIp = await during.TryAcquireAsync(LimitKind.PasscodeRequest, "someone-else", Ip);
        var locked = await during.TryAcquireAsync(LimitKind.LoginAttempt, "cust-locked", null);
        Assert.Equal((false, LimitScopes.Customer), (refused.Allowed, refused.Scope));
        Assert.Equal((false, LimitScopes.ClientIp), (refusedByIp.Allowed, refusedByIp.Scope));
        Assert.Equal((false, LimitScopes.Lockout), (locked.Allowed, locked.Scope));

        // The counter written during the rotation lives under the new secret: with the new one alone it still refuses,
        // and its window still ends when the first request's did.
        var after = App(NewSecret).Get<IAbuseLimiter>();
        Assert.Equal(LimitScopes.Customer, (await after.TryAcquireAsync(LimitKind.PasscodeRequest, Customer, null)).Scope);
        Assert.Equal(LimitScopes.ClientIp, (await after.TryAcquireAsync(LimitKind.PasscodeRequest, "someone-else", Ip)).Scope);
        _clock.Advance(TimeSpan.FromMinutes(16));
        Assert.True((await after.TryAcquireAsync(LimitKind.PasscodeRequest, Customer, Ip)).Allowed);
    }

    [Fact]
    public async Task An_idempotency_key_recorded_before_a_rotation_is_replayed_after_it()
    {
        _flex.Server.StubJson("POST", "/v3/leases", 200, """{"status":200,"data":{"leaseId":"L1","payment":24.99}}""");
        var key = Guid.NewGuid().ToString();

        var first = await CreateLease(App(OldSecret), key);
        var during = await CreateLease(App(NewSecret + "\n" + OldSecret), key);

        Assert.Equal((201, 201), (first.Status, during.Status));
        Assert.Equal("true", during.Headers["Idempotent-Replayed"].ToString());
        Assert.Equal(1, _flex.Server.LogEntries.Count(e => e.RequestMessage!.Path == "/v3/leases"));
    }

    [Fact]
    public async Task In_Key_Vault_a_rotation_is_written_under_the_new_secret_only_once_every_instance_has_read_it()
    {
        var setAt = _clock.GetUtcNow();
        var vault = new Mock<SecretClient>();
        vault.Setup(c => c.GetSecretAsync("TableKeySecret", null, It.IsAny<CancellationToken>()))
            .ReturnsAsync(() => Response.FromValue(SecretModelFactory.KeyVaultSecret(SecretModelFactory.SecretProperties(name: "TableKeySecret", createdOn: setAt), NewSecret + "\n" + OldSecret), Mock.Of<Response>()));
        var services = new ServiceCollection().AddSingleton(vault.Object).BuildServiceProvider();
        var refresh = TimeSpan.FromMinutes(5);
        var hasher = new KeyedHasher(Options.Create(new KeyedHashOptions()), Options.Create(new KeyVaultOptions { VaultUri = new Uri("https://unit.vault.azure.net/"), RefreshInterval = refresh }),
            services, _clock, NullLogger<KeyedHasher>.Instance);
        var oldId = new KeyedHasher(Options.Create(new KeyedHashOptions { Secret = OldSecret }), Options.Create(new KeyVaultOptions()), services, _clock, NullLogger<KeyedHasher>.Instance);
        var oldKey = (await oldId.KeysAsync()).Write.Id;

        var early = await hasher.KeysAsync();
        _clock.Advance(refresh + KeyedHasher.ClockSkew);
        var late = await hasher.KeysAsync();

        Assert.Equal(oldKey, early.Write.Id); // an instance that has not read the rotation yet writes under the old one too
        Assert.Equal(2, early.All.Count);
        Assert.NotEqual(oldKey, late.Write.Id);
        Assert.Equal(oldKey, late.All[1].Id); // still read
    }

    [Fact]
    public async Task Key_Vault_unreachable_with_no_secret_cached_answers_503_and_FlexShopper_is_not_called()
    {
        using var vault = new FakeKeyVault();
        vault.Serve("FlexShopperApiKey", "v1", "test-api-key-0001");
        vault.Serve("SessionKeyRingSecret", "s1", "vault-key-ring-secret-0123456789abcdefgh");
        vault.GoDown();
        await using var app = HttpApp.Build(_flex, s =>
        {
            s.Remove("FlexShopper:ApiKey");
            s["KeyVault:VaultUri"] = vault.VaultUri.ToString();
        }, s => s.AddSingleton(vault.CreateClient()));
        var functions = HttpTestKit.Create<CustomerFunctions>(app.Provider);

        var passcode = await HttpTestKit.RunAsync(HttpTestKit.Request(app.Provider, "POST", "/api/v1/customers/u1/passcode", """{"transport":"sms","customerIp":"203.0.113.5"}"""),
            r => functions.RequestPasscode(r, "u1", default));

        Assert.Equal((503, "DependencyUnavailable"), (passcode.Status, passcode.Json.GetProperty("code").GetString()));
        Assert.NotEmpty(passcode.Headers["Retry-After"].ToString());
        Assert.Empty(_flex.Server.LogEntries);
    }

    private const string LeaseBody = """{"transactionId":"T1","items":[{"brand":"Acme","sku":"TV-55","description":"55in TV","cost":599.99}]}""";

    private static Task<HttpResult> CreateLease(TestServices app, string key)
    {
        var sp = app.Provider;
        var headers = new Dictionary<string, string>
        {
            [CustomerSessions.Header] = sp.GetRequiredService<CustomerSessions>().Seal(new("tok", sp.GetRequiredService<IApiKeyProvider>().GetCurrentAsync().AsTask().Result.Version)).Value,
            [ApiEndpoint.IdempotencyKeyHeader] = key,
        };
        return HttpTestKit.RunAsync(HttpTestKit.Request(sp, "POST", "/api/v1/leases", LeaseBody, headers), r => HttpTestKit.Create<LeaseFunctions>(sp).CreateLease(r, default));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var app in _apps)
        {
            await app.DisposeAsync();
        }

        _flex.Dispose();
    }
}
