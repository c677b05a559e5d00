using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Azure.Data.Tables.Sas;

namespace FlexFunctions.Shared.Storage;

/// <summary>
/// Entity group transactions (Table Storage's <c>$batch</c>) written straight into one reusable buffer and sent through
/// an Azure.Core pipeline built from the same options as the app's table client (retries, telemetry, test policies).
/// </summary>
/// <remarks>
/// Why not <see cref="TableClient.SubmitTransactionAsync"/>: it builds a whole request object per entity and
/// allocated about 27 KB per entity here (Azure.Data.Tables 12.13, 100 per transaction), 2.7 GB of garbage for a
/// 100,000-product refresh. This writes the same OData batch the SDK writes, for the two operations the catalog
/// needs: replace-or-insert of string and binary properties, and delete whatever the version. Authorised as the table
/// client is: a shared key becomes an account SAS (made locally from the key), a SAS connection string is used as
/// given, a service URI gets the app's Azure credential.
/// </remarks>
public sealed class EntityTransactions
{
    /// <summary>The most operations one transaction may hold (Table Storage's limit).</summary>
    public const int MaxOperations = 100;

    private const string ServiceVersion = "2020-12-06";
    private static readonly ResponseClassifier Accepted = new StatusCodeClassifier([202]);

    private readonly HttpPipeline _pipeline;
    private readonly SasSource? _sas;

    private EntityTransactions(HttpPipeline pipeline, Uri account, SasSource? sas)
    {
        _pipeline = pipeline;
        AccountUrl = account.AbsoluteUri.TrimEnd('/');
        _sas = sas;
    }

