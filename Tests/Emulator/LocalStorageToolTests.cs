using Azure.Data.Tables;
using Azure.Storage.Queues;
using FlexFunctions.Tests.Infrastructure;
using FlexShopper.Emulator;

namespace FlexFunctions.Tests.Emulator;

/// <summary>The run script's storage step: every table and queue named in local.settings.json exists in Azurite afterwards.</summary>
public sealed class LocalStorageToolTests : IDisposable
{
    private readonly string _settingsPath = Path.Combine(Path.GetTempPath(), Azurite.UniqueName("settings") + ".json");

    [Fact]
    public async Task Init_creates_the_tables_and_queues_the_settings_name_and_put_message_lands_on_the_warehouse_queue()
    {
        string table = Azurite.UniqueName("tcat"), queue = Azurite.UniqueName("warehouse");
        var connection = Azurite.Instance.ConnectionString;
        await File.WriteAllTextAsync(_settingsPath, $$"""
            { "Values": { "Storage": "UseDevelopmentStorage=true", "Warehouse": "UseDevelopmentStorage=true",
                          "WarehouseQueueName": "{{queue}}", "Tables__Catalog": "{{table}}" } }
            """);

        Assert.Equal(0, await LocalStorageTool.InitAsync(_settingsPath, connection));
        Assert.Equal(0, await LocalStorageTool.PutMessageAsync(_settingsPath, """{"type":"shipment","transactionId":"order-1"}""", connection));
        Assert.Equal(2, await LocalStorageTool.PutMessageAsync(_settingsPath, "{not json", connection));

        Assert.Single(new TableServiceClient(connection).Query(t => t.Name == table));
        var messages = await new QueueClient(connection, queue, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None }).ReceiveMessagesAsync(10);
        Assert.Equal("""{"type":"shipment","transactionId":"order-1"}""", Assert.Single(messages.Value).MessageText);
        Assert.True((await new QueueClient(connection, queue + "-poison").ExistsAsync()).Value);
    }

    public void Dispose() => File.Delete(_settingsPath);
}
