using FlexFunctions.Shared.FlexShopper.Models;

namespace FlexFunctions.Shared.FlexShopper;

/// <summary>
/// Every FlexShopper Backend API v3 call. Calls that take a <see cref="CustomerCredential"/> send the customer
/// token with exactly the key version that minted it. Every failure is a <see cref="FlexShopperApiException"/>.
/// </summary>
public interface IFlexShopperClient
{
    // User management
    Task<CreatedUser> CreateUserAsync(CreateUserRequest request, CancellationToken cancellationToken = default);
    Task<UserPage> ListUsersAsync(int page = 1, int limit = 10, CancellationToken cancellationToken = default);
    Task<FlexShopperUser> GetMeAsync(CustomerCredential customer, CancellationToken cancellationToken = default);
    Task<UserExistsResult> UserExistsAsync(string email, CancellationToken cancellationToken = default);
    Task<DeepUserExistsResult> DeepUserExistsAsync(DeepUserExistsRequest request, CancellationToken cancellationToken = default);
    Task<string> GetLoanPaymentProChildKeyAsync(CancellationToken cancellationToken = default);
    Task AddPaymentMethodAsync(CustomerCredential customer, AddPaymentMethodRequest request, CancellationToken cancellationToken = default);
    Task<IReadOnlyList<PaymentMethodSummary>> ListPaymentMethodsAsync(CustomerCredential customer, CancellationToken cancellationToken = default);

    // Customer authentication: the passcode is never retried, logged or kept.
    Task SendPasscodeAsync(string userId, PasscodeTransport transport, CancellationToken cancellationToken = default);
    Task<CustomerCredential> PasscodeLoginAsync(string userId, string passcode, CancellationToken cancellationToken = default);

    // Customer application
    Task<FlexShopperUser> ApplyAsync(CustomerCredential customer, ApplicationRequest request, string? customerIp = null, CancellationToken cancellationToken = default);
    Task<VerificationQuestions> GetVerificationQuestionsAsync(CustomerCredential customer, CancellationToken cancellationToken = default);
    Task<FlexShopperUser> VerifyAnswersAsync(CustomerCredential customer, VerifyAnswersRequest request, CancellationToken cancellationToken = default);
    Task<RoutingNumberInfo> ValidateRoutingNumberAsync(string routingNumber, CancellationToken cancellationToken = default);

    // Leases
    Task<CreatedLease> CreateLeaseAsync(CustomerCredential customer, CreateLeaseRequest request, CancellationToken cancellationToken = default);
    Task<Lease> GetLeaseAsync(CustomerCredential customer, string leaseId, CancellationToken cancellationToken = default);
    Task SignLeaseAsync(CustomerCredential customer, string leaseId, SignLeaseRequest request, CancellationToken cancellationToken = default);
    Task<CheckoutResult> CheckoutAsync(CheckoutRequest request, CancellationToken cancellationToken = default);

    // Purchase transactions
    Task<TransactionPage> ListTransactionsAsync(TransactionQuery query, CancellationToken cancellationToken = default);
    Task<PurchaseTransaction> GetTransactionAsync(string transactionId, CancellationToken cancellationToken = default);
    Task<FinalizeResult> FinalizeAsync(string transactionId, CancellationToken cancellationToken = default);
    Task<CancelItemsResult> CancelItemsAsync(string transactionId, ItemsRequest request, CancellationToken cancellationToken = default);
    Task<ReturnItemsResult> ReturnItemsAsync(string transactionId, ItemsRequest request, CancellationToken cancellationToken = default);
    Task ConfirmShipmentAsync(string transactionId, ShipmentConfirmation confirmation, CancellationToken cancellationToken = default);
    Task ConfirmReceiptAsync(string transactionId, ReceiptConfirmation confirmation, CancellationToken cancellationToken = default);

    // Catalog and settings
    Task<ProductPage> GetProductsAsync(int page, CancellationToken cancellationToken = default);
    Task<LeaseSettings> GetLeaseSettingsAsync(CancellationToken cancellationToken = default);
}
