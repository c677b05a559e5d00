namespace FlexFunctions.Shared.Catalog;

/// <summary>
/// The upstream catalog, spilled to local temp files, one per partition, while FlexShopper is paged. Memory stays
/// flat however large the catalog: only small write buffers are held, and the write phase loads one partition
/// (about catalog/256 products) at a time. Nothing is written to the table until the whole upstream pass succeeded.
/// </summary>
internal sealed class CatalogSpill : IDisposable
{
    private const int BufferBytes = 4096;
    private readonly string _directory;
    private readonly BinaryWriter?[] _writers = new BinaryWriter?[CatalogKeys.PartitionCount];

    public CatalogSpill(string? root, string runId)
    {
        _directory = Path.Combine(string.IsNullOrWhiteSpace(root) ? Path.GetTempPath() : root, "flexfunctions-catalog-" + runId);
        Directory.CreateDirectory(_directory);
    }

    public void Write(int partition, SpilledProduct product)
    {
        var writer = _writers[partition] ??= new BinaryWriter(
            new FileStream(PathOf(partition), FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferBytes));
        writer.Write(product.Sku);
        WriteNullable(writer, product.Name);
        WriteNullable(writer, product.Url);
        var hash = product.Hash;
        writer.Write(hash);
    }

    /// <summary>Flushes and closes every file; call once the upstream pass is complete.</summary>
    public void Complete()
    {
        for (var i = 0; i < _writers.Length; i++)
        {
            _writers[i]?.Dispose();
            _writers[i] = null;
        }
    }

    public IEnumerable<SpilledProduct> Read(int partition)
    {
        var path = PathOf(partition);
        if (!File.Exists(path))
        {
            yield break;
        }

        using var reader = new BinaryReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, BufferBytes));
        while (reader.BaseStream.Position < reader.BaseStream.Length)
        {
            var sku = reader.ReadString();
            var name = ReadNullable(reader);
            var url = ReadNullable(reader);
            var hash = default(ContentDigest);
            reader.BaseStream.ReadExactly(hash);
            yield return new SpilledProduct(sku, name, url, hash);
        }
    }

    public void Dispose()
    {
        Complete();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp folder named for the run.
        }
        catch (UnauthorizedAccessException)
        {
            // Best effort, as above.
        }
    }

    private string PathOf(int partition) => Path.Combine(_directory, partition.ToString("x2", System.Globalization.CultureInfo.InvariantCulture) + ".bin");

    private static void WriteNullable(BinaryWriter writer, string? value)
    {
        writer.Write(value is not null);
        if (value is not null)
        {
            writer.Write(value);
        }
    }

    private static string? ReadNullable(BinaryReader reader) => reader.ReadBoolean() ? reader.ReadString() : null;
}

internal readonly record struct SpilledProduct(string Sku, string? Name, string? Url, ContentDigest Hash);

/// <summary>A product's content hash (<see cref="CatalogKeys.ContentHashBytes"/> bytes) held inline, with no array.</summary>
[System.Runtime.CompilerServices.InlineArray(CatalogKeys.ContentHashBytes)]
internal struct ContentDigest
{
    private byte _first;
}
