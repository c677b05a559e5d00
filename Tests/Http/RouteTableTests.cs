using System.Text.Json.Nodes;
using FlexFunctions.Functions.Http;
using FlexFunctions.Shared.ApiDocument;
using FlexFunctions.Tests.Infrastructure;

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
    public void The_OpenAPI_document_lists_every_http_function_with_its_method_and_auth_level()
    {
        var doc = GeneratedApiDocument.Parse();
        Assert.StartsWith("3.1", doc["openapi"]!.GetValue<string>(), StringComparison.Ordinal);
        var documented = doc["paths"]!.AsObject()
            .SelectMany(p => p.Value!.AsObject().Select(m => (Route: p.Key.TrimStart('/'), Method: m.Key.ToUpperInvariant(), Id: m.Value!["operationId"]!.GetValue<string>(), Security: SecurityOf(m.Value!))))
            .OrderBy(x => x.Route, StringComparer.Ordinal).ThenBy(x => x.Method, StringComparer.Ordinal).ToList();
        // Every HTTP function, health probes and operator routes included: the auth level says which key it needs.
        var exposed = FunctionMetadata.Functions.Where(f => f.TriggerType == "httpTrigger")
            .SelectMany(f => f.Methods.Select(m => (Route: f.Route!, Method: m, Id: f.Name, Security: f.AuthLevel switch
            {
                "Anonymous" => "none",
                "Admin" => "AdminKey",
                _ => "FunctionKey|FunctionKeyQuery",
            })))
            .OrderBy(x => x.Route, StringComparer.Ordinal).ThenBy(x => x.Method, StringComparer.Ordinal).ToList();

        Assert.Equal(exposed, documented);
        Assert.Contains(documented, d => d.Route == "v1/health/live" && d.Security == "none");
        Assert.Contains(documented, d => d.Route.StartsWith("v1/admin/", StringComparison.Ordinal));
    }

    [Fact]
    public void Admin_routes_and_only_they_are_under_the_admin_tag()
    {
        var doc = GeneratedApiDocument.Parse();
        foreach (var (route, item) in doc["paths"]!.AsObject())
        {
            foreach (var (method, operation) in item!.AsObject())
            {
                var admin = FunctionMetadata.Get(operation!["operationId"]!.GetValue<string>()).AuthLevel == "Admin";
                var tags = operation["tags"]!.AsArray().Select(t => t!.GetValue<string>()).ToList();
                Assert.True(admin == (tags.SequenceEqual([OpenApiGenerator.AdminTag])), $"{method} {route}: tags {string.Join(",", tags)}");
            }
        }

        Assert.Contains(doc["tags"]!.AsArray(), t => t!["name"]!.GetValue<string>() == OpenApiGenerator.AdminTag);
    }

    [Fact]
    public async Task The_generated_document_is_served()
    {
        var app = HttpApp.Build(new FakeFlexShopper());
        var context = HttpTestKit.Request(app.Provider, "GET", "/api/v1/openapi.json");
        var result = await HttpTestKit.RunAsync(context, r => Task.FromResult(OpenApiFunction.GetOpenApiDocument(r)));
        Assert.Equal(200, result.Status);
        Assert.Equal(OpenApiGenerator.Title, result.Json.GetProperty("info").GetProperty("title").GetString());
        Assert.Equal(GeneratedApiDocument.Json, result.Body);
    }

    private static string SecurityOf(JsonNode operation)
    {
        var schemes = operation["security"]!.AsArray().SelectMany(r => r!.AsObject().Select(s => s.Key)).ToList();
        return schemes.Count == 0 ? "none" : string.Join("|", schemes);
    }
}
