using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using FlexFunctions.Shared.Dependencies;
using FlexFunctions.Shared.FlexShopper;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace FlexFunctions.Shared.Http;

/// <summary>
/// RFC 9457 problem documents for every HTTP function: one shape for bad input, upstream failures and limits.
/// Nothing here ever carries a stack trace or an upstream secret.
/// </summary>
public static class Problems
{
    public const string ContentType = "application/problem+json";

    /// <summary>400 naming each bad field.</summary>
    public static IActionResult Validation(IDictionary<string, string[]> errors, string? detail = null) =>
        Result(new ValidationProblemDetails(errors)
        {
            Status = StatusCodes.Status400BadRequest,
            Title = "The request is invalid.",
            Detail = detail ?? "See 'errors' for each field that must change.",
            Type = "https://httpstatuses.io/400",
        });

    /// <summary>400 for a single field.</summary>
    public static IActionResult Validation(string field, string message) =>
        Validation(new Dictionary<string, string[]> { [field] = [message] });

    public static IActionResult Status(int status, string title, string? detail = null, string? code = null, TimeSpan? retryAfter = null)
    {
        var problem = new ProblemDetails
        {
            Status = status,
            Title = title,
            Detail = detail,
            Type = $"https://httpstatuses.io/{status}",
        };
        if (code is not null)
        {
            problem.Extensions["code"] = code;
        }

        return Result(problem, retryAfter);
    }

    /// <summary>
    /// 409 <c>SignInRequired</c>: an earlier sign-up attempt with this Idempotency-Key created the account, but the
    /// session went with its lost answer; the customer signs in with a passcode.
    /// </summary>
    public static IActionResult SignInRequired(string userId)
    {
        var problem = new ProblemDetails
        {
            Status = StatusCodes.Status409Conflict,
            Title = "The customer's account exists: sign the customer in with a passcode.",
            Detail = "An earlier attempt with this Idempotency-Key created the account, but its answer (with the session) was lost. "
                     + $"Request a passcode (POST v1/customers/{userId}/passcode) and log in.",
            Type = "https://httpstatuses.io/409",
        };
        problem.Extensions["code"] = "SignInRequired";
        problem.Extensions["userId"] = userId;
        return Result(problem);
    }

    /// <summary>503 with Retry-After: storage, Key Vault or the app's identity failed. The caller should try again later.</summary>
    public static IActionResult DependencyUnavailable() =>
        Status(StatusCodes.Status503ServiceUnavailable, "A service this app depends on is unavailable: try again later.",
            "Storage, Key Vault or the app's identity did not answer; retry after the time in Retry-After.", "DependencyUnavailable", DependencyOutage.RetryAfter);

    public static IActionResult PayloadTooLarge(long limitBytes) =>
        Status(StatusCodes.Status413PayloadTooLarge, "The request body is too large.",
            $"Bodies are limited to {limitBytes.ToString(CultureInfo.InvariantCulture)} bytes.");

    /// <summary>Maps a FlexShopper failure to the status a store's backend can act on, keeping FlexShopper's code.</summary>
    public static IActionResult FromFlexShopper(FlexShopperApiException error)
    {
        var (status, title) = error.Kind switch
        {
            FlexShopperErrorKind.Validation => (StatusCodes.Status400BadRequest, "FlexShopper rejected the request."),
            FlexShopperErrorKind.Unauthorized => (StatusCodes.Status401Unauthorized, "The customer session is no longer valid: log in again."),
            FlexShopperErrorKind.PaymentRequired => (StatusCodes.Status402PaymentRequired, "A first payment is required."),
            FlexShopperErrorKind.Forbidden => (StatusCodes.Status403Forbidden, "FlexShopper refused the request."),
            FlexShopperErrorKind.NotFound => (StatusCodes.Status404NotFound, "Not found at FlexShopper."),
            FlexShopperErrorKind.Conflict => (StatusCodes.Status409Conflict, "Conflicts with FlexShopper's state."),
            FlexShopperErrorKind.RateLimited => (StatusCodes.Status429TooManyRequests, "FlexShopper is limiting requests: try again later."),
            // Key Vault could not give the API key: nothing reached FlexShopper, and the customer's session stays valid.
            FlexShopperErrorKind.Transient when error.Code == FlexShopperApiException.ApiKeyUnavailableCode => (StatusCodes.Status503ServiceUnavailable, "The FlexShopper API key could not be read: try again later."),
            FlexShopperErrorKind.Transient when error.StatusCode is null or System.Net.HttpStatusCode.ServiceUnavailable => (StatusCodes.Status503ServiceUnavailable, "FlexShopper is unavailable: try again later."),
            FlexShopperErrorKind.NonJsonResponse => (StatusCodes.Status502BadGateway, "FlexShopper's answer was not JSON: the app may be running outside the US, or a proxy is in the way."),
            _ => (StatusCodes.Status502BadGateway, "FlexShopper failed to answer properly."),
        };
        var retryAfter = error.RetryAfter ?? (status is 429 or 503 ? TimeSpan.FromSeconds(5) : null);
        // The message names the field FlexShopper refused, or for a non-JSON answer the likely cause; never a body.
        var detail = error.Kind is FlexShopperErrorKind.Validation or FlexShopperErrorKind.NonJsonResponse ? error.Message : null;
        return Status(status, title, detail, error.Code, retryAfter);
    }

    private static ObjectResult Result(ProblemDetails problem, TimeSpan? retryAfter = null) =>
        new ProblemResult(problem, retryAfter);

    /// <summary>Writes <c>application/problem+json</c> and, where given, <c>Retry-After</c> in whole seconds.</summary>
    private sealed class ProblemResult : ObjectResult
    {
        private readonly TimeSpan? _retryAfter;

        public ProblemResult(ProblemDetails problem, TimeSpan? retryAfter)
            : base(problem)
        {
            StatusCode = problem.Status;
            ContentTypes.Add(ContentType);
            _retryAfter = retryAfter;
        }

        // Written directly with source-generated JSON: no MVC formatter needed, so the result runs the same in
        // the host and in a test's DefaultHttpContext.
        public override async Task ExecuteResultAsync(ActionContext context)
        {
            var response = context.HttpContext.Response;
            if (_retryAfter is { } wait)
            {
                response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            }

            response.StatusCode = StatusCode ?? StatusCodes.Status500InternalServerError;
            response.ContentType = ContentType;
            var body = Value is ValidationProblemDetails validation
                ? JsonSerializer.SerializeToUtf8Bytes(validation, ProblemJson.Default.ValidationProblemDetails)
                : JsonSerializer.SerializeToUtf8Bytes((ProblemDetails)Value!, ProblemJson.Default.ProblemDetails);
            await response.Body.WriteAsync(body, context.HttpContext.RequestAborted).ConfigureAwait(false);
        }
    }
}

/// <summary>Source-generated JSON for problem documents (their extension values are text).</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ProblemDetails))]
[JsonSerializable(typeof(ValidationProblemDetails))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(string[]))]
internal sealed partial class ProblemJson : JsonSerializerContext;
