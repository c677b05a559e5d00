using System.Security.Cryptography;

namespace FlexShopper.Emulator;

/// <summary>The gateway's keys (Kong key-auth) and the customer tokens bound to the key that minted them.</summary>
public sealed partial class EmulatorState
{
    private readonly Dictionary<string, TokenGrant> _tokens = new(StringComparer.Ordinal);
    private readonly List<TokenKeyViolation> _violations = [];
    private HashSet<string> _apiKeys;

    public bool IsKnownKey(string key)
    {
        lock (_gate)
        {
            return _apiKeys.Contains(key);
        }
    }

    /// <summary>Replaces the accepted keys, e.g. to retire a rotated key.</summary>
    public void SetApiKeys(IEnumerable<string> keys)
    {
        lock (_gate)
        {
            _apiKeys = new HashSet<string>(keys, StringComparer.Ordinal);
        }
    }

    public IReadOnlyList<string> ApiKeys
    {
        get
        {
            lock (_gate)
            {
                return [.. _apiKeys];
            }
        }
    }

    public IReadOnlyList<TokenKeyViolation> Violations
    {
        get
        {
            lock (_gate)
            {
                return [.. _violations];
            }
        }
    }

    /// <summary>The user a token belongs to, refusing (and recording) a token presented with another key.</summary>
    public string ResolveCustomer(string? token, string apiKey, string method, string path)
    {
        if (string.IsNullOrWhiteSpace(token))
        {
            throw ApiError.Unauthorized("MissingCustomerToken", "A Customer-Token header is required for this resource.");
        }

        lock (_gate)
        {
            if (!_tokens.TryGetValue(token, out var grant))
            {
                throw ApiError.Unauthorized("InvalidCustomerToken", "The customer token is invalid or has expired.");
            }

            if (!string.Equals(grant.ApiKey, apiKey, StringComparison.Ordinal))
            {
                // FlexShopper may suspend both accounts for this; the emulator refuses and remembers.
                _violations.Add(new TokenKeyViolation(_time.GetUtcNow(), method, path, grant.UserId, Hint(grant.ApiKey), Hint(apiKey)));
                throw ApiError.Unauthorized("InvalidCustomerToken", "The customer token was not issued for this API key.");
            }

            return grant.UserId;
        }
    }

    /// <summary>A new customer token for <paramref name="userId"/>, bound to <paramref name="apiKey"/> (call under the lock).</summary>
    private string Mint(string userId, string apiKey)
    {
        var token = "eyJ" + Base64Url(RandomNumberGenerator.GetBytes(24)) + "." + Base64Url(RandomNumberGenerator.GetBytes(24));
        _tokens[token] = new TokenGrant(userId, apiKey);
        return token;
    }

    private void ResetTokens()
    {
        _tokens.Clear();
        _violations.Clear();
    }

    private static string Hint(string key) => key.Length <= 4 ? "****" : "****" + key[^4..];

    private sealed record TokenGrant(string UserId, string ApiKey);
}

public static partial class EmulatorApp
{
    /// <summary>Kong key-auth: the raw API key in <c>Authorization</c>, bare <c>{"message"}</c> 401s.</summary>
    private static Task Gateway(HttpContext ctx, Func<Task> next, EmulatorState state)
    {
        var key = ctx.Request.Headers.Authorization.ToString();
        if (string.IsNullOrWhiteSpace(key))
        {
            return Results.Json(new GatewayMessage("No API key found in request"), Json.GatewayMessage, statusCode: 401).ExecuteAsync(ctx);
        }

        if (!state.IsKnownKey(key))
        {
            return Results.Json(new GatewayMessage("Invalid authentication credentials"), Json.GatewayMessage, statusCode: 401).ExecuteAsync(ctx);
        }

        ctx.Items[ApiKeyItem] = key;
        return next();
    }

    private static string KeyOf(HttpContext ctx) => (string)ctx.Items[ApiKeyItem]!;

    private static string Customer(HttpContext ctx, EmulatorState state) =>
        state.ResolveCustomer(ctx.Request.Headers["Customer-Token"].ToString(), KeyOf(ctx), ctx.Request.Method, ctx.Request.Path.Value ?? "");

    private static void MapGatewayAdmin(RouteGroupBuilder admin, EmulatorState state)
    {
        admin.MapGet("/violations", () => Results.Json([.. state.Violations], Json.ListTokenKeyViolation));
        admin.MapGet("/keys", () => Results.Json(new AdminKeys([.. state.ApiKeys]), Json.AdminKeys));
        admin.MapPut("/keys", async Task<IResult> (HttpContext ctx) =>
        {
            var keys = await Body(ctx, Json.AdminKeys);
            if (keys.ApiKeys is not { Count: > 0 } || keys.ApiKeys.Any(string.IsNullOrWhiteSpace))
            {
                throw ApiError.Validation("apiKeys", "apiKeys must list at least one non-empty key.");
            }

            state.SetApiKeys(keys.ApiKeys);
            return Results.NoContent();
        });
    }
}
