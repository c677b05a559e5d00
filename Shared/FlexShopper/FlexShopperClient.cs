using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using FlexFunctions.Shared.Dependencies;
using FlexFunctions.Shared.FlexShopper.Models;
using FlexFunctions.Shared.Observability;
using FlexFunctions.Shared.Secrets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace FlexFunctions.Shared.FlexShopper;

/// <summary>The typed FlexShopper client: auth headers, the envelope and the error shapes are handled here only.</summary>
public sealed partial class FlexShopperClient : IFlexShopperClient
{
    /// <summary>Marks a request the resilience pipeline may send again (GETs, and calls the caller made idempotent).</summary>
    public static readonly HttpRequestOptionsKey<bool> RetrySafe = new("FlexShopper.RetrySafe");

    /// <summary>
    /// Marks a read, which may be sent again even when an attempt's outcome is unknown (a timeout, a 500, a 502).
    /// Writes the caller made idempotent are resent only when FlexShopper certainly did not act on them.
    /// </summary>
    public static readonly HttpRequestOptionsKey<bool> RetryOnUnknownOutcome = new("FlexShopper.RetryOnUnknownOutcome");

    private static readonly FlexShopperJson Json = FlexShopperJson.Default;
    private static readonly MediaTypeHeaderValue JsonMediaType = new("application/json");

    private readonly HttpClient _http;
    private readonly IApiKeyProvider _keys;
    private readonly ILogger<FlexShopperClient> _logger;
    private readonly FlexTelemetry _telemetry;
    private readonly string _returnSegment;

    public FlexShopperClient(HttpClient http, IApiKeyProvider keys, ILogger<FlexShopperClient> logger, FlexTelemetry telemetry, IOptions<FlexShopperOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _http = http;
        _keys = keys;
        _logger = logger;
        _telemetry = telemetry;
        _returnSegment = options.Value.ReturnItemsPath;
    }

    // ---- User management ----

    public async Task<CreatedUser> CreateUserAsync(CreateUserRequest request, CancellationToken cancellationToken = default)
    {
        var call = Post("CreateUser", FlexShopperPaths.Users, request, Json.CreateUserRequest);
        var (data, key) = await SendAsync(call, Data(Json.CreateUserData), cancellationToken).ConfigureAwait(false);
        if (string.IsNullOrEmpty(data.UserId) || string.IsNullOrEmpty(data.Token))
        {
            throw Unexpected(call, "data.userId and data.token are required");
        }

        return new CreatedUser(data.UserId, new CustomerCredential(data.Token, key.Version));
    }

    public async Task<UserPage> ListUsersAsync(int page = 1, int limit = 10, CancellationToken cancellationToken = default)
    {
        var path = FormattableString.Invariant($"{FlexShopperPaths.Users}?page={page}&limit={limit}");
        var (data, _) = await SendAsync(Get("ListUsers", path), Data(Json.UserPage), cancellationToken).ConfigureAwait(false);
        return data with { Users = data.Users ?? [] };
    }

    public async Task<FlexShopperUser> GetMeAsync(CustomerCredential customer, CancellationToken cancellationToken = default) =>
        (await SendAsync(Get("GetMe", FlexShopperPaths.Me) with { Customer = customer }, Data(Json.FlexShopperUser), cancellationToken).ConfigureAwait(false)).Result;

    public async Task<UserExistsResult> UserExistsAsync(string email, CancellationToken cancellationToken = default) =>
        (await SendAsync(Get("UserExists", FlexShopperPaths.UserExists(email)), Data(Json.UserExistsResult), cancellationToken).ConfigureAwait(false)).Result;

    public async Task<DeepUserExistsResult> DeepUserExistsAsync(DeepUserExistsRequest request, CancellationToken cancellationToken = default)
    {
        // A read despite the POST: safe to send again.
        var call = Post("DeepUserExists", FlexShopperPaths.DeepUserExists, request, Json.DeepUserExistsRequest) with { IsRetrySafe = true, IsRead = true };
        return (await SendAsync(call, Data(Json.DeepUserExistsResult), cancellationToken).ConfigureAwait(false)).Result;
    }

