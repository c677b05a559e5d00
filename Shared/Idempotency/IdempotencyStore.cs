using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;
using FlexFunctions.Shared.Storage;
using Microsoft.Extensions.Options;

namespace FlexFunctions.Shared.Idempotency;

/// <summary>What <see cref="IIdempotencyStore.BeginAsync"/> found for a key.</summary>
public enum IdempotencyState
{
    /// <summary>First sight (or an expired record): the caller acts, then completes or abandons.</summary>
    Begun,

    /// <summary>Another call with this key is acting right now.</summary>
    InProgress,

    /// <summary>Already done: replay <see cref="IdempotencyBegin.Outcome"/>.</summary>
    Completed,

    /// <summary>The key was used for a different request (another route or body).</summary>
    Mismatch,
}

public sealed record IdempotencyOutcome(int Status, string? ContentType, byte[] Body);

public sealed record IdempotencyBegin(IdempotencyState State, IdempotencyOutcome? Outcome = null, ETag ETag = default);

/// <summary>Records the first outcome of a request under its <c>Idempotency-Key</c> for 24 hours.</summary>
public interface IIdempotencyStore
{
    Task<IdempotencyBegin> BeginAsync(string operation, string key, string fingerprint, CancellationToken cancellationToken = default);

    Task CompleteAsync(string operation, string key, ETag pending, IdempotencyOutcome outcome, CancellationToken cancellationToken = default);

    /// <summary>Forgets a pending record so the same key can try again (the call failed in a way worth retrying).</summary>
    Task AbandonAsync(string operation, string key, ETag pending, CancellationToken cancellationToken = default);
}

/// <summary>
/// Table Storage records: partition = operation, row = SHA-256 of the key. A pending row is inserted first, so of
/// two concurrent duplicates exactly one inserts and acts; the other sees it pending.
/// </summary>
public sealed class TableIdempotencyStore : IIdempotencyStore
{
    public static readonly TimeSpan Retention = TimeSpan.FromHours(24);

    /// <summary>A pending row older than this belongs to a call that died (the host's function timeout is 5 minutes).</summary>
    public static readonly TimeSpan PendingLease = TimeSpan.FromMinutes(6);

    // A table property holds at most 64 KiB; an entity at most 1 MiB. Bodies are split across properties.
    private const int ChunkBytes = 60 * 1024;
    private const int MaxChunks = 15;

    private readonly TableCreatedOnFirstUse _table;
    private readonly TimeProvider _time;

    public TableIdempotencyStore(TableServiceClient service, IOptions<TableNames> names, TimeProvider time)
    {
        _table = new TableCreatedOnFirstUse(service.GetTableClient(names.Value.Idempotency));
        _time = time;
    }

    public async Task<IdempotencyBegin> BeginAsync(string operation, string key, string fingerprint, CancellationToken cancellationToken = default)
    {
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        var now = _time.GetUtcNow();
        var row = RowKey(key);
        var pending = new TableEntity(operation, row)
        {
            ["State"] = "pending",
            ["Fingerprint"] = fingerprint,
            ["StartedAt"] = now,
            ["ExpiresAt"] = now + Retention,
        };
        try
        {
            var added = await table.AddEntityAsync(pending, cancellationToken).ConfigureAwait(false);
            return new IdempotencyBegin(IdempotencyState.Begun, ETag: added.Headers.ETag ?? default);
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            // Someone holds this key: read what they left.
        }

        var existing = await table.GetEntityIfExistsAsync<TableEntity>(operation, row, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!existing.HasValue || existing.Value is null)
        {
            return new IdempotencyBegin(IdempotencyState.InProgress); // deleted between our calls: let the caller retry
        }

        var entity = existing.Value;
        var expired = entity.GetDateTimeOffset("ExpiresAt") is { } expires && expires <= now;
        var stalePending = entity.GetString("State") == "pending" && entity.GetDateTimeOffset("StartedAt") is { } started && now - started > PendingLease;
        if (expired || stalePending)
        {
            try
            {
                var taken = await table.UpdateEntityAsync(pending, entity.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
                return new IdempotencyBegin(IdempotencyState.Begun, ETag: taken.Headers.ETag ?? default);
            }
            catch (RequestFailedException ex) when (ex.Status == 412)
            {
                return new IdempotencyBegin(IdempotencyState.InProgress);
            }
        }

        if (entity.GetString("Fingerprint") != fingerprint)
        {
            return new IdempotencyBegin(IdempotencyState.Mismatch);
        }

        if (entity.GetString("State") != "done")
        {
            return new IdempotencyBegin(IdempotencyState.InProgress);
        }

        var body = new MemoryStream();
        for (var i = 0; i < MaxChunks && entity.GetBinary("Body" + i) is { } part; i++)
        {
            body.Write(part);
        }

        return new IdempotencyBegin(IdempotencyState.Completed,
            new IdempotencyOutcome(entity.GetInt32("Status") ?? 200, entity.GetString("ContentType"), body.ToArray()));
    }

    public async Task CompleteAsync(string operation, string key, ETag pending, IdempotencyOutcome outcome, CancellationToken cancellationToken = default)
    {
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        var now = _time.GetUtcNow();
        var done = new TableEntity(operation, RowKey(key))
        {
            ["State"] = "done",
            ["Status"] = outcome.Status,
            ["ContentType"] = outcome.ContentType,
            ["CompletedAt"] = now,
            ["ExpiresAt"] = now + Retention,
        };
        var body = outcome.Body;
        if (body.Length > ChunkBytes * MaxChunks)
        {
            throw new InvalidOperationException("The outcome is too large to record.");
        }

        for (var i = 0; i * ChunkBytes < body.Length; i++)
        {
            done["Body" + i] = body.AsSpan(i * ChunkBytes, Math.Min(ChunkBytes, body.Length - (i * ChunkBytes))).ToArray();
        }

        // Fingerprint stays: Merge keeps it from the pending row.
        await table.UpdateEntityAsync(done, pending, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
    }

    public async Task AbandonAsync(string operation, string key, ETag pending, CancellationToken cancellationToken = default)
    {
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await table.DeleteEntityAsync(operation, RowKey(key), pending, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status is 404 or 412)
        {
            // Already gone or taken over: nothing of ours to forget.
        }
    }

    /// <summary>A fingerprint of what the key was first used for: method, path and body.</summary>
    /// <summary>
    /// What makes two requests "the same": method, path, body and who sent it (the customer token, for customer
    /// calls), so a key reused by another customer can never replay the first customer's outcome.
    /// </summary>
    public static string Fingerprint(string method, string path, ReadOnlySpan<byte> body, string? principal = null)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(method.ToUpperInvariant() + " " + path + "\n"));
        hash.AppendData(SHA256.HashData(Encoding.UTF8.GetBytes(principal ?? string.Empty)));
        hash.AppendData(body);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    // Keys are caller-chosen text; a hash keeps the row key within Table Storage's allowed characters.
    private static string RowKey(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    private async ValueTask<TableClient> TableAsync(CancellationToken cancellationToken)
    {
        await _table.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        return _table.Table;
    }
}
