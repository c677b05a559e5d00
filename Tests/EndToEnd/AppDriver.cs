using System.Text.Json;
using Azure.Storage.Queues.Models;
using FlexFunctions.Functions.Http;
using FlexFunctions.Functions.Queues;
using FlexFunctions.Functions.Timers;
using FlexFunctions.Shared.Confirmations;
using FlexFunctions.Shared.CustomerAuth;
using FlexFunctions.Shared.Http;
using FlexFunctions.Shared.Storage;
using FlexFunctions.Tests.Confirmations;
using FlexFunctions.Tests.Emulator;
using FlexFunctions.Tests.Http;
using FlexFunctions.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace FlexFunctions.Tests.EndToEnd;

/// <summary>
/// Drives the app the way the Functions host would: the store's HTTP calls go to the function classes (built from
/// the real graph) and come back as executed results; warehouse messages travel through the real Azurite queue
/// and are handed to the queue function, deleted on success and made visible again on failure (a redelivery).
/// </summary>
internal sealed class AppDriver(TestServices app, RunningEmulator emulator)
{
    private readonly CustomerFunctions _customers = HttpTestKit.Create<CustomerFunctions>(app.Provider);
    private readonly ApplicationFunctions _applications = HttpTestKit.Create<ApplicationFunctions>(app.Provider);
    private readonly LeaseFunctions _leases = HttpTestKit.Create<LeaseFunctions>(app.Provider);
    private readonly WarehouseEventsFunction _warehouse = HttpTestKit.Create<WarehouseEventsFunction>(app.Provider);
    private readonly CatalogFunctions _catalog = HttpTestKit.Create<CatalogFunctions>(app.Provider);
    private readonly CatalogRefreshTimer _catalogTimer = HttpTestKit.Create<CatalogRefreshTimer>(app.Provider);
    private readonly List<string> _messages = [];

    public TestServices App { get; } = app;

    /// <summary>The signed-in customer's session, sent as <c>X-Customer-Session</c> once set.</summary>
    public string? Session { get; set; }

    /// <summary>Every value that must never reach a log line, gathered as the journey goes.</summary>
    public List<string> Secrets { get; } = [RunningEmulator.Key];

    public WarehouseQueue Queue => App.Get<WarehouseQueue>();

    // ---- The store's side ----

    public async Task<string> SignUpAsync(string email)
    {
        var lookup = await Send("GET", "v1/customers/lookup", r => _customers.LookupCustomer(r, default), query: "?email=" + Uri.EscapeDataString(email));
        Assert.Equal((200, false), (lookup.Status, lookup.Json.GetProperty("exists").GetBoolean()));

        var created = await Send("POST", "v1/customers", r => _customers.CreateCustomer(r, default),
            $$"""{"firstName":"Ada","lastName":"Lovelace","email":"{{email}}","locale":"en"}""");
        Assert.True(created.Status == 201, created.Body);
        var userId = created.Json.GetProperty("userId").GetString()!;
        Remember(created.Json.GetProperty("session").GetString()!);
        return userId;
    }

    /// <summary>Sign-up as the store sends it, optionally with an Idempotency-Key; the session (if any) is not kept.</summary>
    public Task<HttpResult> CreateCustomerAsync(string email, string? idempotencyKey = null) =>
        Send("POST", "v1/customers", r => _customers.CreateCustomer(r, default),
            $$"""{"firstName":"Ada","lastName":"Lovelace","email":"{{email}}","locale":"en"}""", idempotencyKey);

    /// <summary>The customer's bank account (<see cref="JourneyDriver.Account"/>) or a card token, as the store sends it.</summary>
    public Task<HttpResult> AddPaymentMethodAsync(bool card, string? idempotencyKey = null)
    {
        Secrets.AddRange([JourneyDriver.Account, JourneyDriver.Routing]);
        return Send("POST", "v1/payment-methods", r => _applications.AddPaymentMethod(r, default), card
            ? """{"primary":true,"label":"Visa","card":{"cardType":"visa","token":"lpp-tok-lost","billingZip":"33431","lastFour":"4242","firstSix":"411111"}}"""
            : $$$"""{"primary":true,"ach":{"routing":"{{{JourneyDriver.Routing}}}","account":"{{{JourneyDriver.Account}}}","accountType":"checking"}}""",
            idempotencyKey);
    }

