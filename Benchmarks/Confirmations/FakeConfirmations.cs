using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace FlexFunctions.Benchmarks.Confirmations;

/// <summary>What the fake saw: requests, confirmations made, 503s injected, transactions confirmed more than once.</summary>
internal sealed record UpstreamStats(int Requests, int Successes, int Injected, int Doubles);

/// <summary>
/// FlexShopper's Confirm Shipment in the fake's own process. The first request for transaction <c>B-n</c> with n a
/// multiple of 1/failures is answered 503 (FlexShopper certainly did not act). <c>POST /__set?failures=&amp;delayMs=</c>,
/// <c>POST /__reset</c> and <c>GET /__stats</c> drive it.
/// </summary>
internal static class FakeConfirmations
{
    public static void Map(WebApplication app)
    {
        var attempts = new ConcurrentDictionary<string, int>();
        var confirmed = new ConcurrentDictionary<string, int>();
        int requests = 0, successes = 0, injected = 0;
        var failEvery = int.MaxValue;
        var delay = TimeSpan.Zero;
        app.MapPost("/__set", (HttpContext context) =>
        {
            var failures = double.Parse(context.Request.Query["failures"]!, CultureInfo.InvariantCulture);
            failEvery = failures <= 0 ? int.MaxValue : (int)Math.Round(1 / failures);
            delay = TimeSpan.FromMilliseconds(double.Parse(context.Request.Query["delayMs"]!, CultureInfo.InvariantCulture));
            return Results.Ok();
        });
        app.MapPost("/__reset", () =>
        {
            attempts.Clear();
            confirmed.Clear();
            requests = successes = injected = 0;
            return Results.Ok();
        });
        app.MapGet("/__stats", () => Results.Json(new UpstreamStats(requests, successes, injected, confirmed.Count(c => c.Value > 1))));
        app.MapPost("/v3/transactions/{id}/confirm-shipment", async (string id) =>
        {
            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay); // as FlexShopper across the internet: duplicates then meet a claim in flight
            }

            Interlocked.Increment(ref requests);
            var attempt = attempts.AddOrUpdate(id, 1, (_, n) => n + 1);
            var number = id.StartsWith("B-", StringComparison.Ordinal) && int.TryParse(id.AsSpan(2), CultureInfo.InvariantCulture, out var n) ? n : -1;
            if (attempt == 1 && number >= 0 && number % failEvery == 0)
            {
                Interlocked.Increment(ref injected);
                return Results.Json(new Dictionary<string, object> { ["error"] = new Dictionary<string, object> { ["statusCode"] = 503, ["message"] = "maintenance" } }, statusCode: 503);
            }

            Interlocked.Increment(ref successes);
            confirmed.AddOrUpdate(id, 1, (_, c) => c + 1);
            return Results.Text("{\"data\":{}}", "application/json");
        });
    }
}
