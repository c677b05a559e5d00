using Azure.Storage.Queues.Models;
using FlexFunctions.Shared.Confirmations;
using FlexFunctions.Shared.Storage;
using Microsoft.Azure.Functions.Worker;

namespace FlexFunctions.Functions.Queues;

/// <summary>
/// The warehouse feed: each message is handed to the processor. A transient failure throws so the queue redelivers;
/// a copy arriving while another delivery confirms the same event completes (the processor re-queues it, delayed).
/// </summary>
public sealed class WarehouseEventsFunction(ConfirmationProcessor processor)
{
    public const string Name = "WarehouseEvents";

    [Function(Name)]
    public Task Run(
        [QueueTrigger("%" + StorageConnections.WarehouseQueueNameSetting + "%", Connection = StorageConnections.Warehouse)] QueueMessage message,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        return processor.ProcessAsync(new WarehouseDelivery(message.Body?.ToString(), message.MessageId, message.DequeueCount), cancellationToken);
    }
}