    /// <summary>Passcode sent to the emulator's outbox, read from there, and exchanged for a session.</summary>
    public async Task LogInAsync(string userId)
    {
        var sent = await Send("POST", $"v1/customers/{userId}/passcode", r => _customers.RequestPasscode(r, userId, default), """{"transport":"email"}""");
        Assert.True(sent.Status == 202, sent.Body);
        var passcode = emulator.State.Outbox(userId)[^1].Passcode;
        Secrets.Add(passcode);

        var login = await Send("POST", $"v1/customers/{userId}/login", r => _customers.LoginCustomer(r, userId, default), $$"""{"passcode":"{{passcode}}"}""");
        Assert.True(login.Status == 200, login.Body);
        Assert.Equal(userId, login.Json.GetProperty("userId").GetString());
        Session = Remember(login.Json.GetProperty("session").GetString()!);
    }

    public Task<HttpResult> MeAsync() => Send("GET", "v1/customers/me", r => _customers.GetCurrentCustomer(r, default));

    public Task<HttpResult> RoutingAsync(string routing) =>
        Send("GET", "v1/routing-numbers/" + routing, r => _applications.ValidateRoutingNumber(r, routing, default));

    public Task<HttpResult> ApplyAsync(string ssn)
    {
        Secrets.AddRange([ssn, JourneyDriver.Account, JourneyDriver.Routing]);
        return Send("POST", "v1/applications", r => _applications.StartApplication(r, default), $$"""
            {"street1":"1 Ocean Blvd","city":"Boca Raton","region":"FL","postalCode":"33431","country":"US","mobilePhone":"5615550100",
             "dateOfBirth":"1990-04-01","ssn":"{{ssn}}","employmentInformation":{"payFrequency":"biweekly","monthlyIncome":4000},
             "bankAccount":{"routing":"{{JourneyDriver.Routing}}","account":"{{JourneyDriver.Account}}","type":"checking"},"customerIp":"203.0.113.7"}
            """);
    }

    public Task<HttpResult> QuestionsAsync() => Send("GET", "v1/applications/questions", r => _applications.GetVerificationQuestions(r, default));

    public Task<HttpResult> AnswerAsync(string questionsId, IEnumerable<(string Question, string Choice)> answers) =>
        Send("POST", "v1/applications/answers", r => _applications.SubmitVerificationAnswers(r, default), JsonSerializer.Serialize(new
        {
            id = questionsId,
            answers = answers.Select(a => new { questionId = a.Question, choiceId = a.Choice }),
        }));

    /// <summary>Two items (A x1 at $300, B x2 at $75): $450.</summary>
    public Task<HttpResult> CreateLeaseAsync(string transactionId, string skuA, string skuB, string? idempotencyKey = null) =>
        Send("POST", "v1/leases", r => _leases.CreateLease(r, default), $$"""
            {"transactionId":"{{transactionId}}","items":[
              {"brand":"Acme","sku":"{{skuA}}","description":"Television","cost":300.00,"quantity":1},
              {"brand":"Acme","sku":"{{skuB}}","description":"Soundbar","cost":75.00,"quantity":2}],
             "shipping":{"cost":0,"method":"ground"} }
            """, idempotencyKey);

    public Task<HttpResult> GetLeaseAsync(string leaseId) => Send("GET", "v1/leases/" + leaseId, r => _leases.GetLease(r, leaseId, default));

    public Task<HttpResult> SignAsync(string leaseId, string? idempotencyKey = null) =>
        Send("POST", $"v1/leases/{leaseId}/sign", r => _leases.SignLease(r, leaseId, default), """{"customerIp":"203.0.113.7"}""", idempotencyKey);

    public Task<HttpResult> FinalizeAsync(string transactionId, string? idempotencyKey = null) =>
        Send("POST", $"v1/transactions/{transactionId}/finalize", r => _leases.FinalizeTransaction(r, transactionId, default), idempotencyKey: idempotencyKey);

    public Task<HttpResult> TransactionAsync(string transactionId) =>
        Send("GET", "v1/transactions/" + transactionId, r => _leases.GetTransaction(r, transactionId, default));

    /// <summary>Units of <paramref name="sku"/> in <paramref name="status"/>, as the store sees the transaction.</summary>
    public async Task<int> UnitsAsync(string transactionId, string sku, string status)
    {
        var transaction = await TransactionAsync(transactionId);
        Assert.True(transaction.Status == 200, transaction.Body);
        var item = transaction.Json.GetProperty("items").EnumerateArray().Single(i => i.GetProperty("sku").GetString() == sku);
        return item.GetProperty("quantityByStatus").GetProperty(status).GetInt32();
    }

    // ---- The catalog ----

    /// <summary>The timer fires (it throws when the run fails, as the host would record a failed invocation).</summary>
    public Task RefreshCatalogAsync() => _catalogTimer.Run(new TimerInfo(), CancellationToken.None);

    public Task<HttpResult> CatalogStatusAsync() => Send("GET", "v1/catalog/status", r => _catalog.Status(r, default));

