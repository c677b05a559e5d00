namespace FlexFunctions.Shared.Idempotency;

/// <summary>
/// One attempt at a step FlexShopper may carry out without our hearing (create lease, sign, finalize, create user,
/// add payment method), as the step's service sees it. When <see cref="EarlierUnknownAt"/> is set, an earlier
/// attempt with the same <c>Idempotency-Key</c> may have been carried out: the service reads FlexShopper's state
/// first, answers the real outcome when the state shows the step done, sends again only when the state proves
/// nothing happened, and otherwise throws <see cref="OutcomeUnverifiableException"/>.
/// </summary>
/// <param name="StartedAt">When this attempt began (sign lease sends it as the signing time).</param>
/// <param name="EarlierUnknownAt">When the latest attempt that may have been carried out began; null when none.</param>
public sealed record IdempotentAttempt(DateTimeOffset StartedAt, DateTimeOffset? EarlierUnknownAt = null)
{
    public bool EarlierOutcomeUnknown => EarlierUnknownAt is not null;
}

/// <summary>
/// FlexShopper's state, read after an attempt whose outcome is unknown, neither shows the step done nor proves
/// that nothing happened. Nothing is sent; the outcome stays unknown for a person to settle.
/// </summary>
public sealed class OutcomeUnverifiableException(string reason) : Exception(reason);
