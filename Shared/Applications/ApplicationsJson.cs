using System.Text.Json.Serialization;
using FlexFunctions.Shared.FlexShopper.Models;

namespace FlexFunctions.Shared.Applications;

/// <summary>Source-generated JSON for the application routes.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    PropertyNameCaseInsensitive = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ApplicationInput))]
[JsonSerializable(typeof(AnswersInput))]
[JsonSerializable(typeof(PaymentMethodInput))]
[JsonSerializable(typeof(FlexShopperUser))]
[JsonSerializable(typeof(VerificationQuestions))]
[JsonSerializable(typeof(RoutingNumberInfo))]
[JsonSerializable(typeof(PaymentMethodAdded))]
[JsonSerializable(typeof(ChildKeyResult))]
public sealed partial class ApplicationsJson : JsonSerializerContext;
