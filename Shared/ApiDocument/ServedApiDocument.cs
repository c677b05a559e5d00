using System.Collections.Concurrent;
using System.Reflection;
using System.Text;
using FlexFunctions.Shared.Http;
using FlexFunctions.Shared.InputRules;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace FlexFunctions.Shared.ApiDocument;

/// <summary>
/// The OpenAPI document <c>GET v1/openapi.json</c> serves: generated from the running code on first request (with
/// this deployment's order limits) and kept, so it can never describe another build than the one answering.
/// </summary>
public sealed class ServedApiDocument(IOptions<OrderLimitsOptions> limits)
{
    private readonly ConcurrentDictionary<Assembly, Lazy<byte[]>> _documents = new();

    /// <summary>The document of the HTTP functions in <paramref name="functions"/> (the Functions project passes its own assembly).</summary>
    public string Json(Assembly functions) => Encoding.UTF8.GetString(Bytes(functions));

    // Written directly (not ContentResult) so it needs no MVC executor.
    public IActionResult Result(Assembly functions) => new RecordedResponse(200, "application/json; charset=utf-8", Bytes(functions));

    private byte[] Bytes(Assembly functions) =>
        _documents.GetOrAdd(functions, a => new Lazy<byte[]>(() => Encoding.UTF8.GetBytes(OpenApiGenerator.Generate(a, limits.Value)))).Value;
}
