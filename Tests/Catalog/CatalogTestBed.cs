using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using FlexFunctions.Functions.Http;
using FlexFunctions.Shared.Catalog;
using FlexFunctions.Shared.Http;
using FlexFunctions.Shared.Storage;
using FlexFunctions.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using WireMock.ResponseBuilders;
using Request = WireMock.RequestBuilders.Request;

namespace FlexFunctions.Tests.Catalog;

/// <summary>The real service graph against the shared Azurite (unique tables) and a WireMock FlexShopper.</summary>
internal sealed class CatalogTestBed : IDisposable
{
    public const decimal MinimumOrderValue = 49.95m;

    private CatalogTestBed(FakeFlexShopper fake, TestServices services, WriteCounter writes, FakeTimeProvider time, Dictionary<string, string?> settings)
    {
        Fake = fake;
        Services = services;
        Writes = writes;
        Time = time;
        Settings = settings;
    }

    public FakeFlexShopper Fake { get; }
    public TestServices Services { get; }
    public WriteCounter Writes { get; }
    /// <summary>The clock, when created with <c>fakeTime</c>.</summary>
    public FakeTimeProvider Time { get; }
    public Dictionary<string, string?> Settings { get; }
    public CatalogRefresher Refresher => Services.Get<CatalogRefresher>();
    public CatalogReader Reader => Services.Get<CatalogReader>();
    public TableClient CatalogTable => Services.Get<TableServiceClient>().GetTableClient(Settings["Tables:Catalog"]);
    public TableClient RunsTable => Services.Get<TableServiceClient>().GetTableClient(Settings["Tables:CatalogRuns"]);

    /// <summary>
    /// With <paramref name="fakeTime"/> the whole graph (the HTTP resilience pipeline included) runs on a fake clock,
    /// so use it only where FlexShopper answers every call at once: retry delays would never elapse.
    /// </summary>
    public static CatalogTestBed Create(bool fakeTime = false, Action<Dictionary<string, string?>>? configure = null)
    {
        var fake = new FakeFlexShopper();
        var settings = TestServices.DefaultSettings(fake.BaseUrl);
        settings["CatalogRefreshSchedule"] = "0 0 */6 * * *";
        settings["Catalog:LockDuration"] = "00:05:00";
        configure?.Invoke(settings);
        var writes = new WriteCounter(settings["Tables:Catalog"]!);
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero));
        var services = TestServices.Build(settings, s =>
        {
            // On every storage client the graph builds, the catalog's entity group transactions included.
            s.AddSingleton(new StoragePipelinePolicies((writes, HttpPipelinePosition.PerCall)));
            if (fakeTime)
            {
                s.AddSingleton<TimeProvider>(time);
            }
        });
        return new CatalogTestBed(fake, services, writes, time, settings);
    }

    public static IReadOnlyList<(string Sku, string? Name, string? Url)> Products(int count, string prefix = "SKU-", string nameSuffix = "") =>
        Enumerable.Range(1, count).Select(i => ($"{prefix}{i:D5}", (string?)$"Product {i}{nameSuffix}", (string?)$"https://www.flexshopper.com/product/{i}")).ToList();

    /// <summary>Serves <paramref name="products"/> in pages of <paramref name="pageSize"/>, then an empty page; replaces earlier stubs.</summary>
    public void ServeCatalog(IReadOnlyList<(string Sku, string? Name, string? Url)> products, int pageSize = 100, int? failPage = null)
    {
        Fake.Server.Reset();
        Fake.Server.Given(Request.Create().WithPath("/v3/settings/lease").UsingGet())
            .RespondWith(Json(new JsonObject { ["data"] = new JsonObject { ["minimumOrderValue"] = MinimumOrderValue } }));
        var pages = products.Chunk(pageSize).ToList();
        for (var i = 0; i <= pages.Count; i++)
        {
            var page = i + 1;
            var request = Request.Create().WithPath("/v3/products").WithParam("page", page.ToString(System.Globalization.CultureInfo.InvariantCulture)).UsingGet();
            if (page == failPage)
            {
                Fake.Server.Given(request).RespondWith(Response.Create().WithStatusCode(500).WithHeader("Content-Type", "application/json")
                    .WithBody("""{"error":{"code":"InternalError","message":"boom"}}"""));
                continue;
            }

            var items = new JsonArray();
            foreach (var (sku, name, url) in i < pages.Count ? pages[i] : [])
            {
                items.Add(new JsonObject { ["sku"] = sku, ["name"] = name, ["url"] = url });
            }

            Fake.Server.Given(request).RespondWith(Json(new JsonObject { ["data"] = new JsonObject { ["products"] = items } }));
        }
    }

    public async Task<List<TableEntity>> CatalogRowsAsync()
    {
        var rows = new List<TableEntity>();
        await foreach (var row in CatalogTable.QueryAsync<TableEntity>())
        {
            rows.Add(row);
        }

        return rows;
    }

    public CatalogFunctions ReadFunctions() => new(Reader, Services.Get<DependencyGuard>());

    public CatalogAdminFunctions AdminFunctions() => new(Refresher, Services.Get<DependencyGuard>());

    public static HttpRequest Get(string query = "")
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "GET";
        context.Request.QueryString = new QueryString(query);
        return context.Request;
    }

    /// <summary>Executes a result the way the host would and returns status, headers and body.</summary>
    public static async Task<(int Status, IHeaderDictionary Headers, JsonElement Body)> ExecuteAsync(IActionResult result)
    {
        var context = new DefaultHttpContext();
        var body = new MemoryStream();
        context.Response.Body = body;
        await result.ExecuteResultAsync(new ActionContext(context, new RouteData(), new ActionDescriptor()));
        using var doc = JsonDocument.Parse(Encoding.UTF8.GetString(body.ToArray()));
        return (context.Response.StatusCode, context.Response.Headers, doc.RootElement.Clone());
    }

    public void Dispose()
    {
        Services.Dispose();
        Fake.Dispose();
    }

    private static IResponseBuilder Json(JsonNode body) =>
        Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(body.ToJsonString());
}

/// <summary>Counts writes to the catalog table: entity group transactions and single-entity writes.</summary>
internal sealed class WriteCounter(string catalogTable) : HttpPipelineSynchronousPolicy
{
    private int _batches;
    private int _singleWrites;

    public int Batches => Volatile.Read(ref _batches);
    public int SingleWrites => Volatile.Read(ref _singleWrites);
    public int CatalogWrites => Batches + SingleWrites;

    public void Reset()
    {
        Interlocked.Exchange(ref _batches, 0);
        Interlocked.Exchange(ref _singleWrites, 0);
    }

    public override void OnSendingRequest(HttpMessage message)
    {
        if (message.Request.Method == RequestMethod.Get)
        {
            return;
        }

        var path = message.Request.Uri.Path;
        if (path.EndsWith("$batch", StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _batches); // only the catalog is written in batches
        }
        else if (path.Contains("/" + catalogTable + "(", StringComparison.Ordinal) || path.EndsWith("/" + catalogTable, StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _singleWrites);
        }
    }
}
