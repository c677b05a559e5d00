using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Mvc;

namespace FlexFunctions.Shared.Catalog;

/// <summary>The catalog's HTTP bodies, written with source-generated JSON.</summary>
public static class CatalogResponses
{
    /// <summary>Storefronts may reuse a read this long: the catalog changes on a schedule of hours.</summary>
    public const int CacheSeconds = 60;

    public static IActionResult Page(CatalogPage page) => new JsonBodyResult<CatalogPage>(page, CatalogJson.Default.CatalogPage, 200, CacheSeconds);

    public static IActionResult Product(CatalogProduct product) => new JsonBodyResult<CatalogProduct>(product, CatalogJson.Default.CatalogProduct, 200, CacheSeconds);

    public static IActionResult Status(CatalogStatus status) => new JsonBodyResult<CatalogStatus>(status, CatalogJson.Default.CatalogStatus, 200, null);

    public static IActionResult LeaseSettings(CachedLeaseSettings settings) =>
        new JsonBodyResult<CachedLeaseSettings>(settings, CatalogJson.Default.CachedLeaseSettings, 200, CacheSeconds);

    public static IActionResult Run(CatalogRun run) => new JsonBodyResult<CatalogRun>(run, CatalogJson.Default.CatalogRun, 200, null);

    private sealed class JsonBodyResult<T>(T value, JsonTypeInfo<T> type, int status, int? cacheSeconds) : IActionResult
    {
        public async Task ExecuteResultAsync(ActionContext context)
        {
            var response = context.HttpContext.Response;
            response.StatusCode = status;
            response.ContentType = "application/json; charset=utf-8";
            response.Headers.CacheControl = cacheSeconds is { } seconds ? $"public, max-age={seconds}" : "no-store";
            await JsonSerializer.SerializeAsync(response.Body, value, type, context.HttpContext.RequestAborted).ConfigureAwait(false);
        }
    }
}
