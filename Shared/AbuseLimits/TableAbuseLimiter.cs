using System.Diagnostics;
using System.Security.Cryptography;
using Azure;
using Azure.Data.Tables;
using FlexFunctions.Shared.KeyedHashing;
using FlexFunctions.Shared.Observability;
using FlexFunctions.Shared.Redaction;
using FlexFunctions.Shared.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlexFunctions.Shared.AbuseLimits;

/// <summary>
/// Fixed-window counters in the <c>Tables__RateLimits</c> table. Every decision is written conditionally (an insert
/// that fails if the row exists, or a replace on the ETag last seen): a write that lost a race to another instance
/// reads again and decides again, so no count is lost and no extra request is admitted. A decision on a row this
/// instance has seen, or on a subject with no row, is that one write. PartitionKey is a keyed hash (HMAC-SHA256,
/// <see cref="KeyedHasher"/>) of the normalised customer or IP (none is stored in clear, none can be recovered from a
/// copy of the table without the secret, and no passcode is ever seen here), RowKey names the counter: every subject is its own partition,
/// because a Table partition serves about 2,000 operations a second and one shared partition would cap logins for the
/// whole app.
/// </summary>
/// <remarks>
/// A customer's logins live on one row: the attempt window, the run of wrong passcodes, the lockout and the attempts
/// in flight. An admitted login is counted in flight before FlexShopper sees its passcode, and admission refuses once
/// wrong passcodes plus attempts in flight reach the lockout limit: however many instances and streams race, no
/// more wrong passcodes reach FlexShopper than the limit. During a rotation of the hashing secret each subject's row is
/// read under every accepted key: a row found only under the old key is carried over to the new one, so counters,
/// wrong passcodes and lockouts hold across the rotation.
/// </remarks>
public sealed partial class TableAbuseLimiter : IAbuseLimiter, IDisposable
{
    // Named so since before logins were reserved on it: a lockout recorded by an earlier version still holds.
    private const string LoginRow = "lockout";
    private const string PasscodeRow = "PasscodeRequest-customer";

    // Each race lost to another instance is one more read and write; beyond this many the caller is hammering one key.
    private const int MaxRaces = 8;

    // Settling an attempt gives up only in the extreme: an unsettled wrong passcode is forgotten when its hold lapses.
    private const int MaxSettleRaces = 32;

    // Attempts in flight are usually answered within a second; by then the customer is locked or may try again.
    private static readonly TimeSpan InFlightRetryAfter = TimeSpan.FromSeconds(2);

    private readonly TableClient _table;
    private readonly TableCreatedOnFirstUse _created;
    private readonly IOptions<AbuseLimitsOptions> _options;
    private readonly TimeProvider _time;
    private readonly FlexTelemetry _telemetry;
    private readonly KeyedHasher _hasher;
    private readonly ILogger<TableAbuseLimiter> _logger;
    private readonly KnownRows _known = new();

    public TableAbuseLimiter(TableServiceClient tables, IOptions<TableNames> names, IOptions<AbuseLimitsOptions> options, TimeProvider time,
        FlexTelemetry telemetry, KeyedHasher hasher, ILogger<TableAbuseLimiter> logger)
    {
        // Stryker disable once Statement : the next lines dereference it, so a null still throws here; the container never passes one
        ArgumentNullException.ThrowIfNull(tables);
        // Stryker disable once Statement : the next line dereferences it, so a null still throws here; the container never passes one
        ArgumentNullException.ThrowIfNull(names);
        _table = tables.GetTableClient(names.Value.RateLimits);
        _created = new TableCreatedOnFirstUse(_table);
        _options = options;
        _time = time;
        _telemetry = telemetry;
        _hasher = hasher;
        _logger = logger;
    }

    public void Dispose() => _known.Dispose();

