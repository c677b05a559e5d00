using System.Text.Json;
using FlexFunctions.Shared.FlexShopper;
using FlexFunctions.Shared.FlexShopper.Models;
using WireMock;

namespace FlexFunctions.Tests.FlexShopper;

/// <summary>
/// Every <see cref="IFlexShopperClient"/> call against a fake FlexShopper: what goes on the wire (method, path and
/// query, raw-key Authorization, Customer-Token only on customer calls, camelCase body without nulls) and what the
/// caller gets back from a documented response. Paths and fields marked [INF] in FlexShopperPaths are asserted as
/// we currently send them, so a change there is deliberate.
/// </summary>
public sealed class ClientContractTests
{
    private const string User = """
        {"userId":"u-1","firstName":"Ada","lastName":"Lovelace","email":"ada@example.com","createdAt":"2026-01-02T03:04:05Z",
         "transactions":[{"id":"order-1001","createdAt":"2026-01-03T00:00:00Z","lease":{"id":"l-1","status":"signed"}}],
         "decision":{"approved":true,"status":"approved","spendingLimit":1500.55,"availableBalance":1234.56,
                     "availableWeeklySpending":WEEKLY,"createdAt":"2026-01-02T03:05:00Z","applicationId":"app-9"},
         "verificationStatus":"succeeded"}
        """;

    private static readonly DateTimeOffset SignedAt = new(2026, 2, 1, 10, 0, 0, TimeSpan.Zero);