    public async Task<string> GetLoanPaymentProChildKeyAsync(CancellationToken cancellationToken = default)
    {
        var call = new Call("ChildTransactionKey", HttpMethod.Post, FlexShopperPaths.ChildTransactionKey);
        // Not enveloped: {"status":"Success","childKey":"..."}.
        var (result, _) = await SendAsync(call, root => root.Deserialize(Json.ChildKeyResponse), cancellationToken).ConfigureAwait(false);
        return string.IsNullOrEmpty(result?.ChildKey) ? throw Unexpected(call, "childKey is missing") : result.ChildKey;
    }

    public Task AddPaymentMethodAsync(CustomerCredential customer, AddPaymentMethodRequest request, CancellationToken cancellationToken = default)
    {
        if ((request.Ach is null) == (request.Token is null))
        {
            throw new ArgumentException("Exactly one of Ach or Token must be given.", nameof(request));
        }

        return SendAsync(Post("AddPaymentMethod", FlexShopperPaths.AddPaymentMethod, request, Json.AddPaymentMethodRequest) with { Customer = customer }, Ignore, cancellationToken);
    }

    public async Task<IReadOnlyList<PaymentMethodSummary>> ListPaymentMethodsAsync(CustomerCredential customer, CancellationToken cancellationToken = default)
    {
        // The schema says {"data": [...]}; the page's sample is a bare array: both are read.
        var call = Get("ListPaymentMethods", FlexShopperPaths.CustomerPaymentMethods) with { Customer = customer };
        var (methods, _) = await SendAsync(call, root => (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("data", out var data) ? data : root) switch
        {
            { ValueKind: JsonValueKind.Array } list => list.Deserialize(Json.IReadOnlyListPaymentMethodSummary),
            _ => null,
        }, cancellationToken).ConfigureAwait(false);
        return methods;
    }

    // ---- Customer authentication ----

    public Task SendPasscodeAsync(string userId, PasscodeTransport transport, CancellationToken cancellationToken = default)
    {
        var body = new SendPasscodeBody(transport switch
        {
            PasscodeTransport.Sms => "sms",
            PasscodeTransport.Email => "email",
            PasscodeTransport.All => "all",
            _ => throw new ArgumentOutOfRangeException(nameof(transport)),
        });
        // Answers {"status":200,"data":{}}: the envelope reader accepts it.
        return SendAsync(Post("SendPasscode", FlexShopperPaths.SendPasscode(userId), body, Json.SendPasscodeBody), Ignore, cancellationToken);
    }

    public async Task<CustomerCredential> PasscodeLoginAsync(string userId, string passcode, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(passcode);
        // Single-use: never retried (IsRetrySafe stays false) and never logged (only the operation name is).
        var call = Post("PasscodeLogin", FlexShopperPaths.PasscodeLogin(userId), new PasscodeLoginBody(passcode), Json.PasscodeLoginBody) with { Secret = passcode };
        var (data, key) = await SendAsync(call, Data(Json.TokenData), cancellationToken).ConfigureAwait(false);
        return string.IsNullOrEmpty(data.Token) ? throw Unexpected(call, "data.token is missing") : new CustomerCredential(data.Token, key.Version);
    }

    // ---- Customer application ----

    public async Task<FlexShopperUser> ApplyAsync(CustomerCredential customer, ApplicationRequest request, string? customerIp = null, CancellationToken cancellationToken = default)
    {
        var call = Post("Apply", FlexShopperPaths.Apply, request, Json.ApplicationRequest) with { Customer = customer, CustomerIp = customerIp };
        return (await SendAsync(call, Data(Json.FlexShopperUser), cancellationToken).ConfigureAwait(false)).Result;
    }

    public async Task<VerificationQuestions> GetVerificationQuestionsAsync(CustomerCredential customer, CancellationToken cancellationToken = default) =>
        (await SendAsync(Get("VerifyQuestions", FlexShopperPaths.VerifyQuestions) with { Customer = customer }, Data(Json.VerificationQuestions), cancellationToken).ConfigureAwait(false)).Result;