    /// <summary>
    /// Sends to <paramref name="service"/>'s endpoint, authorised by its shared key, by the SAS in
    /// <paramref name="connectionString"/>, or (no connection string) by <paramref name="credential"/>.
    /// </summary>
    public static EntityTransactions Create(TableServiceClient service, string? connectionString, Func<TokenCredential> credential, StoragePipelinePolicies? policies)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(credential);
        var options = new TableClientOptions();
        policies?.ApplyTo(options);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            // As the table client authorises with a token: the storage audience.
            var bearer = new BearerTokenAuthenticationPolicy(credential(), "https://storage.azure.com/.default");
            return new EntityTransactions(HttpPipelineBuilder.Build(options, bearer), service.Uri, null);
        }

        return new EntityTransactions(HttpPipelineBuilder.Build(options), service.Uri, SasSource.For(service, connectionString));
    }

    /// <summary>The account's table endpoint, without a trailing slash.</summary>
    internal string AccountUrl { get; }

    /// <summary>A new, empty transaction on one partition of <paramref name="table"/>; dispose it to return its buffer.</summary>
    public EntityBatch Begin(string table, string partitionKey) => new(this, table, partitionKey);

    internal async Task SendAsync(ReadOnlyMemory<byte> body, string boundary, int operations, CancellationToken cancellationToken)
    {
        using var message = _pipeline.CreateMessage(new RequestContext { CancellationToken = cancellationToken }, Accepted);
        var request = message.Request;
        request.Method = RequestMethod.Post;
        request.Uri.Reset(new Uri(AccountUrl + "/$batch" + (_sas?.Query ?? string.Empty)));
        request.Headers.Add("x-ms-version", ServiceVersion);
        request.Headers.Add("DataServiceVersion", "3.0");
        request.Headers.Add("Accept", "application/json");
        request.Headers.Add("Content-Type", "multipart/mixed; boundary=batch_" + boundary);
        request.Content = RequestContent.Create(body);
        await _pipeline.SendAsync(message, cancellationToken).ConfigureAwait(false);
        if (message.Response.IsError)
        {
            throw new RequestFailedException(message.Response);
        }

        ThrowIfAnyFailed(message.Response.Content.ToMemory().Span, operations);
    }

    /// <summary>
    /// The service answers 202 for the batch and one status per operation inside it; a transaction that failed holds
    /// one response, the failing operation's, with the service's error code. Thrown as the SDK would throw a single
    /// operation's failure.
    /// </summary>
    internal static void ThrowIfAnyFailed(ReadOnlySpan<byte> body, int operations)
    {
        ReadOnlySpan<byte> statusLine = "HTTP/1.1 "u8;
        var seen = 0;
        var rest = body;
        while (rest.IndexOf(statusLine) is var at and >= 0)
        {
            rest = rest[(at + statusLine.Length)..];
            if (rest.Length < 3 || !Utf8Parser.TryParse(rest[..3], out int status, out var used) || used != 3)
            {
                throw new RequestFailedException(0, "The entity group transaction's answer could not be read.");
            }

            if (status >= 300)
            {
                throw Failure(status, rest);
            }

            seen++;
        }

        if (seen != operations)
        {
            throw new RequestFailedException(0, string.Create(CultureInfo.InvariantCulture,
                $"The entity group transaction answered {seen} operation(s) of {operations}; whether it was applied is unknown."));
        }
    }

    private static RequestFailedException Failure(int status, ReadOnlySpan<byte> afterStatus)
    {
        string? code = null;
        string? text = null;
        var start = afterStatus.IndexOf("\r\n\r\n"u8);
        if (start >= 0)
        {
            var json = afterStatus[(start + 4)..];
            var end = json.IndexOf("\r\n--"u8);
            try
            {
                using var document = JsonDocument.Parse(end >= 0 ? json[..end].ToArray() : json.ToArray());
                if (document.RootElement.TryGetProperty("odata.error", out var error))
                {
                    code = error.TryGetProperty("code", out var c) ? c.GetString() : null;
                    text = error.TryGetProperty("message", out var m) && m.TryGetProperty("value", out var v) ? v.GetString() : null;
                }
            }
            catch (JsonException)
            {
                // An unreadable error body: the status alone says enough.
            }
        }

        return new RequestFailedException(status, $"The entity group transaction failed: {(text ?? "no message").Split('\n')[0]}", code, null);
    }

    /// <summary>The query string that authorises a request when the table client holds a key or a SAS.</summary>
    private sealed class SasSource
    {
        private static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);
        private readonly TableServiceClient? _service;
        private readonly Lock _gate = new();
        private string _query;
        private DateTimeOffset _renewAt;

        private SasSource(TableServiceClient? service, string query, DateTimeOffset renewAt)
        {
            _service = service;
            _query = query;
            _renewAt = renewAt;
        }

        public string Query
        {
            get
            {
                if (_service is null || DateTimeOffset.UtcNow < _renewAt)
                {
                    return _query;
                }

                lock (_gate)
                {
                    if (DateTimeOffset.UtcNow >= _renewAt)
                    {
                        (_query, _renewAt) = Make(_service);
                    }

                    return _query;
                }
            }
        }

        public static SasSource For(TableServiceClient service, string connectionString)
        {
            try
            {
                var (query, renewAt) = Make(service);
                return new SasSource(service, query, renewAt);
            }
            catch (InvalidOperationException)
            {
                // No key in the client: the connection string carries a SAS, used as it is.
                var sas = connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries)
                    .Select(part => part.Split('=', 2))
                    .FirstOrDefault(kv => kv.Length == 2 && kv[0].Trim().Equals("SharedAccessSignature", StringComparison.OrdinalIgnoreCase))?[1].Trim()
                    ?? throw new InvalidOperationException("The storage connection string has neither an account key nor a SharedAccessSignature.");
                return new SasSource(null, "?" + sas.TrimStart('?'), DateTimeOffset.MaxValue);
            }
        }

        // Made from the key on this machine, no call to Azure: writes and deletes of table entities only, one hour.
        private static (string Query, DateTimeOffset RenewAt) Make(TableServiceClient service)
        {
            var now = DateTimeOffset.UtcNow;
            var uri = service.GenerateSasUri(
                TableAccountSasPermissions.Add | TableAccountSasPermissions.Update | TableAccountSasPermissions.Delete | TableAccountSasPermissions.Write,
                TableAccountSasResourceTypes.Object, now + Lifetime);
            return (uri.Query, now + (Lifetime / 2));
        }
    }
}

