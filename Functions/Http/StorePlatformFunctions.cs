using FlexFunctions.Shared.StorePlatforms;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace FlexFunctions.Functions.Http;

/// <summary>
/// The URLs a merchant registers with their platform (function key as <c>?code=</c>): Shopify's and WooCommerce's own
/// webhooks, and a custom store's Standard Webhooks. Each hands the raw request to <see cref="PlatformIntake"/>.
/// </summary>
public sealed class StorePlatformFunctions(PlatformIntake intake)
{
    public const string ShopifyName = "ShopifyWebhook";
    public const string WooCommerceName = "WooCommerceWebhook";
    public const string StandardName = "StandardWebhook";

    [Function(ShopifyName)]
    public Task<IActionResult> Shopify(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "v1/webhooks/shopify")] HttpRequest request,
        CancellationToken cancellationToken) => intake.ShopifyAsync(request, cancellationToken);

    [Function(WooCommerceName)]
    public Task<IActionResult> WooCommerce(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "v1/webhooks/woocommerce")] HttpRequest request,
        CancellationToken cancellationToken) => intake.WooCommerceAsync(request, cancellationToken);

    [Function(StandardName)]
    public Task<IActionResult> Standard(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "v1/webhooks/standard")] HttpRequest request,
        CancellationToken cancellationToken) => intake.StandardAsync(request, cancellationToken);
}
