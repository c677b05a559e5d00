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
        var admin = app.MapGroup("/__admin");
        MapAdmin(admin, state);
        MapApplies(admin, state);
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

    // ---- v3 ----

    private static void MapV3(RouteGroupBuilder v3, EmulatorState state)
    {
        // User management
        v3.MapPost("/users", async Task<IResult> (HttpContext ctx) =>
            Ok(state.CreateUser(await Body(ctx, Json.CreateUserBody), KeyOf(ctx)), Json.DataEnvelopeCreatedUserData));
        v3.MapGet("/users", (HttpContext ctx) =>
            Ok(state.ListUsers(IntQuery(ctx, "page", 1, 1, 1000), IntQuery(ctx, "limit", 10, 1, 1000)), Json.DataEnvelopeUsersPageData));
        v3.MapGet("/users/me", (HttpContext ctx) => Ok(state.Me(Customer(ctx, state)), Json.DataEnvelopeUserData));
        v3.MapGet("/user-exists", (HttpContext ctx) => Ok(state.UserExists(ctx.Request.Query["email"]), Json.DataEnvelopeUserExistsData));
        v3.MapPost("/user/exists", async Task<IResult> (HttpContext ctx) => Ok(state.DeepExists(await Body(ctx, Json.DeepExistsBody)), Json.DataEnvelopeDeepExistsData));
        v3.MapPost("/paymentMethods/child-transaction-key", () =>
            Results.Json(new ChildKeyData("Success", Guid.NewGuid().ToString()), Json.ChildKeyData));
        MapPaymentMethods(v3, state);

        // Customer authentication
        v3.MapPost("/users/{userId}/send-passcode", async Task<IResult> (HttpContext ctx, string userId) =>
        {
            state.SendPasscode(userId, await Body(ctx, Json.SendPasscodeBody));
            return Results.Json(new StatusEnvelope(200, new EmptyData()), Json.StatusEnvelope);
        });
        v3.MapPost("/users/{userId}/passcode-login", async Task<IResult> (HttpContext ctx, string userId) =>
            Ok(state.Login(userId, await Body(ctx, Json.LoginBody), KeyOf(ctx)), Json.DataEnvelopeTokenData));

        // Customer application
        v3.MapPost("/users/me/apply", async Task<IResult> (HttpContext ctx) =>
        {
            var user = Customer(ctx, state);
            return Ok(state.Apply(user, await Body(ctx, Json.ApplyBody)), Json.DataEnvelopeUserData);
        });
        v3.MapGet("/users/me/verify-questions", (HttpContext ctx) => Ok(state.Questions(Customer(ctx, state)), Json.DataEnvelopeQuestionsData));
        v3.MapPost("/users/me/verify-answers", async Task<IResult> (HttpContext ctx) =>
        {
            var user = Customer(ctx, state);
            return Ok(state.VerifyAnswers(user, await Body(ctx, Json.VerifyAnswersBody)), Json.DataEnvelopeUserData);
        });
        v3.MapGet("/routing-numbers/{routing}", (string routing) => Ok(EmulatorState.Routing(routing), Json.DataEnvelopeRoutingData));

        // Leases
        v3.MapPost("/leases", async Task<IResult> (HttpContext ctx) =>
        {
            var user = Customer(ctx, state);
            return Ok(state.CreateLease(user, await Body(ctx, Json.CreateLeaseBody)), Json.DataEnvelopeCreatedLeaseData);
        });
        v3.MapGet("/leases/{leaseId}", (HttpContext ctx, string leaseId) => Ok(state.GetLease(Customer(ctx, state), leaseId), Json.DataEnvelopeLeaseData));
        v3.MapPost("/leases/{leaseId}/sign", async Task<IResult> (HttpContext ctx, string leaseId) =>
        {
            var user = Customer(ctx, state);
            state.Sign(user, leaseId, await Body(ctx, Json.SignBody));
            return Ok(new EmptyData(), Json.DataEnvelopeEmptyData);
        });
        v3.MapPost("/checkout", async Task<IResult> (HttpContext ctx) =>
            Ok(state.Checkout(await Body(ctx, Json.CheckoutBody), $"{ctx.Request.Scheme}://{ctx.Request.Host}"), Json.DataEnvelopeCheckoutData));

        // Purchase transactions
        v3.MapGet("/transactions", (HttpContext ctx) =>
        {
            var status = ctx.Request.Query["leaseStatus"].ToString();
            if (status.Length > 0 && status is not ("signed" or "pending"))
            {
                throw ApiError.Validation("leaseStatus", "leaseStatus must be 'signed' or 'pending'.");
            }

            return Ok(state.ListTransactions(status.Length == 0 ? null : status, IntQuery(ctx, "page", 1, 1, 1000), IntQuery(ctx, "limit", 20, 1, 1000),
                DateQuery(ctx, "fromDate"), DateQuery(ctx, "toDate")), Json.DataEnvelopeTransactionsPageData);
        });
        v3.MapGet("/transactions/{id}", (string id) => Ok(state.GetTransaction(id), Json.DataEnvelopeTransactionData));
        v3.MapPost("/transactions/{id}/finalize", (string id) => Ok(state.Finalize(id), Json.DataEnvelopeFinalizeData));
        v3.MapPost("/transactions/{id}/cancel", async Task<IResult> (HttpContext ctx, string id) =>
            Ok(state.Cancel(id, await OptionalBody(ctx, Json.ItemsBody) ?? new ItemsBody(null)), Json.DataEnvelopeCanceledData));
        v3.MapPost("/transactions/{id}/return", async Task<IResult> (HttpContext ctx, string id) =>
            Ok(state.Return(id, await OptionalBody(ctx, Json.ItemsBody) ?? new ItemsBody(null)), Json.DataEnvelopeReturnedData));
        v3.MapPost("/transactions/{id}/confirm-shipment", async Task<IResult> (HttpContext ctx, string id) =>
        {
            state.ConfirmShipment(id, await OptionalBody(ctx, Json.ShipmentBody) ?? new ShipmentBody(null));
            return Ok(new EmptyData(), Json.DataEnvelopeEmptyData);
        });
        v3.MapPost("/transactions/{id}/confirm-receipt", async Task<IResult> (HttpContext ctx, string id) =>
        {
            state.ConfirmReceipt(id, await OptionalBody(ctx, Json.ItemsBody) ?? new ItemsBody(null));
            return Ok(new EmptyData(), Json.DataEnvelopeEmptyData);
        });

        // Catalog and settings
        v3.MapGet("/products", (HttpContext ctx) => Ok(state.Products(IntQuery(ctx, "page", 1, 1, int.MaxValue)), Json.DataEnvelopeProductsData));
        v3.MapGet("/settings/lease", () => Ok(new LeaseSettingsData(state.Options.MinimumLeaseTotal), Json.DataEnvelopeLeaseSettingsData));
    }

    // ---- Admin (loopback only, no key: a developer tool) ----

    private static void MapAdmin(RouteGroupBuilder admin, EmulatorState state)
    {
        admin.MapGet("/health", () => Results.Json(state.Health(), Json.Health));
        admin.MapGet("/outbox", (HttpContext ctx) =>
        {
            var userId = ctx.Request.Query["userId"].ToString();
            var email = ctx.Request.Query["email"].ToString();
            return Results.Json([.. state.Outbox(userId.Length == 0 ? null : userId, email.Length == 0 ? null : email)], Json.ListOutboxMessage);
        });
        admin.MapGet("/violations", () => Results.Json([.. state.Violations], Json.ListTokenKeyViolation));
        admin.MapGet("/duplicates", () => Results.Json([.. state.DuplicateConfirmations], Json.ListDuplicateConfirmation));
        admin.MapGet("/shipments", () => Results.Json([.. state.Shipments], Json.ListShipmentRecord));
        admin.MapGet("/requests", () => Results.Json([.. state.Requests], Json.ListRequestRecord));
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
        admin.MapPost("/reset", () =>
        {
            state.Reset();
            return Results.NoContent();
        });
    }

    // ---- Helpers ----

    private static IResult Ok<T>(T data, JsonTypeInfo<DataEnvelope<T>> type) => Results.Json(new DataEnvelope<T>(data), type);

    private static string KeyOf(HttpContext ctx) => (string)ctx.Items[ApiKeyItem]!;

    private static string Customer(HttpContext ctx, EmulatorState state) =>
        state.ResolveCustomer(ctx.Request.Headers["Customer-Token"].ToString(), KeyOf(ctx), ctx.Request.Method, ctx.Request.Path.Value ?? "");

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
