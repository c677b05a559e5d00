using Azure.Data.Tables;

namespace FlexFunctions.Shared.AbuseLimits;

/// <summary>What a limit guards.</summary>
public enum LimitKind
{
    /// <summary>Asking FlexShopper to send a passcode by SMS or email (costs money, can spam a customer).</summary>
    PasscodeRequest,

    /// <summary>Trying a passcode (can be guessed).</summary>
    LoginAttempt,
}

/// <summary>What FlexShopper made of a passcode an admitted login sent.</summary>
public enum LoginOutcome
{
    /// <summary>Accepted: the run of wrong passcodes is forgotten.</summary>
    Succeeded,

    /// <summary>Refused (FlexShopper's 400): counts towards the lockout.</summary>
    WrongPasscode,

    /// <summary>No verdict reached us (outage, timeout, cancelled): the attempt's place is given back.</summary>
    NoVerdict,
}

/// <summary>Whether a request may go ahead; when not, which limit refused it and when to come back.</summary>
public sealed record LimitDecision(bool Allowed, TimeSpan RetryAfter, string? Scope)
{
    public static LimitDecision Allow { get; } = new(true, TimeSpan.Zero, null);

    /// <summary>
    /// An admitted login's place against the lockout, held until <see cref="IAbuseLimiter.CompleteLoginAsync"/>
    /// reports what FlexShopper said; null for passcode requests and refusals.
    /// </summary>
    public LoginReservation? Reservation { get; init; }

    public static LimitDecision Deny(string scope, TimeSpan retryAfter) =>
        new(false, retryAfter < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : retryAfter, scope);
}

/// <summary>
/// One login attempt counted as in flight on the customer's row: wrong passcodes on record plus attempts in flight
/// never exceed the lockout limit, so concurrent attempts cannot slip extra guesses past it.
/// </summary>
public sealed class LoginReservation
{
    internal LoginReservation(string customerId, TableEntity written, string group, TimeSpan timeLimit)
    {
        CustomerId = customerId;
        Written = written;
        Group = group;
        TimeLimit = timeLimit;
    }

    /// <summary>How long the login may take before its place lapses: the call to FlexShopper is cut before then.</summary>
    public TimeSpan TimeLimit { get; }

    /// <summary>The customer id as the caller gave it, for log lines.</summary>
    internal string CustomerId { get; }

    /// <summary>The row as this admission wrote it (with its ETag): the completion writes it in one round trip unless another attempt wrote since.</summary>
    internal TableEntity Written { get; }

    /// <summary>The run of overlapping attempts this one belongs to; a lapsed run's late answer does not give back a newer run's place.</summary>
    internal string Group { get; }
}

/// <summary>Which counter refused a request.</summary>
public static class LimitScopes
{
    public const string Customer = "customer";
    public const string ClientIp = "clientIp";
    public const string Lockout = "lockout";

    /// <summary>Wrong passcodes on record plus attempts still awaiting FlexShopper's answer reach the lockout limit.</summary>
    public const string InFlight = "inFlight";
}

/// <summary>
/// Per-customer and per-client-IP limits on passcode requests and login attempts, and the lockout after repeated
/// wrong passcodes. Counters live in Table Storage, so they hold across every instance of the app.
/// </summary>
public interface IAbuseLimiter
{
    /// <summary>
    /// Counts one request against the customer's and the IP's limits. An admitted login also holds a place against
    /// the lockout (<see cref="LimitDecision.Reservation"/>) that <see cref="CompleteLoginAsync"/> must settle.
    /// </summary>
    Task<LimitDecision> TryAcquireAsync(LimitKind kind, string customerId, string? clientIp, CancellationToken cancellationToken = default);

    /// <summary>Settles an admitted login: a wrong passcode counts towards the lockout, a success clears the run, no verdict only frees the place.</summary>
    Task CompleteLoginAsync(LimitDecision admitted, LoginOutcome outcome, CancellationToken cancellationToken = default);
}

/// <summary>A request an abuse limit refused; the HTTP layer answers 429 with <c>Retry-After</c>.</summary>
public sealed class AbuseLimitExceededException(LimitKind kind, LimitDecision decision)
    : Exception($"{kind} refused by the {decision.Scope} limit; retry after {decision.RetryAfter.TotalSeconds:F0} s.")
{
    public LimitKind Kind { get; } = kind;

    public LimitDecision Decision { get; } = decision;

    /// <summary>The problem document's <c>code</c>, so the store can tell the shopper what happened.</summary>
    public string Code => (Kind, Decision.Scope) switch
    {
        (_, LimitScopes.Lockout) => "LoginLocked",
        (LimitKind.PasscodeRequest, _) => "TooManyPasscodeRequests",
        _ => "TooManyLoginAttempts",
    };
}
