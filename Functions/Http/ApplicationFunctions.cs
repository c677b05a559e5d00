using FlexFunctions.Shared.ApiDocument;
using FlexFunctions.Shared.Applications;
using FlexFunctions.Shared.Http;
using FlexFunctions.Shared.InputRules;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace FlexFunctions.Functions.Http;

/// <summary>The credit application: apply, KBA, routing numbers and payment methods.</summary>
public sealed class ApplicationFunctions(ApiEndpoint api, IApplicationService applications)
{
    private static readonly ApplicationsJson Json = ApplicationsJson.Default;
    private static readonly EndpointRules AddPaymentMethodRules = EndpointRules.ForCustomer with { IdempotentOperation = "AddPaymentMethod" };

    [Function(nameof(StartApplication))]
    [ApiOperation("Application", "Initiate the credit application.", Guards = ApiGuards.StoreSignature | ApiGuards.CustomerSession)]
    [ApiRequest(typeof(ApplicationsJson), nameof(ApplicationsJson.ApplicationInput))]
    [ApiResponse(200, typeof(ApplicationsJson), nameof(ApplicationsJson.FlexShopperUser))]
    [ApiResponse(409, "FlexShopper refused the application in its current state")]
    public Task<IActionResult> StartApplication(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "v1/applications")] HttpRequest request, CancellationToken cancellationToken) =>
        api.RunAsync(request, EndpointRules.ForCustomer, async call =>
        {
            var (input, problem) = call.Bind(Json.ApplicationInput);
            return problem ?? JsonResponse.Ok(await applications.ApplyAsync(call.Customer, input!, cancellationToken), Json.FlexShopperUser);
        }, cancellationToken);

    [Function(nameof(GetVerificationQuestions))]
    [ApiOperation("Application", "Identity verification (KBA) questions.", Guards = ApiGuards.StoreSignature | ApiGuards.CustomerSession)]
    [ApiResponse(200, typeof(ApplicationsJson), nameof(ApplicationsJson.VerificationQuestions))]
    [ApiResponse(404, "No questions for this customer")]
    public Task<IActionResult> GetVerificationQuestions(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "v1/applications/questions")] HttpRequest request, CancellationToken cancellationToken) =>
        api.RunAsync(request, EndpointRules.ForCustomer, async call =>
            JsonResponse.Ok(await applications.GetQuestionsAsync(call.Customer, cancellationToken), Json.VerificationQuestions), cancellationToken);

    [Function(nameof(SubmitVerificationAnswers))]
    [ApiOperation("Application", "Answer the verification questions.", Guards = ApiGuards.StoreSignature | ApiGuards.CustomerSession)]
    [ApiRequest(typeof(ApplicationsJson), nameof(ApplicationsJson.AnswersInput))]
    [ApiResponse(200, typeof(ApplicationsJson), nameof(ApplicationsJson.FlexShopperUser))]
    public Task<IActionResult> SubmitVerificationAnswers(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "v1/applications/answers")] HttpRequest request, CancellationToken cancellationToken) =>
        api.RunAsync(request, EndpointRules.ForCustomer, async call =>
        {
            var (input, problem) = call.Bind(Json.AnswersInput);
            return problem ?? JsonResponse.Ok(await applications.AnswerAsync(call.Customer, input!, cancellationToken), Json.FlexShopperUser);
        }, cancellationToken);

    [Function(nameof(ValidateRoutingNumber))]
    [ApiOperation("Application", "Validate a routing number; a bad ABA checksum is refused with 400 without calling FlexShopper.", Guards = ApiGuards.StoreSignature)]
    [ApiParameter("routing", "The ACH routing number.", Rule = nameof(FieldRules.RoutingNumber))]
    [ApiResponse(200, typeof(ApplicationsJson), nameof(ApplicationsJson.RoutingNumberInfo))]
    [ApiResponse(404, "FlexShopper knows no such bank")]
    public Task<IActionResult> ValidateRoutingNumber(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "v1/routing-numbers/{routing}")] HttpRequest request, string routing, CancellationToken cancellationToken) =>
        api.RunAsync(request, EndpointRules.Store, async call =>
            FieldErrors.Problem(nameof(routing), routing, FieldRules.RoutingNumber)
                ?? JsonResponse.Ok(await applications.ValidateRoutingNumberAsync(routing, cancellationToken), Json.RoutingNumberInfo), cancellationToken);

    [Function(nameof(AddPaymentMethod))]
    [ApiOperation("Application", "Add a bank account (ach) or a LoanPaymentPro card token (card).", Guards = ApiGuards.StoreSignature | ApiGuards.CustomerSession | ApiGuards.IdempotencyKey)]
    [ApiRequest(typeof(ApplicationsJson), nameof(ApplicationsJson.PaymentMethodInput))]
    [ApiResponse(201, typeof(ApplicationsJson), nameof(ApplicationsJson.PaymentMethodAdded))]
    public Task<IActionResult> AddPaymentMethod(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "v1/payment-methods")] HttpRequest request, CancellationToken cancellationToken) =>
        api.RunAsync(request, AddPaymentMethodRules, async call =>
        {
            var (input, problem) = call.Bind(Json.PaymentMethodInput);
            return problem ?? JsonResponse.Created(await applications.AddPaymentMethodAsync(call.Customer, input!, call.Attempt, cancellationToken), Json.PaymentMethodAdded);
        }, cancellationToken);

    [Function(nameof(GetPaymentChildKey))]
    [ApiOperation("Application", "The LoanPaymentPro child key the store's page tokenizes a card with.", Guards = ApiGuards.StoreSignature)]
    [ApiResponse(200, typeof(ApplicationsJson), nameof(ApplicationsJson.ChildKeyResult))]
    public Task<IActionResult> GetPaymentChildKey(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "v1/payment-methods/child-key")] HttpRequest request, CancellationToken cancellationToken) =>
        api.RunAsync(request, EndpointRules.Store, async call =>
            JsonResponse.Ok(await applications.GetChildKeyAsync(cancellationToken), Json.ChildKeyResult), cancellationToken);
}
