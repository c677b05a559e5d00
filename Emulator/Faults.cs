using System.Globalization;

namespace FlexShopper.Emulator;

/// <summary>Faults injected in front of the v3 API: latency, 429s, 503s, hangs, lost answers and random 500s.</summary>
public sealed partial class EmulatorState
{
    private FaultState _faults;

    public void SetFaults(FaultSettings settings)
    {
        lock (_gate)
        {
            _faults = new FaultState(settings.Clone());
        }
    }

    public FaultSettings Faults
    {
        get
        {
            lock (_gate)
            {
                return _faults.Settings.Clone();
            }
        }
    }

    /// <summary>Decides the fault for one request, using up counted faults.</summary>
    internal FaultDecision NextFault(string method, string path)
    {
        lock (_gate)
        {
            var f = _faults.Settings;
            var matches = (f.Methods.Count == 0 || f.Methods.Contains(method, StringComparer.OrdinalIgnoreCase))
                          && (f.PathContains.Count == 0 || f.PathContains.Any(p => path.Contains(p, StringComparison.OrdinalIgnoreCase)));
            if (!matches)
            {
                return new FaultDecision(0, FaultKind.None, 0);
            }

            var kind = FaultKind.None;
            if (f.RateLimitCount > 0)
            {
                f.RateLimitCount--;
                kind = FaultKind.RateLimited;
            }
            else if (f.Burst503Count > 0)
            {
                f.Burst503Count--;
                kind = FaultKind.Unavailable;
            }
            else if (f.HangCount > 0)
            {
                f.HangCount--;
                kind = FaultKind.Hang;
            }
            else if (f.LostResponseCount > 0)
            {
                f.LostResponseCount--;
                kind = FaultKind.LostResponse;
            }
            else if (f.ErrorRate > 0 && _faults.Random.NextDouble() < f.ErrorRate)
            {
                kind = FaultKind.ServerError;
            }

            return new FaultDecision(f.LatencyMs, kind, kind is FaultKind.Hang or FaultKind.LostResponse ? f.HangMs : f.RetryAfterSeconds);
        }
    }

    private sealed class FaultState(FaultSettings settings)
    {
        public FaultSettings Settings { get; } = settings;
        public Random Random { get; } = new(settings.Seed);
    }
}

