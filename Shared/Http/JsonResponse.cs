using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace FlexFunctions.Shared.Http;

/// <summary>A JSON success body written with a source-generated type (no reflection, no MVC formatter).</summary>
public sealed class JsonResponse<T>(int status, T value, JsonTypeInfo<T> type) : IActionResult
{
    public int StatusCode { get; } = status;

    public T Value { get; } = value;

    /// <summary>Sent as <c>Retry-After</c> in whole seconds when set (a 503 that still carries a body, like readiness).</summary>
    public TimeSpan? RetryAfter { get; init; }

    public async Task ExecuteResultAsync(ActionContext context)
    {
        var response = context.HttpContext.Response;
        response.StatusCode = StatusCode;
        if (RetryAfter is { } wait)
        {
            response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        response.ContentType = "application/json; charset=utf-8";
        await JsonSerializer.SerializeAsync(response.Body, Value, type, context.HttpContext.RequestAborted).ConfigureAwait(false);
    }
}

/// <summary>Shorthands for success responses.</summary>
public static class JsonResponse
{
    public static JsonResponse<T> Ok<T>(T value, JsonTypeInfo<T> type) => new(StatusCodes.Status200OK, value, type);

    public static JsonResponse<T> Created<T>(T value, JsonTypeInfo<T> type) => new(StatusCodes.Status201Created, value, type);

    public static JsonResponse<T> Accepted<T>(T value, JsonTypeInfo<T> type) => new(StatusCodes.Status202Accepted, value, type);
}

/// <summary>A response recorded earlier (status, content type, body, Retry-After), written again byte for byte.</summary>
public sealed class RecordedResponse(int status, string? contentType, byte[] body) : IActionResult
{
    public int StatusCode { get; } = status;

    public string? ContentType { get; } = contentType;

    public byte[] Body { get; } = body;

    /// <summary>Set on a replay so the caller can tell it from a first outcome.</summary>
    public bool Replayed { get; init; }

    public async Task ExecuteResultAsync(ActionContext context)
    {
        var response = context.HttpContext.Response;
        response.StatusCode = StatusCode;
        if (ContentType is not null)
        {
            response.ContentType = ContentType;
        }

        if (Replayed)
        {
            response.Headers["Idempotent-Replayed"] = "true";
        }

        await response.Body.WriteAsync(Body, context.HttpContext.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>Runs <paramref name="result"/> against a scratch response to capture exactly what it writes.</summary>
    public static async Task<RecordedResponse> CaptureAsync(IActionResult result, HttpContext original)
    {
        if (result is RecordedResponse recorded)
        {
            return recorded;
        }

        var scratch = new DefaultHttpContext { RequestServices = original.RequestServices };
        using var body = new MemoryStream();
        scratch.Response.Body = body;
        await result.ExecuteResultAsync(new ActionContext(scratch, new Microsoft.AspNetCore.Routing.RouteData(), new Microsoft.AspNetCore.Mvc.Abstractions.ActionDescriptor())).ConfigureAwait(false);
        return new RecordedResponse(scratch.Response.StatusCode, scratch.Response.ContentType, body.ToArray());
    }
}
