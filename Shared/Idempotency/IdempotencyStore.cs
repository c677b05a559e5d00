using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;
using FlexFunctions.Shared.KeyedHashing;
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
/// <see cref="RowKey"/> is the record this attempt holds (written under the hashing key in force when it was created).
/// </summary>
public sealed record IdempotencyBegin(IdempotencyState State, IdempotencyOutcome? Outcome = null, ETag ETag = default,
    DateTimeOffset StartedAt = default, DateTimeOffset? EarlierUnknownAt = null)
{
    public string? RowKey { get; init; }
}

/// <summary>Records the first outcome of a request under its <c>Idempotency-Key</c> for 24 hours.</summary>
public interface IIdempotencyStore
{
    /// <summary><paramref name="fingerprint"/> is <see cref="TableIdempotencyStore.Fingerprint"/> of the request; it is stored keyed, never as given.</summary>
    Task<IdempotencyBegin> BeginAsync(string operation, string key, string fingerprint, CancellationToken cancellationToken = default);

    Task CompleteAsync(string operation, IdempotencyBegin begun, IdempotencyOutcome outcome, CancellationToken cancellationToken = default);

    /// <summary>Forgets a pending record so the same key can try again (the call failed and FlexShopper certainly did not act).</summary>
    Task AbandonAsync(string operation, IdempotencyBegin begun, CancellationToken cancellationToken = default);

    /// <summary>
    /// Keeps the key as "outcome unknown": FlexShopper may have carried out the attempt that began at
    /// <paramref name="attemptedAt"/>. The next attempt with this key begins with <see cref="IdempotencyBegin.EarlierUnknownAt"/>
    /// set; an unknown record never expires into a fresh one while a retry could settle it (see <c>Retention__IdempotencyUnknown</c>).
    /// </summary>
    Task MarkUnknownAsync(string operation, IdempotencyBegin begun, DateTimeOffset attemptedAt, string reason, CancellationToken cancellationToken = default);
}

