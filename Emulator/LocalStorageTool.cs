using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Queues;

namespace FlexShopper.Emulator;

/// <summary>
/// The run script's helper for Azurite: creates the queues and tables named in <c>local.settings.json</c>, and
/// drops a message on the warehouse queue. Local development only.
/// </summary>
internal static class LocalStorageTool
{
    public static async Task<int> InitAsync(string settingsPath, string? connectionOverride = null)
    {
        var values = Read(settingsPath);
        var storage = connectionOverride ?? Connection(values, "Storage");
        var warehouse = connectionOverride ?? Connection(values, "Warehouse");
        var tables = new TableServiceClient(storage);
        foreach (var (name, table) in values.Where(kv => kv.Key.StartsWith("Tables__", StringComparison.Ordinal)))
        {
            await tables.CreateTableIfNotExistsAsync(table);
            Console.WriteLine($"table {table} ({name})");
        }

        // Every *QueueName setting is a queue the app reads or writes; the poison queue is the host's own.
        foreach (var (name, queue) in values.Where(kv => kv.Key.EndsWith("QueueName", StringComparison.Ordinal)))
        {
            var connection = name == "WarehouseQueueName" ? warehouse : storage;
            await new QueueServiceClient(connection).GetQueueClient(queue).CreateIfNotExistsAsync();
            await new QueueServiceClient(connection).GetQueueClient(queue + "-poison").CreateIfNotExistsAsync();
            Console.WriteLine($"queue {queue} and {queue}-poison ({name})");
        }

        return 0;
    }

    public static async Task<int> PutMessageAsync(string settingsPath, string message, string? connectionOverride = null)
    {
        try
        {
            using var _ = JsonDocument.Parse(message);
        }
        catch (JsonException ex)
        {
            await Console.Error.WriteLineAsync("The message is not valid JSON: " + ex.Message);
            return 2;
        }

        var values = Read(settingsPath);
        var queueName = values.GetValueOrDefault("WarehouseQueueName") ?? throw new InvalidOperationException("WarehouseQueueName is not set.");
        // Plain JSON, as the warehouse writes it; the app accepts plain and base64 alike.
        var queue = new QueueServiceClient(connectionOverride ?? Connection(values, "Warehouse"), new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None })
            .GetQueueClient(queueName);
        try
        {
            var receipt = await queue.SendMessageAsync(message);
            Console.WriteLine($"queued on {queueName}: message {receipt.Value.MessageId}");
            return 0;
        }
        catch (RequestFailedException ex)
        {
            await Console.Error.WriteLineAsync($"Could not queue on {queueName}: {ex.Status} {ex.ErrorCode}. Is Azurite running (scripts/run-local.sh)?");
            return 1;
        }
    }

    private static Dictionary<string, string> Read(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.GetProperty("Values").EnumerateObject()
            .Where(p => p.Value.ValueKind == JsonValueKind.String)
            .ToDictionary(p => p.Name, p => p.Value.GetString()!, StringComparer.Ordinal);
    }

    private static string Connection(Dictionary<string, string> values, string name) =>
        values.GetValueOrDefault(name) is { Length: > 0 } value && value.Contains('=', StringComparison.Ordinal)
            ? value
            : throw new InvalidOperationException($"{name} must be a storage connection string in local.settings.json (e.g. UseDevelopmentStorage=true).");
}
