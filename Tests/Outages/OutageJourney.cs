using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using FlexFunctions.Functions.Http;
using FlexFunctions.Functions.Queues;
using FlexFunctions.Shared.Confirmations;
using FlexFunctions.Shared.Storage;
using FlexFunctions.Tests.Emulator;
using FlexFunctions.Tests.EndToEnd;
using FlexFunctions.Tests.Infrastructure;
using FlexFunctions.Tests.StorePlatforms;

namespace FlexFunctions.Tests.Outages;

/// <summary>
/// A store's day in progress, made with everything up, so every route has something real to act on during an outage:
/// customers at each step (signed up, applied, in identity verification, with a passcode waiting), leases at each
/// step (unsigned, signed, finalized), a refreshed catalog, failed warehouse events, and a finalized lease per store
/// platform whose fulfilment the platform delivers. Each route's probe is independent of the others', so all of them
/// can be called at once.
/// </summary>
public sealed class OutageJourney
{
    public const string CustomerIp = "203.0.113.7";

    /// <summary>The store platforms' routes: each delivers one fulfilment of its own lease, signed as the platform signs.</summary>
    public static readonly IReadOnlyList<string> PlatformFunctions = [StorePlatformFunctions.ShopifyName, StorePlatformFunctions.WooCommerceName, StorePlatformFunctions.StandardName];

    // Shopify's and WooCommerce's order ids are the transaction ids (their default setting): unique per journey,
    // since one emulator can serve several journeys.
    private static long _orderIds = 7_700_000_000;

    private readonly string _tag;
    private readonly Dictionary<string, string> _ids = new(StringComparer.Ordinal);
    private readonly long _shopifyOrder = Interlocked.Increment(ref _orderIds);
    private readonly long _wooOrder = Interlocked.Increment(ref _orderIds);

    private OutageJourney(string tag) => _tag = tag;

    /// <summary>The emulator's app settings with the platforms' secrets set locally (no Key Vault), as the platform probes sign with them.</summary>
    public static Dictionary<string, string?> AppSettings(RunningEmulator emulator)
    {
        var settings = emulator.AppSettings();
        PlatformBed.AddSecrets(settings);
        return settings;
    }

