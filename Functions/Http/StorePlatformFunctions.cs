using FlexFunctions.Shared.ApiDocument;
using FlexFunctions.Shared.Confirmations;
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
    [ApiOperation("Store platforms", "Shopify's own webhooks: fulfilments become shipments, cancellations cancels, refunds cancels or returns.", Guards = ApiGuards.Shopify, RawBody = "The platform's REST resource for the topic, as the platform sends it.")]
    [ApiResponse(200, typeof(DeliveryAnswerJson), nameof(DeliveryAnswerJson.DeliveryAnswer))]
    [ApiResponse(403, "The shop is not Shopify__ShopDomain")]
    public Task<IActionResult> Shopify(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "v1/webhooks/shopify")] HttpRequest request,
        CancellationToken cancellationToken) => intake.ShopifyAsync(request, cancellationToken);

    [Function(WooCommerceName)]
    [ApiOperation("Store platforms", "WooCommerce's own webhooks: an order completed is a shipment, cancelled a cancel, refunded a return.", Guards = ApiGuards.WooCommerce, RawBody = "The platform's REST resource for the topic, as the platform sends it.")]
    [ApiResponse(200, typeof(DeliveryAnswerJson), nameof(DeliveryAnswerJson.DeliveryAnswer))]
    public Task<IActionResult> WooCommerce(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "v1/webhooks/woocommerce")] HttpRequest request,
        CancellationToken cancellationToken) => intake.WooCommerceAsync(request, cancellationToken);

    [Function(StandardName)]
    [ApiOperation("Store platforms", "A custom store's warehouse events (the warehouse message contract), signed with Standard Webhooks.", Guards = ApiGuards.StandardWebhooks)]
    [ApiRequest(typeof(ConfirmationsJson), nameof(ConfirmationsJson.WarehouseEvent))]
    [ApiResponse(200, typeof(DeliveryAnswerJson), nameof(DeliveryAnswerJson.DeliveryAnswer))]
    public Task<IActionResult> Standard(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "v1/webhooks/standard")] HttpRequest request,
        CancellationToken cancellationToken) => intake.StandardAsync(request, cancellationToken);
}
