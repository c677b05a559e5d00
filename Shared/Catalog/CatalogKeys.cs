using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using FlexFunctions.Shared.InputRules;

namespace FlexFunctions.Shared.Catalog;

/// <summary>
/// The catalog table's keys. PartitionKey is a bucket of the SKU's hash (<see cref="PartitionCount"/> buckets,
/// <c>00</c>..<c>ff</c>), RowKey is the SKU made safe for Table keys.
/// Why: get-by-SKU stays a point read (the bucket is computed from the SKU); writes group into entity group
/// transactions of up to 100 per bucket; the load spreads over many partitions; and the list API reads the table in
/// key order with the service's own continuation, so no secondary index is needed.
/// </summary>
public static class CatalogKeys
{
    public const int PartitionCount = 256;

    /// <summary>SKUs longer than this are refused: the one identifier length (escaping keeps it within a RowKey's 1 KiB).</summary>
    public const int MaxSkuLength = FieldRules.MaxIdentifierLength;

    /// <summary>Bumped when the stored shape changes, so the next refresh rewrites every row once.</summary>
    private const string HashVersion = "v1";

    public static string PartitionFor(string sku)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        HashUtf8(sku, hash);
        return hash[0].ToString("x2", CultureInfo.InvariantCulture);
    }

    public static IEnumerable<string> AllPartitions() =>
        Enumerable.Range(0, PartitionCount).Select(i => i.ToString("x2", CultureInfo.InvariantCulture));

    public static bool IsPartition(string value) =>
        value.Length == 2 && int.TryParse(value, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var n) && n < PartitionCount
        && value == value.ToLowerInvariant();

    /// <summary>
    /// Why a SKU cannot be stored or asked for, or null when it can: the SKU rule every lease, checkout and warehouse
    /// line follows, so the catalog lists nothing a lease would refuse.
    /// </summary>
    public static string? Problem(string? sku) => FieldRules.Code.Accepts(sku) ? null : FieldRules.Code.Message;

    /// <summary>The SKU with the characters Table keys forbid (<c>/ \ # ?</c>, controls) and <c>%</c> percent-escaped.</summary>
    public static string RowKeyFor(string sku)
    {
        if (sku.AsSpan().IndexOfAny(Unsafe) < 0 && !sku.Any(char.IsControl))
        {
            return sku;
        }

        var builder = new StringBuilder(sku.Length + 8);
        foreach (var c in sku)
        {
            if (Unsafe.Contains(c) || char.IsControl(c))
            {
                builder.Append('%').Append(((int)c).ToString("X2", CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    /// <summary>A digest of everything we store about a product: equal digests mean nothing to write.</summary>
    public static string ContentHash(string sku, string? name, string? url)
    {
        var text = string.Create(CultureInfo.InvariantCulture,
            $"{HashVersion}|{sku.Length}:{sku}|{name?.Length ?? -1}:{name}|{url?.Length ?? -1}:{url}");
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        HashUtf8(text, hash);
        return Convert.ToBase64String(hash[..16]);
    }

    private static readonly SearchValues<char> Unsafe = SearchValues.Create("/\\#?%");

    private static void HashUtf8(string text, Span<byte> destination)
    {
        var max = Encoding.UTF8.GetMaxByteCount(text.Length);
        var rented = max <= 1024 ? null : ArrayPool<byte>.Shared.Rent(max);
        try
        {
            Span<byte> buffer = rented is null ? stackalloc byte[max] : rented;
            var length = Encoding.UTF8.GetBytes(text, buffer);
            SHA256.HashData(buffer[..length], destination);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
