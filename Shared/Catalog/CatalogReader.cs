using System.Globalization;
using Azure;
using Azure.Data.Tables;
using FlexFunctions.Shared.Storage;
using Microsoft.Extensions.Options;

namespace FlexFunctions.Shared.Catalog;

/// <summary>Reads the refreshed catalog, its freshness and the cached lease settings; never calls FlexShopper.</summary>
public sealed class CatalogReader
{
    private static readonly string[] ProductColumns = ["RowKey", CatalogColumns.Sku, CatalogColumns.Name, CatalogColumns.Url, "Timestamp"];

    private readonly TableClient _catalog;
    private readonly CatalogRunStore _runs;

    public CatalogReader(TableServiceClient tables, IOptions<TableNames> names)
    {
        _catalog = tables.GetTableClient(names.Value.Catalog);
        _runs = new CatalogRunStore(tables.GetTableClient(names.Value.CatalogRuns));
    }

    /// <summary>One page in key order; a null continuation means the end.</summary>
    public async Task<CatalogPage> ListAsync(CatalogQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        try
        {
            await foreach (var page in _catalog.QueryAsync<TableEntity>(filter: (string?)null, maxPerPage: query.PageSize, select: ProductColumns, cancellationToken: cancellationToken)
                               .AsPages(query.TableContinuation, query.PageSize).ConfigureAwait(false))
            {
                return new CatalogPage(page.Values.Select(ToProduct).ToList(), CatalogQuery.Wrap(page.ContinuationToken));
            }
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // No refresh has created the table yet: an empty catalog, not an error.
        }

        return new CatalogPage([], null);
    }

    /// <summary>The product, or null when the catalog does not list it. Check <see cref="CatalogKeys.Problem"/> first.</summary>
    public async Task<CatalogProduct?> FindAsync(string sku, CancellationToken cancellationToken)
    {
        try
        {
            var row = await _catalog.GetEntityIfExistsAsync<TableEntity>(CatalogKeys.PartitionFor(sku), CatalogKeys.RowKeyFor(sku), ProductColumns, cancellationToken).ConfigureAwait(false);
            return row.HasValue && row.Value is { } entity ? ToProduct(entity) : null;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
    }

    public async Task<CatalogStatus> GetStatusAsync(CancellationToken cancellationToken)
    {
        try
        {
            var state = await _runs.GetStateAsync(cancellationToken).ConfigureAwait(false);
            var last = await _runs.LatestRunAsync(cancellationToken).ConfigureAwait(false);
            return new CatalogStatus(state?.GetDateTimeOffset("LastSuccessfulRefreshAt"), state?.GetString("LastSuccessfulRunId"), state?.GetInt64("ProductCount"), last);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return new CatalogStatus(null, null, null, null);
        }
    }

    /// <summary>The lease settings as of the last successful refresh, or null before the first one.</summary>
    public async Task<CachedLeaseSettings?> GetLeaseSettingsAsync(CancellationToken cancellationToken)
    {
        try
        {
            var state = await _runs.GetStateAsync(cancellationToken).ConfigureAwait(false);
            return state?.GetString("MinimumOrderValue") is { } text
                   && decimal.TryParse(text, NumberStyles.Number, CultureInfo.InvariantCulture, out var minimum)
                   && state.GetDateTimeOffset("LastSuccessfulRefreshAt") is { } at
                ? new CachedLeaseSettings(minimum, at)
                : null;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
    }

    public Task<CatalogRun?> GetRunAsync(string runId, CancellationToken cancellationToken) => _runs.GetRunAsync(runId, cancellationToken);

    private static CatalogProduct ToProduct(TableEntity row) =>
        new(row.GetString(CatalogColumns.Sku) ?? row.RowKey, row.GetString(CatalogColumns.Name), row.GetString(CatalogColumns.Url), row.Timestamp);
}