    private static readonly EndpointCase[] All =
    [
        // ---- User management ----
        new(nameof(IFlexShopperClient.CreateUserAsync), "CreateUser", "POST", "users", Customer: false,
            Body: """{"firstName":"Ada","lastName":"Lovelace","email":"ada@example.com","locale":"en"}""",
            Response: """{"data":{"userId":"u-1","token":"tok-new"}}""",
            Invoke: (c, _) => R(c.CreateUserAsync(new CreateUserRequest("Ada", "Lovelace", "ada@example.com") { Locale = "en" })),
            Verify: (r, version) =>
            {
                var created = Assert.IsType<CreatedUser>(r);
                Assert.Equal("u-1", created.UserId);
                Assert.Equal(new CustomerCredential("tok-new", version), created.Credential);
            }),
        new(nameof(IFlexShopperClient.ListUsersAsync), "ListUsers", "GET", "users?page=2&limit=50", Customer: false, Body: null,
            Response: """{"data":{"users":[""" + User.Replace("WEEKLY", "150.25", StringComparison.Ordinal) + """],"meta":{"count":1,"totalPages":3,"page":2,"limit":50}}}""",
            Invoke: (c, _) => R(c.ListUsersAsync(2, 50)),
            Verify: (r, _) =>
            {
                var page = Assert.IsType<UserPage>(r);
                AssertUser(Assert.Single(page.Users));
                Assert.Equal(new PageMeta(1, 3, 2, 50), page.Meta);
            }),
        new(nameof(IFlexShopperClient.GetMeAsync), "GetMe", "GET", "users/me", Customer: true, Body: null,
            // availableWeeklySpending is documented as a string: read it as money all the same.
            Response: """{"data":""" + User.Replace("WEEKLY", "\"150.25\"", StringComparison.Ordinal) + "}",
            Invoke: (c, customer) => R(c.GetMeAsync(customer)),
            Verify: (r, _) => AssertUser(Assert.IsType<FlexShopperUser>(r))),
        new(nameof(IFlexShopperClient.UserExistsAsync), "UserExists", "GET", "user-exists?email=ada%2B1%40example.com", Customer: false, Body: null,
            Response: """{"data":{"exists":true,"userId":"u-1"}}""",
            Invoke: (c, _) => R(c.UserExistsAsync("ada+1@example.com")),
            Verify: (r, _) => Assert.Equal(new UserExistsResult(true, "u-1"), r)),
        new(nameof(IFlexShopperClient.DeepUserExistsAsync), "DeepUserExists", "POST", "user/exists", Customer: false, // [INF] path
            Body: """{"email":"ada@example.com","phone":"3055550100","address":{"street1":"1 Main St","city":"Miami","region":"FL","postalCode":"33101","country":"US"}}""",
            Response: """{"data":{"emailExists":true,"phoneExists":false,"addressExists":true}}""",
            Invoke: (c, _) => R(c.DeepUserExistsAsync(new DeepUserExistsRequest("ada@example.com", "3055550100", new PostalAddress("1 Main St", "Miami", "FL", "33101", "US")))),
            Verify: (r, _) => Assert.Equal(new DeepUserExistsResult(true, false, true), r)),
        new(nameof(IFlexShopperClient.GetLoanPaymentProChildKeyAsync), "ChildKey", "POST", "paymentMethods/child-transaction-key", Customer: false, Body: null,
            Response: """{"status":"Success","childKey":"6f1c2a9e-0000-4000-8000-000000000001"}""",
            Invoke: (c, _) => R(c.GetLoanPaymentProChildKeyAsync()),
            Verify: (r, _) => Assert.Equal("6f1c2a9e-0000-4000-8000-000000000001", r)),
        new(nameof(IFlexShopperClient.AddPaymentMethodAsync), "AddPaymentMethodCard", "POST", "paymentMethods/add", Customer: true,
            Body: """{"primary":true,"label":"Visa","token":{"cardType":"visa","token":"lpp-tok-1","billingZip":"33101","lastFour":"4242"}}""",
            Response: """{"data":{}}""",
            Invoke: (c, customer) => V(c.AddPaymentMethodAsync(customer, new AddPaymentMethodRequest
            {
                Primary = true,
                Label = "Visa",
                Token = new CardToken("visa", "lpp-tok-1", "33101") { LastFour = "4242" },
            })),
            Verify: (r, _) => Assert.Null(r)),
        new(nameof(IFlexShopperClient.AddPaymentMethodAsync), "AddPaymentMethodAch", "POST", "paymentMethods/add", Customer: true,
            Body: """{"primary":false,"ach":{"routing":"011000015","account":"000123456789","accountType":"checking"}}""",
            Response: """{"data":{}}""",
            Invoke: (c, customer) => V(c.AddPaymentMethodAsync(customer, new AddPaymentMethodRequest { Ach = new AchAccount("011000015", "000123456789", "checking") })),
            Verify: (r, _) => Assert.Null(r)),
        new(nameof(IFlexShopperClient.ListPaymentMethodsAsync), "ListPaymentMethods", "GET", "customers/me/payment-methods", Customer: true, Body: null, // [INF] path
            Response: """{"data":[{"id":"5910c6805bffb3590e07cc1e","type":"card","cardBrand":"Visa","lastFour":"1234","firstSix":"411111","label":"My Visa Card"}]}""",
            Invoke: (c, customer) => R(c.ListPaymentMethodsAsync(customer)),
            Verify: (r, _) => Assert.Equal(new PaymentMethodSummary { Id = "5910c6805bffb3590e07cc1e", Type = "card", CardBrand = "Visa", LastFour = "1234", FirstSix = "411111", Label = "My Visa Card" },
                Assert.Single(Assert.IsAssignableFrom<IReadOnlyList<PaymentMethodSummary>>(r)))),
        new(nameof(IFlexShopperClient.ListPaymentMethodsAsync), "ListPaymentMethodsBareArray", "GET", "customers/me/payment-methods", Customer: true, Body: null,
            // The docs page's sample shows the list without the data envelope.
            Response: """[{"id":"pm-2","type":"card","lastFour":"4242"}]""",
            Invoke: (c, customer) => R(c.ListPaymentMethodsAsync(customer)),
            Verify: (r, _) => Assert.Equal("4242", Assert.Single(Assert.IsAssignableFrom<IReadOnlyList<PaymentMethodSummary>>(r)).LastFour)),

        // ---- Customer authentication ----
        new(nameof(IFlexShopperClient.SendPasscodeAsync), "SendPasscode", "POST", "users/u-1/send-passcode", Customer: false,
            Body: """{"transport":"sms"}""",
            Response: """{"status":200,"data":{}}""",
            Invoke: (c, _) => V(c.SendPasscodeAsync("u-1", PasscodeTransport.Sms)),
            Verify: (r, _) => Assert.Null(r)),
        new(nameof(IFlexShopperClient.PasscodeLoginAsync), "PasscodeLogin", "POST", "users/u-1/passcode-login", Customer: false,
            Body: """{"passcode":"482913"}""",
            Response: """{"data":{"token":"tok-login"}}""",
            Invoke: (c, _) => R(c.PasscodeLoginAsync("u-1", "482913")),
            Verify: (r, version) => Assert.Equal(new CustomerCredential("tok-login", version), r)),

        // ---- Customer application ----
        new(nameof(IFlexShopperClient.ApplyAsync), "Apply", "POST", "users/me/apply", Customer: true,
            Body: """
                {"street1":"1 Main St","city":"Miami","regionAbbr":"FL","postalCode":"33101","country":"US","mobilePhone":"3055550100",
                 "dateOfBirth":"1990-01-31","ssn":"123456789",
                 "employmentInformation":{"payFrequency":"biweekly","monthlyIncome":4200.5,"lastPayDate":"2026-01-02","nextPay":"2026-01-16"},
                 "bankAccount":{"routing":"011000015","account":"000123456789","type":"checking"},
                 "expectedPurchaseAmount":800}
                """,
            Response: """{"data":""" + User.Replace("WEEKLY", "150.25", StringComparison.Ordinal) + "}",
            Invoke: (c, customer) => R(c.ApplyAsync(customer, new ApplicationRequest
            {
                Street1 = "1 Main St",
                City = "Miami",
                Region = "FL",
                PostalCode = "33101",
                Country = "US",
                MobilePhone = "3055550100",
                DateOfBirth = "1990-01-31",
                Ssn = "123456789",
                // The next pay date goes out as the 3.1 page names it: nextPay (FlexShopperPaths.NextPayDateField).
                EmploymentInformation = new EmploymentInformation("biweekly", 4200.5m) { LastPayDate = "2026-01-02", NextPayDate = "2026-01-16" },
                BankAccount = new BankAccount("011000015", "000123456789", "checking"),
                ExpectedPurchaseAmount = 800m,
            }, customerIp: "203.0.113.7")),
            Verify: (r, _) => AssertUser(Assert.IsType<FlexShopperUser>(r)),
            Request: request =>
            {
                Assert.Equal("203.0.113.7", ClientHarness.Header(request, "customer-ip"));
                Assert.Equal("203.0.113.7", ClientHarness.Header(request, "x-real-ip"));
            }),
        new(nameof(IFlexShopperClient.GetVerificationQuestionsAsync), "VerifyQuestions", "GET", "users/me/verify-questions", Customer: true, Body: null,
            Response: """{"data":{"id":"qs-1","questions":[{"id":"q1","label":"Which team nickname is associated with a college you attended?","choices":[{"id":"c1","label":"Gators"},{"id":"c2","label":"None of the above"}]}]}}""",
            Invoke: (c, customer) => R(c.GetVerificationQuestionsAsync(customer)),
            Verify: (r, _) =>
            {
                var set = Assert.IsType<VerificationQuestions>(r);
                Assert.Equal("qs-1", set.Id);
                var question = Assert.Single(set.Questions);
                Assert.Equal("q1", question.Id);
                Assert.Equal([new VerificationChoice("c1", "Gators"), new VerificationChoice("c2", "None of the above")], question.Choices);
            }),
        new(nameof(IFlexShopperClient.VerifyAnswersAsync), "VerifyAnswers", "POST", "users/me/verify-answers", Customer: true, // [INF] path and body
            Body: """{"id":"qs-1","answers":[{"questionId":"q1","choiceId":"c2"}]}""",
            Response: """{"data":{"userId":"u-1","verificationStatus":"succeeded","decision":{"status":"approved","spendingLimit":900}}}""",
            Invoke: (c, customer) => R(c.VerifyAnswersAsync(customer, new VerifyAnswersRequest("qs-1", [new VerificationAnswer("q1", "c2")]))),
            Verify: (r, _) =>
            {
                var user = Assert.IsType<FlexShopperUser>(r);
                Assert.Equal("succeeded", user.VerificationStatus);
                Assert.Equal(900m, user.Decision?.SpendingLimit);
            }),
        new(nameof(IFlexShopperClient.ValidateRoutingNumberAsync), "RoutingNumber", "GET", "routing-numbers/011000015", Customer: false, Body: null, // [INF] path and response
            Response: """{"data":{"valid":true,"bankName":"Federal Reserve Bank"}}""",
            Invoke: (c, _) => R(c.ValidateRoutingNumberAsync("011000015")),
            Verify: (r, _) => Assert.Equal(new RoutingNumberInfo { Valid = true, BankName = "Federal Reserve Bank" }, r)),

        // ---- Leases ----
        new(nameof(IFlexShopperClient.CreateLeaseAsync), "CreateLease", "POST", "leases", Customer: true,
            Body: """{"transactionId":"order-1001","items":[{"brand":"Acme","sku":"TV-55","description":"55in TV","cost":499.99,"quantity":1}],"shipping":{"cost":19.95,"date":"2026-02-01","method":"ground"}}""",
            Response: """{"data":{"leaseId":"eyJ.lease.42","contract":"PGh0bWw+","frequency":"weekly","term":52,"payment":21.33,"cashPrice":519.94,"costOfRental":589.22}}""",
            Invoke: (c, customer) => R(c.CreateLeaseAsync(customer, new CreateLeaseRequest("order-1001", [new LeaseItem("Acme", "TV-55", "55in TV") { Cost = 499.99m, Quantity = 1 }])
            {
                Shipping = new ShippingInfo { Cost = 19.95m, Date = "2026-02-01", Method = "ground" },
            })),
            Verify: (r, _) => Assert.Equal(new CreatedLease
            {
                LeaseId = "eyJ.lease.42",
                Contract = "PGh0bWw+",
                Frequency = "weekly",
                Term = 52,
                Payment = 21.33m,
                CashPrice = 519.94m,
                CostOfRental = 589.22m,
            }, r)),
        new(nameof(IFlexShopperClient.GetLeaseAsync), "GetLease", "GET", "leases/lease-42", Customer: true, Body: null,
            Response: """{"data":{"leaseId":"lease-42","contract":"PGh0bWw+","leaseStatus":"unsigned","isExpired":false,"payment":"21.33"}}""",
            Invoke: (c, customer) => R(c.GetLeaseAsync(customer, "lease-42")),
            Verify: (r, _) => Assert.Equal(new Lease { LeaseId = "lease-42", Contract = "PGh0bWw+", LeaseStatus = "unsigned", IsExpired = false, Payment = 21.33m }, r)),
        new(nameof(IFlexShopperClient.SignLeaseAsync), "SignLease", "POST", "leases/lease-42/sign", Customer: true,
            Body: """{"ipAddress":"203.0.113.7","timestamp":"2026-02-01T10:00:00+00:00","signed":true}""",
            Response: """{"data":{}}""",
            Invoke: (c, customer) => V(c.SignLeaseAsync(customer, "lease-42", new SignLeaseRequest("203.0.113.7", SignedAt))),
            Verify: (r, _) => Assert.Null(r)),
        new(nameof(IFlexShopperClient.CheckoutAsync), "Checkout", "GET", "checkout", Customer: false, // as every doc page says: GET with a JSON body
            Body: """
                {"transactionId":"order-2002","items":[{"description":"Sofa","sku":"SOFA-1","cost":899.5,"brand":"Comfy","quantity":1,"condition":"new"}],
                 "customer":{"firstName":"Ada","lastName":"Lovelace","email":"ada@example.com","address":{"street1":"1 Main St","city":"Miami","region":"FL","postalCode":"33101"}}}
                """,
            Response: """{"data":{"id":"co-1","redirectUri":"https://pay.flexshopper.com/?id=co-1"}}""",
            Invoke: (c, _) => R(c.CheckoutAsync(new CheckoutRequest("order-2002", [new CheckoutItem("Sofa", "SOFA-1", 899.5m, "Comfy", 1) { Condition = "new" }])
            {
                Customer = new CheckoutCustomer("Ada", "Lovelace", "ada@example.com") { Address = new CheckoutAddress("1 Main St", "Miami", "FL", "33101") },
            })),
            Verify: (r, _) => Assert.Equal(new CheckoutResult("co-1", new Uri("https://pay.flexshopper.com/?id=co-1")), r)),

        // ---- Purchase transactions ----
        new(nameof(IFlexShopperClient.ListTransactionsAsync), "ListTransactions", "GET",
            "transactions?leaseStatus=signed&page=2&limit=50&fromDate=2026-01-01&toDate=2026-01-31", Customer: false, Body: null,
            Response: """
                {"data":{"transactions":[{"id":"order-1001","createdAt":"2026-01-03T00:00:00Z","shippingCost":19.95,"lease":{"id":"l-1","status":"signed"},
                  "items":[{"sku":"TV-55","description":"55in TV","brand":"Acme","cost":499.99,"quantity":1,"quantityByStatus":{"ordered":1,"shipped":0}}]}],
                 "meta":{"count":1,"totalPages":1,"page":2,"limit":50}}}
                """,
            Invoke: (c, _) => R(c.ListTransactionsAsync(new TransactionQuery
            {
                LeaseStatus = "signed",
                Page = 2,
                Limit = 50,
                FromDate = new DateOnly(2026, 1, 1),
                ToDate = new DateOnly(2026, 1, 31),
            })),
            Verify: (r, _) =>
            {
                var page = Assert.IsType<TransactionPage>(r);
                AssertTransaction(Assert.Single(page.Transactions));
                Assert.Equal(new PageMeta(1, 1, 2, 50), page.Meta);
            }),
        new(nameof(IFlexShopperClient.ListTransactionsAsync), "ListTransactionsUnfiltered", "GET", "transactions", Customer: false, Body: null,
            Response: """{"data":{"transactions":[]}}""",
            Invoke: (c, _) => R(c.ListTransactionsAsync(new TransactionQuery())),
            Verify: (r, _) => Assert.Empty(Assert.IsType<TransactionPage>(r).Transactions)),
        new(nameof(IFlexShopperClient.GetTransactionAsync), "GetTransaction", "GET", "transactions/order-1001", Customer: false, Body: null,
            Response: """
                {"data":{"id":"order-1001","createdAt":"2026-01-03T00:00:00Z","shippingCost":19.95,"lease":{"id":"l-1","status":"signed"},
                  "items":[{"sku":"TV-55","description":"55in TV","brand":"Acme","cost":499.99,"quantity":1,"quantityByStatus":{"ordered":1,"shipped":0}}]}}
                """,
            Invoke: (c, _) => R(c.GetTransactionAsync("order-1001")),
            Verify: (r, _) => AssertTransaction(Assert.IsType<PurchaseTransaction>(r))),
        new(nameof(IFlexShopperClient.GetTransactionAsync), "GetTransactionFinalized", "GET", "transactions/order-1001", Customer: false, Body: null,
            // [INF] fields: the numbers Finalize answered, assumed shown on the transaction once finalized.
            Response: """{"data":{"id":"order-1001","lease":{"id":"l-1","status":"signed"},"leaseNumber":"LS-1","loanNumber":"LN-1"}}""",
            Invoke: (c, _) => R(c.GetTransactionAsync("order-1001")),
            Verify: (r, _) => Assert.Equal(("LS-1", "LN-1"), (Assert.IsType<PurchaseTransaction>(r).LeaseNumber, ((PurchaseTransaction)r!).LoanNumber))),
        new(nameof(IFlexShopperClient.FinalizeAsync), "Finalize", "POST", "transactions/order-1001/finalize", Customer: false, Body: null,
            Response: """{"data":{"transactionId":"order-1001","loanNumber":"LN-1","leaseNumber":"LS-1"}}""",
            Invoke: (c, _) => R(c.FinalizeAsync("order-1001")),
            Verify: (r, _) => Assert.Equal(new FinalizeResult("order-1001", "LN-1", "LS-1"), r)),
        new(nameof(IFlexShopperClient.CancelItemsAsync), "CancelItems", "POST", "transactions/order-1001/cancel", Customer: false,
            Body: """{"items":[{"sku":"TV-55","quantity":1},{"sku":"MOUNT"}]}""",
            Response: """{"data":{"canceled":[{"sku":"TV-55","quantity":1}],"failed":[{"sku":"MOUNT"}]}}""",
            Invoke: (c, _) => R(c.CancelItemsAsync("order-1001", new ItemsRequest([new ItemQuantity("TV-55", 1), new ItemQuantity("MOUNT", null)]))),
            Verify: (r, _) =>
            {
                var result = Assert.IsType<CancelItemsResult>(r);
                Assert.Equal([new ItemQuantity("TV-55", 1)], result.Canceled);
                Assert.Equal([new ItemQuantity("MOUNT", null)], result.Failed);
            }),
        new(nameof(IFlexShopperClient.CancelItemsAsync), "CancelWholeTransaction", "POST", "transactions/order-1001/cancel", Customer: false,
            Body: "{}", // no items: the whole transaction
            Response: """{"data":{"canceled":[{"sku":"TV-55","quantity":1}],"failed":[]}}""",
            Invoke: (c, _) => R(c.CancelItemsAsync("order-1001", new ItemsRequest(null))),
            Verify: (r, _) => Assert.Empty(Assert.IsType<CancelItemsResult>(r).Failed!)),
        new(nameof(IFlexShopperClient.ReturnItemsAsync), "ReturnItems", "POST", "transactions/order-1001/return", Customer: false,
            Body: """{"items":[{"sku":"TV-55","quantity":1}]}""",
            Response: """{"data":{"returned":[{"sku":"TV-55","quantity":1}],"failed":[]}}""",
            Invoke: (c, _) => R(c.ReturnItemsAsync("order-1001", new ItemsRequest([new ItemQuantity("TV-55", 1)]))),
            Verify: (r, _) =>
            {
                var result = Assert.IsType<ReturnItemsResult>(r);
                Assert.Equal([new ItemQuantity("TV-55", 1)], result.Returned);
                Assert.Empty(result.Failed!);
            }),
        new(nameof(IFlexShopperClient.ConfirmShipmentAsync), "ConfirmShipment", "POST", "transactions/order-1001/confirm-shipment", Customer: false,
            Body: """{"items":[{"carrier":"ground","shipDate":"2026-02-03","sku":"TV-55","quantity":1,"trackingNumber":"1Z999"}]}""",
            Response: """{"data":{}}""",
            Invoke: (c, _) => V(c.ConfirmShipmentAsync("order-1001", new ShipmentConfirmation([new ShippedItem("ground", "2026-02-03") { Sku = "TV-55", Quantity = 1, TrackingNumber = "1Z999" }]))),
            Verify: (r, _) => Assert.Null(r)),
        new(nameof(IFlexShopperClient.ConfirmReceiptAsync), "ConfirmReceipt", "POST", "transactions/order-1001/confirm-receipt", Customer: false, // [INF] path and body
            Body: """{"items":[{"sku":"TV-55","quantity":1,"receivedDate":"2026-02-05"}]}""",
            Response: """{"data":{}}""",
            Invoke: (c, _) => V(c.ConfirmReceiptAsync("order-1001", new ReceiptConfirmation([new ReceivedItem { Sku = "TV-55", Quantity = 1, ReceivedDate = "2026-02-05" }]))),
            Verify: (r, _) => Assert.Null(r)),

        // ---- Catalog and settings ----
        new(nameof(IFlexShopperClient.GetProductsAsync), "GetProducts", "GET", "products?page=3", Customer: false, Body: null,
            Response: """{"data":{"products":[{"sku":"TV-55","name":"55in TV","url":"https://www.flexshopper.com/product/tv-55"}]}}""",
            Invoke: (c, _) => R(c.GetProductsAsync(3)),
            Verify: (r, _) => Assert.Equal([new Product("TV-55", "55in TV", "https://www.flexshopper.com/product/tv-55")], Assert.IsType<ProductPage>(r).Products)),
        new(nameof(IFlexShopperClient.GetLeaseSettingsAsync), "LeaseSettings", "GET", "settings/lease", Customer: false, Body: null,
            Response: """{"data":{"minimumOrderValue":49.95}}""",
            Invoke: (c, _) => R(c.GetLeaseSettingsAsync()),
            Verify: (r, _) => Assert.Equal(new LeaseSettings(49.95m), r)),
    ];