    public async Task<LimitDecision> TryAcquireAsync(LimitKind kind, string customerId, string? clientIp, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(customerId);
        using var activity = FlexTelemetry.Source.StartActivity("AbuseLimits " + kind);
        var keys = await _hasher.KeysAsync(cancellationToken).ConfigureAwait(false);
        await _created.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var o = _options.Value;
        var customer = Partitions(keys, LimitScopes.Customer, LimitSubjects.Customer(customerId));

        // The customer's row and the IP's counter are separate partitions, decided side by side: one storage round trip
        // of latency when each is new or as this instance last saw it, more only when another instance wrote it.
        var byCustomer = kind == LimitKind.LoginAttempt
            ? ReserveLoginAsync(customerId, customer, cancellationToken)
            : CountAsync(customer, PasscodeRow, LimitScopes.Customer, o.PasscodeRequestsPerCustomer, cancellationToken);
        var byIp = LimitSubjects.ClientIp(clientIp) is { } ip
            ? CountAsync(Partitions(keys, LimitScopes.ClientIp, ip), kind + "-" + LimitScopes.ClientIp, LimitScopes.ClientIp,
                kind == LimitKind.PasscodeRequest ? o.PasscodeRequestsPerClientIp : o.LoginAttemptsPerClientIp, cancellationToken)
            : Task.FromResult(Verdict.Admit);
        var verdicts = await Task.WhenAll(byCustomer, byIp).ConfigureAwait(false);

        var (mine, theirs) = (verdicts[0], verdicts[1]);
        if (mine.Wait is { } customerWait)
        {
            return Refuse(kind, mine.Scope!, customerWait, customerId, clientIp, activity);
        }

        if (theirs.Wait is { } ipWait)
        {
            if (mine.Reservation is { } held)
            {
                // The IP refused after the customer's row counted the attempt in flight: give the place back.
                await CompleteLoginAsync(LimitDecision.Allow with { Reservation = held }, LoginOutcome.NoVerdict, CancellationToken.None).ConfigureAwait(false);
            }

            return Refuse(kind, LimitScopes.ClientIp, ipWait, customerId, clientIp, activity);
        }

        return mine.Reservation is null ? LimitDecision.Allow : LimitDecision.Allow with { Reservation = mine.Reservation };
    }

    public async Task CompleteLoginAsync(LimitDecision admitted, LoginOutcome outcome, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(admitted);
        if (admitted.Reservation is not { } reservation)
        {
            return;
        }

        var o = _options.Value;
        DateTimeOffset? lockedUntil = null;
        var failures = 0;
        // Starts from the row as the admission wrote it: one round trip unless another attempt wrote since.
        var written = await ChangeAsync([reservation.Written.PartitionKey], LoginRow, reservation.Written, MaxSettleRaces, (row, now) =>
        {
            var inFlight = InFlight(row, now);
            if (inFlight > 0 && row.GetString(Fields.InFlightGroup) == reservation.Group)
            {
                inFlight--;
            }

            SetInFlight(row, inFlight, row.GetString(Fields.InFlightGroup), row.GetDateTimeOffset(Fields.InFlightUntil));
            lockedUntil = null;
            if (row.GetDateTimeOffset(Fields.LockedUntil) > now)
            {
                return true; // already locked: neither a wrong passcode extends it nor a success lifts it
            }

            row[Fields.LockedUntil] = null;
            switch (outcome)
            {
                case LoginOutcome.WrongPasscode:
                    failures = Failures(row, now) + 1;
                    if (failures >= o.FailedLoginsBeforeLockout)
                    {
                        lockedUntil = now + o.LockoutDuration;
                        row[Fields.LockedUntil] = lockedUntil;
                        SetFailures(row, 0, null);
                    }
                    else
                    {
                        SetFailures(row, failures, failures == 1 ? now : row.GetDateTimeOffset(Fields.FirstFailureAt));
                    }

                    break;
                case LoginOutcome.Succeeded:
                    SetFailures(row, 0, null);
                    break;
            }

            return true;
        }, cancellationToken).ConfigureAwait(false);

        if (!written)
        {
            // The place stays held until it lapses (LoginAttemptHold), so the limit still holds meanwhile.
            throw new RequestFailedException(412, "The customer's login row kept changing under us; try again.");
        }

        if (lockedUntil is { } until)
        {
            LogLockedOut(_logger, reservation.CustomerId, failures, until);
        }
    }