    public async Task<FlexShopperUser> VerifyAnswersAsync(CustomerCredential customer, VerifyAnswersRequest request, CancellationToken cancellationToken = default)
    {
        var call = Post("VerifyAnswers", FlexShopperPaths.VerifyAnswers, request, Json.VerifyAnswersRequest) with { Customer = customer };
        return (await SendAsync(call, Data(Json.FlexShopperUser), cancellationToken).ConfigureAwait(false)).Result;
    }

    public async Task<RoutingNumberInfo> ValidateRoutingNumberAsync(string routingNumber, CancellationToken cancellationToken = default) =>
        (await SendAsync(Get("RoutingNumber", FlexShopperPaths.RoutingNumber(routingNumber)), Data(Json.RoutingNumberInfo), cancellationToken).ConfigureAwait(false)).Result;

    // ---- Leases ----

    public async Task<CreatedLease> CreateLeaseAsync(CustomerCredential customer, CreateLeaseRequest request, CancellationToken cancellationToken = default) =>
        (await SendAsync(Post("CreateLease", FlexShopperPaths.Leases, request, Json.CreateLeaseRequest) with { Customer = customer }, Data(Json.CreatedLease), cancellationToken).ConfigureAwait(false)).Result;

    public async Task<Lease> GetLeaseAsync(CustomerCredential customer, string leaseId, CancellationToken cancellationToken = default) =>
        (await SendAsync(Get("GetLease", FlexShopperPaths.Lease(leaseId)) with { Customer = customer }, Data(Json.Lease), cancellationToken).ConfigureAwait(false)).Result;

    public Task SignLeaseAsync(CustomerCredential customer, string leaseId, SignLeaseRequest request, CancellationToken cancellationToken = default) =>
        SendAsync(Post("SignLease", FlexShopperPaths.SignLease(leaseId), request, Json.SignLeaseRequest) with { Customer = customer }, Ignore, cancellationToken);

    public async Task<CheckoutResult> CheckoutAsync(CheckoutRequest request, CancellationToken cancellationToken = default)
    {
        // As every doc page says: GET with a JSON body. It opens a hosted checkout, so it is no read and never resent.
        var call = Post("Checkout", FlexShopperPaths.Checkout, request, Json.CheckoutRequest) with
        {
            Method = new HttpMethod(FlexShopperPaths.CheckoutMethod),
            IsRetrySafe = false,
            IsRead = false,
        };
        return (await SendAsync(call, Data(Json.CheckoutResult), cancellationToken).ConfigureAwait(false)).Result;
    }

    // ---- Purchase transactions ----

