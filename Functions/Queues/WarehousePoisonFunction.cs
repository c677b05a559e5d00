using Azure.Storage.Queues.Models;
using FlexFunctions.Shared.Confirmations;
using FlexFunctions.Shared.Storage;
using Microsoft.Azure.Functions.Worker;

namespace FlexFunctions.Functions.Queues;

/// <summary>Messages the queue gave up on: each is recorded with its reason in the failed-events table for the operator.</summary>
public sealed class WarehousePoisonFunction(ConfirmationProcessor processor)
{
    public const string Name = "WarehouseEventsPoison";

    [Function(Name)]
    public Task Run(
        [QueueTrigger("%" + StorageConnections.WarehouseQueueNameSetting + "%-poison", Connection = StorageConnections.Warehouse)] QueueMessage message,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        return processor.RecordPoisonedAsync(new WarehouseDelivery(message.Body?.ToString(), message.MessageId, message.DequeueCount), cancellationToken);
    }
}
