using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using FlexFunctions.Functions.Http;
using FlexFunctions.Shared.ApiDocument;
using FlexFunctions.Shared.CustomerAuth;
using FlexFunctions.Shared.Http;
using FlexFunctions.Shared.InputRules;
using FlexFunctions.Shared.Secrets;
using FlexFunctions.Tests.Infrastructure;
using FlexFunctions.Tests.Outages;

namespace FlexFunctions.Tests.Http;

/// <summary>
/// The generated document says what the functions do: each route demands a customer session, honours
/// Idempotency-Key and requires the body fields the document says, as the functions answer when called; a contract
/// that changes changes the document, and a validator naming a field its contract lacks stops it.
/// </summary>
public sealed class ApiDocumentContractTests : IDisposable
{
    private readonly FakeFlexShopper _flex = new();
    private readonly TestServices _app;

    public ApiDocumentContractTests()
    {
        _app = HttpApp.Build(_flex);
    }

    public void Dispose()
    {
        _app.Dispose();
        _flex.Dispose();
    }

    /// <summary>Every operation that runs through the store's endpoint pipeline (it states the signature header).</summary>
    public static TheoryData<string> StoreOperations => new([.. Operations().Where(o => Headers(o.Operation).Contains("X-FlexFunctions-Signature")).Select(o => o.Id)]);

    [Theory]
    [MemberData(nameof(StoreOperations))]
    public async Task A_route_demands_a_customer_session_exactly_when_the_document_says_so(string function)
    {
        var documented = RequiredHeaders(Operation(function)).Contains(CustomerSessions.Header);
        var answer = await RouteSweep.CallAsync(_app, function, new RouteCall(Values(function)));
        Assert.True(documented == (answer.Code == "CustomerSessionRequired"), $"{function}: documented {documented}, answered {answer}");
    }

    [Theory]
    [MemberData(nameof(StoreOperations))]
    public async Task A_route_reads_Idempotency_Key_exactly_when_the_document_lists_it(string function)
    {
        var documented = Headers(Operation(function)).Contains(ApiEndpoint.IdempotencyKeyHeader);
        var answer = await RouteSweep.CallAsync(_app, function, new RouteCall(Values(function), Session: Session(), IdempotencyKey: new string('k', 256)));
        var refused = answer.Result.Status == 400 && answer.Result.ErrorFields.Contains(ApiEndpoint.IdempotencyKeyHeader);
        Assert.True(documented == refused, $"{function}: documented {documented}, answered {answer}");
    }

    /// <summary>Every operation whose body schema names required fields.</summary>
    public static TheoryData<string> OperationsWithRequiredFields => new([.. Operations().Where(o => BodySchema(o.Operation)?["required"] is JsonArray).Select(o => o.Id)]);

    [Theory]
    [MemberData(nameof(OperationsWithRequiredFields))]
    public async Task An_empty_body_is_refused_naming_the_documented_required_fields_and_nothing_the_contract_lacks(string function)
    {
        var schema = BodySchema(Operation(function))!;
        var required = schema["required"]!.AsArray().Select(r => r!.GetValue<string>()).ToList();
        var answer = await RouteSweep.CallAsync(_app, function, new RouteCall(Values(function), Body: "{}", Session: Session()));

        Assert.True(answer.Result.Status == 400, $"{function}: {answer} {answer.Result.Body}");
        var named = answer.Result.ErrorFields.ToList();
        Assert.All(required, r => Assert.True(named.Contains(r), $"{function}: the document requires {r}, but an empty body was refused naming {string.Join(", ", named)}"));
        Assert.All(named, n => Assert.True(schema["properties"]?[n] is not null, $"{function}: the answer names {n}, which the documented body does not have"));
    }

    [Theory]
    [MemberData(nameof(OperationsWithRequiredFields))]
    public async Task Each_documented_rule_of_a_top_level_field_is_checked_by_the_route(string function)
    {
        var schema = BodySchema(Operation(function))!;
        var ruled = schema["properties"]!.AsObject().Where(p => p.Value!["maxLength"] is not null || p.Value["maximum"] is not null).ToList();
        Assert.NotEmpty(ruled);
        foreach (var (name, property) in ruled)
        {
            // A control character breaks every text rule; a negative amount every money or count rule.
            var bad = FieldRuleProbe.Types(property!.AsObject()).Contains("string") ? "\"\\u0001\"" : "-1";
            var answer = await RouteSweep.CallAsync(_app, function, new RouteCall(Values(function), Body: $"{{\"{name}\":{bad}}}", Session: Session()));
            Assert.True(answer.Result.Status == 400 && answer.Result.ErrorFields.Contains(name),
                $"{function}: the document states a rule for {name}, but the route answered {answer} {answer.Result.Body}");
        }
    }

