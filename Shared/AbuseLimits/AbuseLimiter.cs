namespace FlexFunctions.Shared.AbuseLimits;

/// <summary>What a limit guards.</summary>
public enum LimitKind
{
    /// <summary>Asking FlexShopper to send a passcode by SMS or email (costs money, can spam a customer).</summary>
    PasscodeRequest,

    /// <summary>Trying a passcode (can be guessed).</summary>
    LoginAttempt,
}

/// <summary>Whether a request may go ahead; when not, which limit refused it and when to come back.</summary>
public sealed record LimitDecision(bool Allowed, TimeSpan RetryAfter, string? Scope)
{
    public static LimitDecision Allow { get; } = new(true, TimeSpan.Zero, null);

    /// <summary>A login admitted while wrong passcodes were on record for the customer: its success must clear them.</summary>
    public bool FailedLoginsOnRecord { get; init; }

    public static LimitDecision Deny(string scope, TimeSpan retryAfter) =>
        new(false, retryAfter < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : retryAfter, scope);
}

/// <summary>Which counter refused a request.</summary>
public static class LimitScopes
{
    public const string Customer = "customer";
    public const string ClientIp = "clientIp";
    public const string Lockout = "lockout";
}

/// <summary>
/// Per-customer and per-client-IP limits on passcode requests and login attempts, and the lockout after repeated
/// wrong passcodes. Counters live in Table Storage, so they hold across every instance of the app.
/// </summary>
public interface IAbuseLimiter
{
    /// <summary>Counts one request against the customer's and the IP's limits (and, for logins, the lockout).</summary>
    Task<LimitDecision> TryAcquireAsync(LimitKind kind, string customerId, string? clientIp, CancellationToken cancellationToken = default);

    /// <summary>A wrong passcode: counts towards the customer's lockout.</summary>
    Task RecordFailedLoginAsync(string customerId, CancellationToken cancellationToken = default);

    /// <summary>
    /// A correct passcode: the run of wrong ones is forgotten. <paramref name="admitted"/> is the decision that let the
    /// login through; when it saw no wrong passcodes on record there is nothing to clear and storage is not called.
    /// </summary>
    Task RecordSuccessfulLoginAsync(string customerId, LimitDecision admitted, CancellationToken cancellationToken = default);
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
