using FlexFunctions.Shared.ApiDocument;
using FlexFunctions.Shared.Catalog;
using FlexFunctions.Shared.Http;
using FlexFunctions.Shared.InputRules;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace FlexFunctions.Functions.Http;

/// <summary>The storefront's read API over the refreshed catalog (function key); never calls FlexShopper.</summary>
public sealed class CatalogFunctions(CatalogReader reader, DependencyGuard guard)
{
    /// <summary>
    /// A page of products, or with <c>?sku=</c> one product: a SKU may hold any printable character, and a query value
    /// reaches us whole under the real host, where an encoded <c>/</c> in the route form is decoded before routing (404).
    /// </summary>
    [Function("CatalogList")]
    [ApiOperation("Catalog", "List FlexShopper-eligible products from the cached catalog, a page at a time; with sku, get that one product (404 if not listed).", Guards = ApiGuards.Outage)]
    [ApiParameter("sku", "One product by SKU, URL-encoded: the form for any SKU, including one with '/', which the path form cannot carry. Not combined with pageSize or continuationToken.", Rule = nameof(FieldRules.Code))]
    [ApiParameter("pageSize", "Products per page (default 50).", Minimum = 1, Maximum = CatalogQuery.MaxPageSize)]
    [ApiParameter("continuationToken", "The token from the previous page; absent for the first page.", Rule = nameof(FieldRules.Base64UrlToken))]
    [ApiResponse(200, typeof(CatalogJson), nameof(CatalogJson.CatalogPage))]
    [ApiResponse(404, "ProductNotFound")]
    public Task<IActionResult> List(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "v1/catalog/products")] HttpRequest request,
        CancellationToken cancellationToken) =>
        guard.RunAsync(async () =>
        {
            if (request.Query.TryGetValue(CatalogQuery.SkuField, out var skus))
            {
                return request.Query.ContainsKey(CatalogQuery.PageSizeField) || request.Query.ContainsKey(CatalogQuery.ContinuationField) || skus.Count != 1
                    ? Problems.Validation(CatalogQuery.SkuField, "Give one sku on its own: it reads one product; pageSize and continuationToken page the list.")
                    : await OneAsync(skus[0] ?? string.Empty, cancellationToken);
            }

            if (!CatalogQuery.TryParse(request.Query[CatalogQuery.PageSizeField], request.Query[CatalogQuery.ContinuationField], out var query, out var error))
            {
                return Problems.Validation(error.Field, error.Message);
            }

            return CatalogResponses.Page(await reader.ListAsync(query, cancellationToken));
        }, cancellationToken);

    [Function("CatalogGetProduct")]
    [ApiOperation("Catalog", "Get one cached product by SKU.", Guards = ApiGuards.Outage)]
    [ApiParameter("sku", "The product's SKU. A SKU with '/' (which the Functions host decodes before routing) is read with GET v1/catalog/products?sku= instead.", Rule = nameof(FieldRules.Code))]
    [ApiResponse(200, typeof(CatalogJson), nameof(CatalogJson.CatalogProduct))]
    [ApiResponse(404, "ProductNotFound")]
    public Task<IActionResult> Get(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "v1/catalog/products/{sku}")] HttpRequest request,
        string sku,
        CancellationToken cancellationToken) =>
        guard.RunAsync(() => OneAsync(sku, cancellationToken), cancellationToken);

    // The same answer for the route form and the query form: one SKU rule, one lookup.
    private async Task<IActionResult> OneAsync(string sku, CancellationToken cancellationToken)
    {
        if (CatalogKeys.Problem(sku) is { } problem)
        {
            return Problems.Validation(CatalogQuery.SkuField, problem);
        }

        return await reader.FindAsync(sku, cancellationToken) is { } product
            ? CatalogResponses.Product(product)
            : Problems.Status(StatusCodes.Status404NotFound, "No FlexShopper-eligible product has this SKU.", code: "ProductNotFound");
    }

    [Function("CatalogStatus")]
    [ApiOperation("Catalog", "When the catalog was last refreshed successfully, and the latest run.", Guards = ApiGuards.Outage)]
    [ApiResponse(200, typeof(CatalogJson), nameof(CatalogJson.CatalogStatus))]
    public Task<IActionResult> Status(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "v1/catalog/status")] HttpRequest request,
        CancellationToken cancellationToken) =>
        guard.RunAsync(async () => CatalogResponses.Status(await reader.GetStatusAsync(cancellationToken)), cancellationToken);

    [Function("CatalogLeaseSettings")]
    [ApiOperation("Catalog", "Lease settings cached with the catalog: offer FlexShopper from minimumOrderValue (dollars).", Guards = ApiGuards.Outage)]
    [ApiResponse(200, typeof(CatalogJson), nameof(CatalogJson.CachedLeaseSettings))]
    [ApiResponse(503, "CatalogNotRefreshed: no successful refresh yet; see Retry-After")]
    public Task<IActionResult> LeaseSettings(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "v1/catalog/lease-settings")] HttpRequest request,
        CancellationToken cancellationToken) =>
        guard.RunAsync(async () => await reader.GetLeaseSettingsAsync(cancellationToken) is { } settings
            ? CatalogResponses.LeaseSettings(settings)
            : Problems.Status(StatusCodes.Status503ServiceUnavailable, "The catalog has not been refreshed yet.",
                "Lease settings are cached by the catalog refresh; try again after the first successful refresh.",
                code: "CatalogNotRefreshed", retryAfter: TimeSpan.FromMinutes(1)), cancellationToken);
}