/// <summary>
/// One entity group transaction being written: up to <see cref="EntityTransactions.MaxOperations"/> operations on one
/// partition, each written into a pooled buffer as it is added. Not thread-safe; dispose it to return the buffer.
/// </summary>
public sealed class EntityBatch : IDisposable
{
    private static readonly JsonWriterOptions JsonOptions = new() { SkipValidation = false };
    private readonly EntityTransactions _owner;
    private readonly byte[] _entityUrl; // "<account>/<table>(PartitionKey='<pk>',RowKey='"
    private readonly string _partitionKey;
    private readonly Utf8JsonWriter _json;
    private readonly PooledBuffer _buffer = new();
    private string _boundary = string.Empty;
    private bool _inEntity;

    internal EntityBatch(EntityTransactions owner, string table, string partitionKey)
    {
        _owner = owner;
        _partitionKey = partitionKey;
        var url = new PooledBuffer();
        try
        {
            url.Write(Encoding.UTF8.GetBytes(owner.AccountUrl + "/" + table + "(PartitionKey='"));
            WriteKey(url, partitionKey);
            url.Write("',RowKey='"u8);
            _entityUrl = url.WrittenSpan.ToArray();
        }
        finally
        {
            url.Dispose();
        }

        _json = new Utf8JsonWriter(_buffer, JsonOptions);
    }

    /// <summary>Operations written and not yet sent.</summary>
    public int Count { get; private set; }

    /// <summary>True when no more operations fit: send it.</summary>
    public bool IsFull => Count == EntityTransactions.MaxOperations;

    /// <summary>
    /// Starts replacing (or inserting) the entity <paramref name="rowKey"/>: write its properties with the returned
    /// writer, then call <see cref="EndUpsert"/>. Properties are strings or binary (written as Edm.Binary).
    /// </summary>
    public Utf8JsonWriter BeginUpsert(string rowKey)
    {
        ArgumentNullException.ThrowIfNull(rowKey);
        StartOperation("PUT "u8, rowKey);
        _buffer.Write("Accept: application/json;odata=nometadata\r\nContent-Type: application/json\r\nDataServiceVersion: 3.0\r\n\r\n"u8);
        _json.Reset(_buffer);
        _json.WriteStartObject();
        _json.WriteString("PartitionKey"u8, _partitionKey);
        _json.WriteString("RowKey"u8, rowKey);
        _inEntity = true;
        return _json;
    }

    public void EndUpsert()
    {
        if (!_inEntity)
        {
            throw new InvalidOperationException("EndUpsert without BeginUpsert.");
        }

        _json.WriteEndObject();
        _json.Flush();
        _buffer.Write("\r\n"u8);
        _inEntity = false;
    }

    /// <summary>Deletes the entity <paramref name="rowKey"/> whatever its version; the whole transaction fails if it is not there.</summary>
    public void Delete(string rowKey)
    {
        ArgumentNullException.ThrowIfNull(rowKey);
        StartOperation("DELETE "u8, rowKey);
        _buffer.Write("Accept: application/json;odata=nometadata\r\nIf-Match: *\r\nDataServiceVersion: 3.0\r\n\r\n\r\n"u8);
    }

    /// <summary>Sends what was added (nothing to send does nothing) and empties the batch for reuse.</summary>
    public async Task SendAsync(CancellationToken cancellationToken)
    {
        if (_inEntity)
        {
            throw new InvalidOperationException("An upsert is still being written.");
        }

        if (Count == 0)
        {
            return;
        }

        WriteText("--changeset_");
        WriteText(_boundary);
        _buffer.Write("--\r\n--batch_"u8);
        WriteText(_boundary);
        _buffer.Write("--\r\n"u8);
        await _owner.SendAsync(_buffer.WrittenMemory, _boundary, Count, cancellationToken).ConfigureAwait(false);
        _buffer.Clear();
        Count = 0;
    }

