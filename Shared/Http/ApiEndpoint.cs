using System.Security.Cryptography;
using System.Text.Json.Serialization.Metadata;
using FlexFunctions.Shared.AbuseLimits;
using FlexFunctions.Shared.CustomerAuth;
using FlexFunctions.Shared.Dependencies;
using FlexFunctions.Shared.FlexShopper;
using FlexFunctions.Shared.FlexShopper.Models;
using FlexFunctions.Shared.Idempotency;
using FlexFunctions.Shared.InputRules;
using FlexFunctions.Shared.Leases;
using FlexFunctions.Shared.Webhooks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlexFunctions.Shared.Http;

/// <summary>How one route is guarded.</summary>
public sealed record EndpointRules
{
    /// <summary>The route acts for a signed-in customer: <c>X-Customer-Session</c> is required.</summary>
    public bool Customer { get; init; }

    /// <summary>
    /// Set on the steps FlexShopper may carry out without our hearing (create lease, sign lease, finalize, create
    /// customer, add payment method): they honour <c>Idempotency-Key</c>, and an attempt whose outcome is unknown
    /// answers <c>OutcomeUnknown</c> instead of inviting a blind resend.
    /// </summary>
    public string? IdempotentOperation { get; init; }

    public long BodyLimitBytes { get; init; } = JsonBody.DefaultLimitBytes;

    public static readonly EndpointRules Store = new();
    public static readonly EndpointRules ForCustomer = new() { Customer = true };
}

/// <summary>One request after its guards passed: the raw body (read once) and, when required, the customer.</summary>
public sealed class ApiCall(HttpRequest request, byte[] body, CustomerCredential? customer, OrderLimitsOptions limits)
{
    public HttpRequest Request { get; } = request;

    public CustomerCredential Customer => customer ?? throw new InvalidOperationException("This route does not require a customer session.");

    /// <summary>The signed-in customer's credential on customer routes; null on store routes.</summary>
    public CustomerCredential? CustomerOrNull => customer;

    /// <summary>This attempt, and whether an earlier one with the same <c>Idempotency-Key</c> has an unknown outcome.</summary>
    public IdempotentAttempt Attempt { get; internal set; } = new(DateTimeOffset.UtcNow);

    /// <summary>Parses and validates the body; the problem names each bad field.</summary>
    public (T? Value, IActionResult? Problem) Bind<T>(JsonTypeInfo<T> type)
        where T : class => JsonBody.Parse(body, type, limits);
}

