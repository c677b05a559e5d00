namespace FlexFunctions.Shared.FlexShopper;

/// <summary>
/// Every FlexShopper v3 path, and every inferred field name, in one place; paths are relative to the configured base
/// URL (which ends in <c>/v3/</c>). Lines marked [INF] are inferred (see docs/flexshopper-api.md):
/// <c>scripts/sandbox-check.sh</c> checks each against a sandbox, and docs/flexshopper-api.md says how to turn its
/// answer into the change of one line here.
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

    /// <summary>[INF] path; its body's fields are the <c>VerifyAnswers*Field</c> lines below.</summary>
    public const string VerifyAnswers = "users/me/verify-answers";

    /// <summary>[INF] path; its answer's fields are the <c>RoutingNumber*Field</c> lines below.</summary>
    public static string RoutingNumber(string routing) => "routing-numbers/" + Uri.EscapeDataString(routing);

    public const string Leases = "leases";
    public static string Lease(string leaseId) => "leases/" + Uri.EscapeDataString(leaseId);
    public static string SignLease(string leaseId) => Lease(leaseId) + "/sign";

    /// <summary>Sent as every doc page says: GET with a JSON body (<see cref="CheckoutMethod"/>); confirmed only by docs.</summary>
    public const string Checkout = "checkout";
    public const string CheckoutMethod = "GET";

    public const string Transactions = "transactions";
    public static string Transaction(string id) => "transactions/" + Uri.EscapeDataString(id);
    public static string Finalize(string id) => Transaction(id) + "/finalize";
    public static string Cancel(string id) => Transaction(id) + "/cancel";

    /// <summary>
    /// Return Items under <paramref name="segment"/>: <see cref="ReturnItemsDocumented"/> (the docs, the default of
    /// FlexShopper__ReturnItemsPath) or <see cref="ReturnItemsMagento"/>. [INF] which one the API has: the client tries
    /// the other once when the configured one is an unknown URI.
    /// </summary>
    public static string Return(string id, string segment = ReturnItemsDocumented) => Transaction(id) + "/" + segment;
    public const string ReturnItemsDocumented = "return";
    public const string ReturnItemsMagento = "return-items"; // [INF] FlexShopper's Magento module posts here
    public static string ConfirmShipment(string id) => Transaction(id) + "/confirm-shipment";

    /// <summary>[INF] path; its body is <c>{items:[{sku, quantity, <see cref="ReceivedDateField"/>}]}</c>.</summary>
    public static string ConfirmReceipt(string id) => Transaction(id) + "/confirm-receipt";

    public static string Products(int page) => "products?page=" + page.ToString(System.Globalization.CultureInfo.InvariantCulture);
    public const string LeaseSettings = "settings/lease";

    public const string CustomerTokenHeader = "Customer-Token";

    // ---- Inferred field names (the models use these constants, so each is still one line) ----

    /// <summary>[INF] Initiate Application's next pay date: the 3.1 page says <c>nextPay</c>, the 3.0 page <c>nextPayDate</c>.</summary>
    public const string NextPayDateField = "nextPay";
    public const string VerifyAnswersSetIdField = "id"; // [INF] the question set's id from verify-questions
    public const string VerifyAnswersListField = "answers"; // [INF]
    public const string VerifyAnswerQuestionField = "questionId"; // [INF]
    public const string VerifyAnswerChoiceField = "choiceId"; // [INF]
    public const string RoutingNumberValidField = "valid"; // [INF]
    public const string RoutingNumberBankNameField = "bankName"; // [INF]
    public const string ReceivedDateField = "receivedDate"; // [INF] Confirm Receipt's date per item
    public const string TransactionLeaseNumberField = "leaseNumber"; // [INF] on Get Transaction once finalized
    public const string TransactionLoanNumberField = "loanNumber"; // [INF] on Get Transaction once finalized
}
