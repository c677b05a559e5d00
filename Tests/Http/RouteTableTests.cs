using System.Text.Json;
using FlexFunctions.Functions.Http;
using FlexFunctions.Shared.Http;
using FlexFunctions.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace FlexFunctions.Tests.Http;

/// <summary>The host exposes exactly the routes, methods and auth levels the OpenAPI document promises.</summary>
public sealed class RouteTableTests
{
    public static readonly TheoryData<string, string, string> Routes = new()
    {
        { "LookupCustomer", "GET", "v1/customers/lookup" },
        { "VerifyCustomer", "POST", "v1/customers/verify" },
        { "CreateCustomer", "POST", "v1/customers" },
        { "RequestPasscode", "POST", "v1/customers/{userId}/passcode" },
        { "LoginCustomer", "POST", "v1/customers/{userId}/login" },
        { "GetCurrentCustomer", "GET", "v1/customers/me" },
        { "StartApplication", "POST", "v1/applications" },
        { "GetVerificationQuestions", "GET", "v1/applications/questions" },
        { "SubmitVerificationAnswers", "POST", "v1/applications/answers" },
        { "ValidateRoutingNumber", "GET", "v1/routing-numbers/{routing}" },
        { "AddPaymentMethod", "POST", "v1/payment-methods" },
        { "GetPaymentChildKey", "POST", "v1/payment-methods/child-key" },
        { "CreateLease", "POST", "v1/leases" },
        { "GetLease", "GET", "v1/leases/{leaseId}" },
        { "SignLease", "POST", "v1/leases/{leaseId}/sign" },
        { "Checkout", "POST", "v1/checkout" },
        { "FinalizeTransaction", "POST", "v1/transactions/{id}/finalize" },
        { "GetTransaction", "GET", "v1/transactions/{id}" },
        { "ListTransactions", "GET", "v1/transactions" },
        { "GetOpenApiDocument", "GET", "v1/openapi.json" },
        { "CatalogList", "GET", "v1/catalog/products" },
        { "CatalogGetProduct", "GET", "v1/catalog/products/{sku}" },
        { "CatalogStatus", "GET", "v1/catalog/status" },
        { "CatalogLeaseSettings", "GET", "v1/catalog/lease-settings" },
        // The URLs a merchant registers with the platform: function key as ?code=, the platform's signature inside.
        { StorePlatformFunctions.ShopifyName, "POST", "v1/webhooks/shopify" },
        { StorePlatformFunctions.WooCommerceName, "POST", "v1/webhooks/woocommerce" },
        { StorePlatformFunctions.StandardName, "POST", "v1/webhooks/standard" },
    };

    [Theory]
    [MemberData(nameof(Routes))]
    public void Each_function_has_its_route_method_and_function_auth_level(string name, string method, string route)
    {
        var function = FunctionMetadata.Get(name);
        Assert.Equal("httpTrigger", function.TriggerType);
        Assert.Equal(route, function.Route);
        Assert.Equal([method], function.Methods);
        Assert.Equal("Function", function.AuthLevel);
    }

    [Fact]
    public void The_OpenAPI_document_lists_exactly_the_http_functions()
    {
        using var doc = JsonDocument.Parse(OpenApiDocument.Json);
        Assert.StartsWith("3.", doc.RootElement.GetProperty("openapi").GetString(), StringComparison.Ordinal);
        var documented = doc.RootElement.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Select(m => (Route: p.Name.TrimStart('/'), Method: m.Name.ToUpperInvariant(), Id: m.Value.GetProperty("operationId").GetString())))
            .OrderBy(x => x.Route).ThenBy(x => x.Method).ToList();
        // The document is the store's API; operator routes (admin key, health probes) are documented in the README.
        var exposed = FunctionMetadata.Functions.Where(f => f.TriggerType == "httpTrigger" && f.Route!.StartsWith("v1/", StringComparison.Ordinal) && f.AuthLevel != "Admin"
                && !f.Route.StartsWith("v1/health/", StringComparison.Ordinal))
            .SelectMany(f => f.Methods.Select(m => (Route: f.Route!, Method: m, Id: (string?)f.Name)))
            .OrderBy(x => x.Route).ThenBy(x => x.Method).ToList();

        Assert.Equal(exposed, documented);
        Assert.Equal(Routes.Count, exposed.Count);
    }

    [Fact]
    public async Task The_document_is_served()
    {
        var context = new DefaultHttpContext();
        context.Response.Body = new MemoryStream();
        var result = await HttpTestKit.RunAsync(context, r => Task.FromResult(OpenApiFunction.GetOpenApiDocument(r)));
        Assert.Equal(200, result.Status);
        Assert.Equal("FlexFunctions store API", result.Json.GetProperty("info").GetProperty("title").GetString());
    }
}