    public static TheoryData<string> Names => new(All.Select(c => c.Name));

    [Theory]
    [MemberData(nameof(Names))]
    public async Task Each_call_sends_the_documented_request_and_reads_the_documented_response(string name)
    {
        var endpoint = All.Single(c => c.Name == name);
        using var harness = ClientHarness.Start();
        harness.RespondToAll(200, endpoint.Response);
        var customer = await harness.CustomerAsync();

        var result = await endpoint.Invoke(harness.Client, customer);

        var request = harness.SingleRequest();
        ClientHarness.AssertRequest(request, endpoint.Method, endpoint.Path, endpoint.Customer ? customer.Token : null, endpoint.Body);
        endpoint.Request?.Invoke(request);
        endpoint.Verify(result, customer.KeyVersion);
    }

    [Fact]
    public void Every_client_method_has_a_contract_case()
    {
        var covered = All.Select(c => c.Covers).ToHashSet();
        var missing = typeof(IFlexShopperClient).GetMethods().Select(m => m.Name).Where(n => !covered.Contains(n)).ToList();
        Assert.True(missing.Count == 0, "no contract case for: " + string.Join(", ", missing));
    }

    [Fact]
    public async Task Path_segments_are_escaped()
    {
        using var harness = ClientHarness.Start();
        harness.RespondToAll(200, """{"data":{"id":"a b/c?d","lease":{"id":"l","status":"pending"}}}""");

        var transaction = await harness.Client.GetTransactionAsync("a b/c?d");

        Assert.Equal("transactions/a%20b%2Fc%3Fd", ClientHarness.PathAndQuery(harness.SingleRequest()));
        Assert.Equal("a b/c?d", transaction.Id);
    }

