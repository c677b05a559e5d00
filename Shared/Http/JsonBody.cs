using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using FlexFunctions.Shared.InputRules;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace FlexFunctions.Shared.Http;

/// <summary>Reads a JSON request body with a size limit, turning every way it can be wrong into a problem document.</summary>
public static class JsonBody
{
    public const long DefaultLimitBytes = 64 * 1024;

    /// <summary>The parsed body, or the 400/413/415 to return instead. The body is never logged.</summary>
    public static async Task<(T? Value, IActionResult? Problem)> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> type, long limitBytes = DefaultLimitBytes, CancellationToken cancellationToken = default)
        where T : class
    {
        var (body, problem) = await ReadBytesAsync(request, limitBytes, cancellationToken).ConfigureAwait(false);
        return problem is not null ? (null, problem) : Parse(body, type);
    }

    /// <summary>The raw body (empty when none), or the 413/415 to return instead. Callers that check a signature over the bytes read it once here.</summary>
    public static async Task<(byte[] Body, IActionResult? Problem)> ReadBytesAsync(HttpRequest request, long limitBytes = DefaultLimitBytes, CancellationToken cancellationToken = default)
    {
        if (request.ContentType is { } contentType && !contentType.Contains("json", StringComparison.OrdinalIgnoreCase))
        {
            return ([], Problems.Status(StatusCodes.Status415UnsupportedMediaType, "Send the body as application/json."));
        }

        return await ReadRawAsync(request, limitBytes, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The raw body of any content type (a platform's form-encoded ping, say), or the 413 to return instead.</summary>
    public static async Task<(byte[] Body, IActionResult? Problem)> ReadRawAsync(HttpRequest request, long limitBytes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ContentLength > limitBytes)
        {
            return ([], Problems.PayloadTooLarge(limitBytes));
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > limitBytes)
            {
                return ([], Problems.PayloadTooLarge(limitBytes));
            }

            buffer.Write(chunk, 0, read);
        }

        return (buffer.ToArray(), null);
    }

    /// <summary>Parses bytes already read; a value implementing <see cref="IValidatedInput"/> is validated too, naming every bad field.</summary>
    public static (T? Value, IActionResult? Problem) Parse<T>(ReadOnlySpan<byte> body, JsonTypeInfo<T> type, OrderLimitsOptions? limits = null)
        where T : class
    {
        if (body.IsEmpty)
        {
            return (null, Problems.Validation("body", "A JSON body is required."));
        }

        T? value;
        try
        {
            value = JsonSerializer.Deserialize(body, type);
        }
        catch (JsonException ex)
        {
            // Name the field by its JSON path; never echo the offending value (it may be a passcode or an SSN).
            var field = string.IsNullOrEmpty(ex.Path) || ex.Path == "$" ? "body" : ex.Path.TrimStart('$', '.');
            return (null, Problems.Validation(field, ex.Path is null or "$" ? "The body is not valid JSON." : "This field has the wrong type or format."));
        }

        if (value is null)
        {
            return (null, Problems.Validation("body", "A JSON object is required."));
        }

        if (value is IValidatedInput validated)
        {
            var errors = new FieldErrors(limits);
            validated.Validate(errors);
            if (errors.Any)
            {
                return (null, errors.ToProblem());
            }
        }

        return (value, null);
    }
}
