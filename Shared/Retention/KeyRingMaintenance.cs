using System.Globalization;
using System.Xml.Linq;
using Azure;
using Azure.Data.Tables;
using FlexFunctions.Shared.CustomerAuth;
using Microsoft.Extensions.Options;

namespace FlexFunctions.Shared.Retention;

/// <summary>
/// The session key ring's share of the cleanup: a Data Protection key is deleted only once no session it sealed can
/// still be alive (its expiration, after which it seals nothing new, plus <c>Retention__KeyRing</c>, which start-up keeps
/// at or above <c>CustomerSession__Lifetime</c>); revocations are kept. Keys resting unsealed (written before the key
/// ring was sealed) or sealed under a secret that is no longer the current one are re-sealed with the current secret, so
/// the old secret can be retired and a copy of the table opens nothing.
/// </summary>
public sealed class KeyRingMaintenance(TableServiceClient tables, IOptions<CustomerSessionOptions> sessions, IOptions<RetentionOptions> retention, KeyRingSeal seal)
{
    private static readonly XNamespace DataProtection = "http://schemas.asp.net/2015/03/dataProtection";
    private static readonly XName EncryptedSecret = DataProtection + "encryptedSecret";
    private static readonly XName RequiresEncryption = DataProtection + "requiresEncryption";

    public async Task<(long Deleted, long Resealed)> RunAsync(DateTimeOffset now, int maxDeletes, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(sessions.Value.KeyRingTable))
        {
            return (0, 0);
        }

        if (seal.Enabled)
        {
            await seal.PrepareAsync(cancellationToken).ConfigureAwait(false);
        }

        var table = tables.GetTableClient(sessions.Value.KeyRingTable);
        long deleted = 0, resealed = 0;
        try
        {
            // A handful of rows (one key per 90 days): read whole.
            await foreach (var row in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {"keyring"}"), cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                var xml = XElement.Parse(row.GetString("Xml") ?? "<empty/>");
                if (xml.Name == "key" && DateTimeOffset.TryParse(xml.Element("expirationDate")?.Value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var expires)
                    && expires + retention.Value.KeyRing < now && deleted < maxDeletes)
                {
                    if (await TryAsync(() => table.DeleteEntityAsync(row.PartitionKey, row.RowKey, row.ETag, cancellationToken)).ConfigureAwait(false))
                    {
                        deleted++;
                    }

                    continue;
                }

                if (seal.Enabled && Reseal(xml))
                {
                    row["Xml"] = xml.ToString(SaveOptions.DisableFormatting);
                    if (await TryAsync(() => table.UpdateEntityAsync(row, row.ETag, TableUpdateMode.Replace, cancellationToken)).ConfigureAwait(false))
                    {
                        resealed++;
                    }
                }
            }
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // No key ring yet.
        }

        return (deleted, resealed);
    }

    /// <summary>Seals every secret part resting in clear, and re-seals those sealed under another secret; true when anything changed.</summary>
    internal bool Reseal(XElement key)
    {
        var changed = false;
        foreach (var plain in key.Descendants().Where(e => (string?)e.Attribute(RequiresEncryption) == "true").ToList())
        {
            plain.ReplaceWith(Wrap(seal.Seal(plain)));
            changed = true;
        }

        var current = seal.CurrentSecretId();
        foreach (var wrapper in key.Descendants(EncryptedSecret).ToList())
        {
            if (wrapper.Elements().SingleOrDefault() is { } inner && KeyRingSeal.SecretIdOf(inner) is { } id && id != current)
            {
                inner.ReplaceWith(seal.Seal(seal.Open(inner)));
                changed = true;
            }
        }

        return changed;
    }

    // The shape Data Protection itself writes around an encrypted element, naming the type that opens it.
    private static XElement Wrap(XElement sealedElement) =>
        new(EncryptedSecret, new XAttribute("decryptorType", typeof(SealedKeyDecryptor).AssemblyQualifiedName!), sealedElement);

    private static async Task<bool> TryAsync(Func<Task<Response>> write)
    {
        try
        {
            await write().ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status is 404 or 412)
        {
            return false; // changed or removed meanwhile: looked at again next run
        }
    }
}
