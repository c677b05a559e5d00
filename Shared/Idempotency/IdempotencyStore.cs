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
    /// <summary>
    /// First sight, an expired outcome, or an earlier attempt whose outcome is unknown (see
    /// <see cref="IdempotencyBegin.EarlierUnknownAt"/>): the caller acts, then completes, abandons or marks it unknown.
    /// </summary>
    Begun,

    /// <summary>Another call with this key is acting right now.</summary>
    InProgress,

    /// <summary>Already done: replay <see cref="IdempotencyBegin.Outcome"/>.</summary>
    Completed,

    /// <summary>The key was used for a different request (another route or body).</summary>
    Mismatch,
}

public sealed record IdempotencyOutcome(int Status, string? ContentType, byte[] Body);

/// <summary>
/// <see cref="StartedAt"/> is when this attempt began. <see cref="EarlierUnknownAt"/> is set when an earlier attempt
/// with this key may have been carried out by FlexShopper without our hearing (its answer was lost, or its process
/// died): the start of the latest such attempt. The caller must then read FlexShopper's state before acting.
/// </summary>
public sealed record IdempotencyBegin(IdempotencyState State, IdempotencyOutcome? Outcome = null, ETag ETag = default,
    DateTimeOffset StartedAt = default, DateTimeOffset? EarlierUnknownAt = null);

/// <summary>Records the first outcome of a request under its <c>Idempotency-Key</c> for 24 hours.</summary>
public interface IIdempotencyStore
{
    Task<IdempotencyBegin> BeginAsync(string operation, string key, string fingerprint, CancellationToken cancellationToken = default);

    Task CompleteAsync(string operation, string key, ETag pending, IdempotencyOutcome outcome, CancellationToken cancellationToken = default);

    /// <summary>Forgets a pending record so the same key can try again (the call failed and FlexShopper certainly did not act).</summary>
    Task AbandonAsync(string operation, string key, ETag pending, CancellationToken cancellationToken = default);

    /// <summary>
    /// Keeps the key as "outcome unknown": FlexShopper may have carried out the attempt that began at
    /// <paramref name="attemptedAt"/>. The next attempt with this key begins with <see cref="IdempotencyBegin.EarlierUnknownAt"/>
    /// set; an unknown record never expires into a fresh one.
    /// </summary>
    Task MarkUnknownAsync(string operation, string key, ETag pending, DateTimeOffset attemptedAt, string reason, CancellationToken cancellationToken = default);
}

/// <summary>
/// Table Storage records: partition = operation, row = SHA-256 of the key. A pending row is inserted first, so of
/// two concurrent duplicates exactly one inserts and acts; the other sees it pending. A row is <c>pending</c> (an
/// attempt is acting), <c>done</c> (the first final outcome, replayed) or <c>unknown</c> (an attempt may have been
/// carried out without our hearing; the next one takes it over with an ETag condition and reconciles first).
/// </summary>
public sealed class TableIdempotencyStore : IIdempotencyStore
{
    public static readonly TimeSpan Retention = TimeSpan.FromHours(24);

    /// <summary>A pending row older than this belongs to a call that died (the host's function timeout is 5 minutes).</summary>
    public static readonly TimeSpan PendingLease = TimeSpan.FromMinutes(6);

    private const string Pending = "pending";
    private const string Done = "done";
    private const string Unknown = "unknown";

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
            ["State"] = Pending,
            ["Fingerprint"] = fingerprint,
            ["StartedAt"] = now,
            ["ExpiresAt"] = now + Retention,
        };
        try
        {
            var added = await table.AddEntityAsync(pending, cancellationToken).ConfigureAwait(false);
            return new IdempotencyBegin(IdempotencyState.Begun, ETag: added.Headers.ETag ?? default, StartedAt: now);
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
        var state = entity.GetString("State");
        var expired = entity.GetDateTimeOffset("ExpiresAt") is { } expires && expires <= now;
        var stalePending = state == Pending && entity.GetDateTimeOffset("StartedAt") is { } started && now - started > PendingLease;
        if (expired && state == Done)
        {
            // A settled outcome older than the retention: the key starts afresh.
            return await TakeOverAsync(table, pending, entity.ETag, now, earlierUnknownAt: null, cancellationToken).ConfigureAwait(false);
        }

        if (entity.GetString("Fingerprint") != fingerprint)
        {
            return new IdempotencyBegin(IdempotencyState.Mismatch);
        }

        if (state == Unknown || stalePending)
        {
            // FlexShopper may have carried out the earlier attempt (its answer was lost, or its process died before
            // recording anything): this attempt must read FlexShopper's state before sending, and the row stays
            // unknown until an outcome is settled.
            var earlier = state == Unknown ? entity.GetDateTimeOffset("AttemptedAt") : entity.GetDateTimeOffset("StartedAt");
            return await TakeOverAsync(table, pending, entity.ETag, now, earlier ?? now, cancellationToken).ConfigureAwait(false);
        }

        if (state != Done)
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

    private static async Task<IdempotencyBegin> TakeOverAsync(TableClient table, TableEntity pending, ETag seen, DateTimeOffset now, DateTimeOffset? earlierUnknownAt, CancellationToken cancellationToken)
    {
        try
        {
            var taken = await table.UpdateEntityAsync(pending, seen, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            return new IdempotencyBegin(IdempotencyState.Begun, ETag: taken.Headers.ETag ?? default, StartedAt: now, EarlierUnknownAt: earlierUnknownAt);
        }
        catch (RequestFailedException ex) when (ex.Status == 412)
        {
            return new IdempotencyBegin(IdempotencyState.InProgress); // another attempt took it first
        }
    }

    public async Task CompleteAsync(string operation, string key, ETag pending, IdempotencyOutcome outcome, CancellationToken cancellationToken = default)
    {
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        var now = _time.GetUtcNow();
        var done = new TableEntity(operation, RowKey(key))
        {
            ["State"] = Done,
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

    public async Task MarkUnknownAsync(string operation, string key, ETag pending, DateTimeOffset attemptedAt, string reason, CancellationToken cancellationToken = default)
    {
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        var unknown = new TableEntity(operation, RowKey(key))
        {
            ["State"] = Unknown,
            ["AttemptedAt"] = attemptedAt,
            ["UnknownSince"] = _time.GetUtcNow(),
            ["Reason"] = reason,
        };
        try
        {
            // Merge keeps the fingerprint; the ETag makes sure the row is still this attempt's.
            await table.UpdateEntityAsync(unknown, pending, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status is 404 or 412)
        {
            // Taken over meanwhile (this attempt outlived its pending lease): the taker treats it as unknown anyway.
        }
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
