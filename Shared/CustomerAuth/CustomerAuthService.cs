using FlexFunctions.Shared.AbuseLimits;
using FlexFunctions.Shared.FlexShopper;
using FlexFunctions.Shared.FlexShopper.Models;
using FlexFunctions.Shared.Idempotency;
using Microsoft.Extensions.Logging;

namespace FlexFunctions.Shared.CustomerAuth;

/// <summary>Customer lookup, sign-up, passcode and login, and the signed-in customer.</summary>
public interface ICustomerAuthService
{
    Task<LookupResult> LookupAsync(string email, CancellationToken cancellationToken = default);
    Task<DeepUserExistsResult> VerifyAsync(DeepVerifyInput input, CancellationToken cancellationToken = default);
    /// <summary>
    /// Creates the FlexShopper user. After an attempt whose outcome is unknown it first asks whether the email is
    /// registered (Verify User Exists): if it is, the earlier attempt created the account, whose session was lost
    /// with the answer, and the outcome says a passcode sign-in is needed; if not, nothing happened and it creates.
    /// </summary>
    Task<SignUpOutcome> CreateAsync(CreateCustomerInput input, IdempotentAttempt attempt, CancellationToken cancellationToken = default);
    Task<PasscodeSent> RequestPasscodeAsync(string userId, PasscodeRequestInput input, CancellationToken cancellationToken = default);
    Task<SessionResult> LoginAsync(string userId, LoginInput input, CancellationToken cancellationToken = default);
    Task<FlexShopperUser> GetMeAsync(CustomerCredential customer, CancellationToken cancellationToken = default);
}

/// <summary>Sign-up's outcome: the new customer's session, or no session when an earlier attempt created the account and the customer must sign in with a passcode.</summary>
public sealed record SignUpOutcome(string UserId, SessionResult? Session);

public sealed partial class CustomerAuthService(IFlexShopperClient flexShopper, CustomerSessions sessions, IAbuseLimiter limits, ILogger<CustomerAuthService> logger) : ICustomerAuthService
{
    public async Task<LookupResult> LookupAsync(string email, CancellationToken cancellationToken = default)
    {
        var result = await flexShopper.UserExistsAsync(email, cancellationToken).ConfigureAwait(false);
        return new LookupResult(result.Exists, result.Exists ? result.UserId : null);
    }

    public Task<DeepUserExistsResult> VerifyAsync(DeepVerifyInput input, CancellationToken cancellationToken = default) =>
        flexShopper.DeepUserExistsAsync(input.ToRequest(), cancellationToken);

    public async Task<SignUpOutcome> CreateAsync(CreateCustomerInput input, IdempotentAttempt attempt, CancellationToken cancellationToken = default)
    {
        // Stryker disable once Statement : the function always passes an attempt; without the guard the next line throws on null as well
        ArgumentNullException.ThrowIfNull(attempt);
        if (attempt.EarlierOutcomeUnknown
            && await flexShopper.UserExistsAsync(input.Email!, cancellationToken).ConfigureAwait(false) is { Exists: true, UserId: { Length: > 0 } existing })
        {
            // FlexShopper hands a customer token out only when it creates the user, or at a passcode login.
            return new SignUpOutcome(existing, null);
        }

        await sessions.EnsureCanSealAsync(cancellationToken).ConfigureAwait(false); // a user created at FlexShopper with no session to hand over would be stuck
        var created = await flexShopper.CreateUserAsync(
            new CreateUserRequest(input.FirstName!.Trim(), input.LastName!.Trim(), input.Email!) { Locale = input.Locale },
            cancellationToken).ConfigureAwait(false);
        var session = sessions.Seal(created.Credential);
        return new SignUpOutcome(created.UserId, new SessionResult(created.UserId, session.Value, session.ExpiresAt));
    }

    public async Task<PasscodeSent> RequestPasscodeAsync(string userId, PasscodeRequestInput input, CancellationToken cancellationToken = default)
    {
        // Each passcode is an SMS or email FlexShopper sends at a cost: limited per customer and per shopper IP.
        await AcquireAsync(LimitKind.PasscodeRequest, userId, input.CustomerIp, cancellationToken).ConfigureAwait(false);
        await flexShopper.SendPasscodeAsync(userId, input.ParsedTransport, cancellationToken).ConfigureAwait(false);
        return new PasscodeSent(userId, input.Transport!);
    }

    public async Task<SessionResult> LoginAsync(string userId, LoginInput input, CancellationToken cancellationToken = default)
    {
        await sessions.EnsureCanSealAsync(cancellationToken).ConfigureAwait(false); // never spend the single-use passcode on a session we could not seal
        // Admission holds this attempt's place against the lockout before FlexShopper sees the passcode.
        var admitted = await AcquireAsync(LimitKind.LoginAttempt, userId, input.CustomerIp, cancellationToken).ConfigureAwait(false);
        var outcome = LoginOutcome.NoVerdict;
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (admitted.Reservation is { } reservation)
        {
            // Cut short of the hold: an attempt outliving its place could let one more guess through.
            attempt.CancelAfter(reservation.TimeLimit);
        }

        try
        {
            // The passcode goes to FlexShopper once (the client never retries it) and is not kept.
            var credential = await flexShopper.PasscodeLoginAsync(userId, input.Passcode!, attempt.Token).ConfigureAwait(false);
            outcome = LoginOutcome.Succeeded;
            var session = sessions.Seal(credential);
            return new SessionResult(userId, session.Value, session.ExpiresAt);
        }
        catch (FlexShopperApiException ex) when (ex.Kind == FlexShopperErrorKind.Validation)
        {
            // FlexShopper answers a wrong or expired passcode with 400: enough of them in a row lock the customer.
            outcome = LoginOutcome.WrongPasscode;
            throw;
        }
        catch (OperationCanceledException ex) when (attempt.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // Stryker disable once String : a transient failure's message reaches neither the store (503 without detail) nor a log line (operation, kind, code)
            throw new FlexShopperApiException(FlexShopperErrorKind.Transient, null, null, "Passcode login: FlexShopper did not answer within the login attempt's hold.", ex)
            {
                Operation = "PasscodeLogin",
            };
        }
        finally
        {
            await CompleteAsync(userId, admitted, outcome).ConfigureAwait(false);
        }
    }

    public Task<FlexShopperUser> GetMeAsync(CustomerCredential customer, CancellationToken cancellationToken = default) =>
        flexShopper.GetMeAsync(customer, cancellationToken);

    /// <summary>
    /// Settles the attempt's place. A failure here is logged, not thrown: a spent passcode's token must not be lost
    /// over bookkeeping, and the place stays held until it lapses, so the limit holds meanwhile.
    /// </summary>
    private async Task CompleteAsync(string userId, LimitDecision admitted, LoginOutcome outcome)
    {
        try
        {
            await limits.CompleteLoginAsync(admitted, outcome, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogOutcomeNotRecorded(logger, userId, outcome, ex.GetType().Name);
        }
    }

    private async Task<LimitDecision> AcquireAsync(LimitKind kind, string userId, string? customerIp, CancellationToken cancellationToken)
    {
        var decision = await limits.TryAcquireAsync(kind, userId, customerIp, cancellationToken).ConfigureAwait(false);
        return decision.Allowed ? decision : throw new AbuseLimitExceededException(kind, decision);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The {Outcome} login of customer {CustomerId} could not be recorded against the abuse limits ({ErrorType}); its place lapses with AbuseLimits__LoginAttemptHold")]
    private static partial void LogOutcomeNotRecorded(ILogger logger, string customerId, LoginOutcome outcome, string errorType);
}