    /// <summary>Admits a login onto the customer's row, counting it in flight, or says which limit refuses it.</summary>
    private async Task<Verdict> ReserveLoginAsync(string customerId, IReadOnlyList<string> partition, CancellationToken cancellationToken)
    {
        var o = _options.Value;
        var verdict = Verdict.Busy(LimitScopes.Customer);
        TableEntity? admittedRow = null;
        var written = await ChangeAsync(partition, LoginRow, null, MaxRaces, (row, now) =>
        {
            admittedRow = null;
            if (row.GetDateTimeOffset(Fields.LockedUntil) is { } until && until > now)
            {
                verdict = Verdict.Refuse(LimitScopes.Lockout, until - now);
                return false;
            }

            var since = row.GetDateTimeOffset(Fields.AttemptsSince);
            var attempts = since is { } s && now - s < o.Window ? row.GetInt32(Fields.Attempts) ?? 0 : 0;
            if (attempts >= o.LoginAttemptsPerCustomer)
            {
                verdict = Verdict.Refuse(LimitScopes.Customer, since!.Value + o.Window - now); // refused requests are not counted
                return false;
            }

            var failures = Failures(row, now);
            var inFlight = InFlight(row, now);
            if (failures + inFlight >= o.FailedLoginsBeforeLockout)
            {
                // The answers still out could be the wrong passcodes that lock: admitting one more could exceed the limit.
                verdict = Verdict.Refuse(LimitScopes.InFlight, InFlightRetryAfter);
                return false;
            }

            row[Fields.Attempts] = attempts + 1;
            row[Fields.AttemptsSince] = attempts == 0 ? now : since;
            SetFailures(row, failures, failures == 0 ? null : row.GetDateTimeOffset(Fields.FirstFailureAt));
            row[Fields.LockedUntil] = null;
            var group = inFlight == 0 ? Convert.ToHexString(RandomNumberGenerator.GetBytes(6)) : row.GetString(Fields.InFlightGroup);
            SetInFlight(row, inFlight + 1, group, now + o.LoginAttemptHold);
            admittedRow = row;
            return true;
        }, cancellationToken).ConfigureAwait(false);

        if (written && admittedRow is { } admitted)
        {
            var hold = o.LoginAttemptHold;
            // Cut the call short of the hold, with room for the write that settles it.
            var timeLimit = hold - TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(5).Ticks, hold.Ticks / 5));
            return new Verdict(null, null, new LoginReservation(customerId, admitted, admitted.GetString(Fields.InFlightGroup)!, timeLimit));
        }

        return verdict;
    }

    /// <summary>Counts one request on a fixed-window counter, or gives the wait until the window ends when the limit is reached.</summary>
    private async Task<Verdict> CountAsync(IReadOnlyList<string> partition, string rowKey, string scope, int limit, CancellationToken cancellationToken)
    {
        var window = _options.Value.Window;
        var verdict = Verdict.Busy(scope);
        var written = await ChangeAsync(partition, rowKey, null, MaxRaces, (row, now) =>
        {
            var start = row.GetDateTimeOffset("WindowStart");
            if (start is null || now - start.Value >= window)
            {
                row["WindowStart"] = now;
                row["Count"] = 1;
                return true;
            }

            var count = row.GetInt32("Count") ?? 0;
            if (count >= limit)
            {
                verdict = Verdict.Refuse(scope, start.Value + window - now); // refused requests are not counted: the window still ends on time
                return false;
            }

            row["Count"] = count + 1;
            return true;
        }, cancellationToken).ConfigureAwait(false);
        return written ? Verdict.Admit : verdict;
    }

    /// <summary>
    /// Decides on the row and writes the decision only if nobody wrote since: a lost race reads again and decides again.
    /// It starts from <paramref name="known"/>, else from the row as this instance last saw it, else from no row at all
    /// (a new subject, or one whose rows the cleanup removed), so a decision usually costs its one conditional write;
    /// a refusal is only ever made on a row just read. False when nothing was written: the change declined, or the row
    /// kept changing under us <paramref name="maxRaces"/> times (the change's own verdict stays "busy"). The written
    /// row keeps its new ETag. <paramref name="partitions"/> are the subject's partitions under each accepted key, the
    /// writing key's first: during a rotation a row found only under an older key is carried over to the first, so
    /// "no row" is never assumed then (it would drop an older key's counts and lockout).
    /// </summary>
    private async Task<bool> ChangeAsync(IReadOnlyList<string> partitions, string rowKey, TableEntity? known, int maxRaces, Func<TableEntity, DateTimeOffset, bool> change, CancellationToken cancellationToken)
    {
        var partition = partitions[0];
        var read = false;
        for (var race = 0; race < maxRaces; race++)
        {
            TableEntity row;
            bool exists;
            var fresh = false;
            if (known is not null)
            {
                // Stryker disable once Initializer : the copy constructor already copies the ETag (its odata.etag entry)
                row = new TableEntity(known) { ETag = known.ETag };
                exists = true;
                known = null;
            }
            else if (!read && _known.Get(partition, rowKey) is { } seen)
            {
                (row, exists) = (seen, true);
            }
            else if (!read && partitions.Count == 1)
            {
                (row, exists) = (new TableEntity(partition, rowKey), false);
            }
            else
            {
                // Side by side: a rotation costs more reads, not more latency.
                var reads = await Task.WhenAll(partitions.Select(p => _table.GetEntityIfExistsAsync<TableEntity>(p, rowKey, cancellationToken: cancellationToken))).ConfigureAwait(false);
                exists = reads[0].HasValue;
                row = exists ? reads[0].Value! : CarriedOver(partition, rowKey, reads.Skip(1).FirstOrDefault(r => r.HasValue)?.Value);
                fresh = true;
                if (exists)
                {
                    _known.Remember(row);
                }
            }

            // After this attempt, whatever happens, decide on the row as the table holds it.
            read = true;
            if (!change(row, _time.GetUtcNow()))
            {
                if (fresh)
                {
                    return false;
                }

                continue; // refused on what we assumed: look at the real row before saying no
            }

            try
            {
                var response = exists
                    ? await _table.UpdateEntityAsync(row, row.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false)
                    : await _table.AddEntityAsync(row, cancellationToken).ConfigureAwait(false);
                row.ETag = response.Headers.ETag ?? default;
                _known.Remember(row);
                return true;
            }
            catch (RequestFailedException ex) when (ex.Status is 409 or 412 or 404)
            {
                // Another instance wrote (or removed) it first, or it was there all along: decide again on what it holds.
                _known.Forget(partition, rowKey);
            }
        }

        return false;
    }

    /// <summary>A new row under the writing key: empty, or what an older key's row held (counts, lockout, attempts in flight).</summary>
    private static TableEntity CarriedOver(string partition, string rowKey, TableEntity? older)
    {
        var row = new TableEntity(partition, rowKey);
        foreach (var (name, value) in older ?? [])
        {
            if (name is not ("PartitionKey" or "RowKey" or "Timestamp" or "odata.etag"))
            {
                row[name] = value;
            }
        }

        return row;
    }

    private int Failures(TableEntity row, DateTimeOffset now) =>
        row.GetDateTimeOffset(Fields.FirstFailureAt) is { } first && now - first < _options.Value.Window ? row.GetInt32(Fields.Failures) ?? 0 : 0;

    /// <summary>Attempts in flight; none once the run's hold has lapsed (an instance died before settling its attempt).</summary>
    private static int InFlight(TableEntity row, DateTimeOffset now) =>
        row.GetDateTimeOffset(Fields.InFlightUntil) is { } until && until > now ? Math.Max(0, row.GetInt32(Fields.InFlight) ?? 0) : 0;

    private static void SetFailures(TableEntity row, int failures, DateTimeOffset? first)
    {
        row[Fields.Failures] = failures;
        row[Fields.FirstFailureAt] = failures == 0 ? null : first;
    }

    private static void SetInFlight(TableEntity row, int inFlight, string? group, DateTimeOffset? until)
    {
        row[Fields.InFlight] = inFlight;
        row[Fields.InFlightGroup] = inFlight == 0 ? null : group;
        row[Fields.InFlightUntil] = inFlight == 0 ? null : until;
    }

    private LimitDecision Refuse(LimitKind kind, string scope, TimeSpan wait, string customerId, string? clientIp, Activity? activity)
    {
        var decision = LimitDecision.Deny(scope, wait);
        activity?.SetTag("abuse_limit.scope", scope);
        _telemetry.AbuseLimitRejections.Add(1, new("kind", kind.ToString()), new("scope", scope));
        LogRefused(_logger, kind, scope, customerId, clientIp ?? "unknown", decision.RetryAfter.TotalSeconds);
        return decision;
    }

    /// <summary>The partitions of one subject (already normalised by <see cref="LimitSubjects"/>) under each accepted key, the writing key's first.</summary>
    internal static IReadOnlyList<string> Partitions(HashKeys keys, string scope, string normalisedSubject) =>
        keys.All.Select(k => k.HexUpper(scope + "\n" + normalisedSubject)).ToList();

    /// <summary>What one counter said: a wait when it refused (and which scope), or the login's reservation.</summary>
    private sealed record Verdict(TimeSpan? Wait, string? Scope, LoginReservation? Reservation)
    {
        public static Verdict Admit { get; } = new(null, null, null);

        public static Verdict Refuse(string scope, TimeSpan wait) => new(wait, scope, null);

        // Many concurrent requests for one customer or IP: refuse this one briefly rather than skip counting it.
        public static Verdict Busy(string scope) => new(TimeSpan.FromSeconds(1), scope, null);
    }

    private static class Fields
    {
        public const string Attempts = "Attempts";
        public const string AttemptsSince = "AttemptsSince";
        public const string Failures = "Failures";
        public const string FirstFailureAt = "FirstFailureAt";
        public const string LockedUntil = "LockedUntil";
        public const string InFlight = "InFlight";
        public const string InFlightGroup = "InFlightGroup";
        public const string InFlightUntil = "InFlightUntil";
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Abuse limit reached: {Kind} refused by the {Scope} limit for customer {CustomerId} from {ClientIp}; retry after {RetryAfterSeconds:F0} s")]
    private static partial void LogRefused(ILogger logger, LimitKind kind, string scope, string customerId, [ClientIp] string clientIp, double retryAfterSeconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Customer {CustomerId} locked out of passcode login after {Failures} wrong passcodes, until {LockedUntil:O}")]
    private static partial void LogLockedOut(ILogger logger, string customerId, int failures, DateTimeOffset lockedUntil);
}
