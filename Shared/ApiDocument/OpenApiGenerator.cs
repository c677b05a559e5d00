using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using FlexFunctions.Shared.CustomerAuth;
using FlexFunctions.Shared.Http;
using FlexFunctions.Shared.InputRules;
using FlexFunctions.Shared.StorePlatforms;
using FlexFunctions.Shared.Webhooks;
using Microsoft.OpenApi;

namespace FlexFunctions.Shared.ApiDocument;

/// <summary>
/// Writes the OpenAPI 3.1 document of the HTTP functions from the code itself: routes, methods and auth levels from
/// each function's <c>[Function]</c> and <c>[HttpTrigger]</c>, request and response schemas from the source-generated
/// System.Text.Json contracts (<see cref="JsonSchemaExporter"/>), each request field's rule from its validator
/// (<see cref="FieldRuleProbe"/>), headers and problem answers from the route's guards.
/// </summary>
public static class OpenApiGenerator
{
    public const string AdminTag = "Admin";
    public const string Title = "FlexFunctions store API";

    private const string FunctionAttribute = "Microsoft.Azure.Functions.Worker.FunctionAttribute";
    private const string HttpTriggerAttribute = "Microsoft.Azure.Functions.Worker.HttpTriggerAttribute";
    private const string Json = "application/json";
    private const string ProblemContent = "application/problem+json";
    private const string ProblemSchema = "Problem";

    private static readonly Dictionary<string, string> TagDescriptions = new(StringComparer.Ordinal)
    {
        ["Login"] = "Find, sign up and sign in a customer (passcode).",
        ["Customer"] = "The signed-in customer.",
        ["Application"] = "The credit application, identity questions and payment methods.",
        ["Purchase"] = "Leases, signing, the hosted checkout, finalize and transactions.",
        ["Catalog"] = "The storefront's read API over the cached FlexShopper catalog.",
        ["Store platforms"] = "Shopify's, WooCommerce's and Standard Webhooks deliveries, turned into warehouse events.",
        ["Health"] = "Liveness and readiness probes.",
        ["Meta"] = "This document.",
        [AdminTag] = "Operator routes: the host's admin (master) key, never given to a store.",
    };

    /// <summary>The document for every HTTP function in <paramref name="functions"/>, as JSON.</summary>
    public static string Generate(Assembly functions, OrderLimitsOptions limits)
    {
        ArgumentNullException.ThrowIfNull(functions);
        var writer = new Writer(limits);
        foreach (var function in HttpFunctions(functions))
        {
            writer.Add(function);
        }

        return writer.Finish();
    }

    /// <summary>An HTTP function as its attributes describe it.</summary>
    internal sealed record HttpFunction(string Name, string Route, IReadOnlyList<string> Methods, string AuthLevel, MethodInfo Method);

    /// <summary>Every method with <c>[Function]</c> and an <c>[HttpTrigger]</c> parameter, read without the worker's types.</summary>
    internal static IReadOnlyList<HttpFunction> HttpFunctions(Assembly functions) =>
    [
        .. from type in functions.GetTypes()
           from method in type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
           let name = method.GetCustomAttributesData().FirstOrDefault(a => a.AttributeType.FullName == FunctionAttribute)?.ConstructorArguments[0].Value as string
           where name is not null
           let trigger = method.GetParameters().SelectMany(p => p.GetCustomAttributesData()).FirstOrDefault(a => a.AttributeType.FullName == HttpTriggerAttribute)
           where trigger is not null
           orderby RouteOf(trigger), name
           select new HttpFunction(name, RouteOf(trigger), MethodsOf(trigger), AuthLevelOf(trigger), method),
    ];

    private static string RouteOf(CustomAttributeData trigger) =>
        trigger.NamedArguments.FirstOrDefault(a => a.MemberName == "Route").TypedValue.Value as string
        ?? throw new InvalidOperationException("Every HTTP function names its Route.");

    private static string[] MethodsOf(CustomAttributeData trigger) =>
    [
        .. trigger.ConstructorArguments.Where(a => a.ArgumentType.IsArray)
            .SelectMany(a => (IEnumerable<CustomAttributeTypedArgument>)a.Value!)
            .Select(m => ((string)m.Value!).ToUpperInvariant()),
    ];