    public Task<HttpResult> CatalogProductAsync(string sku) => Send("GET", "v1/catalog/products/" + sku, r => _catalog.Get(r, sku, default));

    public Task<HttpResult> CatalogLeaseSettingsAsync() => Send("GET", "v1/catalog/lease-settings", r => _catalog.LeaseSettings(r, default));

    private async Task<HttpResult> Send(string method, string route, Func<HttpRequest, Task<IActionResult>> function, string? body = null,
        string? idempotencyKey = null, string? query = null)
    {
        var headers = new Dictionary<string, string>();
        if (Session is not null)
        {
            headers[CustomerSessions.Header] = Session;
        }

        if (idempotencyKey is not null)
        {
            headers[ApiEndpoint.IdempotencyKeyHeader] = idempotencyKey;
        }

        return await HttpTestKit.RunAsync(HttpTestKit.Request(App.Provider, method, "/api/" + route, body, headers, query), function);
    }

    private string Remember(string session)
    {
        Secrets.Add(session);
        Secrets.Add(App.Get<CustomerSessions>().Open(session)!.Token);
        return session;
    }

    // ---- The warehouse's side ----

    /// <summary>Puts a message on the real queue and delivers it once; the message stays queued if the function fails.</summary>
    public async Task<Exception?> ShipAsync(string message, CancellationToken hostStopping = default)
    {
        _messages.Add(message);
        return await RunAsync(await ConfirmationHarness.ThroughQueue(Queue, message), hostStopping);
    }

    /// <summary>The queue hands the next visible message over again (a redelivery, with its dequeue count).</summary>
    public async Task<(QueueMessage Message, Exception? Failure)> RedeliverAsync()
    {
        var message = await ConfirmationHarness.ReceiveOne(Queue);
        return (message, await RunAsync(message, default));
    }

    private async Task<Exception?> RunAsync(QueueMessage message, CancellationToken hostStopping)
    {
        try
        {
            await _warehouse.Run(message, hostStopping);
        }
        catch (Exception ex)
        {
            // What the host does with a failed invocation: the message becomes visible again (here at once rather
            // than after host.json's visibilityTimeout) with its dequeue count kept.
            await Queue.Client.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: TimeSpan.Zero, cancellationToken: CancellationToken.None);
            return ex;
        }

        await Queue.Client.DeleteMessageAsync(message.MessageId, message.PopReceipt, CancellationToken.None);
        return null;
    }

    /// <summary>Nothing lost: the queue is empty, every message sent is Done in the ledger, nothing is waiting for an operator.</summary>
    public async Task AssertEveryMessageConfirmedAsync()
    {
        Assert.Empty((await Queue.Client.PeekMessagesAsync(10)).Value);
        var reader = App.Get<WarehouseMessageReader>();
        var ledger = App.Get<ConfirmationLedger>();
        foreach (var message in _messages.Distinct())
        {
            var e = reader.Read(message).Event!;
            Assert.Equal(LedgerState.Done, (await ledger.GetAsync(e.TransactionId, e.Key, default))?.State);
        }

        Assert.Empty(await App.Get<FailedEventStore>().ListAsync(null, default));
    }

    /// <summary>No token sent with the wrong key, nothing confirmed twice, no secret in any log line.</summary>
    public void AssertNothingWentWrong()
    {
        Assert.Empty(emulator.State.DuplicateConfirmations);
        Assert.Contains("confirmed by FlexShopper", string.Join('\n', App.AllLogText()), StringComparison.Ordinal); // the capture works: the journey's own lines are there
        AssertNoSecretsLogged();
    }

    /// <summary>No token sent with the wrong key and no secret gathered so far in any log line.</summary>
    public void AssertNoSecretsLogged()
    {
        Assert.Empty(emulator.State.Violations);
        var logs = string.Join('\n', App.AllLogText());
        Assert.NotEmpty(logs);
        foreach (var secret in Secrets.Distinct())
        {
            Assert.False(logs.Contains(secret, StringComparison.Ordinal), $"a secret ({secret.Length} characters) reached the logs");
        }
    }

    public static string Shipment(string transactionId, string sku, int quantity, string reference) =>
        $$"""{"version":1,"type":"shipment","transactionId":"{{transactionId}}","reference":"{{reference}}","items":[{"sku":"{{sku}}","quantity":{{quantity}},"carrier":"UPS","trackingNumber":"1Z999AA10123456784","shipDate":"2026-03-01"}]}""";

    /// <summary>No items: the whole transaction was received.</summary>
    public static string Receipt(string transactionId) => $$"""{"version":1,"type":"receipt","transactionId":"{{transactionId}}"}""";
}
