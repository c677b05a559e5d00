using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace FlexFunctions.Benchmarks.Catalog;

/// <summary>
/// FlexShopper's Get Products and lease settings, served by the fake's own process: N products in pages of 100,
/// generated on the fly (the fake holds no catalog either). Generation 1 renames every 100th product (1 % changed).
/// <c>POST /__set?products=&amp;generation=&amp;delayMs=</c> changes what it serves.
/// </summary>
internal static class FakeCatalog
{
    public const int PageSize = 100;

    public static void Map(WebApplication app)
    {
        var products = 0;
        var generation = 0;
        var delay = TimeSpan.Zero;
        app.MapPost("/__set", (HttpContext context) =>
        {
            var query = context.Request.Query;
            products = int.Parse(query["products"]!, CultureInfo.InvariantCulture);
            generation = int.Parse(query["generation"]!, CultureInfo.InvariantCulture);
            delay = TimeSpan.FromMilliseconds(double.Parse(query["delayMs"]!, CultureInfo.InvariantCulture));
            return Results.Ok();
        });
        app.MapGet("/v3/settings/lease", async context =>
        {
            await Wait(delay);
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("""{"data":{"minimumOrderValue":49.95}}""");
        });
        app.MapGet("/v3/products", async context =>
        {
            await Wait(delay);
            var page = int.TryParse(context.Request.Query["page"], NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? p : 1;
            context.Response.ContentType = "application/json";
            await using var json = new Utf8JsonWriter(context.Response.BodyWriter);
            json.WriteStartObject();
            json.WriteStartObject("data");
            json.WriteStartArray("products");
            var last = Math.Min(products, page * PageSize);
            for (var i = ((page - 1) * PageSize) + 1; i <= last; i++)
            {
                json.WriteStartObject();
                json.WriteString("sku", string.Create(CultureInfo.InvariantCulture, $"SKU-{i:D7}"));
                json.WriteString("name", generation == 1 && i % 100 == 0 ? string.Create(CultureInfo.InvariantCulture, $"Product {i} (new model)") : string.Create(CultureInfo.InvariantCulture, $"Product {i}"));
                json.WriteString("url", string.Create(CultureInfo.InvariantCulture, $"https://www.flexshopper.com/product/{i}"));
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndObject();
            await json.FlushAsync();
        });
    }

    private static Task Wait(TimeSpan delay) => delay > TimeSpan.Zero ? Task.Delay(delay) : Task.CompletedTask;
}
