using FlexFunctions.Shared.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace FlexFunctions.Functions.Http;

/// <summary>Serves the OpenAPI 3 document of every v1 route.</summary>
public static class OpenApiFunction
{
    [Function(nameof(GetOpenApiDocument))]
    public static IActionResult GetOpenApiDocument(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "v1/openapi.json")] HttpRequest request) => OpenApiDocument.Result();
}
