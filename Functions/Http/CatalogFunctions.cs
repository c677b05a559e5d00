using FlexFunctions.Shared.Catalog;
using FlexFunctions.Shared.Http;
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
    public Task<IActionResult> Status(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "v1/catalog/status")] HttpRequest request,
        CancellationToken cancellationToken) =>
        guard.RunAsync(async () => CatalogResponses.Status(await reader.GetStatusAsync(cancellationToken)), cancellationToken);

    [Function("CatalogLeaseSettings")]
    public Task<IActionResult> LeaseSettings(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "v1/catalog/lease-settings")] HttpRequest request,
        CancellationToken cancellationToken) =>
        guard.RunAsync(async () => await reader.GetLeaseSettingsAsync(cancellationToken) is { } settings
            ? CatalogResponses.LeaseSettings(settings)
            : Problems.Status(StatusCodes.Status503ServiceUnavailable, "The catalog has not been refreshed yet.",
                "Lease settings are cached by the catalog refresh; try again after the first successful refresh.",
                code: "CatalogNotRefreshed", retryAfter: TimeSpan.FromMinutes(1)), cancellationToken);
}
