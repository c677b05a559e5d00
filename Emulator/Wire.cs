using System.Text.Json;
using System.Text.Json.Serialization;

namespace FlexShopper.Emulator;

// The v3 wire shapes, written from docs/flexshopper-api.md independently of the app's client models.
// Where the notes mark a shape as inferred, the emulator follows the app's FlexShopperPaths choices.

/// <summary><c>{"data": ...}</c>, the success envelope.</summary>
public sealed record DataEnvelope<T>(T Data);

/// <summary>Request Passcode's odd success shape: <c>{"status": 200, "data": {}}</c>.</summary>
public sealed record StatusEnvelope(int Status, EmptyData Data);

public sealed record EmptyData;

/// <summary><c>{"error": {statusCode, code, message, data}}</c>, the error envelope.</summary>
public sealed record ErrorEnvelope(ErrorBody Error);

public sealed record ErrorBody(int StatusCode, string Code, string Message, Dictionary<string, string> Data);

/// <summary>The Kong gateway's bare 401 body.</summary>
public sealed record GatewayMessage(string Message);

// ---- Requests ----

public sealed record CreateUserBody(string? FirstName, string? LastName, string? Email, string? Password, string? Locale);

public sealed record SendPasscodeBody(string? Transport);

public sealed record LoginBody(string? Passcode);

public sealed record ApplyBody
{
    public string? Street1 { get; init; }
    public string? Street2 { get; init; }
    public string? City { get; init; }
    public string? RegionAbbr { get; init; }
    public string? PostalCode { get; init; }
    public string? Country { get; init; }
    public string? MobilePhone { get; init; }
    public string? DateOfBirth { get; init; }
    public string? Ssn { get; init; }
    public EmploymentBody? EmploymentInformation { get; init; }
    public BankAccountBody? BankAccount { get; init; }
    public decimal? ExpectedPurchaseAmount { get; init; }
}

/// <summary>The pay dates are ISO dates; the 3.1 apply page names the next one <c>nextPay</c>, the 3.0 page <c>nextPayDate</c>.</summary>
public sealed record EmploymentBody(string? PayFrequency, decimal? MonthlyIncome)
{
    public string? LastPayDate { get; init; }
    public string? NextPay { get; init; }
    public string? NextPayDate { get; init; }
}

public sealed record BankAccountBody(string? Routing, string? Account, string? Type);

public sealed record VerifyAnswersBody(string? Id, List<AnswerBody>? Answers);

public sealed record AnswerBody(string? QuestionId, string? ChoiceId);

public sealed record DeepExistsBody(string? Email, string? Phone, AddressBody? Address);

public sealed record AddressBody(string? Street1, string? Street2, string? City, string? Region, string? PostalCode, string? Country);

public sealed record AddPaymentMethodBody(bool? Primary, string? Label, JsonElement? Ach, JsonElement? Token);

public sealed record CreateLeaseBody(string? TransactionId, List<LeaseItemBody>? Items, ShippingBody? Shipping, decimal? TotalDiscount, string? OrderId);

public sealed record LeaseItemBody(string? Brand, string? Sku, string? Description, decimal? Cost, int? Quantity);

public sealed record ShippingBody(decimal? Cost, string? Date, string? Method);

public sealed record SignBody(string? IpAddress, string? Timestamp, bool? Signed);

public sealed record ItemsBody(List<ItemQuantityBody>? Items);

public sealed record ItemQuantityBody(string? Sku, [property: JsonConverter(typeof(WholeQuantityConverter))] int? Quantity);

public sealed record ShipmentBody(List<ShipmentItemBody>? Items);

public sealed record ShipmentItemBody(string? Sku, [property: JsonConverter(typeof(WholeQuantityConverter))] int? Quantity, string? Carrier, string? ShipDate, string? TrackingNumber, string? TrackingLink = null);

public sealed record CheckoutBody(string? TransactionId, List<LeaseItemBody>? Items);

// ---- Responses ----

public sealed record CreatedUserData(string UserId, string Token);

public sealed record TokenData(string Token);

public sealed record UserExistsData(bool Exists, string? UserId);

public sealed record DeepExistsData(bool EmailExists, bool PhoneExists, bool AddressExists);

public sealed record ChildKeyData(string Status, string ChildKey);

