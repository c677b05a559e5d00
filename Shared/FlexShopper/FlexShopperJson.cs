using System.Text.Json;
using System.Text.Json.Serialization;
using FlexFunctions.Shared.FlexShopper.Models;

namespace FlexFunctions.Shared.FlexShopper;

/// <summary>Source-generated serialization for every FlexShopper wire type.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    PropertyNameCaseInsensitive = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.AllowReadingFromString)]
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(CreateUserRequest))]
[JsonSerializable(typeof(CreateUserData))]
[JsonSerializable(typeof(FlexShopperUser))]
[JsonSerializable(typeof(UserPage))]
[JsonSerializable(typeof(UserExistsResult))]
[JsonSerializable(typeof(DeepUserExistsRequest))]
[JsonSerializable(typeof(DeepUserExistsResult))]
[JsonSerializable(typeof(ChildKeyResponse))]
[JsonSerializable(typeof(AddPaymentMethodRequest))]
[JsonSerializable(typeof(IReadOnlyList<PaymentMethodSummary>))]
[JsonSerializable(typeof(SendPasscodeBody))]
[JsonSerializable(typeof(PasscodeLoginBody))]
[JsonSerializable(typeof(TokenData))]
[JsonSerializable(typeof(ApplicationRequest))]
[JsonSerializable(typeof(VerificationQuestions))]
[JsonSerializable(typeof(VerifyAnswersRequest))]
[JsonSerializable(typeof(RoutingNumberInfo))]
[JsonSerializable(typeof(CreateLeaseRequest))]
[JsonSerializable(typeof(CreatedLease))]
[JsonSerializable(typeof(Lease))]
[JsonSerializable(typeof(SignLeaseRequest))]
[JsonSerializable(typeof(CheckoutRequest))]
[JsonSerializable(typeof(CheckoutResult))]
[JsonSerializable(typeof(TransactionPage))]
[JsonSerializable(typeof(PurchaseTransaction))]
[JsonSerializable(typeof(FinalizeResult))]
[JsonSerializable(typeof(ItemsRequest))]
[JsonSerializable(typeof(CancelItemsResult))]
[JsonSerializable(typeof(ReturnItemsResult))]
[JsonSerializable(typeof(ShipmentConfirmation))]
[JsonSerializable(typeof(ReceiptConfirmation))]
[JsonSerializable(typeof(ProductPage))]
[JsonSerializable(typeof(LeaseSettings))]
internal sealed partial class FlexShopperJson : JsonSerializerContext;