    [Fact]
    public void A_body_schema_is_the_contract_with_the_rules_its_validator_checks()
    {
        var schema = OpenApiGenerator.RequestSchema(ProbeJson.Default.ProbeInput, new OrderLimitsOptions());

        Assert.Equal(["label", "total", "zip"], schema["properties"]!.AsObject().Select(p => p.Key).Order());
        Assert.Equal(FieldRules.Zip.Pattern, schema["properties"]!["zip"]!["pattern"]!.GetValue<string>());
        Assert.Equal(FieldRules.Zip.MaxLength, schema["properties"]!["zip"]!["maxLength"]!.GetValue<int>());
        Assert.Equal(["zip"], schema["required"]!.AsArray().Select(r => r!.GetValue<string>()));
        Assert.Equal(new OrderLimitsOptions().MaxTotal, schema["properties"]!["total"]!["maximum"]!.GetValue<decimal>());
        Assert.Null(schema["properties"]!["label"]!["pattern"]); // nothing checks it, so the document claims nothing
    }

    [Fact]
    public void A_validator_checking_a_field_its_contract_does_not_have_stops_the_document()
    {
        var error = Assert.Throws<InvalidOperationException>(() => OpenApiGenerator.RequestSchema(ProbeJson.Default.MisnamedInput, new OrderLimitsOptions()));
        Assert.Contains("postCode", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_served_document_states_this_deployments_order_limits()
    {
        using var app = HttpApp.Build(_flex, s => s["OrderLimits:MaxTotal"] = "1500");
        var context = HttpTestKit.Request(app.Provider, "GET", "/api/v1/openapi.json");
        var served = await HttpTestKit.RunAsync(context, r => Task.FromResult(OpenApiFunction.GetOpenApiDocument(r)));
        var cost = JsonNode.Parse(served.Body)!["components"]!["schemas"]!["CreateLeaseInput"]!["properties"]!["items"]!["items"]!["properties"]!["cost"]!;
        Assert.Equal(1500m, cost["maximum"]!.GetValue<decimal>());
    }

    private string Session() =>
        _app.Get<CustomerSessions>().Seal(new("tok", _app.Get<IApiKeyProvider>().GetCurrentAsync().AsTask().GetAwaiter().GetResult().Version)).Value;

    /// <summary>A valid value for each route value, so a call gets past them to what is under test.</summary>
    private static Dictionary<string, string> Values(string function)
    {
        var route = FunctionMetadata.Get(function).Route!;
        var samples = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["userId"] = "user-1",
            ["leaseId"] = "lease-1",
            ["id"] = "T-1001",
            ["routing"] = "021000021",
            ["sku"] = "SKU-1",
            ["kind"] = "failed",
        };
        return samples.Where(s => route.Contains("{" + s.Key + "}", StringComparison.Ordinal)).ToDictionary(s => s.Key, s => s.Value);
    }

    private static readonly Lazy<JsonNode> Document = new(GeneratedApiDocument.Parse);

    private static IEnumerable<(string Id, JsonNode Operation)> Operations() =>
        Document.Value["paths"]!.AsObject().SelectMany(p => p.Value!.AsObject().Select(m => (m.Value!["operationId"]!.GetValue<string>(), m.Value!)));

    private static JsonNode Operation(string function) => Operations().Single(o => o.Id == function).Operation;

    private static IEnumerable<JsonNode> HeaderParameters(JsonNode operation) =>
        (operation["parameters"]?.AsArray() ?? []).Where(p => p!["in"]!.GetValue<string>() == "header")!;

    private static List<string> Headers(JsonNode operation) => [.. HeaderParameters(operation).Select(p => p["name"]!.GetValue<string>())];

    private static List<string> RequiredHeaders(JsonNode operation) =>
        [.. HeaderParameters(operation).Where(p => p["required"]?.GetValue<bool>() == true).Select(p => p["name"]!.GetValue<string>())];

    private static JsonNode? BodySchema(JsonNode operation) =>
        operation["requestBody"]?["content"]?["application/json"]?["schema"]?["$ref"]?.GetValue<string>() is { } reference
            ? Document.Value["components"]!["schemas"]![reference.Split('/')[^1]]
            : null;
}

/// <summary>A contract only these tests use: one checked field, one money field, one nobody checks.</summary>
public sealed class ProbeInput : IValidatedInput
{
    public string? Zip { get; init; }
    public decimal? Total { get; init; }
    public string? Label { get; init; }

    public void Validate(FieldErrors errors)
    {
        errors.Check("zip", Zip, FieldRules.Zip);
        errors.Money("total", Total, errors.Limits.MaxTotal, required: false);
    }
}

/// <summary>A validator that names a field its contract spells otherwise.</summary>
public sealed class MisnamedInput : IValidatedInput
{
    public string? PostalCode { get; init; }

    public void Validate(FieldErrors errors) => errors.Check("postCode", PostalCode, FieldRules.Zip);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ProbeInput))]
[JsonSerializable(typeof(MisnamedInput))]
internal sealed partial class ProbeJson : JsonSerializerContext;
