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

    public static string PartitionFor(string sku) => PartitionName(PartitionIndex(sku));

    /// <summary>The SKU's bucket as a number, 0..<see cref="PartitionCount"/>-1.</summary>
    public static int PartitionIndex(string sku)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        HashUtf8(sku, hash);
        return hash[0];
    }

    /// <summary>The PartitionKey of bucket <paramref name="index"/>: two lower-case hex digits (cached, no new string per call).</summary>
    public static string PartitionName(int index) => Names[index];

    private static readonly string[] Names = Enumerable.Range(0, PartitionCount).Select(i => i.ToString("x2", CultureInfo.InvariantCulture)).ToArray();

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

    /// <summary>The bytes of <see cref="ContentHash(string, string?, string?)"/>; the table keeps them as base64.</summary>
    public const int ContentHashBytes = 16;

    /// <summary>A digest of everything we store about a product: equal digests mean nothing to write.</summary>
    public static string ContentHash(string sku, string? name, string? url)
    {
        Span<byte> hash = stackalloc byte[ContentHashBytes];
        ContentHash(sku, name, url, hash);
        return Convert.ToBase64String(hash);
    }

    /// <summary>
    /// The digest into <paramref name="destination"/> (<see cref="ContentHashBytes"/> bytes), built without an
    /// intermediate string: SHA-256 over <c>v1|len:sku|len:name|len:url</c> in UTF-8 (-1 for a missing field), cut to 16 bytes.
    /// </summary>
    public static void ContentHash(string sku, string? name, string? url, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(sku);
        var max = 64 + Encoding.UTF8.GetMaxByteCount(sku.Length + (name?.Length ?? 0) + (url?.Length ?? 0));
        var rented = max <= 1024 ? null : ArrayPool<byte>.Shared.Rent(max);
        try
        {
            Span<byte> buffer = rented is null ? stackalloc byte[max] : rented;
            var length = Encoding.UTF8.GetBytes(HashVersion, buffer);
            length += Field(sku, buffer[length..]);
            length += Field(name, buffer[length..]);
            length += Field(url, buffer[length..]);
            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(buffer[..length], hash);
            hash[..ContentHashBytes].CopyTo(destination);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }

        // "|<length in chars>:<text>", as the string form this replaced wrote it, so stored digests stay valid.
        static int Field(string? text, Span<byte> into)
        {
            into[0] = (byte)'|';
            var written = 1;
            (text?.Length ?? -1).TryFormat(into[written..], out var digits, provider: CultureInfo.InvariantCulture);
            written += digits;
            into[written++] = (byte)':';
            return written + (text is null ? 0 : Encoding.UTF8.GetBytes(text, into[written..]));
        }
    }

    /// <summary>True when <paramref name="stored"/> (base64, as the table holds it) is <paramref name="hash"/>.</summary>
    public static bool SameHash(string? stored, ReadOnlySpan<byte> hash)
    {
        Span<byte> decoded = stackalloc byte[ContentHashBytes + 3];
        return stored is not null && Convert.TryFromBase64String(stored, decoded, out var written) && decoded[..written].SequenceEqual(hash);
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
