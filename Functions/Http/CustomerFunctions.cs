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
    public Task<IActionResult> LookupCustomer(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "v1/customers/lookup")] HttpRequest request, CancellationToken cancellationToken) =>
        api.RunAsync(request, EndpointRules.Store, async call =>
        {
            string? email = request.Query["email"];
            return FieldErrors.Problem(nameof(email), email, FieldRules.Email)
                ?? JsonResponse.Ok(await customers.LookupAsync(email!, cancellationToken), Json.LookupResult);
        }, cancellationToken);

    [Function(nameof(VerifyCustomer))]
    public Task<IActionResult> VerifyCustomer(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "v1/customers/verify")] HttpRequest request, CancellationToken cancellationToken) =>
        api.RunAsync(request, EndpointRules.Store, async call =>
        {
            var (input, problem) = call.Bind(Json.DeepVerifyInput);
            return problem ?? JsonResponse.Ok(await customers.VerifyAsync(input!, cancellationToken), Json.DeepUserExistsResult);
        }, cancellationToken);

    [Function(nameof(CreateCustomer))]
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
    public Task<IActionResult> GetCurrentCustomer(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "v1/customers/me")] HttpRequest request, CancellationToken cancellationToken) =>
        api.RunAsync(request, EndpointRules.ForCustomer, async call =>
            JsonResponse.Ok(await customers.GetMeAsync(call.Customer, cancellationToken), Json.FlexShopperUser), cancellationToken);
}