    public async Task<TransactionPage> ListTransactionsAsync(TransactionQuery query, CancellationToken cancellationToken = default)
    {
        var parts = new List<string>();
        void Add(string name, string? value)
        {
            if (value is not null)
            {
                parts.Add(name + "=" + Uri.EscapeDataString(value));
            }
        }

        Add("leaseStatus", query.LeaseStatus);
        Add("page", query.Page?.ToString(CultureInfo.InvariantCulture));
        Add("limit", query.Limit?.ToString(CultureInfo.InvariantCulture));
        Add("fromDate", query.FromDate?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        Add("toDate", query.ToDate?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        var path = parts.Count == 0 ? FlexShopperPaths.Transactions : FlexShopperPaths.Transactions + "?" + string.Join('&', parts);
        var (data, _) = await SendAsync(Get("ListTransactions", path), Data(Json.TransactionPage), cancellationToken).ConfigureAwait(false);
        return data with { Transactions = data.Transactions ?? [] };
    }

    public async Task<PurchaseTransaction> GetTransactionAsync(string transactionId, CancellationToken cancellationToken = default) =>
        (await SendAsync(Get("GetTransaction", FlexShopperPaths.Transaction(transactionId)), Data(Json.PurchaseTransaction), cancellationToken).ConfigureAwait(false)).Result;

    public async Task<FinalizeResult> FinalizeAsync(string transactionId, CancellationToken cancellationToken = default) =>
        (await SendAsync(new Call("Finalize", HttpMethod.Post, FlexShopperPaths.Finalize(transactionId)), Data(Json.FinalizeResult), cancellationToken).ConfigureAwait(false)).Result;

    public async Task<CancelItemsResult> CancelItemsAsync(string transactionId, ItemsRequest request, CancellationToken cancellationToken = default)
    {
        var call = Post("CancelItems", FlexShopperPaths.Cancel(transactionId), request, Json.ItemsRequest) with { IsRetrySafe = true };
        return (await SendAsync(call, Data(Json.CancelItemsResult), cancellationToken).ConfigureAwait(false)).Result;
    }

    public async Task<ReturnItemsResult> ReturnItemsAsync(string transactionId, ItemsRequest request, CancellationToken cancellationToken = default)
    {
        var call = Post("ReturnItems", FlexShopperPaths.Return(transactionId, _returnSegment), request, Json.ItemsRequest) with { IsRetrySafe = true };
        try
        {
            return (await SendAsync(call, Data(Json.ReturnItemsResult), cancellationToken).ConfigureAwait(false)).Result;
        }
        catch (FlexShopperApiException ex) when (ex.Kind == FlexShopperErrorKind.NotFound && ex.Code is null)
        {
            // A 404 with no FlexShopper code is an unknown URI, not TransactionNotFound: the sources disagree on the
            // name (docs: return, the Magento module: return-items), so the other one is tried once.
            var other = _returnSegment == FlexShopperPaths.ReturnItemsDocumented ? FlexShopperPaths.ReturnItemsMagento : FlexShopperPaths.ReturnItemsDocumented;
            var fallback = call with { Operation = "ReturnItemsFallback", Path = FlexShopperPaths.Return(transactionId, other) };
            var result = (await SendAsync(fallback, Data(Json.ReturnItemsResult), cancellationToken).ConfigureAwait(false)).Result;
            LogReturnPathFellBack(_logger, _returnSegment, other);
            return result;
        }
    }

    public Task ConfirmShipmentAsync(string transactionId, ShipmentConfirmation confirmation, CancellationToken cancellationToken = default) =>
        SendAsync(Post("ConfirmShipment", FlexShopperPaths.ConfirmShipment(transactionId), confirmation, Json.ShipmentConfirmation) with { IsRetrySafe = true }, Ignore, cancellationToken);

    public Task ConfirmReceiptAsync(string transactionId, ReceiptConfirmation confirmation, CancellationToken cancellationToken = default) =>
        SendAsync(Post("ConfirmReceipt", FlexShopperPaths.ConfirmReceipt(transactionId), confirmation, Json.ReceiptConfirmation) with { IsRetrySafe = true }, Ignore, cancellationToken);

    // ---- Catalog and settings ----

    public async Task<ProductPage> GetProductsAsync(int page, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(page, 1);
        var call = Get("GetProducts", FlexShopperPaths.Products(page));
        var (data, _) = await SendAsync(call, Data(Json.ProductPage), cancellationToken).ConfigureAwait(false);
        // A missing list is not an empty page: reading it as one would end a catalog refresh early.
        return data.Products is null ? throw Unexpected(call, "data.products is missing") : data;
    }

    public async Task<LeaseSettings> GetLeaseSettingsAsync(CancellationToken cancellationToken = default) =>
        (await SendAsync(Get("LeaseSettings", FlexShopperPaths.LeaseSettings), Data(Json.LeaseSettings), cancellationToken).ConfigureAwait(false)).Result;

    // ---- Plumbing ----

    /// <summary>One call: what to send, and whether the pipeline may send it again.</summary>
    private sealed record Call(string Operation, HttpMethod Method, string Path)
    {
        public byte[]? Body { get; init; }
        public CustomerCredential? Customer { get; init; }
        public string? CustomerIp { get; init; }

        /// <summary>A secret in the body (the passcode) that must not come back in an error message.</summary>
        public string? Secret { get; init; }
        public bool IsRetrySafe { get; init; } = Method == HttpMethod.Get;

        /// <summary>A read: repeating it cannot change anything, whatever happened to an earlier attempt.</summary>
        public bool IsRead { get; init; } = Method == HttpMethod.Get;
        public string Describe => $"{Method.Method} {Operation}";

        // Records print every member, and this one holds a passcode and a token.
        public override string ToString() => Describe;
    }

    private static Call Get(string operation, string path) => new(operation, HttpMethod.Get, path);

    private static Call Post<T>(string operation, string path, T body, JsonTypeInfo<T> type) =>
        new(operation, HttpMethod.Post, path) { Body = JsonSerializer.SerializeToUtf8Bytes(body, type) };

    private static readonly Func<JsonElement, bool> Ignore = static _ => true;

    /// <summary>Reads <c>data</c> from the envelope as <typeparamref name="T"/>.</summary>
    private static Func<JsonElement, T?> Data<T>(JsonTypeInfo<T> type) => root =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object
            ? data.Deserialize(type)
            : default;

    /// <summary>
    /// Every call passes here once: one client span (its HTTP attempts are children) and the latency and outcome
    /// metrics by operation. Tags carry the operation, method, outcome and status only, never a path or a body.
    /// </summary>
    private async Task<(T Result, ApiKey Key)> SendAsync<T>(Call call, Func<JsonElement, T?> read, CancellationToken cancellationToken)
    {
        using var activity = FlexTelemetry.Source.StartActivity("FlexShopper " + call.Operation, ActivityKind.Client);
        activity?.SetTag("flexshopper.operation", call.Operation);
        activity?.SetTag("http.request.method", call.Method.Method);
        var started = Stopwatch.GetTimestamp();
        var outcome = "success";
        int? status = null;
        try
        {
            return await SendOnceAsync(call, read, cancellationToken).ConfigureAwait(false);
        }
        catch (FlexShopperApiException ex)
        {
            outcome = ex.Kind.ToString();
            status = ex.StatusCode is { } code ? (int)code : null;
            activity?.SetStatus(ActivityStatusCode.Error, outcome);
            throw;
        }
        catch (OperationCanceledException)
        {
            outcome = "Canceled";
            throw;
        }
        finally
        {
            var tags = new TagList
            {
                { "flexshopper.operation", call.Operation },
                { "outcome", outcome },
            };
            if (status is { } s)
            {
                tags.Add("http.response.status_code", s);
                activity?.SetTag("http.response.status_code", s);
            }

            activity?.SetTag("outcome", outcome);
            _telemetry.FlexShopperDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tags);
            _telemetry.FlexShopperCalls.Add(1, tags);
        }
    }

    private async Task<(T Result, ApiKey Key)> SendOnceAsync<T>(Call call, Func<JsonElement, T?> read, CancellationToken cancellationToken)
    {
        var key = await ResolveKeyAsync(call, cancellationToken).ConfigureAwait(false);
        var started = Stopwatch.GetTimestamp();
        var response = await TransmitAsync(call, key, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.Unauthorized && call.Customer is null)
        {
            // The key may have been rotated in Key Vault. Only calls that are safe to repeat are sent again; a
            // customer-bound call never is, since its token belongs to the old key.
            var fresh = await RefreshKeyAsync(call, key, cancellationToken).ConfigureAwait(false);
            if (call.IsRetrySafe && fresh is not null && fresh.Version != key.Version)
            {
                LogKeyRotated(_logger, call.Operation, fresh.Version);
                response.Dispose();
                key = fresh;
                response = await TransmitAsync(call, key, cancellationToken).ConfigureAwait(false);
            }
        }

        using var owned = response;
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var elapsed = Stopwatch.GetElapsedTime(started);
        JsonElement root = default;
        var parsed = false;
        if (body.Length > 0)
        {
            try
            {
                root = JsonSerializer.Deserialize(body, Json.JsonElement);
                parsed = true;
            }
            catch (JsonException)
            {
                parsed = false;
            }
        }

        if (!parsed && body.Length > 0 && !StartsLikeJson(body) && FlexShopperApiException.NonJsonIsTheNews(response.StatusCode))
        {
            throw NonJson(call, response, elapsed);
        }

        if (!response.IsSuccessStatusCode
            || (parsed && root.ValueKind == JsonValueKind.Object && root.TryGetProperty("error", out var carried) && carried.ValueKind != JsonValueKind.Null))
        {
            var error = ErrorFrom(call, key, response, parsed ? root : null);
            LogCallFailed(_logger, call.Operation, (int)response.StatusCode, error.Code, elapsed.TotalMilliseconds);
            if (!call.IsRead && error.StatusCode is { } failed && (int)failed >= 500 && !FlexShopperApiException.NotAppliedStatus(failed))
            {
                FlexShopperWrites.PossiblyCarriedOut(); // a 500/502/504 can follow the change upstream
            }

            throw error;
        }

        if (!call.IsRead)
        {
            FlexShopperWrites.CarriedOut(); // even if the body below turns out unreadable
        }

        if (!parsed && !(body.Length == 0 && ReferenceEquals(read, Ignore)))
        {
            throw Unexpected(call, "the body is not JSON");
        }

        T? result;
        try
        {
            result = read(root);
        }
        catch (JsonException ex)
        {
            throw Unexpected(call, $"the body does not match the expected shape at {ex.Path}", ex);
        }

        if (result is null)
        {
            throw Unexpected(call, "the expected 'data' object is missing");
        }

        LogCallSucceeded(_logger, call.Operation, (int)response.StatusCode, elapsed.TotalMilliseconds);
        return (result, key);
    }

    private async ValueTask<ApiKey> ResolveKeyAsync(Call call, CancellationToken cancellationToken)
    {
        try
        {
            // A customer token may only travel with the key that minted it, whatever the current key is now.
            return call.Customer is null
                ? await _keys.GetCurrentAsync(cancellationToken).ConfigureAwait(false)
                : await _keys.GetVersionAsync(call.Customer.KeyVersion, cancellationToken).ConfigureAwait(false);
        }
        catch (ApiKeyUnavailableException ex) when (call.Customer is not null)
        {
            // Only a version that is really gone (deleted, disabled, not found) ends the customer's session.
            throw new FlexShopperApiException(FlexShopperErrorKind.Unauthorized, null, FlexShopperApiException.KeyVersionUnavailableCode,
                "The API key that issued this customer token is no longer available; the customer must log in again.", ex)
            { Operation = call.Describe };
        }
        catch (Exception ex) when (IsKeySourceFailure(ex, cancellationToken))
        {
            // Key Vault unreachable with no cached key, or our identity refused: not the customer's doing (their
            // session stays valid), and every failure stays one exception type.
            LogKeyUnavailable(_logger, call.Operation, ex.GetType().Name);
            throw new FlexShopperApiException(FlexShopperErrorKind.Transient, null, FlexShopperApiException.ApiKeyUnavailableCode,
                $"{call.Describe}: the FlexShopper API key could not be read; try again later.", ex)
            { Operation = call.Describe, RetryAfter = DependencyOutage.RetryAfter };
        }
    }

    /// <summary>Drops a refused key; null when the key source cannot answer, so FlexShopper's 401 stands.</summary>
    private async ValueTask<ApiKey?> RefreshKeyAsync(Call call, ApiKey rejected, CancellationToken cancellationToken)
    {
        try
        {
            return await _keys.RefreshAfterRejectionAsync(rejected, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsKeySourceFailure(ex, cancellationToken))
        {
            LogKeyUnavailable(_logger, call.Operation, ex.GetType().Name);
            return null;
        }
    }

    private static bool IsKeySourceFailure(Exception ex, CancellationToken cancellationToken) =>
        ex is not FlexShopperApiException && !(ex is OperationCanceledException && cancellationToken.IsCancellationRequested);

    private async Task<HttpResponseMessage> TransmitAsync(Call call, ApiKey key, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(call.Method, call.Path);
        request.Headers.TryAddWithoutValidation("Authorization", key.Value); // raw key, no scheme
        if (call.Customer is not null)
        {
            request.Headers.TryAddWithoutValidation(FlexShopperPaths.CustomerTokenHeader, call.Customer.Token);
        }

        if (call.CustomerIp is not null)
        {
            request.Headers.TryAddWithoutValidation("customer-ip", call.CustomerIp);
            request.Headers.TryAddWithoutValidation("x-real-ip", call.CustomerIp);
        }

        if (call.Body is not null)
        {
            request.Content = new ByteArrayContent(call.Body) { Headers = { ContentType = JsonMediaType } };
        }

        request.Options.Set(RetrySafe, call.IsRetrySafe);
        request.Options.Set(RetryOnUnknownOutcome, call.IsRead);
        cancellationToken.ThrowIfCancellationRequested(); // given up before sending: certainly not acted on
        try
        {
            return await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or TimeoutRejectedException or BrokenCircuitException
                                   || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            if (!call.IsRead && ex is not BrokenCircuitException && !FlexShopperApiException.NotSent(ex))
            {
                FlexShopperWrites.PossiblyCarriedOut(); // sent, and no answer came back
            }

            var what = ex switch
            {
                BrokenCircuitException => "the circuit to FlexShopper is open",
                TimeoutRejectedException or OperationCanceledException => "FlexShopper did not answer in time",
                _ => "FlexShopper could not be reached",
            };
            LogCallFailed(_logger, call.Operation, 0, ex.GetType().Name, 0);
            throw new FlexShopperApiException(FlexShopperErrorKind.Transient, null, null, $"{call.Describe}: {what}.", ex)
            {
                Operation = call.Describe,
                RetryAfter = ex is BrokenCircuitException broken ? broken.RetryAfter : null,
            };
        }
        catch (OperationCanceledException) when (!call.IsRead)
        {
            // Our caller gave up while the write was on its way: FlexShopper may have it.
            FlexShopperWrites.PossiblyCarriedOut();
            throw;
        }
    }

    private static FlexShopperApiException ErrorFrom(Call call, ApiKey key, HttpResponseMessage response, JsonElement? root)
    {
        var status = response.StatusCode;
        string? code = null;
        string? message = null;
        JsonElement? data = null;
        if (root is { ValueKind: JsonValueKind.Object } obj)
        {
            if (obj.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
            {
                code = error.TryGetProperty("code", out var c) ? c.ValueKind switch
                {
                    JsonValueKind.String => c.GetString(),
                    JsonValueKind.Number => c.GetRawText(),
                    _ => null,
                } : null;
                message = error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
                data = error.TryGetProperty("data", out var d) ? d.Clone() : null;
                // statusCode repeats the real status in case a proxy rewrote the status line (e.g. a 200 carrying an error).
                if (error.TryGetProperty("statusCode", out var sc) && StatusOf(sc) is >= 400 and < 600 and var inner && (int)status < 400)
                {
                    status = (HttpStatusCode)inner;
                }
            }
            else if (obj.TryGetProperty("error", out var text) && text.ValueKind == JsonValueKind.String)
            {
                message = text.GetString(); // {"error": "..."}
            }
            else if (obj.TryGetProperty("message", out var bare) && bare.ValueKind == JsonValueKind.String)
            {
                message = bare.GetString(); // gateway shape: {"message": "..."}
            }
        }

        if ((int)status < 400)
        {
            status = HttpStatusCode.BadGateway; // an error object with no usable status
        }

        // FlexShopper may echo what it was sent; the message reaches logs and problem documents.
        string?[] secrets = [key.Value, call.Customer?.Token, call.Secret];
        code = Redact(code, secrets);
        message = Redact(message, secrets);
        if (data is { } echoed && Redact(echoed.GetRawText(), secrets) != echoed.GetRawText())
        {
            data = null;
        }

        return new FlexShopperApiException(FlexShopperApiException.KindFor(status), status, code,
            $"{call.Describe} failed with {(int)status}{(code is null ? "" : " " + code)}: {message ?? response.ReasonPhrase ?? "no message"}")
        {
            ErrorData = data,
            Operation = call.Describe,
            RetryAfter = RetryAfterOf(response),
        };
    }

    private static int? StatusOf(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number when value.TryGetInt32(out var n) => n,
        JsonValueKind.String when int.TryParse(value.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) => n,
        _ => null,
    };

    private static string? Redact(string? text, string?[] secrets)
    {
        if (text is null)
        {
            return null;
        }

        foreach (var secret in secrets)
        {
            if (!string.IsNullOrEmpty(secret))
            {
                text = text.Replace(secret, "[redacted]", StringComparison.Ordinal);
            }
        }

        return text;
    }

    internal static TimeSpan? RetryAfterOf(HttpResponseMessage response) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - DateTimeOffset.UtcNow is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero,
        _ => null,
    };

    /// <summary>
    /// An answer that is not JSON: FlexShopper answers callers outside the US this way (its Magento module catches it:
    /// "Fail gracefully when the server is hosted outside of US"), and so does a proxy that answers in its place. The
    /// body is never quoted: a captive portal or an echo may carry what we sent.
    /// </summary>
    private FlexShopperApiException NonJson(Call call, HttpResponseMessage response, TimeSpan elapsed)
    {
        var status = (int)response.StatusCode;
        var type = response.Content.Headers.ContentType?.MediaType ?? "no content type";
        LogNotJson(_logger, call.Operation, status, type, elapsed.TotalMilliseconds);
        if (!call.IsRead && response.IsSuccessStatusCode)
        {
            FlexShopperWrites.PossiblyCarriedOut(); // a success status, but from whom cannot be told
        }

        return new FlexShopperApiException(FlexShopperErrorKind.NonJsonResponse, response.StatusCode, FlexShopperApiException.NonJsonResponseCode,
            $"{call.Describe}: FlexShopper answered {status} with a body that is not JSON ({type}). FlexShopper answers this way to callers "
            + "outside the US: run the app in a US region (infra/main.bicep allows only those). Otherwise a proxy or firewall between the app "
            + "and FlexShopper answered in its place: check the app's outbound route to FlexShopper.")
        {
            Operation = call.Describe,
        };
    }

    /// <summary>A body opening like JSON (<c>{</c> or <c>[</c>) that fails to parse was cut short, not sent by someone else.</summary>
    private static bool StartsLikeJson(byte[] body) => body.AsSpan().TrimStart(" \t\r\n\uFEFF"u8) is [(byte)'{' or (byte)'[', ..];

    private static FlexShopperApiException Unexpected(Call call, string what, Exception? inner = null) =>
        new(FlexShopperErrorKind.UnexpectedResponse, HttpStatusCode.OK, null, $"{call.Describe}: unexpected response, {what}.", inner) { Operation = call.Describe };

    [LoggerMessage(Level = LogLevel.Debug, Message = "FlexShopper {Operation} answered {Status} in {ElapsedMs:F1} ms")]
    private static partial void LogCallSucceeded(ILogger logger, string operation, int status, double elapsedMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "FlexShopper {Operation} failed: {Status} {Code} after {ElapsedMs:F1} ms")]
    private static partial void LogCallFailed(ILogger logger, string operation, int status, string? code, double elapsedMs);

    [LoggerMessage(Level = LogLevel.Error, Message = "FlexShopper {Operation} answered {Status} with {ContentType}, not JSON, after {ElapsedMs:F1} ms: is the app running outside the US, or is a proxy in the way?")]
    private static partial void LogNotJson(ILogger logger, string operation, int status, string contentType, double elapsedMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "FlexShopper has no Return Items at '{Configured}' but answered at '{Other}': set FlexShopper__ReturnItemsPath={Other}")]
    private static partial void LogReturnPathFellBack(ILogger logger, string configured, string other);

    [LoggerMessage(Level = LogLevel.Error, Message = "The FlexShopper API key could not be read for {Operation}: {ErrorType}")]
    private static partial void LogKeyUnavailable(ILogger logger, string operation, string errorType);

    [LoggerMessage(Level = LogLevel.Information, Message = "FlexShopper refused the API key on {Operation}; retrying once with rotated key version {KeyVersion}")]
    private static partial void LogKeyRotated(ILogger logger, string operation, string keyVersion);
}
