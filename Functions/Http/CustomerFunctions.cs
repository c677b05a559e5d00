using FlexFunctions.Shared.ApiDocument;
using FlexFunctions.Shared.CustomerAuth;
using FlexFunctions.Shared.Http;
using FlexFunctions.Shared.InputRules;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace FlexFunctions.Functions.Http;

/// <summary>Customer lookup, sign-up, passcode login and the signed-in customer.</summary>
public sealed class CustomerFunctions(ApiEndpoint api, ICustomerAuthService customers)
{
    private static readonly CustomerAuthJson Json = CustomerAuthJson.Default;
    private static readonly EndpointRules CreateRules = EndpointRules.Store with { IdempotentOperation = "CreateCustomer" };

    [Function(nameof(LookupCustomer))]
    [ApiOperation("Login", "Is there a FlexShopper customer with this email (and their user id)?", Guards = ApiGuards.StoreSignature)]
    [ApiParameter("email", "The customer's email.", Rule = nameof(FieldRules.Email), Required = true)]
    [ApiResponse(200, typeof(CustomerAuthJson), nameof(CustomerAuthJson.LookupResult))]
    public Task<IActionResult> LookupCustomer(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "v1/customers/lookup")] HttpRequest request, CancellationToken cancellationToken) =>
        api.RunAsync(request, EndpointRules.Store, async call =>
        {
            string? email = request.Query["email"];
            return FieldErrors.Problem(nameof(email), email, FieldRules.Email)
                ?? JsonResponse.Ok(await customers.LookupAsync(email!, cancellationToken), Json.LookupResult);
        }, cancellationToken);

    [Function(nameof(VerifyCustomer))]
    [ApiOperation("Login", "Deep check: do this email, phone and address exist at FlexShopper?", Guards = ApiGuards.StoreSignature)]
    [ApiRequest(typeof(CustomerAuthJson), nameof(CustomerAuthJson.DeepVerifyInput))]
    [ApiResponse(200, typeof(CustomerAuthJson), nameof(CustomerAuthJson.DeepUserExistsResult))]
    public Task<IActionResult> VerifyCustomer(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "v1/customers/verify")] HttpRequest request, CancellationToken cancellationToken) =>
        api.RunAsync(request, EndpointRules.Store, async call =>
        {
            var (input, problem) = call.Bind(Json.DeepVerifyInput);
            return problem ?? JsonResponse.Ok(await customers.VerifyAsync(input!, cancellationToken), Json.DeepUserExistsResult);
        }, cancellationToken);

    [Function(nameof(CreateCustomer))]
    [ApiOperation("Login", "Create a customer when none exists; returns the user id and a session.", Guards = ApiGuards.StoreSignature | ApiGuards.IdempotencyKey)]
    [ApiRequest(typeof(CustomerAuthJson), nameof(CustomerAuthJson.CreateCustomerInput))]
    [ApiResponse(201, typeof(CustomerAuthJson), nameof(CustomerAuthJson.SessionResult))]
    [ApiResponse(409, "SignInRequired: the customer exists; sign them in with a passcode")]
    public Task<IActionResult> CreateCustomer(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "v1/customers")] HttpRequest request, CancellationToken cancellationToken) =>
        api.RunAsync(request, CreateRules, async call =>
        {
            var (input, problem) = call.Bind(Json.CreateCustomerInput);
            if (problem is not null)
            {
                return problem;
            }

            var outcome = await customers.CreateAsync(input!, call.Attempt, cancellationToken);
            return outcome.Session is { } session ? JsonResponse.Created(session, Json.SessionResult) : Problems.SignInRequired(outcome.UserId);
        }, cancellationToken);

    [Function(nameof(RequestPasscode))]
    [ApiOperation("Login", "Send the customer a one-time passcode by sms, email or all.", Guards = ApiGuards.StoreSignature)]
    [ApiParameter("userId", "FlexShopper user id.", Rule = nameof(FieldRules.Identifier))]
    [ApiRequest(typeof(CustomerAuthJson), nameof(CustomerAuthJson.PasscodeRequestInput))]
    [ApiResponse(202, typeof(CustomerAuthJson), nameof(CustomerAuthJson.PasscodeSent))]
    [ApiResponse(404, "No such customer")]
    [ApiResponse(429, "TooManyPasscodeRequests for this customer or shopper's IP; see Retry-After")]
    public Task<IActionResult> RequestPasscode(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "v1/customers/{userId}/passcode")] HttpRequest request, string userId, CancellationToken cancellationToken) =>
        api.RunAsync(request, EndpointRules.Store, async call =>
        {
            var bad = FieldErrors.Problem(nameof(userId), userId, FieldRules.Identifier);
            if (bad is not null)
            {
                return bad;
            }

            var (input, problem) = call.Bind(Json.PasscodeRequestInput);
            return problem ?? JsonResponse.Accepted(await customers.RequestPasscodeAsync(userId, input!, cancellationToken), Json.PasscodeSent);
        }, cancellationToken);

    /// <summary>The passcode lives only in this request's memory: no idempotency record, no log, no retry.</summary>
    [Function(nameof(LoginCustomer))]
    [ApiOperation("Login", "Log in with the passcode; returns the session to send as X-Customer-Session. The body is never logged or stored.", Guards = ApiGuards.StoreSignature)]
    [ApiParameter("userId", "FlexShopper user id.", Rule = nameof(FieldRules.Identifier))]
    [ApiRequest(typeof(CustomerAuthJson), nameof(CustomerAuthJson.LoginInput))]
    [ApiResponse(200, typeof(CustomerAuthJson), nameof(CustomerAuthJson.SessionResult))]
    [ApiResponse(404, "No such customer")]
    [ApiResponse(429, "TooManyLoginAttempts or LoginLocked; see Retry-After")]
    public Task<IActionResult> LoginCustomer(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "v1/customers/{userId}/login")] HttpRequest request, string userId, CancellationToken cancellationToken) =>
        api.RunAsync(request, EndpointRules.Store, async call =>
        {
            var bad = FieldErrors.Problem(nameof(userId), userId, FieldRules.Identifier);
            if (bad is not null)
            {
                return bad;
            }

            var (input, problem) = call.Bind(Json.LoginInput);
            return problem ?? JsonResponse.Ok(await customers.LoginAsync(userId, input!, cancellationToken), Json.SessionResult);
        }, cancellationToken);

    [Function(nameof(GetCurrentCustomer))]
    [ApiOperation("Customer", "The signed-in customer: decision, spending limit, verification status.", Guards = ApiGuards.StoreSignature | ApiGuards.CustomerSession)]
    [ApiResponse(200, typeof(CustomerAuthJson), nameof(CustomerAuthJson.FlexShopperUser))]
    public Task<IActionResult> GetCurrentCustomer(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "v1/customers/me")] HttpRequest request, CancellationToken cancellationToken) =>
        api.RunAsync(request, EndpointRules.ForCustomer, async call =>
            JsonResponse.Ok(await customers.GetMeAsync(call.Customer, cancellationToken), Json.FlexShopperUser), cancellationToken);
}
