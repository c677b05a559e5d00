using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;
using FlexFunctions.Shared.Observability;
using FlexFunctions.Shared.Redaction;
using FlexFunctions.Shared.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlexFunctions.Shared.AbuseLimits;

/// <summary>
/// Fixed-window counters in the <c>Tables__RateLimits</c> table, updated with ETag-conditional writes so that
/// concurrent instances never lose a count. PartitionKey is a SHA-256 hash of the customer or IP (none is stored in
/// clear, and no passcode is ever seen here), RowKey names the counter: every subject is its own partition, because a
/// Table partition serves about 2,000 operations a second and one shared partition would cap logins for the whole app.
/// </summary>
public sealed partial class TableAbuseLimiter : IAbuseLimiter
{
    private const string LockoutRow = "lockout";

    // Each race lost to another instance is one round trip; beyond this many the caller is hammering one key.
    private const int MaxRaces = 8;

    private readonly TableClient _table;
    private readonly TableCreatedOnFirstUse _created;
    private readonly IOptions<AbuseLimitsOptions> _options;
    private readonly TimeProvider _time;
    private readonly FlexTelemetry _telemetry;
    private readonly ILogger<TableAbuseLimiter> _logger;

    public TableAbuseLimiter(TableServiceClient tables, IOptions<TableNames> names, IOptions<AbuseLimitsOptions> options, TimeProvider time,
        FlexTelemetry telemetry, ILogger<TableAbuseLimiter> logger)
    {
        ArgumentNullException.ThrowIfNull(tables);
        ArgumentNullException.ThrowIfNull(names);
        _table = tables.GetTableClient(names.Value.RateLimits);
        _created = new TableCreatedOnFirstUse(_table);
        _options = options;
        _time = time;
        _telemetry = telemetry;
        _logger = logger;
    }

    public async Task<LimitDecision> TryAcquireAsync(LimitKind kind, string customerId, string? clientIp, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(customerId);
        using var activity = FlexTelemetry.Source.StartActivity("AbuseLimits " + kind);
        await _created.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var o = _options.Value;

        // The lockout read and both counters go in parallel: one storage round trip of latency, not three.
        var lockout = kind == LimitKind.LoginAttempt
            ? _table.GetEntityIfExistsAsync<TableEntity>(Hash(LimitScopes.Customer, customerId), LockoutRow, cancellationToken: cancellationToken)
            : null;
        var (customerLimit, ipLimit) = kind == LimitKind.PasscodeRequest
            ? (o.PasscodeRequestsPerCustomer, o.PasscodeRequestsPerClientIp)
            : (o.LoginAttemptsPerCustomer, o.LoginAttemptsPerClientIp);
        var byCustomer = CountAsync(kind, LimitScopes.Customer, NormalizeCustomer(customerId), customerLimit, cancellationToken);
        var byIp = NormalizeIp(clientIp) is { } ip
            ? CountAsync(kind, LimitScopes.ClientIp, ip, ipLimit, cancellationToken)
            : Task.FromResult<TimeSpan?>(null);
        var waits = await Task.WhenAll(byCustomer, byIp).ConfigureAwait(false);

        var failuresOnRecord = false;
        if (lockout is not null)
        {
            var row = await lockout.ConfigureAwait(false);
            if (row.HasValue && row.Value!.GetDateTimeOffset("LockedUntil") is { } until && until > _time.GetUtcNow())
            {
                return Refuse(kind, LimitScopes.Lockout, until - _time.GetUtcNow(), customerId, clientIp, activity);
            }

            failuresOnRecord = row.HasValue;
        }

        if (waits[0] is { } customerWait)
        {
            return Refuse(kind, LimitScopes.Customer, customerWait, customerId, clientIp, activity);
        }

        if (waits[1] is { } ipWait)
        {
            return Refuse(kind, LimitScopes.ClientIp, ipWait, customerId, clientIp, activity);
        }

        return failuresOnRecord ? LimitDecision.Allow with { FailedLoginsOnRecord = true } : LimitDecision.Allow;
    }

    public async Task RecordFailedLoginAsync(string customerId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(customerId);
        await _created.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var o = _options.Value;
        var partition = Hash(LimitScopes.Customer, customerId);
        for (var race = 0; race < MaxRaces; race++)
        {
            var now = _time.GetUtcNow();
            var existing = await _table.GetEntityIfExistsAsync<TableEntity>(partition, LockoutRow, cancellationToken: cancellationToken).ConfigureAwait(false);
            var entity = existing.HasValue ? existing.Value! : new TableEntity(partition, LockoutRow);
            if (entity.GetDateTimeOffset("LockedUntil") is { } until && until > now)
            {
                return; // already locked; the lockout is not extended by attempts it refused
            }

            var first = entity.GetDateTimeOffset("FirstFailureAt");
            var failures = first is { } f && now - f < o.Window ? (entity.GetInt32("Failures") ?? 0) + 1 : 1;
            entity["FirstFailureAt"] = failures == 1 ? now : first;
            entity["Failures"] = failures;
            entity["LockedUntil"] = null;
            if (failures >= o.FailedLoginsBeforeLockout)
            {
                entity["LockedUntil"] = now + o.LockoutDuration;
                entity["Failures"] = 0;
            }

            if (await TryWriteAsync(entity, existing.HasValue, cancellationToken).ConfigureAwait(false))
            {
                if (failures >= o.FailedLoginsBeforeLockout)
                {
                    LogLockedOut(_logger, customerId, failures, now + o.LockoutDuration);
                }

                return;
            }
        }

        throw new RequestFailedException(412, "The lockout counter kept changing under us; try again.");
    }

