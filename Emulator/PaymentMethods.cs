using System.Text.Json;
using System.Text.Json.Serialization;

namespace FlexShopper.Emulator;

/// <summary>
/// One entry of Get Payment Methods (<c>GET /v3/customers/me/payment-methods</c>, documented in the 3.0-beta pages):
/// <c>{id, type, cardBrand, lastFour, firstSix, label}</c>. A bank account's <c>type</c> is not documented; the
/// emulator says <c>ach</c>.
/// </summary>
public sealed record PaymentMethodData(string Id, string Type, string? CardBrand, string? LastFour, string? FirstSix, string? Label);

public sealed partial class EmulatorState
{
    private readonly Dictionary<string, List<PaymentMethodData>> _paymentMethods = new(StringComparer.Ordinal);

    /// <summary>Add Payment Method: exactly one of <c>ach</c> (a bank FlexShopper accepts) or <c>token</c>; only what the list shows is kept.</summary>
    public void AddPaymentMethod(string userId, AddPaymentMethodBody body)
    {
        if ((body.Ach is null) == (body.Token is null))
        {
            throw ApiError.Validation("ach", "Send exactly one of 'ach' or 'token'.");
        }

        PaymentMethodData method;
        if (body.Ach is { } ach)
        {
            RequireAcceptedRouting(Text(ach, "routing"), "ach.routing");
            var account = Require(Text(ach, "account"), "ach.account");
            method = new PaymentMethodData(NewId(), "ach", null, account[^Math.Min(4, account.Length)..], null, body.Label);
        }
        else
        {
            var token = body.Token!.Value;
            var cardType = Require(Text(token, "cardType"), "token.cardType");
            Require(Text(token, "billingZip"), "token.billingZip");
            if (!token.TryGetProperty("token", out var value) || value.ValueKind is not (JsonValueKind.String or JsonValueKind.Array))
            {
                throw ApiError.Validation("token.token", "token.token is required.");
            }

            method = new PaymentMethodData(NewId(), "card", BrandName(cardType), Text(token, "lastFour"), Text(token, "firstSix"), body.Label);
        }

        lock (_gate)
        {
            FindUser(userId);
            if (!_paymentMethods.TryGetValue(userId, out var methods))
            {
                _paymentMethods[userId] = methods = [];
            }

            methods.Add(method);
        }
    }

    public IReadOnlyList<PaymentMethodData> PaymentMethods(string userId)
    {
        lock (_gate)
        {
            return _paymentMethods.TryGetValue(userId, out var methods) ? [.. methods] : [];
        }
    }

    private void ResetPaymentMethods() => _paymentMethods.Clear();

    private static string? Text(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string NewId() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12));

    // The list shows brands as words ("American Express"), the request sends codes ("american-express").
    private static string BrandName(string cardType) => cardType switch
    {
        "american-express" => "American Express",
        "visa" => "Visa",
        "mastercard" => "Mastercard",
        "discover" => "Discover",
        _ => cardType,
    };
}

public static partial class EmulatorApp
{
    private static void MapPaymentMethods(RouteGroupBuilder v3, EmulatorState state)
    {
        // Not enveloped, as documented: {"status":"Success","childKey":"..."}.
        v3.MapPost("/paymentMethods/child-transaction-key", () =>
            Results.Json(new ChildKeyData("Success", Guid.NewGuid().ToString()), Json.ChildKeyData));
        v3.MapPost("/paymentMethods/add", async Task<IResult> (HttpContext ctx) =>
        {
            var user = Customer(ctx, state);
            state.AddPaymentMethod(user, await Body(ctx, Json.AddPaymentMethodBody));
            return Ok(new EmptyData(), Json.DataEnvelopeEmptyData);
        });
        v3.MapGet("/customers/me/payment-methods", (HttpContext ctx) =>
            Ok(state.PaymentMethods(Customer(ctx, state)).ToList(), PaymentMethodsJson.Default.DataEnvelopeListPaymentMethodData));
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(DataEnvelope<List<PaymentMethodData>>))]
internal sealed partial class PaymentMethodsJson : JsonSerializerContext;
