using FlexFunctions.Shared.ApiDocument;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;

namespace FlexFunctions.Functions.Http;

/// <summary>Serves the OpenAPI 3.1 document of every HTTP function, generated from this assembly.</summary>
public static class OpenApiFunction
{
    [Function(nameof(GetOpenApiDocument))]
    [ApiOperation("Meta", "This document: every route of this build, generated from the code.")]
    [ApiResponse(200, "The OpenAPI 3.1 document")]
    public static IActionResult GetOpenApiDocument(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "v1/openapi.json")] HttpRequest request) =>
        request.HttpContext.RequestServices.GetRequiredService<ServedApiDocument>().Result(typeof(OpenApiFunction).Assembly);
}