public static partial class EmulatorApp
{
    private static async Task InjectFaults(HttpContext ctx, Func<Task> next, EmulatorState state)
    {
        var fault = state.NextFault(ctx.Request.Method, ctx.Request.Path.Value ?? "");
        if (fault.LatencyMs > 0)
        {
            await Task.Delay(fault.LatencyMs, ctx.RequestAborted);
        }

        switch (fault.Kind)
        {
            case FaultKind.RateLimited:
                ctx.Items[FaultItem] = "429";
                ctx.Response.Headers.RetryAfter = fault.Argument.ToString(CultureInfo.InvariantCulture);
                await Results.Json(new GatewayMessage("API rate limit exceeded"), Json.GatewayMessage, statusCode: 429).ExecuteAsync(ctx);
                return;
            case FaultKind.Unavailable:
                ctx.Items[FaultItem] = "503";
                await WriteError(ctx, new ApiError(503, "ServiceUnavailable", "FlexShopper is down for maintenance."));
                return;
            case FaultKind.ServerError:
                ctx.Items[FaultItem] = "500";
                await WriteError(ctx, new ApiError(500, "InternalServerError", "An unexpected error occurred."));
                return;
            case FaultKind.Hang:
                ctx.Items[FaultItem] = "hang";
                // Recorded as it starts (status 0: no answer), so a caller that gave up can already see it.
                state.Record(new RequestRecord(DateTimeOffset.UtcNow, ctx.Request.Method, ctx.Request.Path.Value ?? "", 0, "hang"));
                try
                {
                    await Task.Delay(fault.Argument, ctx.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    return; // the caller gave up, as it should
                }

                await Results.Json(new GatewayMessage("The upstream server is timing out"), Json.GatewayMessage, statusCode: 504).ExecuteAsync(ctx);
                return;
            case FaultKind.LostResponse:
                await CarryOutThenWithhold(ctx, next, state, fault.Argument);
                return;
            default:
                await next();
                return;
        }
    }

    /// <summary>Runs the request for real, throws its answer away and hangs: FlexShopper acted but the caller never hears.</summary>
    private static async Task CarryOutThenWithhold(HttpContext ctx, Func<Task> next, EmulatorState state, int hangMs)
    {
        var original = ctx.Response.Body;
        await using (var discarded = new MemoryStream())
        {
            ctx.Response.Body = discarded;
            try
            {
                await next();
            }
            finally
            {
                ctx.Response.Body = original;
            }
        }

        ctx.Items[FaultItem] = "lost";
        // Recorded once carried out, with the status the caller never received, so a test can wait for this moment.
        state.Record(new RequestRecord(DateTimeOffset.UtcNow, ctx.Request.Method, ctx.Request.Path.Value ?? "", ctx.Response.StatusCode, "lost"));
        try
        {
            await Task.Delay(hangMs, ctx.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            return; // the caller gave up without an answer
        }

        ctx.Response.Clear();
        await Results.Json(new GatewayMessage("The upstream server is timing out"), Json.GatewayMessage, statusCode: 504).ExecuteAsync(ctx);
    }

    private static void MapFaultsAdmin(RouteGroupBuilder admin, EmulatorState state)
    {
        admin.MapGet("/faults", () => Results.Json(state.Faults, Json.FaultSettings));
        admin.MapPost("/faults", async Task<IResult> (HttpContext ctx) =>
        {
            var faults = await Body(ctx, Json.FaultSettings);
            if (faults.ErrorRate is < 0 or > 1 || faults.LatencyMs < 0 || faults.RetryAfterSeconds < 0 || faults.HangMs < 0)
            {
                throw ApiError.Validation("faults", "errorRate must be 0..1 and every count and duration non-negative.");
            }

            state.SetFaults(faults);
            return Results.Json(state.Faults, Json.FaultSettings);
        });
        admin.MapDelete("/faults", () =>
        {
            state.SetFaults(new FaultSettings());
            return Results.NoContent();
        });
    }
}

/// <summary>
/// Faults injected in front of the v3 API. Counted faults (<see cref="RateLimitCount"/>, <see cref="Burst503Count"/>,
/// <see cref="HangCount"/>, <see cref="LostResponseCount"/>) are used up one request at a time, in that order, before
/// any random error.
/// </summary>
public sealed class FaultSettings
{
    /// <summary>Delay added to every matching request, in milliseconds.</summary>
    public int LatencyMs { get; set; }

    /// <summary>Probability (0..1) that a matching request fails with a 500 envelope.</summary>
    public double ErrorRate { get; set; }

    /// <summary>The next N matching requests answer 429 with <c>Retry-After</c>.</summary>
    public int RateLimitCount { get; set; }

    /// <summary>The <c>Retry-After</c> value sent with 429s, in seconds.</summary>
    public int RetryAfterSeconds { get; set; } = 1;

    /// <summary>The next N matching requests answer 503 (maintenance).</summary>
    public int Burst503Count { get; set; }

    /// <summary>The next N matching requests hang for <see cref="HangMs"/> (or until the caller gives up).</summary>
    public int HangCount { get; set; }

    public int HangMs { get; set; } = 60_000;

    /// <summary>
    /// The next N matching requests are carried out, then their answer is withheld for <see cref="HangMs"/> (then 504):
    /// the connection dropped after FlexShopper acted, so the caller cannot know whether it did.
    /// </summary>
    public int LostResponseCount { get; set; }

    /// <summary>Only requests with these methods get faults (empty: all).</summary>
    public List<string> Methods { get; set; } = [];

    /// <summary>Only requests whose path contains one of these get faults (empty: all).</summary>
    public List<string> PathContains { get; set; } = [];

    /// <summary>Seed for <see cref="ErrorRate"/>, so a faulty run can be replayed.</summary>
    public int Seed { get; set; } = 1;

    internal FaultSettings Clone() => new()
    {
        LatencyMs = LatencyMs,
        ErrorRate = ErrorRate,
        RateLimitCount = RateLimitCount,
        RetryAfterSeconds = RetryAfterSeconds,
        Burst503Count = Burst503Count,
        HangCount = HangCount,
        HangMs = HangMs,
        LostResponseCount = LostResponseCount,
        Methods = [.. Methods],
        PathContains = [.. PathContains],
        Seed = Seed,
    };
}

internal enum FaultKind
{
    None,
    RateLimited,
    Unavailable,
    Hang,
    LostResponse,
    ServerError,
}

internal readonly record struct FaultDecision(int LatencyMs, FaultKind Kind, int Argument);
