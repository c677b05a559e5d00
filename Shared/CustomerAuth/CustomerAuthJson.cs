using System.Text.Json.Serialization;
using FlexFunctions.Shared.FlexShopper.Models;

namespace FlexFunctions.Shared.CustomerAuth;

/// <summary>Source-generated JSON for the login routes (request bodies and responses).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    PropertyNameCaseInsensitive = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(DeepVerifyInput))]
[JsonSerializable(typeof(CreateCustomerInput))]
[JsonSerializable(typeof(PasscodeRequestInput))]
[JsonSerializable(typeof(LoginInput))]
[JsonSerializable(typeof(LookupResult))]
[JsonSerializable(typeof(SessionResult))]
[JsonSerializable(typeof(PasscodeSent))]
[JsonSerializable(typeof(DeepUserExistsResult))]
[JsonSerializable(typeof(FlexShopperUser))]
public sealed partial class CustomerAuthJson : JsonSerializerContext;
