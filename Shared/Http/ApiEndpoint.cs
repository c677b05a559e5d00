using System.Security.Cryptography;
using System.Text.Json.Serialization.Metadata;
using Azure;
using FlexFunctions.Shared.AbuseLimits;
using FlexFunctions.Shared.CustomerAuth;
using FlexFunctions.Shared.FlexShopper;
using FlexFunctions.Shared.FlexShopper.Models;
using FlexFunctions.Shared.Idempotency;
using FlexFunctions.Shared.Leases;
using FlexFunctions.Shared.Webhooks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;

namespace FlexFunctions.Shared.Http;

/// <summary>How one route is guarded.</summary>
public sealed record EndpointRules
{
    /// <summary>The route acts for a signed-in customer: <c>X-Customer-Session</c> is required.</summary>
    public bool Customer { get; init; }

    /// <summary>Set on routes that honour <c>Idempotency-Key</c> (create lease, sign lease, finalize).</summary>
    public string? IdempotentOperation { get; init; }

    public long BodyLimitBytes { get; init; } = JsonBody.DefaultLimitBytes;

    public static readonly EndpointRules Store = new();
    public static readonly EndpointRules ForCustomer = new() { Customer = true };
}

/// <summary>One request after its guards passed: the raw body (read once) and, when required, the customer.</summary>
public sealed class ApiCall(HttpRequest request, byte[] body, CustomerCredential? customer)
{
    public HttpRequest Request { get; } = request;

    public CustomerCredential Customer => customer ?? throw new InvalidOperationException("This route does not require a customer session.");

    /// <summary>The signed-in customer's credential on customer routes; null on store routes.</summary>
    public CustomerCredential? CustomerOrNull => customer;

    /// <summary>Parses and validates the body; the problem names each bad field.</summary>
    public (T? Value, IActionResult? Problem) Bind<T>(JsonTypeInfo<T> type)
        where T : class => JsonBody.Parse(body, type);

    /// <summary>A route value that must be a safe identifier; null when it is.</summary>
    public static IActionResult? CheckId(string name, string? value) =>
        value is not null && InputPatterns.Id().IsMatch(value)
            ? null
            : Problems.Validation(name, "Must be 1 to 64 letters, digits, '-' or '_'.");
}

/// <summary>
/// What every HTTP function shares, in one order: body size limit, webhook signature, customer session,
/// <c>Idempotency-Key</c>, then the route's own work, with every failure mapped to a problem document.
/// </summary>
public sealed partial class ApiEndpoint(WebhookSignature signature, CustomerSessions sessions, IIdempotencyStore idempotency, ILogger<ApiEndpoint> logger)
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
        catch (RequestFailedException ex)
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

            customer = sessions.Open(header);
            if (customer is null)
            {
                return Problems.Status(StatusCodes.Status401Unauthorized, "The customer session is invalid or expired: log in again.",
                    code: "CustomerSessionInvalid");
            }
        }

        var call = new ApiCall(request, body, customer);
        try
        {
            string? key = request.Headers[IdempotencyKeyHeader];
            if (rules.IdempotentOperation is null || string.IsNullOrEmpty(key))
            {
                return await GuardAsync(call, rules, handle, cancellationToken).ConfigureAwait(false);
            }

            if (key.Length > 255)
            {
                return Problems.Validation(IdempotencyKeyHeader, "Must be at most 255 characters.");
            }

            return await RunOnceAsync(call, rules, rules.IdempotentOperation, key, body, handle, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex)
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

        IActionResult result;
        try
        {
            result = await GuardAsync(call, rules, handle, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await ForgetAsync(operation, key, begin.ETag).ConfigureAwait(false);
            throw;
        }

        var recorded = await RecordedResponse.CaptureAsync(result, call.Request.HttpContext).ConfigureAwait(false);
        if (IsFinal(recorded.StatusCode))
        {
            try
            {
                await idempotency.CompleteAsync(operation, key, begin.ETag, new IdempotencyOutcome(recorded.StatusCode, recorded.ContentType, recorded.Body), CancellationToken.None).ConfigureAwait(false);
            }
            catch (RequestFailedException ex)
            {
                // The work is done (a lease created, a lease signed): answer with it rather than a 503 that invites a
                // retry. The pending record stays and answers 409 to a duplicate until it expires.
                LogOutcomeNotRecorded(logger, operation, ex.Status);
            }

            return recorded;
        }

        // Worth retrying with the same key (FlexShopper down, rate limited, session expired): forget this attempt.
        await ForgetAsync(operation, key, begin.ETag).ConfigureAwait(false);
        return result;
    }

    /// <summary>Drops an attempt's pending record; if storage fails too, the record simply expires.</summary>
    private async Task ForgetAsync(string operation, string key, Azure.ETag etag)
    {
        try
        {
            await idempotency.AbandonAsync(operation, key, etag, CancellationToken.None).ConfigureAwait(false);
        }
        catch (RequestFailedException ex)
        {
            LogOutcomeNotRecorded(logger, operation, ex.Status);
        }
    }

    private IActionResult DependencyUnavailable(RequestFailedException ex)
    {
        // Our own storage or Key Vault (limits, idempotency records, session keys, the signing secret) failed: the
        // store should retry later, not see a 500 for a dependency outage.
        LogDependencyFailed(logger, ex.Status, ex.ErrorCode);
        return Problems.Status(StatusCodes.Status503ServiceUnavailable, "A storage dependency is unavailable: try again later.",
            code: "DependencyUnavailable", retryAfter: TimeSpan.FromSeconds(5));
    }

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
        catch (RequestFailedException ex)
        {
            return DependencyUnavailable(ex);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested || call.Request.HttpContext.RequestAborted.IsCancellationRequested)
        {
            return new StatusCodeResult(499);
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

    [LoggerMessage(Level = LogLevel.Error, Message = "A storage or Key Vault call failed with {Status} {ErrorCode}; answered 503")]
    private static partial void LogDependencyFailed(ILogger logger, int status, string? errorCode);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The idempotency record for {Operation} could not be updated (storage answered {Status}); it will expire")]
    private static partial void LogOutcomeNotRecorded(ILogger logger, string operation, int status);
}
