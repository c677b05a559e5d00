namespace FlexFunctions.Shared.FlexShopper;

/// <summary>
/// Every FlexShopper v3 path in one place, relative to the configured base URL (which ends in <c>/v3/</c>).
/// Paths marked [INF] are inferred (see docs/flexshopper-api.md): confirm them in the sandbox and
/// change the one line here.
/// </summary>
public static class FlexShopperPaths
{
    public const string Users = "users";
    public const string Me = "users/me";
    public static string UserExists(string email) => "user-exists?email=" + Uri.EscapeDataString(email);

    /// <summary>[INF] One 3.0-preview page says <c>users/exists</c>.</summary>
    public const string DeepUserExists = "user/exists";
    public const string ChildTransactionKey = "paymentMethods/child-transaction-key";
    public const string AddPaymentMethod = "paymentMethods/add";

    /// <summary>[INF] Get Payment Methods is documented only in the 3.0-beta pages, not in the legacy set.</summary>
    public const string CustomerPaymentMethods = "customers/me/payment-methods";

    public static string SendPasscode(string userId) => $"users/{Uri.EscapeDataString(userId)}/send-passcode";
    public static string PasscodeLogin(string userId) => $"users/{Uri.EscapeDataString(userId)}/passcode-login";

    public const string Apply = "users/me/apply";
    public const string VerifyQuestions = "users/me/verify-questions";

    /// <summary>[INF] path and body (<c>{id, answers:[{questionId, choiceId}]}</c>).</summary>
    public const string VerifyAnswers = "users/me/verify-answers";

    /// <summary>[INF] path and response (<c>{valid, bankName}</c>).</summary>
    public static string RoutingNumber(string routing) => "routing-numbers/" + Uri.EscapeDataString(routing);

    public const string Leases = "leases";
    public static string Lease(string leaseId) => "leases/" + Uri.EscapeDataString(leaseId);
    public static string SignLease(string leaseId) => Lease(leaseId) + "/sign";

    /// <summary>Documented as GET with a body; [INF] sent as POST.</summary>
    public const string Checkout = "checkout";

    public const string Transactions = "transactions";
    public static string Transaction(string id) => "transactions/" + Uri.EscapeDataString(id);
    public static string Finalize(string id) => Transaction(id) + "/finalize";
    public static string Cancel(string id) => Transaction(id) + "/cancel";
    public static string Return(string id) => Transaction(id) + "/return";

    /// <summary>[INF] The Magento module's name for Return Items; tried only when <see cref="Return"/> is an unknown URI.</summary>
    public static string ReturnLegacy(string id) => Transaction(id) + "/return-items";
    public static string ConfirmShipment(string id) => Transaction(id) + "/confirm-shipment";

    /// <summary>[INF] path and body (<c>{items:[{sku, quantity, receivedDate}]}</c>).</summary>
    public static string ConfirmReceipt(string id) => Transaction(id) + "/confirm-receipt";

    public static string Products(int page) => "products?page=" + page.ToString(System.Globalization.CultureInfo.InvariantCulture);
    public const string LeaseSettings = "settings/lease";

    public const string CustomerTokenHeader = "Customer-Token";
}
