using System.Text;
using FlexFunctions.Shared.Catalog;
using Microsoft.AspNetCore.Mvc;

namespace FlexFunctions.Tests.Catalog;

public sealed class CatalogReadApiTests
{
    [Fact]
    public async Task Paging_by_continuation_token_returns_every_product_once()
    {
        using var bed = CatalogTestBed.Create();
        var products = CatalogTestBed.Products(230);
        bed.ServeCatalog(products);
        await bed.Refresher.RunAsync("test", CancellationToken.None);
        var functions = bed.ReadFunctions();

        var seen = new List<string>();
        string? token = null;
        var calls = 0;
        do
        {
            var query = "?pageSize=100" + (token is null ? "" : "&continuationToken=" + Uri.EscapeDataString(token));
            var (status, headers, body) = await CatalogTestBed.ExecuteAsync(await functions.List(CatalogTestBed.Get(query), CancellationToken.None));
            Assert.Equal(200, status);
            Assert.StartsWith("public", headers.CacheControl.ToString(), StringComparison.Ordinal);
            var items = body.GetProperty("items").EnumerateArray().ToList();
            Assert.InRange(items.Count, 0, 100);
            seen.AddRange(items.Select(i => i.GetProperty("sku").GetString()!));
            token = body.GetProperty("continuationToken").GetString();
            Assert.True(++calls < 50, "paging did not end");
        }
        while (token is not null);

        Assert.Equal(products.Select(p => p.Sku).Order(), seen.Order());
        Assert.True(calls >= 3, $"230 products in pages of 100 came back in {calls} calls");
    }

    [Fact]
    public async Task The_default_page_holds_fifty_products()
    {
        using var bed = CatalogTestBed.Create();
        bed.ServeCatalog(CatalogTestBed.Products(80));
        await bed.Refresher.RunAsync("test", CancellationToken.None);

        var (_, _, body) = await CatalogTestBed.ExecuteAsync(await bed.ReadFunctions().List(CatalogTestBed.Get(), CancellationToken.None));

        Assert.Equal(50, body.GetProperty("items").GetArrayLength()); // the documented default, 80 products listed
        Assert.NotNull(body.GetProperty("continuationToken").GetString());
    }

    [Theory]
    [InlineData("?pageSize=0", "pageSize")]
    [InlineData("?pageSize=101", "pageSize")]
    [InlineData("?pageSize=abc", "pageSize")]
    [InlineData("?pageSize=-5", "pageSize")]
    [InlineData("?pageSize=", "pageSize")]
    [InlineData("?continuationToken=not*base64", "continuationToken")]
    [InlineData("?continuationToken=bm90LW91cnM", "continuationToken")] // base64url of "not-ours"
    public async Task Bad_paging_input_gets_a_400_problem_naming_the_field(string query, string field)
    {
        using var bed = CatalogTestBed.Create();

        var result = await bed.ReadFunctions().List(CatalogTestBed.Get(query), CancellationToken.None);

        var problem = Assert.IsAssignableFrom<ObjectResult>(result);
        Assert.Equal(400, problem.StatusCode);
        Assert.Contains(field, Assert.IsType<ValidationProblemDetails>(problem.Value).Errors.Keys);
    }

    [Fact]
    public async Task Get_by_sku_returns_the_product_404s_an_unknown_one_and_400s_a_bad_one()
    {
        using var bed = CatalogTestBed.Create();
        bed.ServeCatalog(CatalogTestBed.Products(30));
        await bed.Refresher.RunAsync("test", CancellationToken.None);
        var functions = bed.ReadFunctions();

        var (status, _, body) = await CatalogTestBed.ExecuteAsync(await functions.Get(CatalogTestBed.Get(), "SKU-00007", CancellationToken.None));
        Assert.Equal(200, status);
        Assert.Equal(("SKU-00007", "Product 7", "https://www.flexshopper.com/product/7"),
            (body.GetProperty("sku").GetString(), body.GetProperty("name").GetString(), body.GetProperty("url").GetString()));

        var missing = Assert.IsAssignableFrom<ObjectResult>(await functions.Get(CatalogTestBed.Get(), "SKU-99999", CancellationToken.None));
        Assert.Equal(404, missing.StatusCode);

        var bad = Assert.IsAssignableFrom<ObjectResult>(await functions.Get(CatalogTestBed.Get(), new string('x', 300), CancellationToken.None));
        Assert.Equal(400, bad.StatusCode);
        Assert.Contains("sku", Assert.IsType<ValidationProblemDetails>(bad.Value).Errors.Keys);
    }

    [Fact]
    public async Task Status_and_lease_settings_come_from_the_last_successful_refresh()
    {
        using var bed = CatalogTestBed.Create();
        var functions = bed.ReadFunctions();
        var before = Assert.IsAssignableFrom<ObjectResult>(await functions.LeaseSettings(CatalogTestBed.Get(), CancellationToken.None));
        Assert.Equal(503, before.StatusCode);

        bed.ServeCatalog(CatalogTestBed.Products(3));
        var run = (await bed.Refresher.RunAsync("test", CancellationToken.None)).Run!;

        var (_, _, lease) = await CatalogTestBed.ExecuteAsync(await functions.LeaseSettings(CatalogTestBed.Get(), CancellationToken.None));
        Assert.Equal(CatalogTestBed.MinimumOrderValue, lease.GetProperty("minimumOrderValue").GetDecimal());
        var (_, _, status) = await CatalogTestBed.ExecuteAsync(await functions.Status(CatalogTestBed.Get(), CancellationToken.None));
        Assert.Equal(run.EndedAt, status.GetProperty("lastSuccessfulRefreshAt").GetDateTimeOffset());
        Assert.Equal(3, status.GetProperty("productCount").GetInt64());
        Assert.Equal("Succeeded", status.GetProperty("lastRun").GetProperty("outcome").GetString());
    }

    [Fact]
    public void Continuation_tokens_round_trip_and_are_url_safe()
    {
        var wrapped = CatalogQuery.Wrap("1!8!MDA-:1!20!U0tVLTAwMDQy/+")!;
        Assert.DoesNotContain(wrapped, c => c is '+' or '/' or '=');
        Assert.True(CatalogQuery.TryParse(null, wrapped, out var query, out _));
        Assert.Equal("1!8!MDA-:1!20!U0tVLTAwMDQy/+", query.TableContinuation);
        Assert.False(CatalogQuery.TryParse(null, Convert.ToBase64String(Encoding.UTF8.GetBytes("c1:")), out _, out _));
    }
}
