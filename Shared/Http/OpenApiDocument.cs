using Microsoft.AspNetCore.Mvc;

namespace FlexFunctions.Shared.Http;

/// <summary>The OpenAPI 3 document of the <c>/api/v1/</c> routes, embedded from <c>Shared/Http/openapi.json</c>.</summary>
public static class OpenApiDocument
{
    private static readonly Lazy<string> Text = new(Load);

    public static string Json => Text.Value;

    // Written directly (not ContentResult) so it needs no MVC executor.
    public static IActionResult Result() => new RecordedResponse(200, "application/json; charset=utf-8", System.Text.Encoding.UTF8.GetBytes(Json));

    private static string Load()
    {
        using var stream = typeof(OpenApiDocument).Assembly.GetManifestResourceStream("FlexFunctions.Shared.Http.openapi.json")
            ?? throw new InvalidOperationException("openapi.json is not embedded.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
