using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace FlexFunctions.Benchmarks.HttpPath;

/// <summary>
/// The FlexShopper calls the measured routes make, in the fake's own process, each answered after the delay set with
/// <c>POST /__set?delayMs=</c>. A user id starting with <c>w</c> gets the wrong-passcode answer (400).
/// </summary>
internal static class FakeFlexShopper
{
    public const string Token = "bench-customer-token";
    private static readonly byte[] Ok = Encoding.UTF8.GetBytes("""{"status":200,"data":{}}""");
    private static readonly byte[] LoginAnswer = Encoding.UTF8.GetBytes($$$"""{"status":200,"data":{"token":"{{{Token}}}"}}""");
    private static readonly byte[] WrongPasscode = Encoding.UTF8.GetBytes("""{"error":{"code":"InvalidPasscode","message":"wrong passcode","statusCode":400}}""");
    private static readonly byte[] LeaseAnswer = Encoding.UTF8.GetBytes("""{"status":200,"data":{"leaseId":"L1","payment":24.99,"term":52,"cashPrice":599.99}}""");
    private static readonly byte[] TransactionAnswer = Encoding.UTF8.GetBytes("""{"data":{"id":"T1","lease":{"id":"L1","status":"signed"}}}""");
    private static readonly byte[] FinalizeAnswer = Encoding.UTF8.GetBytes("""{"data":{"transactionId":"T1","loanNumber":"LN-1","leaseNumber":"LS-1"}}""");

    public static void Map(WebApplication app)
    {
        var delay = TimeSpan.Zero;
        app.MapPost("/__set", (HttpContext c) =>
        {
            delay = TimeSpan.FromMilliseconds(double.Parse(c.Request.Query["delayMs"]!, CultureInfo.InvariantCulture));
            return Results.Ok();
        });
        app.MapPost("/v3/users/{id}/passcode-login", (string id, HttpContext c) =>
            id.StartsWith('w') ? Answer(c, WrongPasscode, delay, StatusCodes.Status400BadRequest) : Answer(c, LoginAnswer, delay));
        app.MapPost("/v3/users/{id}/send-passcode", (HttpContext c) => Answer(c, Ok, delay));
        app.MapPost("/v3/leases", (HttpContext c) => Answer(c, LeaseAnswer, delay));
        app.MapPost("/v3/leases/{id}/sign", (HttpContext c) => Answer(c, Ok, delay));
        app.MapGet("/v3/transactions/{id}", (HttpContext c) => Answer(c, TransactionAnswer, delay));
        app.MapPost("/v3/transactions/{id}/finalize", (HttpContext c) => Answer(c, FinalizeAnswer, delay));
    }

    private static async Task Answer(HttpContext context, byte[] body, TimeSpan delay, int status = StatusCodes.Status200OK)
    {
        // Read what was sent, as a server does, before answering.
        await context.Request.Body.CopyToAsync(Stream.Null);
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay);
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(body);
    }
}
