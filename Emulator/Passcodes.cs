using System.Globalization;
using System.Security.Cryptography;

namespace FlexShopper.Emulator;

/// <summary>Customer authentication: single-use, short-lived passcodes "sent" to the outbox, and passcode login.</summary>
public sealed partial class EmulatorState
{
    private readonly List<Passcode> _passcodes = [];
    private readonly List<OutboxMessage> _outbox = [];

    public void SendPasscode(string userId, SendPasscodeBody body)
    {
        var transport = body.Transport;
        if (transport is not ("sms" or "email" or "all"))
        {
            throw ApiError.Validation("transport", "transport must be 'sms', 'email' or 'all'.");
        }

        lock (_gate)
        {
            var user = FindUser(userId);
            var now = _time.GetUtcNow();
            // A new passcode replaces any earlier one still outstanding.
            foreach (var earlier in _passcodes.Where(p => p.UserId == userId))
            {
                earlier.Used = true;
            }

            var code = RandomNumberGenerator.GetInt32(0, 1_000_000).ToString("D6", CultureInfo.InvariantCulture);
            var expires = now + _options.PasscodeLifetime;
            _passcodes.Add(new Passcode(userId, code, expires));
            _outbox.Add(new OutboxMessage(userId, user.Email, transport, code, now, expires));
        }
    }

    public TokenData Login(string userId, LoginBody body, string apiKey)
    {
        var given = Require(body.Passcode, "passcode");
        lock (_gate)
        {
            FindUser(userId);
            var now = _time.GetUtcNow();
            var match = _passcodes.FirstOrDefault(p => p.UserId == userId && !p.Used && p.Code == given.Trim());
            if (match is null)
            {
                throw new ApiError(400, "InvalidPasscode", "The passcode is invalid or has already been used.");
            }

            match.Used = true; // single use, even when it turns out to be expired
            if (now >= match.ExpiresAt)
            {
                throw new ApiError(400, "ExpiredPasscode", "The passcode has expired; request a new one.");
            }

            return new TokenData(Mint(userId, apiKey));
        }
    }

    public IReadOnlyList<OutboxMessage> Outbox(string? userId = null, string? email = null)
    {
        lock (_gate)
        {
            return [.. _outbox.Where(m => (userId is null || m.UserId == userId)
                                           && (email is null || string.Equals(m.Email, email, StringComparison.OrdinalIgnoreCase)))];
        }
    }

    private void ResetPasscodes()
    {
        _passcodes.Clear();
        _outbox.Clear();
    }

    private sealed class Passcode(string userId, string code, DateTimeOffset expiresAt)
    {
        public string UserId { get; } = userId;
        public string Code { get; } = code;
        public DateTimeOffset ExpiresAt { get; } = expiresAt;
        public bool Used { get; set; }
    }
}

public static partial class EmulatorApp
{
    private static void MapPasscodes(RouteGroupBuilder v3, EmulatorState state)
    {
        v3.MapPost("/users/{userId}/send-passcode", async Task<IResult> (HttpContext ctx, string userId) =>
        {
            state.SendPasscode(userId, await Body(ctx, Json.SendPasscodeBody));
            return Results.Json(new StatusEnvelope(200, new EmptyData()), Json.StatusEnvelope);
        });
        v3.MapPost("/users/{userId}/passcode-login", async Task<IResult> (HttpContext ctx, string userId) =>
            Ok(state.Login(userId, await Body(ctx, Json.LoginBody), KeyOf(ctx)), Json.DataEnvelopeTokenData));
    }

    private static void MapPasscodesAdmin(RouteGroupBuilder admin, EmulatorState state) =>
        admin.MapGet("/outbox", (HttpContext ctx) =>
        {
            var userId = ctx.Request.Query["userId"].ToString();
            var email = ctx.Request.Query["email"].ToString();
            return Results.Json([.. state.Outbox(userId.Length == 0 ? null : userId, email.Length == 0 ? null : email)], Json.ListOutboxMessage);
        });
}
