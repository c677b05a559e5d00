using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace FlexShopper.Emulator;

/// <summary>Builds the emulator as a <see cref="WebApplication"/>: the standalone program and the tests both use this.</summary>
public static partial class EmulatorApp
{
    private const string ApiKeyItem = "emulator.apiKey";
    private const string FaultItem = "emulator.fault";
    private static readonly EmulatorJson Json = EmulatorJson.Default;

    /// <summary>
    /// The start-up line: where the API is and how many keys it accepts, never the keys themselves (a console is
    /// copied into terminals, CI logs and issues). They are read at <c>GET /__admin/keys</c>.
    /// </summary>
    public static string Banner(EmulatorOptions options, string url)
    {
        ArgumentNullException.ThrowIfNull(options);
        var keys = options.ApiKeys.Count > 0 ? $"{options.ApiKeys.Count} from Emulator:ApiKeys" : $"the {EmulatorOptions.DefaultApiKeys.Count} local defaults";
        return $"FlexShopper emulator: {url}/v3/ (API keys accepted: {keys}; listed at {url}/__admin/keys); admin: {url}/__admin/health, /__admin/outbox";
    }

    /// <summary>
    /// The emulator listening on <paramref name="url"/>, which must be a 127.0.0.1 address (never another interface).
    /// Read or change its state through <see cref="EmulatorState"/> in <c>app.Services</c> or the <c>/__admin</c> endpoints.
    /// </summary>
    public static WebApplication Build(EmulatorOptions options, string url = EmulatorOptions.DefaultUrl, TimeProvider? time = null, string[]? args = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var uri = new Uri(url);
        if (!IPAddress.TryParse(uri.Host, out var ip) || !IPAddress.IsLoopback(ip))
        {
            throw new ArgumentException($"The emulator listens on loopback only; '{url}' is not a 127.0.0.1 address.", nameof(url));
        }

        var builder = WebApplication.CreateSlimBuilder(args ?? []);
        builder.WebHost.UseUrls(url);
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, Json));
        builder.Services.AddSingleton(new EmulatorState(options, time ?? TimeProvider.System));
        builder.Logging.SetMinimumLevel(LogLevel.Warning);

        var app = builder.Build();
        var state = app.Services.GetRequiredService<EmulatorState>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("FlexShopper.Emulator");

        app.Use((ctx, next) => RecordAndHandleErrors(ctx, next, state, logger));
        app.UseWhen(ctx => ctx.Request.Path.StartsWithSegments("/v3"), v3 =>
        {
            v3.Use((ctx, next) => InjectFaults(ctx, next, state));
            v3.Use((ctx, next) => Gateway(ctx, next, state));
            v3.Use((ctx, next) => CountApplies(ctx, next, state));
        });

        MapV3(app.MapGroup("/v3"), state);
        MapAdmin(app.MapGroup("/__admin"), state);
        app.MapFallback("/v3/{**path}", () => Results.Json(new GatewayMessage("no Route matched with those values"), Json.GatewayMessage, statusCode: 404));
        return app;
    }

    // ---- Middleware ----

    private static async Task RecordAndHandleErrors(HttpContext ctx, Func<Task> next, EmulatorState state, ILogger logger)
    {
        try
        {
            await next();
        }
        catch (ApiError error) when (!ctx.Response.HasStarted)
        {
            await WriteError(ctx, error);
        }
        catch (Exception ex) when (!ctx.Response.HasStarted && ex is not OperationCanceledException)
        {
            LogUnexpected(logger, ex);
            await WriteError(ctx, new ApiError(500, "InternalServerError", "The emulator failed: " + ex.GetType().Name));
        }
        finally
        {
            if (ctx.Request.Path.StartsWithSegments("/v3") && ctx.Items[FaultItem] is not ("hang" or "lost"))
            {
                // Path only: queries carry emails, and headers and bodies carry keys, tokens and passcodes.
                state.Record(new RequestRecord(DateTimeOffset.UtcNow, ctx.Request.Method, ctx.Request.Path.Value ?? "",
                    ctx.Response.StatusCode,
                    ctx.Items[FaultItem] as string));
            }
        }
    }

    // ---- v3: each capability maps its own routes, in its own file ----

    private static void MapV3(RouteGroupBuilder v3, EmulatorState state)
    {
        MapUsers(v3, state);
        MapPaymentMethods(v3, state);
        MapPasscodes(v3, state);
        MapApplications(v3, state);
        MapRoutingNumbers(v3);
        MapLeases(v3, state);
        MapTransactions(v3, state);
        MapDeliveries(v3, state);
        MapCancelAndReturn(v3, state);
        MapCatalog(v3, state);
    }

    // ---- Admin (loopback only, no key: a developer tool) ----

    private static void MapAdmin(RouteGroupBuilder admin, EmulatorState state)
    {
        admin.MapGet("/health", () => Results.Json(state.Health(), Json.Health));
        admin.MapPost("/reset", () =>
        {
            state.Reset();
            return Results.NoContent();
        });
        MapPasscodesAdmin(admin, state);
        MapGatewayAdmin(admin, state);
        MapDeliveriesAdmin(admin, state);
        MapRequestLogAdmin(admin, state);
        MapFaultsAdmin(admin, state);
        MapApplies(admin, state);
    }

    // ---- Helpers ----

    private static IResult Ok<T>(T data, JsonTypeInfo<DataEnvelope<T>> type) => Results.Json(new DataEnvelope<T>(data), type);

    private static Task WriteError(HttpContext ctx, ApiError error) =>
        Results.Json(new ErrorEnvelope(new ErrorBody(error.Status, error.Code, error.Message, error.Fields)), Json.ErrorEnvelope, statusCode: error.Status)
            .ExecuteAsync(ctx);

    private static async Task<T> Body<T>(HttpContext ctx, JsonTypeInfo<T> type) where T : class =>
        await OptionalBody(ctx, type) ?? throw ApiError.Validation("body", "A JSON body is required.");

    private static async Task<T?> OptionalBody<T>(HttpContext ctx, JsonTypeInfo<T> type) where T : class
    {
        using var buffer = new MemoryStream();
        await ctx.Request.Body.CopyToAsync(buffer, ctx.RequestAborted);
        if (buffer.Length == 0)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), type);
        }
        catch (JsonException ex)
        {
            var field = string.IsNullOrEmpty(ex.Path) || ex.Path == "$" ? "body" : ex.Path.TrimStart('$', '.');
            throw ApiError.Validation(field, field == "body" ? "The body is not valid JSON." : $"{field} has the wrong type or format.");
        }
    }

    private static int IntQuery(HttpContext ctx, string name, int fallback, int min, int max)
    {
        var raw = ctx.Request.Query[name].ToString();
        if (raw.Length == 0)
        {
            return fallback;
        }

        return int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw ApiError.Validation(name, $"{name} must be a whole number from {min} to {max}.");
    }

    private static DateOnly? DateQuery(HttpContext ctx, string name)
    {
        var raw = ctx.Request.Query[name].ToString();
        if (raw.Length == 0)
        {
            return null;
        }

        return DateOnly.TryParseExact(raw, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)
            ? d
            : throw ApiError.Validation(name, $"{name} must be YYYY-MM-DD.");
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Unexpected emulator failure")]
    private static partial void LogUnexpected(ILogger logger, Exception exception);
}