    // The worker's default, when the attribute names none, is Function.
    private static string AuthLevelOf(CustomAttributeData trigger) =>
        trigger.ConstructorArguments.FirstOrDefault(a => a.ArgumentType.IsEnum) is { ArgumentType: { } enumType, Value: { } level }
            ? Enum.GetName(enumType, level)!
            : "Function";

    /// <summary>Builds one document: operations, then the schemas they named.</summary>
    /// <summary>A request body's schema, as the document states it (for tests of one contract).</summary>
    internal static JsonObject RequestSchema(JsonTypeInfo type, OrderLimitsOptions limits) => Writer.RequestSchema(type, limits);

    private sealed class Writer
    {
        private readonly OrderLimitsOptions _limits;
        private readonly OpenApiDocument _document;
        private readonly Dictionary<string, Type> _schemaTypes = new(StringComparer.Ordinal);

        public Writer(OrderLimitsOptions limits)
        {
            _limits = limits;
            _document = new OpenApiDocument
            {
                Info = new OpenApiInfo
                {
                    Title = Title,
                    Version = "1.0.0",
                    Description = "The HTTP functions a store's backend, its platform's webhooks and an operator call. Generated from the code: "
                        + "routes, methods and auth levels from the functions' attributes, schemas from the JSON contracts, field rules from the validators. "
                        + "Errors are application/problem+json; a 400 names each bad field in 'errors'.",
                },
                Servers = [new OpenApiServer { Url = "/api" }],
                Paths = [],
                Components = new OpenApiComponents
                {
                    Schemas = new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal),
                    SecuritySchemes = new Dictionary<string, IOpenApiSecurityScheme>(StringComparer.Ordinal)
                    {
                        ["FunctionKey"] = new OpenApiSecurityScheme
                        {
                            Type = SecuritySchemeType.ApiKey,
                            In = ParameterLocation.Header,
                            Name = "x-functions-key",
                            Description = "A function key of the app (or the 'code' query parameter, as platform webhook URLs carry it).",
                        },
                        ["FunctionKeyQuery"] = new OpenApiSecurityScheme { Type = SecuritySchemeType.ApiKey, In = ParameterLocation.Query, Name = "code", Description = "A function key of the app." },
                        ["AdminKey"] = new OpenApiSecurityScheme
                        {
                            Type = SecuritySchemeType.ApiKey,
                            In = ParameterLocation.Header,
                            Name = "x-functions-key",
                            Description = "The host's admin (master) key: operator routes only.",
                        },
                    },
                },
                Tags = new HashSet<OpenApiTag>(),
            };
        }

        public void Add(HttpFunction function)
        {
            var operation = function.Method.GetCustomAttribute<ApiOperationAttribute>()
                ?? throw new InvalidOperationException($"{function.Name} has no [ApiOperation]: say what it does so the API document can list it.");
            var admin = function.AuthLevel == "Admin";
            var tag = admin ? AdminTag : operation.Tag;
            if (_document.Tags!.All(t => t.Name != tag))
            {
                _document.Tags!.Add(new OpenApiTag { Name = tag, Description = TagDescriptions.GetValueOrDefault(tag) });
            }

            var request = function.Method.GetCustomAttribute<ApiRequestAttribute>();
            var parameters = Parameters(function, operation.Guards);
            var hasInput = request is not null || parameters.Any(p => p.In != ParameterLocation.Header && p.Schema is OpenApiSchema { Pattern: not null } or OpenApiSchema { Enum: not null } or OpenApiSchema { Maximum: not null });
            var result = new OpenApiOperation
            {
                OperationId = function.Name,
                Summary = operation.Summary,
                Tags = new HashSet<OpenApiTagReference> { new(tag, _document) },
                Parameters = [.. parameters],
                Security = Security(function.AuthLevel),
                Responses = Responses(function, operation.Guards, hasInput),
            };
            if (request is not null)
            {
                result.RequestBody = new OpenApiRequestBody { Required = true, Content = new Dictionary<string, IOpenApiMediaType> { [Json] = new OpenApiMediaType { Schema = Reference(request.Context, request.TypeInfo, isRequest: true) } } };
            }
            else if (operation.RawBody is { } raw)
            {
                result.RequestBody = new OpenApiRequestBody
                {
                    Required = true,
                    Content = new Dictionary<string, IOpenApiMediaType> { [Json] = new OpenApiMediaType { Schema = new OpenApiSchema { Type = JsonSchemaType.Object, Description = raw } } },
                };
            }

            var path = "/" + string.Join('/', function.Route.Split('/').Select(s => RouteValueName(s) is { } value ? "{" + value + "}" : s));
            if (!_document.Paths.TryGetValue(path, out var item))
            {
                _document.Paths[path] = item = new OpenApiPathItem();
            }

            foreach (var method in function.Methods)
            {
                ((OpenApiPathItem)item).AddOperation(HttpMethod.Parse(method), result);
            }
        }