    public void Dispose()
    {
        _json.Dispose();
        _buffer.Dispose();
    }

    private void StartOperation(ReadOnlySpan<byte> method, string rowKey)
    {
        if (_inEntity)
        {
            throw new InvalidOperationException("Call EndUpsert before adding another operation.");
        }

        if (IsFull)
        {
            throw new InvalidOperationException($"A transaction holds at most {EntityTransactions.MaxOperations} operations: send it first.");
        }

        if (Count == 0)
        {
            // A fresh boundary per transaction: no product text can contain it.
            _boundary = Guid.NewGuid().ToString("N");
            WriteText("--batch_");
            WriteText(_boundary);
            WriteText("\r\nContent-Type: multipart/mixed; boundary=changeset_");
            WriteText(_boundary);
            _buffer.Write("\r\n\r\n"u8);
        }

        WriteText("--changeset_");
        WriteText(_boundary);
        _buffer.Write("\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"u8);
        _buffer.Write(method);
        _buffer.Write(_entityUrl);
        WriteKey(_buffer, rowKey);
        _buffer.Write("') HTTP/1.1\r\n"u8);
        Count++;
    }

    /// <summary>ASCII text (boundaries, fixed headers) into the buffer without a byte array.</summary>
    private void WriteText(string ascii)
    {
        var span = _buffer.GetSpan(ascii.Length);
        var written = Encoding.ASCII.GetBytes(ascii, span);
        _buffer.Advance(written);
    }

    /// <summary>A key in an entity URL: quotes doubled as OData asks, then every byte outside the unreserved set percent-encoded.</summary>
    private static void WriteKey(PooledBuffer buffer, string key)
    {
        Span<byte> utf8 = stackalloc byte[4];
        foreach (var rune in key.EnumerateRunes())
        {
            if (rune.IsAscii && IsUnreserved((byte)rune.Value))
            {
                buffer.Write([(byte)rune.Value]);
                continue;
            }

            var count = rune.EncodeToUtf8(utf8);
            for (var repeat = rune.Value == '\'' ? 2 : 1; repeat > 0; repeat--)
            {
                for (var i = 0; i < count; i++)
                {
                    var span = buffer.GetSpan(3);
                    span[0] = (byte)'%';
                    span[1] = Hex[utf8[i] >> 4];
                    span[2] = Hex[utf8[i] & 0xF];
                    buffer.Advance(3);
                }
            }
        }
    }

    private static ReadOnlySpan<byte> Hex => "0123456789ABCDEF"u8;

    private static bool IsUnreserved(byte c) => c is (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'a' and <= (byte)'z') or (>= (byte)'0' and <= (byte)'9')
        or (byte)'-' or (byte)'_' or (byte)'.' or (byte)'~';
}

/// <summary>A growable byte buffer rented from the shared pool; <see cref="Clear"/> keeps its array for the next use.</summary>
internal sealed class PooledBuffer : IBufferWriter<byte>, IDisposable
{
    private byte[]? _array;
    private int _written;

    public ReadOnlyMemory<byte> WrittenMemory => _array.AsMemory(0, _written);

    public ReadOnlySpan<byte> WrittenSpan => _array.AsSpan(0, _written);

    public void Advance(int count) => _written += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _array.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _array.AsSpan(_written);
    }

    public void Write(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(GetSpan(bytes.Length));
        _written += bytes.Length;
    }

    public void Clear() => _written = 0;

    public void Dispose()
    {
        if (_array is not null)
        {
            ArrayPool<byte>.Shared.Return(_array);
            _array = null;
        }

        _written = 0;
    }

    private void Ensure(int sizeHint)
    {
        var needed = _written + Math.Max(sizeHint, 256);
        if (_array is not null && needed <= _array.Length)
        {
            return;
        }

        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, (_array?.Length ?? 32 * 1024) * 2));
        if (_array is not null)
        {
            _array.AsSpan(0, _written).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_array);
        }

        _array = larger;
    }
}
