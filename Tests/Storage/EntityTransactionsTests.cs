using System.Text;
using Azure;
using Azure.Core;
using Azure.Data.Tables;
using Azure.Data.Tables.Sas;
using FlexFunctions.Shared.Catalog;
using FlexFunctions.Shared.Storage;
using FlexFunctions.Tests.Infrastructure;

namespace FlexFunctions.Tests.Storage;

/// <summary>Our own entity group transactions, against Azurite, read back with the SDK.</summary>
public sealed class EntityTransactionsTests
{
    private static readonly Func<TokenCredential> NoCredential = () => throw new InvalidOperationException("A connection string needs no token.");

    [Fact]
    public async Task Upserts_and_deletes_land_as_the_sdk_reads_them_even_with_awkward_keys_and_text()
    {
        var service = new TableServiceClient(Azurite.Instance.ConnectionString);
        var table = service.GetTableClient(Azurite.UniqueName("etx"));
        await table.CreateAsync();
        try
        {
            await table.AddEntityAsync(new TableEntity("p 'q'", "gone") { ["Name"] = "old" });
            await table.AddEntityAsync(new TableEntity("p 'q'", "kept") { ["Name"] = "old", ["Extra"] = "dropped on replace" });
            var transactions = EntityTransactions.Create(service, Azurite.Instance.ConnectionString, NoCredential, null);
            string[] awkward = ["it's", "a b+c", "100%", "ü-ñ-中", "emoji-😀", "kept"];
            using (var batch = transactions.Begin(table.Name, "p 'q'"))
            {
                foreach (var key in awkward)
                {
                    var entity = batch.BeginUpsert(key);
                    entity.WriteString("Name", $"name of {key} with \"quotes\", \\ and a\r\nnewline --changeset_x");
                    entity.WriteBase64String("Hash", Encoding.UTF8.GetBytes(key));
                    batch.EndUpsert();
                }

                batch.Delete("gone");
                Assert.Equal(awkward.Length + 1, batch.Count);
                await batch.SendAsync(default);
                Assert.Equal(0, batch.Count);
            }

            var rows = new Dictionary<string, TableEntity>();
            await foreach (var row in table.QueryAsync<TableEntity>())
            {
                rows[row.RowKey] = row;
            }

            Assert.Equal(awkward.Order(StringComparer.Ordinal), rows.Keys.Order(StringComparer.Ordinal));
            foreach (var key in awkward)
            {
                Assert.Equal("p 'q'", rows[key].PartitionKey);
                Assert.Equal($"name of {key} with \"quotes\", \\ and a\r\nnewline --changeset_x", rows[key].GetString("Name"));
                Assert.Equal(Convert.ToBase64String(Encoding.UTF8.GetBytes(key)), rows[key].GetString("Hash"));
            }

            Assert.False(rows["kept"].ContainsKey("Extra")); // replaced, not merged
        }
        finally
        {
            await table.DeleteAsync();
        }
    }

    [Fact]
    public async Task One_failing_operation_fails_the_whole_transaction_with_the_services_code_and_applies_nothing()
    {
        var service = new TableServiceClient(Azurite.Instance.ConnectionString);
        var table = service.GetTableClient(Azurite.UniqueName("etx"));
        await table.CreateAsync();
        try
        {
            var transactions = EntityTransactions.Create(service, Azurite.Instance.ConnectionString, NoCredential, null);
            using var batch = transactions.Begin(table.Name, "p");
            batch.BeginUpsert("new");
            batch.EndUpsert();
            batch.Delete("never-there");

            var failure = await Assert.ThrowsAsync<RequestFailedException>(() => batch.SendAsync(default));

            Assert.Equal(404, failure.Status);
            Assert.Equal("ResourceNotFound", failure.ErrorCode);
            await foreach (var unexpected in table.QueryAsync<TableEntity>())
            {
                Assert.Fail($"Row {unexpected.RowKey} was written by a failed transaction.");
            }
        }
        finally
        {
            await table.DeleteAsync();
        }
    }

    [Fact]
    public async Task A_connection_string_holding_a_sas_instead_of_a_key_authorises_the_transactions()
    {
        var keyed = new TableServiceClient(Azurite.Instance.ConnectionString);
        var table = keyed.GetTableClient(Azurite.UniqueName("etx"));
        await table.CreateAsync();
        try
        {
            var sas = keyed.GenerateSasUri(TableAccountSasPermissions.All, TableAccountSasResourceTypes.All, DateTimeOffset.UtcNow.AddHours(1)).Query.TrimStart('?');
            var connection = $"TableEndpoint={keyed.Uri.AbsoluteUri.TrimEnd('/')};SharedAccessSignature={sas}";
            var service = new TableServiceClient(connection);
            var transactions = EntityTransactions.Create(service, connection, NoCredential, null);
            using (var batch = transactions.Begin(table.Name, "p"))
            {
                batch.BeginUpsert("r").WriteString("Name", "by sas");
                batch.EndUpsert();
                await batch.SendAsync(default);
            }

            Assert.Equal("by sas", (await table.GetEntityAsync<TableEntity>("p", "r")).Value.GetString("Name"));
        }
        finally
        {
            await table.DeleteAsync();
        }
    }

    [Fact]
    public void A_transaction_holds_at_most_one_hundred_operations()
    {
        var service = new TableServiceClient(Azurite.Instance.ConnectionString);
        using var batch = EntityTransactions.Create(service, Azurite.Instance.ConnectionString, NoCredential, null).Begin("t", "p");
        for (var i = 0; i < EntityTransactions.MaxOperations; i++)
        {
            batch.Delete("r" + i);
        }

        Assert.True(batch.IsFull);
        Assert.Throws<InvalidOperationException>(() => batch.Delete("one more"));
    }

    [Theory]
    [InlineData("HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 204 No Content\r\n", 3)]
    [InlineData("", 1)]
    [InlineData("HTTP/1.1 2", 1)]
    public void An_answer_that_does_not_account_for_every_operation_is_an_error_not_a_success(string body, int operations)
    {
        Assert.Throws<RequestFailedException>(() => EntityTransactions.ThrowIfAnyFailed(Encoding.ASCII.GetBytes(body), operations));
    }

    [Theory]
    [InlineData("SKU-1", "Product 1", "https://www.flexshopper.com/product/1")]
    [InlineData("ü-中", null, "u")]
    [InlineData("s", "", null)]
    public void The_content_hash_built_from_bytes_is_the_one_stored_rows_hold(string sku, string? name, string? url)
    {
        // The form the stored rows were hashed with: a change here would rewrite every row once.
        var text = $"v1|{sku.Length}:{sku}|{name?.Length ?? -1}:{name}|{url?.Length ?? -1}:{url}";
        var expected = Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(text))[..16]);

        Assert.Equal(expected, CatalogKeys.ContentHash(sku, name, url));
        Span<byte> hash = stackalloc byte[CatalogKeys.ContentHashBytes];
        CatalogKeys.ContentHash(sku, name, url, hash);
        Assert.True(CatalogKeys.SameHash(expected, hash));
        Assert.False(CatalogKeys.SameHash(CatalogKeys.ContentHash(sku + "x", name, url), hash));
    }
}
