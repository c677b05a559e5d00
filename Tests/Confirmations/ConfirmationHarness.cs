using System.Text;
using Azure.Storage.Queues.Models;
using FlexFunctions.Shared.Confirmations;
using FlexFunctions.Shared.Storage;
using FlexFunctions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using WireMock.Logging;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace FlexFunctions.Tests.Confirmations;

/// <summary>
/// The real service graph (AddFlexFunctions) against the shared Azurite with unique tables and queue, a WireMock
/// FlexShopper, and a fake clock so claim expiry needs no sleeping. The client's own retries are off so that every
/// transient failure shows as a queue redelivery.
/// </summary>
public sealed class ConfirmationHarness : IAsyncDisposable
{
    public const string Transaction = "T-1001";

    private readonly Dictionary<string, string?> _settings;
    private readonly List<TestServices> _instances = [];

    public ConfirmationHarness(Action<Dictionary<string, string?>>? tweak = null)
    {
        Fake = new FakeFlexShopper();
        _settings = TestServices.DefaultSettings(Fake.BaseUrl);
        _settings["FlexShopper:MaxRetryAttempts"] = "0";
        tweak?.Invoke(_settings);
        Clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        Services = AnotherInstance();
    }

    /// <summary>One more app instance (its own service graph) on the same tables, queue, clock and FlexShopper.</summary>
    public TestServices AnotherInstance(StoragePipelinePolicies? storagePolicies = null)
    {
        var instance = TestServices.Build(_settings, s =>
        {
            s.AddSingleton<TimeProvider>(Clock);
            if (storagePolicies is not null)
            {
                s.AddSingleton(storagePolicies);
            }
        });
        _instances.Add(instance);
        return instance;
    }

    public FakeFlexShopper Fake { get; }

    /// <summary>The ledger table's name in this harness.</summary>
    public string LedgerTable => _settings["Tables:ConfirmationLedger"]!;

    public TestServices Services { get; }

    public FakeTimeProvider Clock { get; }

    public ConfirmationProcessor Processor => Services.Get<ConfirmationProcessor>();

    public ConfirmationLedger Ledger => Services.Get<ConfirmationLedger>();

    public FailedEventStore Failures => Services.Get<FailedEventStore>();

    public FailedEventReplayer Replayer => Services.Get<FailedEventReplayer>();

    public WarehouseQueue Queue => Services.Get<WarehouseQueue>();

    private int _messages;

    /// <summary>Hands text to the processor as one delivery; the live queue exists, as it does under the host, for deferred copies.</summary>
    public async Task<ProcessOutcome> Deliver(string text, long dequeueCount = 1)
    {
        await Queue.Client.CreateIfNotExistsAsync();
        return await Processor.ProcessAsync(new WarehouseDelivery(text, "msg-" + Interlocked.Increment(ref _messages), dequeueCount), CancellationToken.None);
    }

    /// <summary>Puts text on the real warehouse queue and receives it back as the host would hand it over.</summary>
    public Task<QueueMessage> ThroughQueue(string text) => ThroughQueue(Queue, text);

    public Task<QueueMessage> ReceiveOne() => ReceiveOne(Queue);

    /// <summary>Puts text on a warehouse queue and receives it back as the host would hand it over.</summary>
    public static async Task<QueueMessage> ThroughQueue(WarehouseQueue queue, string text)
    {
        await queue.Client.CreateIfNotExistsAsync();
        await queue.Client.SendMessageAsync(text);
        return await ReceiveOne(queue);
    }

    public static async Task<QueueMessage> ReceiveOne(WarehouseQueue queue)
    {
        QueueMessage? message = (await queue.Client.ReceiveMessageAsync()).Value;
        Assert.NotNull(message);
        return message;
    }

    public void Answer(string path, int status, string? body = null, int delayMs = 0)
    {
        var response = Response.Create().WithStatusCode(status).WithHeader("Content-Type", "application/json").WithBody(body ?? "{\"data\":{}}");
        if (delayMs > 0)
        {
            response = response.WithDelay(delayMs);
        }

        Fake.Server.Given(Request.Create().WithPath("/v3/" + path).UsingPost()).RespondWith(response);
    }

    public void AnswerTransaction(string itemsJson) =>
        Fake.Server.Given(Request.Create().WithPath("/v3/transactions/" + Transaction).UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json")
                .WithBody($"{{\"data\":{{\"id\":\"{Transaction}\",\"lease\":{{\"id\":\"L1\",\"status\":\"signed\"}},\"items\":{itemsJson}}}}}"));

    public IReadOnlyList<ILogEntry> Calls(string method, string path) =>
        Fake.Server.LogEntries.Where(e => e.RequestMessage!.Method == method && e.RequestMessage.Path == "/v3/" + path).ToList();

    public static string Shipment(string sku = "SKU-1", int quantity = 2, string? reference = null) =>
        $$"""
        {"version":1,"type":"shipment","transactionId":"{{Transaction}}"{{(reference is null ? "" : $",\"reference\":\"{reference}\"")}},
         "occurredAt":"2026-03-01T10:00:00Z",
         "items":[{"sku":"{{sku}}","quantity":{{quantity}},"carrier":"UPS","trackingNumber":"1Z999","trackingLink":"https://track.example/1Z999","shipDate":"2026-03-01","deliveryDate":"2026-03-04"}]}
        """;

    public static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    public async ValueTask DisposeAsync()
    {
        foreach (var instance in _instances)
        {
            await instance.DisposeAsync();
        }

        Fake.Dispose();
    }
}