    private static void AssertUser(FlexShopperUser user)
    {
        Assert.Equal("u-1", user.UserId);
        Assert.Equal("ada@example.com", user.Email);
        Assert.Equal(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero), user.CreatedAt);
        Assert.Equal("succeeded", user.VerificationStatus);
        var transaction = Assert.Single(user.Transactions!);
        Assert.Equal("order-1001", transaction.Id);
        Assert.Equal(new UserTransactionLease("l-1", "signed"), transaction.Lease);
        var decision = user.Decision!;
        Assert.True(decision.Approved);
        Assert.Equal("approved", decision.Status);
        Assert.Equal(1500.55m, decision.SpendingLimit);
        Assert.Equal(1234.56m, decision.AvailableBalance);
        Assert.Equal(150.25m, decision.AvailableWeeklySpending);
        Assert.Equal("app-9", decision.ApplicationId);
    }

    private static void AssertTransaction(PurchaseTransaction transaction)
    {
        Assert.Equal("order-1001", transaction.Id);
        Assert.Equal(19.95m, transaction.ShippingCost);
        Assert.Equal(new TransactionLease("l-1", "signed"), transaction.Lease);
        var item = Assert.Single(transaction.Items!);
        Assert.Equal(("TV-55", "Acme", 499.99m), (item.Sku, item.Brand, item.Cost));
        Assert.Equal(1, item.Quantity!.Value.GetInt32());
        Assert.Equal(JsonValueKind.Object, item.QuantityByStatus!.Value.ValueKind);
    }

    private static async Task<object?> R<T>(Task<T> call) => await call;

    private static async Task<object?> V(Task call)
    {
        await call;
        return null;
    }

    /// <summary>One row of the contract table; <paramref name="Covers"/> is the interface method it exercises.</summary>
    private sealed record EndpointCase(
        string Covers,
        string Name,
        string Method,
        string Path,
        bool Customer,
        string? Body,
        string Response,
        Func<IFlexShopperClient, CustomerCredential, Task<object?>> Invoke,
        Action<object?, string> Verify,
        Action<IRequestMessage>? Request = null);
}