/// <summary>
/// Table Storage records: partition = operation, row = a keyed hash (HMAC-SHA256, <see cref="KeyedHasher"/>) of the key,
/// and the request's fingerprint kept keyed too, with the id of the hashing secret it was written under. During a
/// rotation of that secret a key is looked up under the old secret first, and a record found there stays where it is
/// until it settles and expires. A pending row is inserted first, so of
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
    private readonly KeyedHasher _hasher;

    public TableIdempotencyStore(TableServiceClient service, IOptions<TableNames> names, TimeProvider time, KeyedHasher hasher)
    {
        _table = new TableCreatedOnFirstUse(service.GetTableClient(names.Value.Idempotency));
        _time = time;
        _hasher = hasher;
    }

    public async Task<IdempotencyBegin> BeginAsync(string operation, string key, string fingerprint, CancellationToken cancellationToken = default)
    {
        var keys = await _hasher.KeysAsync(cancellationToken).ConfigureAwait(false);
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        var now = _time.GetUtcNow();
        TableEntity? entity = null;
        foreach (var older in keys.All.Skip(1))
        {
            // A rotation is under way: a record made under the old secret is this key's record until it expires.
            var earlier = await table.GetEntityIfExistsAsync<TableEntity>(operation, RowKey(older, key), cancellationToken: cancellationToken).ConfigureAwait(false);
            if (earlier.HasValue && earlier.Value is { } found)
            {
                entity = found;
                break;
            }
        }

        var row = entity?.RowKey ?? RowKey(keys.Write, key);
        var pending = new TableEntity(operation, row)
        {
            ["State"] = Pending,
            ["Fingerprint"] = Keyed(keys.Write, fingerprint),
            ["HashKeyId"] = keys.Write.Id,
            ["StartedAt"] = now,
            ["ExpiresAt"] = now + Retention,
        };
        if (entity is null)
        {
            try
            {
                var added = await table.AddEntityAsync(pending, cancellationToken).ConfigureAwait(false);
                return new IdempotencyBegin(IdempotencyState.Begun, ETag: added.Headers.ETag ?? default, StartedAt: now) { RowKey = row };
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

            entity = existing.Value;
        }

        var state = entity.GetString("State");
        var expired = entity.GetDateTimeOffset("ExpiresAt") is { } expires && expires <= now;
        var stalePending = state == Pending && entity.GetDateTimeOffset("StartedAt") is { } started && now - started > PendingLease;
        if (expired && state == Done)
        {
            // A settled outcome older than the retention: the key starts afresh.
            return await TakeOverAsync(table, pending, entity.ETag, now, earlierUnknownAt: null, cancellationToken).ConfigureAwait(false);
        }

        // The fingerprint is compared under the secret the record was written with (a record from before keyed
        // hashes, or under a secret no longer accepted, matches nothing).
        if (keys.ById(entity.GetString("HashKeyId")) is not { } writtenWith || entity.GetString("Fingerprint") != Keyed(writtenWith, fingerprint))
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
            return new IdempotencyBegin(IdempotencyState.Begun, ETag: taken.Headers.ETag ?? default, StartedAt: now, EarlierUnknownAt: earlierUnknownAt) { RowKey = pending.RowKey };
        }
        catch (RequestFailedException ex) when (ex.Status == 412)
        {
            return new IdempotencyBegin(IdempotencyState.InProgress); // another attempt took it first
        }
    }

    public async Task CompleteAsync(string operation, IdempotencyBegin begun, IdempotencyOutcome outcome, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(begun);
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        var now = _time.GetUtcNow();
        var done = new TableEntity(operation, Held(begun))
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
        await table.UpdateEntityAsync(done, begun.ETag, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
    }

    public async Task MarkUnknownAsync(string operation, IdempotencyBegin begun, DateTimeOffset attemptedAt, string reason, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(begun);
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        var unknown = new TableEntity(operation, Held(begun))
        {
            ["State"] = Unknown,
            ["AttemptedAt"] = attemptedAt,
            ["UnknownSince"] = _time.GetUtcNow(),
            ["Reason"] = reason,
        };
        try
        {
            // Merge keeps the fingerprint; the ETag makes sure the row is still this attempt's.
            await table.UpdateEntityAsync(unknown, begun.ETag, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status is 404 or 412)
        {
            // Taken over meanwhile (this attempt outlived its pending lease): the taker treats it as unknown anyway.
        }
    }

    public async Task AbandonAsync(string operation, IdempotencyBegin begun, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(begun);
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await table.DeleteEntityAsync(operation, Held(begun), begun.ETag, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status is 404 or 412)
        {
            // Already gone or taken over: nothing of ours to forget.
        }
    }

    /// <summary>
    /// What makes two requests "the same": method, path, body and who sent it (the customer token, for customer
    /// calls), so a key reused by another customer can never replay the first customer's outcome. The store keeps it
    /// keyed with the hashing secret, never as computed here.
    /// </summary>
    public static string Fingerprint(string method, string path, ReadOnlySpan<byte> body, string? principal = null)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(method.ToUpperInvariant() + " " + path + "\n"));
        hash.AppendData(SHA256.HashData(Encoding.UTF8.GetBytes(principal ?? string.Empty)));
        hash.AppendData(body);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    // Keys are caller-chosen text (an order number, say): a keyed hash keeps the row key within Table Storage's allowed
    // characters and gives nothing back to whoever reads the table without the secret.
    internal static string RowKey(HashKey hashKey, string key) => hashKey.Hex("idempotency-key\n" + key);

    private static string Keyed(HashKey hashKey, string fingerprint) => hashKey.Hex("idempotency-request\n" + fingerprint);

    private static string Held(IdempotencyBegin begun) =>
        begun.RowKey ?? throw new InvalidOperationException("This attempt holds no idempotency record.");

    private async ValueTask<TableClient> TableAsync(CancellationToken cancellationToken)
    {
        await _table.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        return _table.Table;
    }
}
