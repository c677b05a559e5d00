using Azure.Data.Tables;
using FlexFunctions.Shared.CustomerAuth;
using FlexFunctions.Shared.Retention;
using FlexFunctions.Shared.Secrets;
using FlexFunctions.Tests.Infrastructure;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FlexFunctions.Tests.Http;

/// <summary>
/// The Data Protection key ring rests sealed with the key ring secret: instances sharing the table and the secret open
/// each other's sessions; a copy of the table without the secret opens none. Keys written before sealing stay readable
/// and are re-sealed by the storage cleanup.
/// </summary>
public sealed class SealedKeyRingTests : IDisposable
{
    private const string Secret = "key-ring-secret-of-the-deployment-0123456789";
    private const string OtherSecret = "some-other-key-ring-secret-0123456789abcdef";
    private readonly FakeFlexShopper _flex = new();

    private TestServices App(string table, string secret) => HttpApp.Build(_flex, s =>
    {
        s["CustomerSession:KeyRingTable"] = table;
        s["CustomerSession:KeyRingSecret"] = secret;
    });

    private static List<TableEntity> Rows(TestServices app, string table) =>
        app.Get<TableServiceClient>().GetTableClient(table).Query<TableEntity>().ToList();

    private static async Task CopyAsync(TestServices app, string from, string to)
    {
        var tables = app.Get<TableServiceClient>();
        var target = tables.GetTableClient(to);
        await target.CreateIfNotExistsAsync();
        foreach (var row in Rows(app, from))
        {
            await target.UpsertEntityAsync(new TableEntity(row.PartitionKey, row.RowKey) { ["Xml"] = row.GetString("Xml") });
        }
    }

    [Fact]
    public async Task A_session_sealed_by_one_instance_opens_in_another_and_a_copy_of_the_key_ring_without_the_secret_opens_nothing()
    {
        var table = Azurite.UniqueName("dpkeys");
        using var first = App(table, Secret);
        using var second = App(table, Secret);
        var session = first.Get<CustomerSessions>().Seal(new("tok-sealed", "kv-1"));

        Assert.Equal(new("tok-sealed", "kv-1"), await second.Get<CustomerSessions>().OpenAsync(session.Value));

        // The key rests sealed: no master key in clear in the table.
        var xml = Assert.Single(Rows(first, table)).GetString("Xml")!;
        Assert.Contains("encryptedSecret", xml, StringComparison.Ordinal);
        Assert.DoesNotContain("masterKey", xml, StringComparison.Ordinal);

        // Someone copies the table: without the secret, the copy opens nothing; with it, the copy is the same key ring.
        var copy = Azurite.UniqueName("dpcopy");
        await CopyAsync(first, table, copy);
        using var thief = App(copy, OtherSecret);
        using var owner = App(copy, Secret);
        Assert.Null(await thief.Get<CustomerSessions>().OpenAsync(session.Value));
        Assert.Equal(new("tok-sealed", "kv-1"), await owner.Get<CustomerSessions>().OpenAsync(session.Value));
    }

    [Fact]
    public async Task Keys_written_before_sealing_still_open_sessions_and_the_cleanup_reseals_them()
    {
        var table = Azurite.UniqueName("dplegacy");
        using var app = App(table, Secret);

        // As the app wrote its key ring before sealing: Data Protection on the same table, nothing encrypting the keys.
        var legacy = new ServiceCollection();
        legacy.AddDataProtection().SetApplicationName("FlexFunctions");
        legacy.Configure<KeyManagementOptions>(o => o.XmlRepository = new TableKeyRing(app.Get<TableServiceClient>().GetTableClient(table)));
        using var legacyProvider = legacy.BuildServiceProvider();
        var unsealed = new KeyRingSeal(Options.Create(new CustomerSessionOptions()), Options.Create(new KeyVaultOptions()), legacyProvider, TimeProvider.System, NullLogger<KeyRingSeal>.Instance);
        var before = new CustomerSessions(legacyProvider.GetRequiredService<IDataProtectionProvider>(), Options.Create(new CustomerSessionOptions()), TimeProvider.System, unsealed)
            .Seal(new("tok-legacy", "kv-0"));
        Assert.Contains("masterKey", Assert.Single(Rows(app, table)).GetString("Xml")!, StringComparison.Ordinal);

        // Still readable as it is, by the sealed app.
        Assert.Equal(new("tok-legacy", "kv-0"), await app.Get<CustomerSessions>().OpenAsync(before.Value));

        // The cleanup re-seals it: the same key, now sealed, still opens the session; a copy without the secret does not.
        var run = await app.Get<StorageCleanup>().RunAsync();
        Assert.Equal(1, run.Resealed);
        var xml = Assert.Single(Rows(app, table)).GetString("Xml")!;
        Assert.DoesNotContain("masterKey", xml, StringComparison.Ordinal);
        using var fresh = App(table, Secret);
        Assert.Equal(new("tok-legacy", "kv-0"), await fresh.Get<CustomerSessions>().OpenAsync(before.Value));
        var copy = Azurite.UniqueName("dpcopy");
        await CopyAsync(app, table, copy);
        using var thief = App(copy, OtherSecret);
        Assert.Null(await thief.Get<CustomerSessions>().OpenAsync(before.Value));
    }

    [Fact]
    public async Task After_a_rotation_of_the_key_ring_secret_old_sessions_open_and_the_cleanup_reseals_under_the_new_secret()
    {
        var table = Azurite.UniqueName("dprotate");
        using var before = App(table, OtherSecret);
        var session = before.Get<CustomerSessions>().Seal(new("tok-rotated", "kv-2"));

        using var during = App(table, Secret + "\n" + OtherSecret);
        Assert.Equal(new("tok-rotated", "kv-2"), await during.Get<CustomerSessions>().OpenAsync(session.Value));
        Assert.Equal(1, (await during.Get<StorageCleanup>().RunAsync()).Resealed);

        // The old secret can go now.
        using var after = App(table, Secret);
        Assert.Equal(new("tok-rotated", "kv-2"), await after.Get<CustomerSessions>().OpenAsync(session.Value));
    }

    public void Dispose() => _flex.Dispose();
}
