using System.Net;
using System.Text.Json;

namespace FlexFunctions.Shared.FlexShopper;

/// <summary>What kind of failure a FlexShopper call ended in, so callers can choose a response.</summary>
public enum FlexShopperErrorKind
{
    /// <summary>400: the request was rejected as invalid (including a wrong passcode).</summary>
    Validation,

    /// <summary>401: the API key or the customer token was refused, or the key version is gone.</summary>
    Unauthorized,

    /// <summary>402: a first payment is required.</summary>
    PaymentRequired,

    /// <summary>403.</summary>
    Forbidden,

    /// <summary>404: unknown resource (LeaseNotFound, TransactionNotFound) or URI.</summary>
    NotFound,

    /// <summary>409: e.g. UserAlreadyExists.</summary>
    Conflict,

    /// <summary>429.</summary>
    RateLimited,

    /// <summary>Timeouts, transport errors, 408, 5xx, or the circuit is open: worth trying again later.</summary>
    Transient,

    /// <summary>A success status with a body we cannot read.</summary>
    UnexpectedResponse,

    /// <summary>
    /// An answer that is not JSON at all (an HTML page, plain text), with a status that says nothing we act on (not 404,
    /// 408, 429 or 5xx): what FlexShopper gives callers outside the US, or what a proxy in the way sends. Code
    /// <see cref="FlexShopperApiException.NonJsonResponseCode"/>.
    /// </summary>
    NonJsonResponse,
}

/// <summary>The one error every FlexShopper call fails with. Its message never contains a key, token or passcode.</summary>
public sealed class FlexShopperApiException : Exception
{
    /// <summary>The customer token's key version is gone (deleted, disabled, not found): the customer must log in again.</summary>
    public const string KeyVersionUnavailableCode = "KeyVersionUnavailable";

    /// <summary>Key Vault could not give a key (down, throttling, identity failing): try again later; the session stays valid.</summary>
    public const string ApiKeyUnavailableCode = "ApiKeyUnavailable";

    /// <summary>The <see cref="Code"/> of <see cref="FlexShopperErrorKind.NonJsonResponse"/>, also the problem code stores see.</summary>
    public const string NonJsonResponseCode = "NonJsonResponse";

    public FlexShopperApiException(FlexShopperErrorKind kind, HttpStatusCode? statusCode, string? code, string message, Exception? inner = null)
        : base(message, inner)
    {
        Kind = kind;
        StatusCode = statusCode;
        Code = code;
    }

    public FlexShopperErrorKind Kind { get; }

    /// <summary>The HTTP status FlexShopper answered with; null when no answer came (timeout, transport, circuit open).</summary>
    public HttpStatusCode? StatusCode { get; }

    /// <summary>FlexShopper's <c>error.code</c>, a string or a number in the source, always text here.</summary>
    public string? Code { get; }

    /// <summary>FlexShopper's <c>error.data</c>, when it sent one.</summary>
    public JsonElement? ErrorData { get; init; }

    /// <summary>The server's Retry-After, when it sent one.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>The operation that failed, e.g. <c>POST leases</c>, for logs and problem documents.</summary>
    public string? Operation { get; init; }

    public bool IsTransient => Kind is FlexShopperErrorKind.Transient or FlexShopperErrorKind.RateLimited;

    /// <summary>True when FlexShopper certainly did not act on the call: it answered 408/429/503, or it was never sent (no key, no connection, circuit open).</summary>
    public bool CertainlyNotApplied => StatusCode is { } status
        ? NotAppliedStatus(status)
        : Code is ApiKeyUnavailableCode || InnerException is Polly.CircuitBreaker.BrokenCircuitException || NotSent(InnerException);

    /// <summary>Statuses that prove the request was not acted on; the retry pipeline and the queue ledger share them.</summary>
    internal static bool NotAppliedStatus(HttpStatusCode status) => (int)status is 408 or 429 or 503;

    /// <summary>A transport failure before the request left: no connection, or no address for the host.</summary>
    internal static bool NotSent(Exception? error) =>
        error is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError };

    /// <summary>
    /// True when a body that is not JSON is the whole story: the status (a 2xx, 401, 403, ...) says nothing we act on.
    /// A 404 keeps meaning an unknown URI, and 408, 429 and 5xx keep meaning an outage, whatever the body.
    /// </summary>
    internal static bool NonJsonIsTheNews(HttpStatusCode status) => (int)status is not (404 or 408 or 429 or >= 500);

    public static FlexShopperErrorKind KindFor(HttpStatusCode status) => (int)status switch
    {
        400 or 422 => FlexShopperErrorKind.Validation,
        401 => FlexShopperErrorKind.Unauthorized,
        402 => FlexShopperErrorKind.PaymentRequired,
        403 => FlexShopperErrorKind.Forbidden,
        404 => FlexShopperErrorKind.NotFound,
        409 => FlexShopperErrorKind.Conflict,
        429 => FlexShopperErrorKind.RateLimited,
        408 or >= 500 => FlexShopperErrorKind.Transient,
        _ => FlexShopperErrorKind.Validation,
    };
}
