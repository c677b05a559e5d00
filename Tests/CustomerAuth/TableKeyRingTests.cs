using System.Xml.Linq;
using Azure;
using Azure.Core;
using Azure.Data.Tables;
using FlexFunctions.Shared.CustomerAuth;
using FlexFunctions.Tests.Infrastructure;

namespace FlexFunctions.Tests.CustomerAuth;

/// <summary>
/// The session key ring's table as Data Protection uses it: a key stored first on a fresh table is kept, under the
/// name Data Protection gives it; the table is created once; and a table that failed moments ago is not asked again
/// until the failure memory has passed.
/// </summary>
public sealed class TableKeyRingTests
{
    private static readonly XElement Key = XElement.Parse("""<key id="k1"><value>sealed</value></key>""");

    private static (TableKeyRing Ring, TableClient Table, StorageRequestCounter Requests) Ring(string? connectionString = null)
    {
        var requests = new StorageRequestCounter();
        var options = new TableClientOptions();
        options.Retry.MaxRetries = 0;
        options.AddPolicy(requests, HttpPipelinePosition.PerRetry);
        var table = new TableClient(connectionString ?? Azurite.Instance.ConnectionString, Azurite.UniqueName("keyring"), options);
        return (new TableKeyRing(table), table, requests);
    }

    [Fact]
    public void A_key_stored_on_a_fresh_table_before_any_read_is_kept_under_its_name()
    {
        var (ring, table, _) = Ring();

        ring.StoreElement(Key, "key-3f2a");
        ring.StoreElement(new XElement("key", new XAttribute("id", "k1"), "resealed"), "key-3f2a"); // the cleanup re-sealing it

        var row = Assert.Single(table.Query<TableEntity>().ToList());
        Assert.Equal(("keyring", "key-3f2a"), (row.PartitionKey, row.RowKey));
        Assert.Equal("resealed", Assert.Single(ring.GetAllElements()).Value);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void A_key_without_a_name_is_kept_under_a_fresh_id(string? friendlyName)
    {
        var (ring, table, _) = Ring();

        ring.StoreElement(Key, friendlyName!);
        ring.StoreElement(Key, friendlyName!);

        var rows = table.Query<TableEntity>().ToList();
        Assert.Equal(2, rows.Count);
        Assert.All(rows, r => Assert.Matches("^[0-9a-f]{32}$", r.RowKey));
        Assert.Equal(2, ring.GetAllElements().Count);
    }

    [Fact]
    public void The_table_is_created_once_then_each_read_is_one_round_trip()
    {
        var (ring, _, requests) = Ring();

        Assert.Empty(ring.GetAllElements());
        var afterFirst = requests.Count;
        Assert.Empty(ring.GetAllElements());

        Assert.Equal(1, requests.Count - afterFirst);
    }

    [Fact]
    public async Task A_table_that_failed_moments_ago_is_not_asked_again_until_the_failure_memory_has_passed()
    {
        var closed = Azurite.FreePort();
        var (ring, _, requests) = Ring(Azurite.ConnectionStringFor(closed, closed, closed));

        var first = Assert.Throws<RequestFailedException>(() => ring.GetAllElements());
        var asked = requests.Count;
        Assert.True(asked > 0);

        // Moments later: refused at once, saying so, with the first failure as its cause; the table is not asked.
        var again = Assert.Throws<RequestFailedException>(() => ring.StoreElement(Key, "key-1"));
        Assert.Contains("not asked again", again.Message, StringComparison.Ordinal);
        Assert.Same(first, again.InnerException);
        Assert.Equal(asked, requests.Count);

        // Once the memory has passed, the next call tries the table again.
        await Task.Delay(TableKeyRing.FailureMemory + TimeSpan.FromSeconds(1));
        Assert.Throws<RequestFailedException>(() => ring.GetAllElements());
        Assert.True(requests.Count > asked);
    }
}