    /// <summary>The transaction each platform's delivery confirms, by function name.</summary>
    public IReadOnlyDictionary<string, string> PlatformTransactions => new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [StorePlatformFunctions.ShopifyName] = _shopifyOrder.ToString(CultureInfo.InvariantCulture),
        [StorePlatformFunctions.WooCommerceName] = _wooOrder.ToString(CultureInfo.InvariantCulture),
        [StorePlatformFunctions.StandardName] = "std-" + _tag,
    };

    public string Session => _ids["A.session"];

    public string Id(string name) => _ids[name];

    /// <summary>The Idempotency-Key each idempotent probe sends (the store retries with the same one after the outage).</summary>
    public string Key(string operation) => $"{operation}-{_tag}";

    /// <summary>A lease created before the outage with this key: replaying it afterwards shows the record survived.</summary>
    public string EarlierLeaseKey => "earlier-lease-" + _tag;

    public string ShipmentTransaction => "ship-" + _tag;

    public static async Task<OutageJourney> PrepareAsync(TestServices app, RunningEmulator emulator, string tag, byte[]? signingSecret = null)
    {
        var j = new OutageJourney(tag);
        await app.Get<WarehouseQueue>().Client.CreateIfNotExistsAsync(); // infra creates it in Azure, run-local.sh locally
        async Task<JsonElement> Call(string function, RouteCall call, int expected)
        {
            var answer = await RouteSweep.CallAsync(app, function, call, signingSecret);
            Assert.True(answer.Result.Status == expected, $"setup {function}: {answer} {answer.Result.Body}");
            return answer.Result.Body.Length == 0 ? default : answer.Result.Json;
        }

        async Task<(string UserId, string Session)> SignUp(string who)
        {
            var created = await Call("CreateCustomer", new RouteCall(Body: Customer($"{who}.{tag}@example.com")), 201);
            return (created.GetProperty("userId").GetString()!, created.GetProperty("session").GetString()!);
        }

        (j._ids["A.user"], j._ids["A.session"]) = await SignUp("approved");
        await Call("StartApplication", new RouteCall(Body: Application("123456781"), Session: j.Session), 200);
        (_, j._ids["B.session"]) = await SignUp("applying");
        (_, j._ids["C.session"]) = await SignUp("questions");
        await Call("StartApplication", new RouteCall(Body: Application("123456789"), Session: j._ids["C.session"]), 200);
        (_, j._ids["D.session"]) = await SignUp("answers");
        await Call("StartApplication", new RouteCall(Body: Application("123456789"), Session: j._ids["D.session"]), 200);
        j._ids["D.questions"] = (await Call("GetVerificationQuestions", new RouteCall(Session: j._ids["D.session"]), 200)).GetProperty("id").GetString()!;
        (j._ids["E.user"], _) = await SignUp("login");
        await Call("RequestPasscode", new RouteCall(Values: new Dictionary<string, string> { ["userId"] = j._ids["E.user"] }, Body: """{"transport":"email"}"""), 202);
        j._ids["E.passcode"] = emulator.State.Outbox(j._ids["E.user"])[^1].Passcode;
        (j._ids["F.user"], _) = await SignUp("passcode");
        (_, j._ids["G.session"]) = await SignUp("platform-buyer");
        await Call("StartApplication", new RouteCall(Body: Application("123456781"), Session: j._ids["G.session"]), 200);

        async Task<string> Lease(string transactionId, string? key = null, string? session = null) =>
            (await Call("CreateLease", new RouteCall(Body: LeaseBody(transactionId), Session: session ?? j.Session, IdempotencyKey: key), 201)).GetProperty("leaseId").GetString()!;
        async Task Sign(string leaseId, string? session = null) =>
            await Call("SignLease", new RouteCall(Values: new Dictionary<string, string> { ["leaseId"] = leaseId }, Body: $$"""{"customerIp":"{{CustomerIp}}"}""", Session: session ?? j.Session), 200);

        j._ids["lease.get"] = await Lease("get-" + tag, j.EarlierLeaseKey);
        j._ids["lease.sign"] = await Lease("sign-" + tag);
        await Sign(await Lease("fin-" + tag));
        await Sign(await Lease(j.ShipmentTransaction));
        await Call("FinalizeTransaction", new RouteCall(Values: new Dictionary<string, string> { ["id"] = j.ShipmentTransaction }), 200);

        // A finalized lease per platform (another customer's: the first one's spending limit is used up), and each
        // platform's route called once with a delivery that queues nothing, so its secret is cached as the API key is.
        foreach (var transactionId in j.PlatformTransactions.Values)
        {
            await Sign(await Lease(transactionId, session: j._ids["G.session"]), j._ids["G.session"]);
            await Call("FinalizeTransaction", new RouteCall(Values: new Dictionary<string, string> { ["id"] = transactionId }), 200);
        }

        await Call(StorePlatformFunctions.ShopifyName, ShopifyCall("orders/create", PlatformSamples.ShopifyOrderObject().ToJsonString(), "warm-" + tag), 200);
        await Call(StorePlatformFunctions.WooCommerceName, WooCall(PlatformSamples.WooOrder("processing").ToJsonString(), "warm-" + tag), 200);
        await Call(StorePlatformFunctions.StandardName, StandardCall("{}", "msg_warm_" + tag), 400); // verified, then refused by the contract

        await Call("CatalogRefreshNow", new RouteCall(), 200);

        var processor = app.Get<ConfirmationProcessor>();
        Assert.Equal(ProcessOutcome.Rejected, await processor.ProcessAsync(new WarehouseDelivery("not an event " + tag, "bad-" + tag, 1), CancellationToken.None));
        j._ids["failed.id"] = EventKey.Hash("not an event " + tag);
        await processor.RecordPoisonedAsync(new WarehouseDelivery(AppDriver.Shipment("poisoned-" + tag, "EMU-00001", 1, "P-" + tag), "poison-" + tag, 8), CancellationToken.None);
        return j;
    }

    /// <summary>The probe of every HTTP function but the dependency-free ones, each on its own part of the journey.</summary>
    public IReadOnlyDictionary<string, RouteProbe> Probes()
    {
        const Needs Store = Needs.ApiKey | Needs.Signature;
        const Needs Customer = Needs.Sessions | Needs.ApiKey | Needs.Signature;
        const Needs Platform = Needs.Tables | Needs.PlatformSecret;
        Dictionary<string, string> V(string name, string value) => new() { [name] = value };
        return new Dictionary<string, RouteProbe>(StringComparer.Ordinal)
        {
            ["LookupCustomer"] = new(Store, 200, () => new RouteCall(Query: "?email=" + Uri.EscapeDataString($"approved.{_tag}@example.com"))),
            ["VerifyCustomer"] = new(Store, 200, () => new RouteCall(Body: $$$"""{"email":"approved.{{{_tag}}}@example.com","phone":"5615550100","address":{"street1":"1 Ocean Blvd","city":"Boca Raton","region":"FL","postalCode":"33431"}}""")),
            ["CreateCustomer"] = new(Customer, 201, () => new RouteCall(Body: OutageJourney.Customer($"new.{Guid.NewGuid():N}@example.com"))),
            ["RequestPasscode"] = new(Store | Needs.Tables, 202, () => new RouteCall(V("userId", _ids["F.user"]), """{"transport":"email"}""")),
            ["LoginCustomer"] = new(Customer | Needs.Tables, 200, () => new RouteCall(V("userId", _ids["E.user"]), $$"""{"passcode":"{{_ids["E.passcode"]}}"}""")),
            ["GetCurrentCustomer"] = new(Customer, 200, () => new RouteCall(Session: Session)),
            ["StartApplication"] = new(Customer, 200, () => new RouteCall(Body: Application("123456781"), Session: _ids["B.session"])),
            ["GetVerificationQuestions"] = new(Customer, 200, () => new RouteCall(Session: _ids["C.session"])),
            ["SubmitVerificationAnswers"] = new(Customer, 200, () => new RouteCall(Session: _ids["D.session"], Body: $$"""
                {"id":"{{_ids["D.questions"]}}","answers":[{"questionId":"q1","choiceId":"q1-b"},{"questionId":"q2","choiceId":"q2-a"},{"questionId":"q3","choiceId":"q3-c"}]}
                """)),
            ["ValidateRoutingNumber"] = new(Store, 200, () => new RouteCall(V("routing", "021000021"))),
            ["AddPaymentMethod"] = new(Customer, 201, () => new RouteCall(Session: Session, Body: """{"ach":{"routing":"011000015","account":"000123456789","accountType":"checking"}}""")),
            ["GetPaymentChildKey"] = new(Store, 200, () => new RouteCall()),
            ["CreateLease"] = new(Customer | Needs.Tables, 201, () => new RouteCall(Body: LeaseBody("new-" + _tag), Session: Session, IdempotencyKey: Key("lease"))),
            ["GetLease"] = new(Customer, 200, () => new RouteCall(V("leaseId", _ids["lease.get"]), Session: Session)),
            ["SignLease"] = new(Customer | Needs.Tables, 200, () => new RouteCall(V("leaseId", _ids["lease.sign"]), $$"""{"customerIp":"{{CustomerIp}}"}""", Session: Session, IdempotencyKey: Key("sign"))),
            ["Checkout"] = new(Store, 200, () => new RouteCall(Body: $$"""{"transactionId":"checkout-{{_tag}}","items":[{"brand":"Acme","sku":"EMU-00005","description":"Television","cost":99.50,"quantity":1}]}""")),
            ["FinalizeTransaction"] = new(Store | Needs.Tables, 200, () => new RouteCall(V("id", "fin-" + _tag), IdempotencyKey: Key("finalize"))),
            ["GetTransaction"] = new(Store, 200, () => new RouteCall(V("id", "get-" + _tag))),
            ["ListTransactions"] = new(Store, 200, () => new RouteCall(Query: "?page=1&limit=5")),
            ["CatalogList"] = new(Needs.Tables, 200, () => new RouteCall(Query: "?pageSize=5")),
            ["CatalogGetProduct"] = new(Needs.Tables, 200, () => new RouteCall(V("sku", "EMU-00005"))),
            ["CatalogStatus"] = new(Needs.Tables, 200, () => new RouteCall()),
            ["CatalogLeaseSettings"] = new(Needs.Tables, 200, () => new RouteCall()),
            ["CatalogRefreshNow"] = new(Needs.Tables | Needs.ApiKey, 200, () => new RouteCall()),
            ["WarehouseFailedEventsList"] = new(Needs.Tables, 200, () => new RouteCall(Query: "?kind=failed")),
            ["WarehouseFailedEventReplay"] = new(Needs.Tables, 200, () => new RouteCall(new Dictionary<string, string> { ["kind"] = FailedEventKinds.Failed, ["id"] = _ids["failed.id"] })),
            ["WarehouseFailedEventsReplayAll"] = new(Needs.Tables, 200, () => new RouteCall(Query: "?kind=" + FailedEventKinds.Poisoned)),
            // The platforms need their secret and storage (the delivery-id table, the queue); each delivers a fulfilment.
            [StorePlatformFunctions.ShopifyName] = new(Platform, 200, () => ShopifyCall("fulfillments/create", ShopifyFulfilment(), "outage-" + _tag)),
            [StorePlatformFunctions.WooCommerceName] = new(Platform, 200, () => WooCall(WooCompleted(), "outage-" + _tag)),
            [StorePlatformFunctions.StandardName] = new(Platform, 200, () => StandardCall(
                AppDriver.Shipment(PlatformTransactions[StorePlatformFunctions.StandardName], PlatformSku, 1, "standard-" + _tag), "msg_outage_" + _tag)),
            // Readiness checks every dependency; its expected answer is given per outage.
            ["HealthReady"] = new(Needs.None, 200, () => new RouteCall()),
        };
    }

    /// <summary>
    /// The store platforms retry the deliveries an outage refused, with the same delivery ids: each is accepted and
    /// queues its one event, a further retry is a duplicate that queues nothing, and the queue function (run here as
    /// the host runs it) confirms each at FlexShopper exactly once. Returns a line for the test's output.
    /// </summary>
    public async Task<string> RetryPlatformDeliveriesAsync(TestServices app, RunningEmulator emulator)
    {
        var probes = Probes();
        foreach (var function in PlatformFunctions)
        {
            var first = await RouteSweep.CallAsync(app, function, probes[function].Call());
            var again = await RouteSweep.CallAsync(app, function, probes[function].Call());
            Assert.True(first.Result.Status == 200, $"{first} {first.Result.Body}");
            Assert.Equal(("accepted", 1, 0), (first.Result.Json.GetProperty("outcome").GetString(), first.Result.Json.GetProperty("events").GetInt32(), first.Result.Json.GetProperty("skipped").GetInt32()));
            Assert.Equal((200, "duplicate"), (again.Result.Status, again.Result.Json.GetProperty("outcome").GetString()));
        }

        var mine = PlatformTransactions.Values.ToHashSet(StringComparer.Ordinal);
        var queue = app.Get<WarehouseQueue>().Client;
        var reader = app.Get<WarehouseMessageReader>();
        var queueFunction = new WarehouseEventsFunction(app.Get<ConfirmationProcessor>());
        var delivered = new List<string>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (delivered.Count < mine.Count && DateTime.UtcNow < deadline)
        {
            var batch = (await queue.ReceiveMessagesAsync(maxMessages: 16, visibilityTimeout: TimeSpan.FromSeconds(30))).Value;
            foreach (var message in batch)
            {
                if (reader.Read(message.Body.ToString()).Event is { } e && mine.Contains(e.TransactionId))
                {
                    await queueFunction.Run(message, CancellationToken.None);
                    await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
                    delivered.Add(e.TransactionId);
                }
                else
                {
                    await queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: TimeSpan.Zero);
                }
            }

            if (batch.Length == 0)
            {
                await Task.Delay(100);
            }
        }

        Assert.Equal(mine.Order(StringComparer.Ordinal), delivered.Order(StringComparer.Ordinal)); // one event per delivery, none twice
        foreach (var transactionId in mine)
        {
            Assert.Equal(1, emulator.State.Requests.Count(r => r is { Method: "POST" } && r.Path == $"/v3/transactions/{transactionId}/confirm-shipment"));
        }

        Assert.Empty(emulator.State.DuplicateConfirmations);
        return $"after recovery: each platform's retried delivery was accepted once (a further retry: duplicate) and FlexShopper received confirm-shipment 1 time for each of {string.Join(", ", PlatformFunctions)}";
    }

    public static string Customer(string email) => $$"""{"firstName":"Ada","lastName":"Lovelace","email":"{{email}}","locale":"en"}""";

    /// <summary>SSN ending 1 approves ($3,000 limit at this income), ending 9 asks identity questions.</summary>
    public static string Application(string ssn) => $$"""
        {"street1":"1 Ocean Blvd","city":"Boca Raton","region":"FL","postalCode":"33431","country":"US","mobilePhone":"5615550100",
         "dateOfBirth":"1990-04-01","ssn":"{{ssn}}","employmentInformation":{"payFrequency":"biweekly","monthlyIncome":6000},
         "bankAccount":{"routing":"011000015","account":"000123456789","type":"checking"},"customerIp":"{{CustomerIp}}"}
        """;

    private const string PlatformSku = "EMU-00021";

    private string ShopifyFulfilment()
    {
        var fulfilment = JsonNode.Parse(PlatformSamples.ShopifyFulfillment(_shopifyOrder, "1Z999AA10123456784", new PlatformSamples.Line(1, PlatformSku, 1, "Television")))!;
        fulfilment["order_id"] = _shopifyOrder;
        return fulfilment.ToJsonString();
    }

    private string WooCompleted()
    {
        var order = PlatformSamples.WooOrder("completed", lines: [new PlatformSamples.Line(1, PlatformSku, 1, "Television")]);
        order["id"] = _wooOrder;
        return order.ToJsonString();
    }

    /// <summary>A Shopify delivery as Shopify sends it: topic, shop, webhook id and the HMAC of the body.</summary>
    private static RouteCall ShopifyCall(string topic, string body, string webhookId) => new(Body: body, Headers: new Dictionary<string, string>
    {
        ["X-Shopify-Topic"] = topic,
        ["X-Shopify-Shop-Domain"] = "flex-demo.myshopify.com",
        ["X-Shopify-Webhook-Id"] = webhookId,
        ["X-Shopify-Hmac-SHA256"] = PlatformBed.Base64Hmac(PlatformBed.ShopifySecret, body),
    });

    private static RouteCall WooCall(string body, string deliveryId) => new(Body: body, Headers: new Dictionary<string, string>
    {
        ["X-WC-Webhook-Topic"] = "order.updated",
        ["X-WC-Webhook-Source"] = "https://shop.example.com/",
        ["X-WC-Webhook-Delivery-ID"] = deliveryId,
        ["X-WC-Webhook-Signature"] = PlatformBed.Base64Hmac(PlatformBed.WooSecret, body),
    });

    /// <summary>Signed when called: a Standard Webhooks sender signs each attempt with its time, keeping the message id.</summary>
    private static RouteCall StandardCall(string body, string messageId) =>
        new(Body: body, Headers: PlatformBed.StandardHeaders(body, messageId, DateTimeOffset.UtcNow, PlatformBed.StandardSecret));

    /// <summary>$450: EMU-00021 x1 at $300 and EMU-00022 x2 at $75.</summary>
    public static string LeaseBody(string transactionId) => string.Create(CultureInfo.InvariantCulture, $$$"""
        {"transactionId":"{{{transactionId}}}","items":[
          {"brand":"Acme","sku":"EMU-00021","description":"Television","cost":300.00,"quantity":1},
          {"brand":"Acme","sku":"EMU-00022","description":"Soundbar","cost":75.00,"quantity":2}],
         "shipping":{"cost":0,"method":"ground"}}
        """);
}