        public string Finish()
        {
            // The problem document every failure answers with (ValidationProblemDetails, as Problems writes it).
            _document.Components!.Schemas![ProblemSchema] = Schema(JsonSchemaExporter.GetJsonSchemaAsNode(FlexFunctions.Shared.Http.ProblemJson.Default.ValidationProblemDetails, ExporterOptions(isRequest: false)).AsObject(),
                "A problem document (RFC 9457). 'code' names the failure (ours or FlexShopper's); on a 400, 'errors' maps each bad field to what it must be.");
            _document.Security = [];
            using var text = new StringWriter(CultureInfo.InvariantCulture);
            _document.SerializeAsV31(new OpenApiJsonWriter(text));
            return text.ToString();
        }

        private List<OpenApiSecurityRequirement> Security(string authLevel) => authLevel switch
        {
            "Anonymous" => [],
            "Admin" => [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("AdminKey", _document)] = [] }],
            _ =>
            [
                new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("FunctionKey", _document)] = [] },
                new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("FunctionKeyQuery", _document)] = [] },
            ],
        };

        private List<OpenApiParameter> Parameters(HttpFunction function, ApiGuards guards)
        {
            var declared = function.Method.GetCustomAttributes<ApiParameterAttribute>().ToList();
            var inRoute = function.Route.Split('/').Select(RouteValueName).OfType<string>().ToList();
            var parameters = new List<OpenApiParameter>();
            foreach (var name in inRoute)
            {
                var parameter = declared.SingleOrDefault(p => p.Name == name)
                    ?? throw new InvalidOperationException($"{function.Name}: route value {{{name}}} has no [ApiParameter] naming its rule.");
                parameters.Add(Parameter(parameter, ParameterLocation.Path, required: true));
            }

            parameters.AddRange(declared.Where(p => !inRoute.Contains(p.Name)).Select(p => Parameter(p, ParameterLocation.Query, p.Required)));
            parameters.AddRange(Headers(guards));
            return parameters;
        }

        private static OpenApiParameter Parameter(ApiParameterAttribute parameter, ParameterLocation location, bool required)
        {
            OpenApiSchema schema;
            var description = parameter.Description;
            if (parameter.Rule is { } ruleName)
            {
                var rule = RuleNamed(parameter.RuleOwner, ruleName);
                schema = new OpenApiSchema { Type = JsonSchemaType.String };
                ApplyRule(schema, rule);
                description += " " + rule.Message;
            }
            else if (parameter.Minimum != int.MinValue && parameter.Maximum != int.MaxValue)
            {
                schema = new OpenApiSchema
                {
                    Type = JsonSchemaType.Integer,
                    Minimum = parameter.Minimum.ToString(CultureInfo.InvariantCulture),
                    Maximum = parameter.Maximum.ToString(CultureInfo.InvariantCulture),
                };
            }
            else
            {
                throw new InvalidOperationException($"[ApiParameter] {parameter.Name} names neither a rule nor a range.");
            }

            return new OpenApiParameter { Name = parameter.Name, In = location, Required = required, Description = description, Schema = schema };
        }

        private static FieldRule RuleNamed(Type owner, string name) =>
            (owner.GetField(name, BindingFlags.Public | BindingFlags.Static)?.GetValue(null)
             ?? owner.GetProperty(name, BindingFlags.Public | BindingFlags.Static)?.GetValue(null)) as FieldRule
            ?? throw new InvalidOperationException($"{owner.Name}.{name} is not a public static FieldRule.");

        private static void ApplyRule(OpenApiSchema schema, FieldRule rule)
        {
            schema.MaxLength = rule.MaxLength;
            schema.MinLength = 1;
            if (rule.Allowed is { } allowed)
            {
                schema.Enum = [.. allowed.Select(a => (JsonNode)JsonValue.Create(a))];
            }
            else if (rule.Pattern is { } pattern)
            {
                schema.Pattern = pattern;
            }
        }

        private static IEnumerable<OpenApiParameter> Headers(ApiGuards guards)
        {
            if (guards.HasFlag(ApiGuards.StoreSignature))
            {
                yield return Header(WebhookSignature.Header, false,
                    "t=<unix seconds>,v1=<hex HMAC-SHA256 of 't.rawBody'> keyed with the webhook signing secret; required when the app has Webhook__RequireSignature on "
                    + "(within Webhook__Tolerance, 5 minutes), unless the call is signed with Standard Webhooks instead. Several v1= are accepted during a secret rotation.");
                foreach (var header in StandardHeaders(required: false))
                {
                    yield return header;
                }
            }

            if (guards.HasFlag(ApiGuards.CustomerSession))
            {
                yield return Header(CustomerSessions.Header, true, "The session that login or sign-up returned (sealed, time-limited).");
            }

            if (guards.HasFlag(ApiGuards.IdempotencyKey))
            {
                var key = Header(ApiEndpoint.IdempotencyKeyHeader, false,
                    "The first final outcome with this key is kept 24 hours and replayed (Idempotent-Replayed: true); 409 IdempotentRequestInProgress while the first runs, "
                    + "422 IdempotencyKeyReused for another body. A 503 OutcomeUnknown means FlexShopper may have acted: retry with the same key, and the retry reads "
                    + "FlexShopper's state first; 409 OutcomeUnverifiable when that state cannot tell.");
                ((OpenApiSchema)key.Schema!).MaxLength = 255;
                yield return key;
            }

            if (guards.HasFlag(ApiGuards.Shopify))
            {
                yield return Header(PlatformIntake.ShopifySignatureHeader, true, "Base64 HMAC-SHA256 of the raw body keyed with the Shopify webhook secret (Key Vault secret Shopify__SecretName).");
                yield return Header(PlatformIntake.ShopifyTopicHeader, true, "The topic: fulfillments/create, fulfillments/update, orders/cancelled and refunds/create become warehouse events; "
                    + "orders/create, orders/updated and orders/paid teach the app each order's name, note attributes and gateways.");
                yield return Header(PlatformIntake.ShopifyWebhookIdHeader, true, "The delivery's id, the same on Shopify's retries: a repeat within 72 hours is acknowledged without queueing.");
                yield return Header(PlatformIntake.ShopifyShopHeader, false, "The shop; refused (403) when Shopify__ShopDomain names another.");
            }

            if (guards.HasFlag(ApiGuards.WooCommerce))
            {
                yield return Header(PlatformIntake.WooSignatureHeader, false, "Base64 HMAC-SHA256 of the raw body keyed with the webhook's secret (Key Vault secret WooCommerce__SecretName). "
                    + "Absent only on the ping WooCommerce sends when the webhook is created (body webhook_id=<id>), answered 200.");
                yield return Header(PlatformIntake.WooTopicHeader, false, "order.updated (also order.created, order.deleted, order.restored).");
                yield return Header(PlatformIntake.WooDeliveryHeader, false, "The delivery's id; with the body's hash, a repeat within 72 hours is acknowledged without queueing.");
                yield return Header(PlatformIntake.WooSourceHeader, false, "The store's URL, as WooCommerce sends it.");
            }

            if (guards.HasFlag(ApiGuards.StandardWebhooks))
            {
                foreach (var header in StandardHeaders(required: true))
                {
                    yield return header;
                }
            }
        }

        private static IEnumerable<OpenApiParameter> StandardHeaders(bool required)
        {
            var instead = required ? "" : "Standard Webhooks, instead of X-FlexFunctions-Signature: ";
            yield return Header(StandardWebhookVerifier.IdHeader, required, instead + "the message id, the same on retries.");
            yield return Header(StandardWebhookVerifier.TimestampHeader, required, instead + "Unix seconds; refused (401) when more than 5 minutes from now.");
            yield return Header(StandardWebhookVerifier.SignatureHeader, required, instead
                + "one or more space-separated v1,<base64 HMAC-SHA256 of 'id.timestamp.body'> keyed with the whsec_ secret (Key Vault secret StandardWebhooks__SecretName).");
        }

        private static OpenApiParameter Header(string name, bool required, string description) =>
            new() { Name = name, In = ParameterLocation.Header, Required = required, Description = description, Schema = new OpenApiSchema { Type = JsonSchemaType.String } };

        private OpenApiResponses Responses(HttpFunction function, ApiGuards guards, bool hasInput)
        {
            var answers = new SortedDictionary<string, (string Description, IOpenApiSchema? Schema, bool RetryAfter)>(StringComparer.Ordinal);
            void Problem(int status, string description, bool retryAfter = false)
            {
                var key = status.ToString(CultureInfo.InvariantCulture);
                answers[key] = answers.TryGetValue(key, out var known) && known.Schema is null
                    ? (known.Description + "; " + description, null, known.RetryAfter || retryAfter)
                    : (description, null, retryAfter);
            }

            foreach (var response in function.Method.GetCustomAttributes<ApiResponseAttribute>())
            {
                if (response.Context is null && response.Status < 400)
                {
                    answers[response.Status.ToString(CultureInfo.InvariantCulture)] = (response.Description!, new OpenApiSchema { Type = JsonSchemaType.Object }, false);
                }
                else if (response.Context is not null)
                {
                    answers[response.Status.ToString(CultureInfo.InvariantCulture)] = (response.Description ?? Describe(response.Status), Reference(response.Context, response.TypeInfo!, isRequest: false), false);
                }
                else
                {
                    Problem(response.Status, response.Description!, response.Status is 429 or 503);
                }
            }

            if (hasInput || guards.HasFlag(ApiGuards.StoreSignature) || guards.HasFlag(ApiGuards.Shopify) || guards.HasFlag(ApiGuards.WooCommerce) || guards.HasFlag(ApiGuards.StandardWebhooks))
            {
                Problem(400, "Invalid input: 'errors' names each bad field and what it must be");
            }

            if (guards.HasFlag(ApiGuards.StoreSignature))
            {
                Problem(401, "InvalidSignature: the signature is missing, wrong or too old (when signatures are required)");
                Problem(413, "The body is over the route's limit (64 KiB)");
                Problem(429, "FlexShopper asked us to slow down; see Retry-After", retryAfter: true);
                Problem(502, "FlexShopper failed, or refused the app's credentials");
                Problem(503, "A dependency is unavailable (our storage, Key Vault, FlexShopper): DependencyUnavailable or ApiKeyUnavailable; see Retry-After", retryAfter: true);
            }

            if (guards.HasFlag(ApiGuards.CustomerSession))
            {
                Problem(401, "CustomerSessionRequired or CustomerSessionInvalid: sign the customer in again");
            }

            if (guards.HasFlag(ApiGuards.IdempotencyKey))
            {
                Problem(409, "IdempotentRequestInProgress (see Retry-After) or OutcomeUnverifiable");
                Problem(422, "IdempotencyKeyReused: the key was used for another request");
                Problem(503, "OutcomeUnknown: FlexShopper may have carried it out; retry with the same Idempotency-Key", retryAfter: true);
            }

            if (guards.HasFlag(ApiGuards.Shopify) || guards.HasFlag(ApiGuards.WooCommerce) || guards.HasFlag(ApiGuards.StandardWebhooks))
            {
                Problem(401, "The platform's signature is missing or wrong");
                Problem(413, "The body is over the route's limit");
                Problem(503, "Our storage or Key Vault is unavailable, or the platform's secret is not set; the platform retries", retryAfter: true);
            }

            if (guards.HasFlag(ApiGuards.Outage))
            {
                Problem(503, "DependencyUnavailable: our storage or Key Vault is unavailable; see Retry-After", retryAfter: true);
            }

            var responses = new OpenApiResponses();
            foreach (var (status, (description, schema, retryAfter)) in answers)
            {
                var answer = new OpenApiResponse { Description = description };
                answer.Content = new Dictionary<string, IOpenApiMediaType>
                {
                    [schema is null ? ProblemContent : Json] = new OpenApiMediaType { Schema = schema ?? new OpenApiSchemaReference(ProblemSchema, _document) },
                };
                if (retryAfter)
                {
                    answer.Headers = new Dictionary<string, IOpenApiHeader> { ["Retry-After"] = new OpenApiHeader { Description = "Seconds to wait.", Schema = new OpenApiSchema { Type = JsonSchemaType.Integer } } };
                }
                else if (schema is not null && guards.HasFlag(ApiGuards.IdempotencyKey))
                {
                    answer.Headers = new Dictionary<string, IOpenApiHeader> { ["Idempotent-Replayed"] = new OpenApiHeader { Description = "true on a replay of the first outcome.", Schema = new OpenApiSchema { Type = JsonSchemaType.String } } };
                }

                responses[status] = answer;
            }

            return responses;
        }

        private static string Describe(int status) => status switch
        {
            200 => "Success",
            201 => "Created",
            202 => "Accepted",
            _ => status.ToString(CultureInfo.InvariantCulture),
        };

        /// <summary>A reference to the component schema of a source-generated type, added on first use.</summary>
        private OpenApiSchemaReference Reference(Type context, string typeInfoName, bool isRequest)
        {
            var type = TypeInfo(context, typeInfoName);
            var name = type.Type.Name;
            if (_schemaTypes.TryGetValue(name, out var known))
            {
                if (known != type.Type)
                {
                    throw new InvalidOperationException($"Two contracts are named {name}: {known.FullName} and {type.Type.FullName}.");
                }
            }
            else
            {
                _schemaTypes[name] = type.Type;
                var node = isRequest ? RequestSchema(type, _limits) : JsonSchemaExporter.GetJsonSchemaAsNode(type, ExporterOptions(isRequest)).AsObject();
                _document.Components!.Schemas![name] = Schema(node, null);
            }

            return new OpenApiSchemaReference(name, _document);
        }

        /// <summary>A request body's schema: its JSON contract, with each field's rule as its validator checks it.</summary>
        public static JsonObject RequestSchema(JsonTypeInfo type, OrderLimitsOptions limits)
        {
            var node = JsonSchemaExporter.GetJsonSchemaAsNode(type, ExporterOptions(isRequest: true)).AsObject();
            ApplyChecks(node, FieldRuleProbe.Observe(type, node, limits), type.Type.Name);
            return node;
        }

        private static JsonTypeInfo TypeInfo(Type context, string name)
        {
            var instance = context.GetProperty("Default", BindingFlags.Public | BindingFlags.Static)?.GetValue(null) as JsonSerializerContext
                ?? throw new InvalidOperationException($"{context.Name} is not a source-generated JsonSerializerContext.");
            return context.GetProperty(name, BindingFlags.Public | BindingFlags.Instance)?.GetValue(instance) as JsonTypeInfo
                ?? throw new InvalidOperationException($"{context.Name}.{name} is not a JsonTypeInfo.");
        }

        private static JsonSchemaExporterOptions ExporterOptions(bool isRequest) => new()
        {
            TreatNullObliviousAsNonNullable = true,
            TransformSchemaNode = (context, node) =>
            {
                // A request cannot set what has no setter (a value computed from the others): leave it out.
                if (isRequest && node is JsonObject { } settable && settable["properties"] is JsonObject listed && context.PropertyInfo is null
                    && context.TypeInfo.Kind == JsonTypeInfoKind.Object)
                {
                    foreach (var computed in context.TypeInfo.Properties.Where(p => p.Set is null))
                    {
                        listed.Remove(computed.Name);
                    }
                }

                // The exporter calls constructor parameters required, but nothing requires them when reading: a request's
                // required fields are what its validator requires, and an answer leaves out its null properties.
                if (node is JsonObject { } withRequired && withRequired["required"] is JsonArray required)
                {
                    var properties = withRequired["properties"] as JsonObject;
                    var kept = isRequest ? [] : required.Select(r => r!.GetValue<string>())
                        .Where(r => properties?[r] is JsonObject p && !FieldRuleProbe.Types(p).Contains("null")).ToList();
                    withRequired.Remove("required");
                    if (kept.Count > 0)
                    {
                        withRequired["required"] = new JsonArray([.. kept.Select(k => (JsonNode)JsonValue.Create(k))]);
                    }
                }

                // We write numbers as numbers; reading them from strings (FlexShopper's models allow it) is not part of what we answer.
                if (!isRequest && node is JsonObject schema && schema["type"] is JsonArray types && types.Any(t => t!.GetValue<string>() == "string")
                    && types.Any(t => t!.GetValue<string>() is "number" or "integer") && schema.ContainsKey("pattern"))
                {
                    schema["type"] = new JsonArray([.. types.Where(t => t!.GetValue<string>() != "string").Select(t => (JsonNode)JsonValue.Create(t!.GetValue<string>()))]);
                    schema.Remove("pattern");
                }

                return node;
            },
        };

        /// <summary>Writes each validator check into the schema at the field's JSON path.</summary>
        private static void ApplyChecks(JsonObject root, IReadOnlyList<FieldCheck> checks, string typeName)
        {
            foreach (var check in checks)
            {
                var (parent, property, target) = Locate(root, check.Field, typeName);
                if (check.Required && parent is not null)
                {
                    var required = parent["required"] as JsonArray ?? (JsonArray)(parent["required"] = new JsonArray());
                    if (required.All(r => r!.GetValue<string>() != property))
                    {
                        required.Add(property);
                    }
                }

                switch (check.Kind)
                {
                    case FieldCheckKind.Rule:
                        var rule = check.Rule!;
                        target["minLength"] = 1;
                        target["maxLength"] = rule.MaxLength;
                        if (rule.Allowed is { } allowed)
                        {
                            var values = new JsonArray([.. allowed.Select(a => (JsonNode)JsonValue.Create(a))]);
                            if (!check.Required)
                            {
                                values.Add(null); // absent or null is fine for an optional one
                            }

                            target["enum"] = values;
                        }
                        else if (rule.Pattern is { } pattern)
                        {
                            target["pattern"] = pattern;
                        }

                        target["description"] = rule.Message;
                        break;
                    case FieldCheckKind.Money:
                        target[check.MinimumExcluded ? "exclusiveMinimum" : "minimum"] = check.Minimum;
                        target["maximum"] = check.Maximum;
                        target["multipleOf"] = 0.01m;
                        target["description"] = string.Create(CultureInfo.InvariantCulture,
                            $"Dollars {(check.MinimumExcluded ? "above 0" : "from 0")} up to {check.Maximum:0.##}, with at most 2 decimal places.");
                        break;
                    case FieldCheckKind.Count:
                        target["minimum"] = check.Minimum;
                        target["maximum"] = check.Maximum;
                        break;
                    case FieldCheckKind.List:
                        if (check.Minimum > 0)
                        {
                            target["minItems"] = check.Minimum;
                        }

                        target["maxItems"] = check.Maximum;
                        break;
                }
            }
        }

        /// <summary>
        /// The schema of a field named as a validator names it (<c>items[0].sku</c>), its parent object and property
        /// name; a validator naming a field the contract does not have stops the document.
        /// </summary>
        private static (JsonObject? Parent, string Property, JsonObject Target) Locate(JsonObject root, string field, string typeName)
        {
            JsonObject? parent = null;
            var property = string.Empty;
            var current = root;
            foreach (var segment in field.Replace("[", ".[", StringComparison.Ordinal).Split('.', StringSplitOptions.RemoveEmptyEntries))
            {
                if (segment.StartsWith('['))
                {
                    parent = null;
                    current = current["items"] as JsonObject
                        ?? throw new InvalidOperationException($"{typeName}: the validator checks {field}, but that is no list in the contract.");
                }
                else
                {
                    property = segment;
                    parent = current;
                    current = current["properties"]?[property] as JsonObject
                        ?? throw new InvalidOperationException($"{typeName}: the validator checks {field}, which the JSON contract does not have.");
                }
            }

            return (parent, property, current);
        }

        private static OpenApiSchema Schema(JsonObject node, string? description)
        {
            if (description is not null)
            {
                node["description"] = description;
            }

            var bytes = JsonSerializer.SerializeToUtf8Bytes(node, SchemaJson.Default.JsonObject);
            var reader = new Utf8JsonReader(bytes);
            return new OpenApiSchemaJsonConverter(OpenApiSpecVersion.OpenApi3_1).Read(ref reader, typeof(OpenApiSchema), JsonSerializerOptions.Default)!;
        }
    }

    /// <summary>The name of a route value segment (<c>{sku}</c>, <c>{id:int}</c>, <c>{kind?}</c>), or null for a literal one.</summary>
    private static string? RouteValueName(string segment) =>
        segment.Length > 2 && segment[0] == '{' && segment[^1] == '}' ? segment[1..^1].Split(':')[0].TrimEnd('?') : null;
}

[JsonSerializable(typeof(JsonObject))]
internal sealed partial class SchemaJson : JsonSerializerContext;
