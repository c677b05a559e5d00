using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
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
        if (request.ContentLength > limitBytes)
        {
            return (null, Problems.PayloadTooLarge(limitBytes));
        }

        if (request.ContentType is { } contentType && !contentType.Contains("json", StringComparison.OrdinalIgnoreCase))
        {
            return (null, Problems.Status(StatusCodes.Status415UnsupportedMediaType, "Send the body as application/json."));
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > limitBytes)
            {
                return (null, Problems.PayloadTooLarge(limitBytes));
            }

            buffer.Write(chunk, 0, read);
        }

        if (buffer.Length == 0)
        {
            return (null, Problems.Validation("body", "A JSON body is required."));
        }

        try
        {
            var value = JsonSerializer.Deserialize(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), type);
            return value is null ? (null, Problems.Validation("body", "A JSON object is required.")) : (value, null);
        }
        catch (JsonException ex)
        {
            // Name the field by its JSON path; never echo the offending value (it may be a passcode or an SSN).
            var field = string.IsNullOrEmpty(ex.Path) || ex.Path == "$" ? "body" : ex.Path.TrimStart('$', '.');
            return (null, Problems.Validation(field, ex.Path is null or "$" ? "The body is not valid JSON." : "This field has the wrong type or format."));
        }
    }
}
