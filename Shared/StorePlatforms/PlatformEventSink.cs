using System.Text.Json;
using FlexFunctions.Shared.Confirmations;
using FlexFunctions.Shared.InputRules;
using FlexFunctions.Shared.Storage;
using Microsoft.Extensions.Logging;

namespace FlexFunctions.Shared.StorePlatforms;

/// <summary>What handing a translation over did.</summary>
public sealed record Handover(int Queued, IReadOnlyList<string> Unusable);

/// <summary>
/// Where translated platform events go: each warehouse event onto the warehouse queue (so the ledger, the failed-events
/// store and replay apply as to any warehouse message), each unusable part into the failed-events store as kind
/// <see cref="FailedEventKinds.Skipped"/> with its reason and the delivery, which an operator's replay translates again.
/// </summary>
public sealed partial class PlatformEventSink(
    WarehouseQueue queue,
    WarehouseMessageReader reader,
    FailedEventStore failures,
    ShopifyTranslator shopify,
    WooCommerceTranslator wooCommerce,
    ILogger<PlatformEventSink> logger) : IFailedEventTranslator
{
    /// <summary>The failed-events <c>Encoding</c> of a recorded platform delivery.</summary>
    public const string DeliveryEncoding = "platform-delivery";

    public async Task<Translation> TranslateAsync(PlatformDelivery delivery, CancellationToken cancellationToken) => delivery.Platform switch
    {
        ShopifyTranslator.Platform => await shopify.TranslateAsync(delivery, cancellationToken).ConfigureAwait(false),
        WooCommerceTranslator.Platform => wooCommerce.Translate(delivery),
        _ => new Translation([], [new Unusable("platform:" + delivery.Platform, $"No store platform is called '{delivery.Platform}'.")]),
    };

    /// <summary>Queues the events and records the unusable parts. Storage failures throw (the caller answers 503; the platform retries).</summary>
    public async Task<Handover> HandOverAsync(PlatformDelivery delivery, Translation translation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        ArgumentNullException.ThrowIfNull(translation);
        var unusable = translation.Unusable.ToList();
        var queued = 0;
        foreach (var message in translation.Messages)
        {
            // Checked as the queue function will check it, so a translation the contract refuses is kept with the delivery.
            var read = reader.Read(message);
            if (read.Event is null)
            {
                unusable.Add(new Unusable($"invalid:{delivery.DeliveryId}:{queued}", "The translated warehouse event is invalid: " + read.Reason) { TransactionId = read.TransactionId });
                continue;
            }

            await queue.Client.SendMessageAsync(message, cancellationToken).ConfigureAwait(false);
            queued++;
            LogQueued(logger, delivery.Platform, delivery.Topic, read.Event.Type, read.Event.Key);
        }

        if (unusable.Count > 0)
        {
            var text = JsonSerializer.Serialize(delivery, StorePlatformsJson.Default.PlatformDelivery);
            foreach (var part in unusable)
            {
                await failures.RecordAsync(new FailedEvent
                {
                    Kind = FailedEventKinds.Skipped,
                    Id = EventKey.Hash(delivery.Platform + ":" + part.Key),
                    Reason = part.Reason,
                    // Only an id the contract accepts is kept as the row's transaction (as the warehouse reader does).
                    TransactionId = FieldRules.Identifier.Accepts(part.TransactionId) ? part.TransactionId : null,
                    EventType = delivery.Platform + " " + delivery.Topic,
                    MessageId = delivery.DeliveryId,
                    Encoding = DeliveryEncoding,
                }, text, cancellationToken).ConfigureAwait(false);
                LogSkipped(logger, delivery.Platform, delivery.Topic, delivery.DeliveryId, part.Reason);
            }
        }

        return new Handover(queued, [.. unusable.Select(u => u.Reason)]);
    }

    public bool Owns(FailedEvent failed) => failed?.Encoding == DeliveryEncoding;

    public async Task<string?> ReplayAsync(FailedEvent failed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(failed);
        PlatformDelivery? delivery;
        try
        {
            delivery = JsonSerializer.Deserialize(failed.Message ?? "", StorePlatformsJson.Default.PlatformDelivery);
        }
        catch (JsonException)
        {
            delivery = null;
        }

        if (delivery is null)
        {
            return "The recorded delivery is unreadable; ask the platform to resend it.";
        }

        var handed = await HandOverAsync(delivery, await TranslateAsync(delivery, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        return handed.Unusable.Count == 0 ? null : string.Join(" ", handed.Unusable);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Platform} {Topic} queued as warehouse {Type} event {EventKey}")]
    private static partial void LogQueued(ILogger logger, string platform, string topic, string type, string eventKey);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Platform} {Topic} delivery {DeliveryId} acknowledged but not sent; kept in failed events (kind skipped): {Reason}")]
    private static partial void LogSkipped(ILogger logger, string platform, string topic, string deliveryId, string reason);
}
