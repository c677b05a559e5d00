using System.Globalization;
using System.Text;
using Azure.Data.Tables;
using FlexFunctions.Shared.Storage;
using Microsoft.Extensions.Options;

namespace FlexFunctions.Shared.StorePlatforms;

/// <summary>What an order webhook told us about one Shopify order.</summary>
public sealed record ShopifyOrderFacts(string? Name, string? NoteAttribute, string? NoteValue, IReadOnlyList<string> Gateways);

/// <summary>
/// Shopify's fulfillment and refund payloads carry only the order's id: its name, note attributes and payment
/// gateways come with the order webhooks (orders/create, orders/updated, ...). This table keeps those facts per
/// shop and order so a later fulfillment or refund can find the FlexShopper transaction id and whether FlexShopper
/// financed the order. Nothing personal is kept: name, one note attribute's value, gateway names.
/// </summary>
public sealed class ShopifyOrderIndex
{
    private readonly TableCreatedOnFirstUse _table;
    private readonly TimeProvider _time;

    public ShopifyOrderIndex(TableServiceClient tables, IOptions<TableNames> names, TimeProvider time)
    {
        _table = new TableCreatedOnFirstUse(tables.GetTableClient(names.Value.ShopifyOrders));
        _time = time;
    }

    public async Task LearnAsync(string? shop, long orderId, ShopifyOrderFacts facts, CancellationToken cancellationToken)
    {
        await _table.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var entity = new TableEntity(Partition(shop), orderId.ToString(CultureInfo.InvariantCulture))
        {
            ["Name"] = Bound(facts.Name),
            ["NoteAttribute"] = Bound(facts.NoteAttribute),
            ["NoteValue"] = Bound(facts.NoteValue),
            ["Gateways"] = string.Join('\n', facts.Gateways.Take(MaxGateways).Select(Bound)),
            ["LearnedAt"] = _time.GetUtcNow(),
        };
        await _table.Table.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The order's facts, or null when no order webhook for it has arrived.</summary>
    public async Task<ShopifyOrderFacts?> FindAsync(string? shop, long orderId, CancellationToken cancellationToken)
    {
        await _table.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var found = await _table.Table.GetEntityIfExistsAsync<TableEntity>(Partition(shop), orderId.ToString(CultureInfo.InvariantCulture),
            cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!found.HasValue || found.Value is not { } row)
        {
            return null;
        }

        var gateways = row.GetString("Gateways") is { Length: > 0 } joined ? joined.Split('\n') : [];
        return new ShopifyOrderFacts(row.GetString("Name"), row.GetString("NoteAttribute"), row.GetString("NoteValue"), gateways);
    }

    /// <summary>
    /// A payload's text, kept within a Table property (64 KiB) whatever the payload held. Cut only past
    /// <see cref="MaxKeptChars"/>, which is longer than any usable transaction id, so a cut value is still refused as one.
    /// </summary>
    private static string? Bound(string? value) => value is { Length: > MaxKeptChars } ? value[..MaxKeptChars] : value;

    private const int MaxKeptChars = 512;
    private const int MaxGateways = 20;

    // Shop domains are letters, digits, dots and dashes; anything else (or none) must still make a valid key.
    private static string Partition(string? shop)
    {
        if (string.IsNullOrWhiteSpace(shop))
        {
            return "unknown-shop";
        }

        var key = new StringBuilder(shop.Length);
        foreach (var c in shop.Trim().ToLowerInvariant())
        {
            key.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' ? c : '_');
        }

        return key.Length <= 255 ? key.ToString() : key.ToString(0, 255);
    }
}