/// <summary>
/// What every HTTP function shares, in one order: body size limit, webhook signature, customer session,
/// <c>Idempotency-Key</c>, then the route's own work, with every failure mapped to a problem document.
/// </summary>
public sealed partial class ApiEndpoint(WebhookSignature signature, CustomerSessions sessions, IIdempotencyStore idempotency, TimeProvider time, ILogger<ApiEndpoint> logger, IOptions<OrderLimitsOptions> orderLimits)
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    public async Task<IActionResult> RunAsync(HttpRequest request, EndpointRules rules, Func<ApiCall, Task<IActionResult>> handle, CancellationToken cancellationToken = default)
    {
        var (body, tooLarge) = await JsonBody.ReadBytesAsync(request, rules.BodyLimitBytes, cancellationToken).ConfigureAwait(false);
        if (tooLarge is not null)
        {
            return tooLarge;
        }

        SignatureCheck check;
        try
        {
            check = await signature.VerifyAsync(request.Headers, body, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (DependencyOutage.Is(ex, cancellationToken))
        {
            return DependencyUnavailable(ex); // the signing secret could not be read from Key Vault
        }

        if (check is not (SignatureCheck.Valid or SignatureCheck.NotRequired))
        {
            return Problems.Status(StatusCodes.Status401Unauthorized, "The request signature is missing, wrong or too old.",
                $"Sign 't.rawBody' with HMAC-SHA256 and send it as {WebhookSignature.Header}: t=<unix seconds>,v1=<hex>, or sign with Standard Webhooks ({StandardWebhookVerifier.IdHeader}, {StandardWebhookVerifier.TimestampHeader}, {StandardWebhookVerifier.SignatureHeader}).", "InvalidSignature");
        }

        CustomerCredential? customer = null;
        if (rules.Customer)
        {
            string? header = request.Headers[CustomerSessions.Header];
            if (string.IsNullOrWhiteSpace(header))
            {
                return Problems.Status(StatusCodes.Status401Unauthorized, "The customer is not signed in.",
                    $"Send the session from login in the {CustomerSessions.Header} header.", "CustomerSessionRequired");
            }

            try
            {
                customer = await sessions.OpenAsync(header, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (DependencyOutage.Is(ex, cancellationToken))
            {
                // The session key ring could not be read: the session may be perfectly valid, so not "log in again".
                return DependencyUnavailable(ex);
            }

            if (customer is null)
            {
                return Problems.Status(StatusCodes.Status401Unauthorized, "The customer session is invalid or expired: log in again.",
                    code: "CustomerSessionInvalid");
            }
        }

        var call = new ApiCall(request, body, customer, orderLimits.Value) { Attempt = new IdempotentAttempt(time.GetUtcNow()) };
        try
        {
            string? key = request.Headers[IdempotencyKeyHeader];
            if (rules.IdempotentOperation is null)
            {
                return await GuardAsync(call, rules, handle, cancellationToken).ConfigureAwait(false);
            }

            if (string.IsNullOrEmpty(key))
            {
                return await RunWithoutKeyAsync(call, rules, rules.IdempotentOperation, handle, cancellationToken).ConfigureAwait(false);
            }

            if (key.Length > 255)
            {
                return Problems.Validation(IdempotencyKeyHeader, "Must be at most 255 characters.");
            }

            return await RunOnceAsync(call, rules, rules.IdempotentOperation, key, body, handle, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (DependencyOutage.Is(ex, cancellationToken))
        {
            return DependencyUnavailable(ex); // the idempotency record could not be read or claimed: nothing was done
        }
        finally
        {
            // The body (a passcode, an SSN) is held only for this one call: wipe our copy of it.
            CryptographicOperations.ZeroMemory(body);
        }
    }

    private async Task<IActionResult> RunOnceAsync(ApiCall call, EndpointRules rules, string operation, string key, byte[] body, Func<ApiCall, Task<IActionResult>> handle, CancellationToken cancellationToken)
    {
        var fingerprint = TableIdempotencyStore.Fingerprint(call.Request.Method, call.Request.Path.Value ?? string.Empty, body, call.CustomerOrNull?.Token);
        var begin = await idempotency.BeginAsync(operation, key, fingerprint, cancellationToken).ConfigureAwait(false);
        switch (begin.State)
        {
            case IdempotencyState.Completed:
                LogReplayed(logger, operation, begin.Outcome!.Status);
                return new RecordedResponse(begin.Outcome.Status, begin.Outcome.ContentType, begin.Outcome.Body) { Replayed = true };
            case IdempotencyState.InProgress:
                return Problems.Status(StatusCodes.Status409Conflict, "A request with this Idempotency-Key is still being processed.",
                    "Try again shortly to receive its outcome.", "IdempotentRequestInProgress", TimeSpan.FromSeconds(2));
            case IdempotencyState.Mismatch:
                return Problems.Status(StatusCodes.Status422UnprocessableEntity, "This Idempotency-Key was already used for a different request.",
                    "Use a new key for a new request.", "IdempotencyKeyReused");
        }

        call.Attempt = new IdempotentAttempt(begin.StartedAt, begin.EarlierUnknownAt);
        if (begin.EarlierUnknownAt is not null)
        {
            LogReconciling(logger, operation);
        }

        var attempt = await AttemptAsync(call, rules, handle, cancellationToken).ConfigureAwait(false);
        if (attempt.Unverifiable is { } reason)
        {
            // FlexShopper's state could not settle the earlier attempt: nothing was sent, it stays unknown.
            await MarkUnknownAsync(operation, begin, begin.EarlierUnknownAt ?? begin.StartedAt, "unverifiable: " + reason).ConfigureAwait(false);
            return attempt.Result;
        }

        var recorded = await RecordedResponse.CaptureAsync(attempt.Result, call.Request.HttpContext).ConfigureAwait(false);
        if (attempt.MayHaveActed && !IsSuccess(recorded.StatusCode))
        {
            // FlexShopper carried out this attempt or may have, and its answer did not reach us (or we failed after
            // it): the key stays "outcome unknown" and the retry reads FlexShopper's state before anything is sent.
            await MarkUnknownAsync(operation, begin, begin.StartedAt, StatusReason(recorded.StatusCode)).ConfigureAwait(false);
            return OutcomeUnknown(operation, keyed: true);
        }

        if (IsFinal(recorded.StatusCode))
        {
            try
            {
                await idempotency.CompleteAsync(operation, begin, new IdempotencyOutcome(recorded.StatusCode, recorded.ContentType, recorded.Body), CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (DependencyOutage.Is(ex, CancellationToken.None))
            {
                // The work is done (a lease created, a lease signed): answer with it rather than a 503 that invites a
                // retry. The pending record goes stale and a later retry settles it from FlexShopper's state.
                LogOutcomeNotRecorded(logger, operation, DependencyOutage.StatusOf(ex));
            }

            return recorded;
        }

        if (begin.EarlierUnknownAt is { } earlier)
        {
            // This attempt certainly did not act (say, FlexShopper's state could not be read), but the earlier one
            // may have: still unknown.
            await MarkUnknownAsync(operation, begin, earlier, StatusReason(recorded.StatusCode)).ConfigureAwait(false);
            return OutcomeUnknown(operation, keyed: true, recorded);
        }

        // FlexShopper certainly did not act (it was down, refused for now, or never reached): the same key can try again.
        await ForgetAsync(operation, begin).ConfigureAwait(false);
        return attempt.Result;
    }

    /// <summary>A step sent without <c>Idempotency-Key</c>: nothing is recorded, and a lost answer is said to be lost.</summary>
    private async Task<IActionResult> RunWithoutKeyAsync(ApiCall call, EndpointRules rules, string operation, Func<ApiCall, Task<IActionResult>> handle, CancellationToken cancellationToken)
    {
        var attempt = await AttemptAsync(call, rules, handle, cancellationToken).ConfigureAwait(false);
        if (!attempt.MayHaveActed)
        {
            return attempt.Result;
        }

        var recorded = await RecordedResponse.CaptureAsync(attempt.Result, call.Request.HttpContext).ConfigureAwait(false);
        if (IsSuccess(recorded.StatusCode))
        {
            return recorded;
        }

        LogOutcomeUnknown(logger, operation, StatusReason(recorded.StatusCode) + ", no Idempotency-Key");
        return OutcomeUnknown(operation, keyed: false);
    }

    /// <summary>
    /// Runs the step once, watching its FlexShopper writes: <see cref="Attempted.MayHaveActed"/> is true when one was
    /// carried out or may have been (whatever the answer mapped to).
    /// </summary>
    private async Task<Attempted> AttemptAsync(ApiCall call, EndpointRules rules, Func<ApiCall, Task<IActionResult>> handle, CancellationToken cancellationToken)
    {
        using var writes = FlexShopperWrites.Track();
        string? unverifiable = null;
        var result = await GuardAsync(call, rules, async c =>
        {
            try
            {
                return await handle(c).ConfigureAwait(false);
            }
            catch (OutcomeUnverifiableException ex)
            {
                unverifiable = ex.Message;
                return OutcomeUnverifiable(ex.Message);
            }
        }, cancellationToken).ConfigureAwait(false);
        return new Attempted(result, writes.MayHaveActed, unverifiable);
    }

    private sealed record Attempted(IActionResult Result, bool MayHaveActed, string? Unverifiable);

    private async Task MarkUnknownAsync(string operation, IdempotencyBegin begin, DateTimeOffset attemptedAt, string reason)
    {
        LogOutcomeUnknown(logger, operation, reason);
        try
        {
            await idempotency.MarkUnknownAsync(operation, begin, attemptedAt, reason, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (DependencyOutage.Is(ex))
        {
            // The pending record stays; once stale it is treated as unknown all the same.
            LogOutcomeNotRecorded(logger, operation, DependencyOutage.StatusOf(ex));
        }
    }

    /// <summary>Drops an attempt's pending record; if storage fails too, the record simply expires.</summary>
    private async Task ForgetAsync(string operation, IdempotencyBegin begin)
    {
        try
        {
            await idempotency.AbandonAsync(operation, begin, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (DependencyOutage.Is(ex))
        {
            LogOutcomeNotRecorded(logger, operation, DependencyOutage.StatusOf(ex));
        }
    }

    /// <summary>
    /// 503 <c>OutcomeUnknown</c>: FlexShopper may have carried the step out. With a key, the store retries with the
    /// same key and gets the real outcome, read from FlexShopper's state; without one, nothing can settle it here.
    /// </summary>
    private static IActionResult OutcomeUnknown(string operation, bool keyed, RecordedResponse? cause = null) =>
        Problems.Status(StatusCodes.Status503ServiceUnavailable, "FlexShopper may have carried out this request: its outcome is unknown.",
            keyed
                ? $"Retry with the same Idempotency-Key: the retry first reads FlexShopper's state and answers the real outcome of {operation}; "
                  + "it is sent again only if that state proves nothing happened." + (cause is null ? "" : $" This attempt could not settle it ({StatusReason(cause.StatusCode)}).")
                : $"No Idempotency-Key was sent, so the outcome of {operation} cannot be settled for you: check FlexShopper's state before sending it again, "
                  + "and send an Idempotency-Key so a retry is settled from that state.",
            "OutcomeUnknown", TimeSpan.FromSeconds(5));

    /// <summary>409 <c>OutcomeUnverifiable</c>: FlexShopper's state can tell neither way; nothing is sent again.</summary>
    private static IActionResult OutcomeUnverifiable(string reason) =>
        Problems.Status(StatusCodes.Status409Conflict, "An earlier attempt with this Idempotency-Key may have been carried out, and FlexShopper's state cannot tell.",
            $"Nothing was sent again ({reason}). Ask FlexShopper whether it was carried out: if it was not, send the request with a new Idempotency-Key; "
            + "retrying with this key reads FlexShopper's state again.", "OutcomeUnverifiable");

    private static string StatusReason(int status) =>
        status == 499 ? "the call was cancelled" : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"the attempt ended with {status}");

    private static bool IsSuccess(int status) => status is >= 200 and < 300;

    // Our own storage or Key Vault (limits, idempotency records, session keys, the signing secret) failed: the
    // store should retry later, not see a 500 for a dependency outage.
    private IActionResult DependencyUnavailable(Exception ex) => DependencyGuard.Unavailable(logger, ex);

    private static bool IsFinal(int status) => status is >= 200 and < 300 or 400 or 402 or 403 or 404 or 409 or 422;

    private async Task<IActionResult> GuardAsync(ApiCall call, EndpointRules rules, Func<ApiCall, Task<IActionResult>> handle, CancellationToken cancellationToken)
    {
        try
        {
            return await handle(call).ConfigureAwait(false);
        }
        catch (FlexShopperApiException ex)
        {
            LogUpstreamFailed(logger, ex.Operation ?? "FlexShopper", ex.Kind, ex.Code);
            if (ex.Kind == FlexShopperErrorKind.Unauthorized && !rules.Customer)
            {
                // No customer token was involved: FlexShopper refused our API key. The store cannot fix that.
                return Problems.Status(StatusCodes.Status502BadGateway, "FlexShopper refused the app's credentials.", code: ex.Code);
            }

            return Problems.FromFlexShopper(ex);
        }
        catch (AbuseLimitExceededException ex)
        {
            return Problems.Status(StatusCodes.Status429TooManyRequests,
                ex.Code == "LoginLocked" ? "Too many wrong passcodes: passcode login is locked for a while." : "Too many requests for this customer or shopper.",
                "Wait for the time in Retry-After before trying again.", ex.Code, ex.Decision.RetryAfter);
        }
        catch (LeaseNotSignedException ex)
        {
            return Problems.Status(StatusCodes.Status409Conflict, "The lease is not signed yet.",
                $"Finalize only after the customer signs; the lease is '{ex.LeaseStatus ?? "missing"}'.", "LeaseNotSigned");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested || call.Request.HttpContext.RequestAborted.IsCancellationRequested)
        {
            return new StatusCodeResult(499);
        }
        catch (Exception ex) when (DependencyOutage.Is(ex, cancellationToken))
        {
            return DependencyUnavailable(ex);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogUnexpected(logger, ex.GetType().Name, ex);
            return Problems.Status(StatusCodes.Status500InternalServerError, "Something went wrong on our side.");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Replayed the recorded {Operation} outcome ({Status}) for a repeated Idempotency-Key")]
    private static partial void LogReplayed(ILogger logger, string operation, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Operation} failed upstream: {Kind} {Code}")]
    private static partial void LogUpstreamFailed(ILogger logger, string operation, FlexShopperErrorKind kind, string? code);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unexpected {ErrorType} in an HTTP function")]
    private static partial void LogUnexpected(ILogger logger, string errorType, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The idempotency record for {Operation} could not be updated (storage answered {Status}); it will expire")]
    private static partial void LogOutcomeNotRecorded(ILogger logger, string operation, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Operation}: FlexShopper may have carried out the request, so its outcome is unknown ({Reason})")]
    private static partial void LogOutcomeUnknown(ILogger logger, string operation, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Operation}: an earlier attempt with this Idempotency-Key has an unknown outcome; reading FlexShopper's state first")]
    private static partial void LogReconciling(ILogger logger, string operation);
}
