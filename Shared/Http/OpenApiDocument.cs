using Microsoft.AspNetCore.Mvc;

namespace FlexFunctions.Shared.Http;

/// <summary>The OpenAPI 3 document of the <c>/api/v1/</c> routes, embedded from <c>Shared/Http/openapi.json</c>.</summary>
public static class OpenApiDocument
{
    private static readonly Lazy<string> Text = new(Load);

    public static string Json => Text.Value;

    public static IActionResult Result() => new ContentResult { Content = Json, ContentType = "application/json; charset=utf-8", StatusCode = 200 };

    private static string Load()
    {
        using var stream = typeof(OpenApiDocument).Assembly.GetManifestResourceStream("FlexFunctions.Shared.Http.openapi.json")
            ?? throw new InvalidOperationException("openapi.json is not embedded.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
