using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace FlexFunctions.Benchmarks.Catalog;

/// <summary>
/// A loopback stand-in for FlexShopper's Get Products: <see cref="Products"/> products in pages of 100, generated on
/// the fly (the fake holds no catalog either). <see cref="Generation"/> 1 renames every 100th product (1 % changed).
/// </summary>
internal sealed class FakeCatalogServer : IAsyncDisposable
{
    public const int PageSize = 100;
    private readonly WebApplication _app;

    private FakeCatalogServer(WebApplication app, string baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }
    public int Products { get; set; }
    public int Generation { get; set; }

    public static async Task<FakeCatalogServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        FakeCatalogServer? self = null;
        app.MapGet("/v3/settings/lease", async context =>
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("""{"data":{"minimumOrderValue":49.95}}""");
        });
        app.MapGet("/v3/products", async context =>
        {
            var page = int.TryParse(context.Request.Query["page"], NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? p : 1;
            context.Response.ContentType = "application/json";
            await using var json = new Utf8JsonWriter(context.Response.BodyWriter);
            json.WriteStartObject();
            json.WriteStartObject("data");
            json.WriteStartArray("products");
            var first = ((page - 1) * PageSize) + 1;
            var last = Math.Min(self!.Products, page * PageSize);
            for (var i = first; i <= last; i++)
            {
                json.WriteStartObject();
                json.WriteString("sku", $"SKU-{i:D7}");
                json.WriteString("name", self.Generation == 1 && i % 100 == 0 ? $"Product {i} (new model)" : $"Product {i}");
                json.WriteString("url", $"https://www.flexshopper.com/product/{i}");
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndObject();
            await json.FlushAsync();
        });
        await app.StartAsync();
        var address = app.Urls.First();
        self = new FakeCatalogServer(app, address.TrimEnd('/') + "/v3/");
        return self;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
