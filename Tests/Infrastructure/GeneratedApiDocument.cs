using System.Text.Json.Nodes;
using FlexFunctions.Functions.Http;
using FlexFunctions.Shared.ApiDocument;
using FlexFunctions.Shared.InputRules;

namespace FlexFunctions.Tests.Infrastructure;

/// <summary>The OpenAPI document the app serves, generated from the Functions assembly with the default order limits.</summary>
public static class GeneratedApiDocument
{
    private static readonly Lazy<string> Text = new(() => OpenApiGenerator.Generate(typeof(OpenApiFunction).Assembly, new OrderLimitsOptions()));

    public static string Json => Text.Value;

    public static JsonNode Parse() => JsonNode.Parse(Json)!;
}