public sealed record UserData
{
    public required string UserId { get; init; }
    public required string FirstName { get; init; }
    public required string LastName { get; init; }
    public required string Email { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required List<UserTransactionData> Transactions { get; init; }
    public DecisionData? Decision { get; init; }
    public string? VerificationStatus { get; init; }
}

public sealed record UserTransactionData(string Id, DateTimeOffset CreatedAt, LeaseRefData Lease);

public sealed record LeaseRefData(string Id, string Status);

public sealed record DecisionData(bool Approved, string Status, decimal SpendingLimit, decimal AvailableBalance, decimal AvailableWeeklySpending, DateTimeOffset CreatedAt, string ApplicationId);

public sealed record UsersPageData(List<UserData> Users, MetaData Meta);

public sealed record MetaData(int Count, int TotalPages, int Page, int Limit);

public sealed record QuestionsData(string Id, List<QuestionData> Questions);

public sealed record QuestionData(string Id, string Label, List<ChoiceData> Choices);

public sealed record ChoiceData(string Id, string Label);

public sealed record RoutingData(bool Valid, string? BankName);

public sealed record CreatedLeaseData(string LeaseId, string Contract, string Frequency, int Term, decimal Payment, decimal CashPrice, decimal CostOfRental);

public sealed record LeaseData(string LeaseId, string Contract, string LeaseStatus, string Frequency, int Term, decimal Payment, decimal CashPrice, decimal CostOfRental, bool IsExpired);

public sealed record TransactionData
{
    public required string Id { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public decimal ShippingCost { get; init; }
    public string? OrderId { get; init; }
    public required LeaseRefData Lease { get; init; }
    public required List<TransactionItemData> Items { get; init; }

    /// <summary>Once finalized (absent before): the app's [INF] in its PurchaseTransaction model.</summary>
    public string? LeaseNumber { get; init; }
    public string? LoanNumber { get; init; }
}

public sealed record TransactionItemData(string Sku, string Description, string Brand, decimal Cost, int Quantity, Dictionary<string, int> QuantityByStatus);

public sealed record TransactionsPageData(List<TransactionData> Transactions, MetaData Meta);

public sealed record FinalizeData(string TransactionId, string LoanNumber, string LeaseNumber);

public sealed record CanceledData(List<ItemQuantityBody> Canceled, List<ItemQuantityBody> Failed);

public sealed record ReturnedData(List<ItemQuantityBody> Returned, List<ItemQuantityBody> Failed);

public sealed record ProductsData(List<ProductData> Products);

public sealed record ProductData(string Sku, string Name, string Url);

public sealed record LeaseSettingsData(decimal MinimumOrderValue);

public sealed record CheckoutData(string Id, string RedirectUri);

// ---- Admin ----

/// <summary>A passcode "delivered" to the developer outbox instead of by SMS or email.</summary>
public sealed record OutboxMessage(string UserId, string Email, string Transport, string Passcode, DateTimeOffset SentAt, DateTimeOffset ExpiresAt);

/// <summary>A customer token presented with an API key other than the one that minted it.</summary>
public sealed record TokenKeyViolation(DateTimeOffset At, string Method, string Path, string UserId, string MintedWithKey, string PresentedWithKey);

/// <summary>One v3 request (status 0: hung, no answer). No headers, queries or bodies, so no keys, tokens, emails or passcodes.</summary>
public sealed record RequestRecord(DateTimeOffset At, string Method, string Path, int Status, string? Fault);

/// <summary>A confirmation (shipment or receipt) that found every unit already confirmed.</summary>
public sealed record DuplicateConfirmation(DateTimeOffset At, string TransactionId, string Kind, string? Sku);

/// <summary>One line of an accepted shipment confirmation, as sent: what the merchant told FlexShopper it shipped, and how.</summary>
public sealed record ShipmentRecord(DateTimeOffset At, string TransactionId, string? Sku, int? Quantity, string? Carrier, string? TrackingNumber, string? TrackingLink, string? ShipDate);

public sealed record AdminKeys(List<string> ApiKeys);

public sealed record Health(string Status, int Users, int Transactions, int Products);

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    PropertyNameCaseInsensitive = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = false)]
[JsonSerializable(typeof(StatusEnvelope))]
[JsonSerializable(typeof(ErrorEnvelope))]
[JsonSerializable(typeof(GatewayMessage))]
[JsonSerializable(typeof(DataEnvelope<EmptyData>))]
[JsonSerializable(typeof(DataEnvelope<CreatedUserData>))]
[JsonSerializable(typeof(DataEnvelope<TokenData>))]
[JsonSerializable(typeof(DataEnvelope<UserExistsData>))]
[JsonSerializable(typeof(DataEnvelope<DeepExistsData>))]
[JsonSerializable(typeof(DataEnvelope<UserData>))]
[JsonSerializable(typeof(DataEnvelope<UsersPageData>))]
[JsonSerializable(typeof(DataEnvelope<QuestionsData>))]
[JsonSerializable(typeof(DataEnvelope<RoutingData>))]
[JsonSerializable(typeof(DataEnvelope<CreatedLeaseData>))]
[JsonSerializable(typeof(DataEnvelope<LeaseData>))]
[JsonSerializable(typeof(DataEnvelope<TransactionData>))]
[JsonSerializable(typeof(DataEnvelope<TransactionsPageData>))]
[JsonSerializable(typeof(DataEnvelope<FinalizeData>))]
[JsonSerializable(typeof(DataEnvelope<CanceledData>))]
[JsonSerializable(typeof(DataEnvelope<ReturnedData>))]
[JsonSerializable(typeof(DataEnvelope<ProductsData>))]
[JsonSerializable(typeof(DataEnvelope<LeaseSettingsData>))]
[JsonSerializable(typeof(DataEnvelope<CheckoutData>))]
[JsonSerializable(typeof(ChildKeyData))]
[JsonSerializable(typeof(CreateUserBody))]
[JsonSerializable(typeof(SendPasscodeBody))]
[JsonSerializable(typeof(LoginBody))]
[JsonSerializable(typeof(ApplyBody))]
[JsonSerializable(typeof(VerifyAnswersBody))]
[JsonSerializable(typeof(DeepExistsBody))]
[JsonSerializable(typeof(AddPaymentMethodBody))]
[JsonSerializable(typeof(CreateLeaseBody))]
[JsonSerializable(typeof(SignBody))]
[JsonSerializable(typeof(ItemsBody))]
[JsonSerializable(typeof(ShipmentBody))]
[JsonSerializable(typeof(CheckoutBody))]
[JsonSerializable(typeof(List<OutboxMessage>))]
[JsonSerializable(typeof(List<TokenKeyViolation>))]
[JsonSerializable(typeof(List<RequestRecord>))]
[JsonSerializable(typeof(List<DuplicateConfirmation>))]
[JsonSerializable(typeof(List<ShipmentRecord>))]
[JsonSerializable(typeof(FaultSettings))]
[JsonSerializable(typeof(AdminKeys))]
[JsonSerializable(typeof(Health))]
public sealed partial class EmulatorJson : JsonSerializerContext;
