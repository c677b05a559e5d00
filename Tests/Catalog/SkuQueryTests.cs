using FlexFunctions.Shared.Catalog;
using Microsoft.AspNetCore.Mvc;

namespace FlexFunctions.Tests.Catalog;

/// <summary>
/// Any printable SKU reads through <c>GET v1/catalog/products?sku=</c>: the Functions host decodes <c>%2F</c> in a
/// route value before routing (so <c>/products/A%2FB</c> is a 404 there), while a query value arrives whole. The SKU
/// rule is the same one every other SKU field uses.
/// </summary>
public sealed class SkuQueryTests
{
    private static readonly string[] AwkwardSkus = ["TV/55-BLK", "A/B/C", "50% OFF", "Q?1", "#7", "C++ Book", "a&b=c", "back\\slash", "tilde~", "..x"];

    [Fact]
    public async Task Every_printable_SKU_reads_by_query_and_the_route_form_still_serves_SKUs_without_a_slash()
    {
        using var bed = CatalogTestBed.Create();
        bed.ServeCatalog([.. AwkwardSkus.Select(s => (s, (string?)("Product " + s), (string?)null)), ("PLAIN-1", "Plain", null)]);
        await bed.Refresher.RunAsync("test", CancellationToken.None);
        var functions = bed.ReadFunctions();

        foreach (var sku in AwkwardSkus)
        {
            var (status, _, body) = await CatalogTestBed.ExecuteAsync(await functions.List(CatalogTestBed.Get("?sku=" + Uri.EscapeDataString(sku)), CancellationToken.None));
            Assert.True(status == 200, $"{sku}: {status}");
            Assert.Equal(sku, body.GetProperty("sku").GetString());
            Assert.Equal("Product " + sku, body.GetProperty("name").GetString());
        }

        var (routeStatus, _, routeBody) = await CatalogTestBed.ExecuteAsync(await functions.Get(CatalogTestBed.Get(), "PLAIN-1", CancellationToken.None));
        Assert.Equal((200, "PLAIN-1"), (routeStatus, routeBody.GetProperty("sku").GetString()));
        var missing = Assert.IsAssignableFrom<ObjectResult>(await functions.List(CatalogTestBed.Get("?sku=NOT-LISTED"), CancellationToken.None));
        Assert.Equal(404, missing.StatusCode);
    }

    [Theory]
    [InlineData("?sku=")]
    [InlineData("?sku=%20LEADING")]
    [InlineData("?sku=TRAILING%20")]
    [InlineData("?sku=...")]
    [InlineData("?sku=caf%C3%A9")]
    [InlineData("?sku=tab%09in")]
    [InlineData("?sku=A&pageSize=5")]
    [InlineData("?sku=A&continuationToken=YzE6MDA")]
    [InlineData("?sku=A&sku=B")]
    public async Task A_bad_sku_query_is_a_400_naming_sku(string query)
    {
        using var bed = CatalogTestBed.Create();

        var bad = Assert.IsAssignableFrom<ObjectResult>(await bed.ReadFunctions().List(CatalogTestBed.Get(query), CancellationToken.None));

        Assert.Equal(400, bad.StatusCode);
        Assert.Equal([CatalogQuery.SkuField], Assert.IsType<ValidationProblemDetails>(bad.Value).Errors.Keys);
    }

    [Fact]
    public async Task A_SKU_of_129_characters_is_refused_in_both_forms()
    {
        using var bed = CatalogTestBed.Create();
        var functions = bed.ReadFunctions();
        var longSku = new string('S', CatalogKeys.MaxSkuLength + 1);

        var byQuery = Assert.IsAssignableFrom<ObjectResult>(await functions.List(CatalogTestBed.Get("?sku=" + longSku), CancellationToken.None));
        var byRoute = Assert.IsAssignableFrom<ObjectResult>(await functions.Get(CatalogTestBed.Get(), longSku, CancellationToken.None));

        Assert.Equal((400, 400), (byQuery.StatusCode, byRoute.StatusCode));
    }
}