    public async Task RecordSuccessfulLoginAsync(string customerId, LimitDecision admitted, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(customerId);
        ArgumentNullException.ThrowIfNull(admitted);
        if (!admitted.FailedLoginsOnRecord)
        {
            // The usual login: the admission read found no wrong passcodes, so a storage round trip is saved here.
            // A wrong passcode recorded by a concurrent attempt since then stays counted, which errs on the safe side.
            return;
        }

        await _created.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        // A lockout in force is not lifted by a success (a success cannot happen while locked: we refuse first).
        var existing = await _table.GetEntityIfExistsAsync<TableEntity>(Hash(LimitScopes.Customer, customerId), LockoutRow, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (existing.HasValue && !(existing.Value!.GetDateTimeOffset("LockedUntil") > _time.GetUtcNow()))
        {
            try
            {
                await _table.DeleteEntityAsync(existing.Value, existing.Value.ETag, cancellationToken).ConfigureAwait(false);
            }
            catch (RequestFailedException ex) when (ex.Status is 404 or 412)
            {
                // Another instance changed it first; that write stands.
            }
        }
    }

    /// <summary>Counts one request; the wait until the window resets when the limit was already reached, else null.</summary>
    private async Task<TimeSpan?> CountAsync(LimitKind kind, string scope, string subject, int limit, CancellationToken cancellationToken)
    {
        var partition = Hash(scope, subject);
        var rowKey = kind + "-" + scope;
        var window = _options.Value.Window;
        for (var race = 0; race < MaxRaces; race++)
        {
            var now = _time.GetUtcNow();
            var existing = await _table.GetEntityIfExistsAsync<TableEntity>(partition, rowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
            var entity = existing.HasValue ? existing.Value! : new TableEntity(partition, rowKey);
            var start = entity.GetDateTimeOffset("WindowStart");
            if (start is null || now - start.Value >= window)
            {
                entity["WindowStart"] = now;
                entity["Count"] = 1;
            }
            else if ((entity.GetInt32("Count") ?? 0) >= limit)
            {
                return start.Value + window - now; // refused requests are not counted: the window still ends on time
            }
            else
            {
                entity["Count"] = (entity.GetInt32("Count") ?? 0) + 1;
            }

            if (await TryWriteAsync(entity, existing.HasValue, cancellationToken).ConfigureAwait(false))
            {
                return null;
            }
        }

        // Many concurrent requests for one customer or IP: refuse this one briefly rather than skip counting it.
        return TimeSpan.FromSeconds(1);
    }

    /// <summary>Inserts a new row or replaces the one read, only if nobody wrote it since; false when we lost the race.</summary>
    private async Task<bool> TryWriteAsync(TableEntity entity, bool exists, CancellationToken cancellationToken)
    {
        try
        {
            if (exists)
            {
                await _table.UpdateEntityAsync(entity, entity.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await _table.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false);
            }

            return true;
        }
        catch (RequestFailedException ex) when (ex.Status is 409 or 412)
        {
            return false;
        }
    }

    private LimitDecision Refuse(LimitKind kind, string scope, TimeSpan wait, string customerId, string? clientIp, Activity? activity)
    {
        var decision = LimitDecision.Deny(scope, wait);
        activity?.SetTag("abuse_limit.scope", scope);
        _telemetry.AbuseLimitRejections.Add(1, new("kind", kind.ToString()), new("scope", scope));
        LogRefused(_logger, kind, scope, customerId, clientIp ?? "unknown", decision.RetryAfter.TotalSeconds);
        return decision;
    }

    private static string NormalizeCustomer(string customerId) => customerId.Trim().ToUpperInvariant();

    /// <summary>IPv4 as is (IPv4-mapped IPv6 folded to IPv4); IPv6 by its /64, the block one subscriber usually holds.</summary>
    internal static string? NormalizeIp(string? clientIp)
    {
        if (string.IsNullOrWhiteSpace(clientIp) || !IPAddress.TryParse(clientIp.Trim(), out var address))
        {
            return null;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var bytes = address.GetAddressBytes();
            Array.Clear(bytes, 8, 8);
            return new IPAddress(bytes) + "/64";
        }

        return address.ToString();
    }

    private static string Hash(string scope, string subject)
    {
        var normalized = scope == LimitScopes.Customer ? NormalizeCustomer(subject) : subject;
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(scope + "\n" + normalized)));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Abuse limit reached: {Kind} refused by the {Scope} limit for customer {CustomerId} from {ClientIp}; retry after {RetryAfterSeconds:F0} s")]
    private static partial void LogRefused(ILogger logger, LimitKind kind, string scope, string customerId, [ClientIp] string clientIp, double retryAfterSeconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Customer {CustomerId} locked out of passcode login after {Failures} wrong passcodes, until {LockedUntil:O}")]
    private static partial void LogLockedOut(ILogger logger, string customerId, int failures, DateTimeOffset lockedUntil);
}
