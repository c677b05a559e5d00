using FlexFunctions.Shared.InputRules;

namespace FlexFunctions.Shared.ApiDocument;

/// <summary>The guards a route runs before its own work; each brings its headers and problem answers into the document.</summary>
[Flags]
public enum ApiGuards
{
    None = 0,

    /// <summary>Through <c>ApiEndpoint</c>: body limit (413), <c>X-FlexFunctions-Signature</c> or Standard Webhooks when required (401), outages (503).</summary>
    StoreSignature = 1,

    /// <summary><c>X-Customer-Session</c> is required (401 without it).</summary>
    CustomerSession = 2,

    /// <summary>Honours <c>Idempotency-Key</c> (replay, 409 in progress, 422 reused, 503 <c>OutcomeUnknown</c>).</summary>
    IdempotencyKey = 4,

    /// <summary>Shopify's own webhook headers and signature.</summary>
    Shopify = 8,

    /// <summary>WooCommerce's own webhook headers and signature.</summary>
    WooCommerce = 16,

    /// <summary>Standard Webhooks headers, required.</summary>
    StandardWebhooks = 32,

    /// <summary>Through <c>DependencyGuard</c>: an outage of our storage or Key Vault answers 503 with Retry-After.</summary>
    Outage = 64,
}

/// <summary>What an HTTP function is for, as its OpenAPI operation says (routes, methods and auth come from <c>[HttpTrigger]</c>).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ApiOperationAttribute(string tag, string summary) : Attribute
{
    /// <summary>The group in the document. Admin-key routes are always tagged <see cref="OpenApiGenerator.AdminTag"/>.</summary>
    public string Tag { get; } = tag;

    public string Summary { get; } = summary;

    public ApiGuards Guards { get; init; }

    /// <summary>A body the route takes as it comes (a platform's own webhook payload), described in words.</summary>
    public string? RawBody { get; init; }
}

/// <summary>
/// The request body: the source-generated <c>JsonTypeInfo</c> the function binds, named by its context and property
/// (<c>typeof(LeasesJson), nameof(LeasesJson.CreateLeaseInput)</c>). Field rules come from the type's own <c>Validate</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ApiRequestAttribute(Type context, string typeInfo) : Attribute
{
    public Type Context { get; } = context;

    public string TypeInfo { get; } = typeInfo;
}

/// <summary>
/// One answer of the route: a JSON body from a source-generated <c>JsonTypeInfo</c>, or (without one) a problem
/// document for a route-specific failure.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class ApiResponseAttribute : Attribute
{
    public ApiResponseAttribute(int status, Type context, string typeInfo)
    {
        Status = status;
        Context = context;
        TypeInfo = typeInfo;
    }

    public ApiResponseAttribute(int status, string description)
    {
        Status = status;
        Description = description;
    }

    public int Status { get; }

    public Type? Context { get; }

    public string? TypeInfo { get; }

    public string? Description { get; init; }
}

/// <summary>
/// A route value or query parameter. Its rule is a static <see cref="FieldRule"/> named by owner and member (by
/// default one of <see cref="FieldRules"/>), the same object the function checks it with; or a whole-number range.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class ApiParameterAttribute(string name, string description) : Attribute
{
    public string Name { get; } = name;

    public string Description { get; } = description;

    public Type RuleOwner { get; init; } = typeof(FieldRules);

    public string? Rule { get; init; }

    /// <summary>Query parameters only: whether it must be given (route values always must).</summary>
    public bool Required { get; init; }

    /// <summary>For a whole number: the range, both ends included (set both).</summary>
    public int Minimum { get; init; } = int.MinValue;

    public int Maximum { get; init; } = int.MaxValue;
}
