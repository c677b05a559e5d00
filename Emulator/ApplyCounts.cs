using System.Text.Json;
using System.Text.Json.Serialization;

namespace FlexShopper.Emulator;

/// <summary>
/// How many times FlexShopper carried out each step for each subject: every request to a changing route that the
/// API behind the gateway answered with success, including one whose answer the lost-answer fault then withheld
/// and a repeat the emulator treats as a no-op (signing or finalizing again), since the real API's handling of
/// repeats is not documented. A request refused (4xx) or stopped by a fault before the API is not an apply.
/// </summary>
public sealed record ApplyCount(string Step, string Subject, int Count);

public sealed partial class EmulatorState
{
    private readonly Dictionary<(string Step, string Subject), int> _applies = [];

    /// <summary>Every step carried out, per subject (a transaction id, lease id, email or user id).</summary>
    public IReadOnlyList<ApplyCount> Applies
    {
        get
        {
            lock (_gate)
            {
                return [.. _applies.OrderBy(a => a.Key.Step, StringComparer.Ordinal).ThenBy(a => a.Key.Subject, StringComparer.Ordinal)
                    .Select(a => new ApplyCount(a.Key.Step, a.Key.Subject, a.Value))];
            }
        }
    }

    /// <summary>How many times <paramref name="step"/> was carried out for <paramref name="subject"/> (any subject when null).</summary>
    public int AppliedCount(string step, string? subject = null)
    {
        lock (_gate)
        {
            return _applies.Where(a => a.Key.Step == step && (subject is null || a.Key.Subject == subject)).Sum(a => a.Value);
        }
    }

    internal void RecordApply(string step, string subject)
    {
        lock (_gate)
        {
            _applies[(step, subject)] = _applies.GetValueOrDefault((step, subject)) + 1;
        }
    }

    private void ResetApplies() => _applies.Clear();

    /// <summary>The user a customer token belongs to, without the key check (and without recording a violation).</summary>
    internal string? UserOfToken(string? token)
    {
        lock (_gate)
        {
            return token is not null && _tokens.TryGetValue(token, out var grant) ? grant.UserId : null;
        }
    }
}

public static partial class EmulatorApp
{
    /// <summary>A changing v3 route, the step it carries out, and where its subject comes from.</summary>
    private sealed record StepRoute(string Step, string? RouteValue = null, string? BodyField = null, bool Customer = false);

    // Keyed by the route template under /v3.
    private static readonly Dictionary<string, StepRoute> StepRoutes = new(StringComparer.Ordinal)
    {
        ["/users"] = new("CreateUser", BodyField: "email"),
        ["/paymentMethods/add"] = new("AddPaymentMethod", Customer: true),
        ["/users/{userId}/send-passcode"] = new("SendPasscode", RouteValue: "userId"),
        ["/users/me/apply"] = new("Apply", Customer: true),
        ["/users/me/verify-answers"] = new("VerifyAnswers", Customer: true),
        ["/leases"] = new("CreateLease", BodyField: "transactionId"),
        ["/leases/{leaseId}/sign"] = new("SignLease", RouteValue: "leaseId"),
        ["/transactions/{id}/finalize"] = new("Finalize", RouteValue: "id"),
        ["/transactions/{id}/cancel"] = new("CancelItems", RouteValue: "id"),
        ["/transactions/{id}/return"] = new("ReturnItems", RouteValue: "id"),
        ["/transactions/{id}/return-items"] = new("ReturnItems", RouteValue: "id"),
        ["/transactions/{id}/confirm-shipment"] = new("ConfirmShipment", RouteValue: "id"),
        ["/transactions/{id}/confirm-receipt"] = new("ConfirmReceipt", RouteValue: "id"),
    };

    /// <summary>Counts the request as an apply of its step once the API answered it with success.</summary>
    private static async Task CountApplies(HttpContext ctx, Func<Task> next, EmulatorState state)
    {
        var template = (ctx.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText;
        if (!HttpMethods.IsPost(ctx.Request.Method) || template is null || !StepRoutes.TryGetValue(template.StartsWith("/v3", StringComparison.Ordinal) ? template[3..] : template, out var route))
        {
            await next();
            return;
        }

        if (route.BodyField is not null)
        {
            ctx.Request.EnableBuffering(); // the subject is in the body the endpoint reads
        }

        await next();
        if (ctx.Response.StatusCode is < 200 or >= 300)
        {
            return;
        }

        var subject = route switch
        {
            { RouteValue: { } name } => ctx.Request.RouteValues[name] as string,
            { BodyField: { } field } => await BodyFieldAsync(ctx, field),
            _ => state.UserOfToken(ctx.Request.Headers["Customer-Token"].ToString()),
        };
        state.RecordApply(route.Step, subject ?? "");
    }

    private static async Task<string?> BodyFieldAsync(HttpContext ctx, string field)
    {
        ctx.Request.Body.Position = 0;
        try
        {
            using var doc = await JsonDocument.ParseAsync(ctx.Request.Body);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.String
                ? (field == "email" ? value.GetString()!.Trim().ToLowerInvariant() : value.GetString())
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static void MapApplies(RouteGroupBuilder admin, EmulatorState state) =>
        admin.MapGet("/applies", () => Results.Json([.. state.Applies], ApplyJson.Default.ListApplyCount));
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(List<ApplyCount>))]
internal sealed partial class ApplyJson : JsonSerializerContext;
