using System.Xml.Linq;
using Azure.Data.Tables;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace FlexFunctions.Shared.CustomerAuth;

/// <summary>
/// The Data Protection key ring in a table, so every instance of the app opens sessions sealed by any other.
/// (The Blob-backed package is not available to this build.) Keys rest unencrypted in the table: access to the
/// storage account is what protects them.
/// </summary>
public sealed class TableKeyRing(TableClient table) : IXmlRepository
{
    private const string Partition = "keyring";
    private int _created;

    public IReadOnlyCollection<XElement> GetAllElements()
    {
        EnsureTable();
        return table.Query<TableEntity>(e => e.PartitionKey == Partition)
            .Select(e => XElement.Parse(e.GetString("Xml")))
            .ToList();
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        EnsureTable();
        var row = string.IsNullOrWhiteSpace(friendlyName) ? Guid.NewGuid().ToString("N") : friendlyName;
        table.UpsertEntity(new TableEntity(Partition, row) { ["Xml"] = element.ToString(SaveOptions.DisableFormatting) });
    }

    private void EnsureTable()
    {
        // Marked created only once creation succeeded: storage down at the first call must not break sessions for good.
        if (Volatile.Read(ref _created) == 0)
        {
            table.CreateIfNotExists();
            Volatile.Write(ref _created, 1);
        }
    }
}
