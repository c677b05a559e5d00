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
    public Task<IActionResult> StartApplication(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "v1/applications")] HttpRequest request, CancellationToken cancellationToken) =>
        api.RunAsync(request, EndpointRules.ForCustomer, async call =>
        {
            var (input, problem) = call.Bind(Json.ApplicationInput);
            return problem ?? JsonResponse.Ok(await applications.ApplyAsync(call.Customer, input!, cancellationToken), Json.FlexShopperUser);
        }, cancellationToken);

    [Function(nameof(GetVerificationQuestions))]
    public Task<IActionResult> GetVerificationQuestions(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "v1/applications/questions")] HttpRequest request, CancellationToken cancellationToken) =>
        api.RunAsync(request, EndpointRules.ForCustomer, async call =>
            JsonResponse.Ok(await applications.GetQuestionsAsync(call.Customer, cancellationToken), Json.VerificationQuestions), cancellationToken);

    [Function(nameof(SubmitVerificationAnswers))]
    public Task<IActionResult> SubmitVerificationAnswers(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "v1/applications/answers")] HttpRequest request, CancellationToken cancellationToken) =>
        api.RunAsync(request, EndpointRules.ForCustomer, async call =>
        {
            var (input, problem) = call.Bind(Json.AnswersInput);
            return problem ?? JsonResponse.Ok(await applications.AnswerAsync(call.Customer, input!, cancellationToken), Json.FlexShopperUser);
        }, cancellationToken);

    [Function(nameof(ValidateRoutingNumber))]
    public Task<IActionResult> ValidateRoutingNumber(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "v1/routing-numbers/{routing}")] HttpRequest request, string routing, CancellationToken cancellationToken) =>
        api.RunAsync(request, EndpointRules.Store, async call =>
            FieldErrors.Problem(nameof(routing), routing, FieldRules.RoutingNumber)
                ?? JsonResponse.Ok(await applications.ValidateRoutingNumberAsync(routing, cancellationToken), Json.RoutingNumberInfo), cancellationToken);

    [Function(nameof(AddPaymentMethod))]
    public Task<IActionResult> AddPaymentMethod(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "v1/payment-methods")] HttpRequest request, CancellationToken cancellationToken) =>
        api.RunAsync(request, AddPaymentMethodRules, async call =>
        {
            var (input, problem) = call.Bind(Json.PaymentMethodInput);
            return problem ?? JsonResponse.Created(await applications.AddPaymentMethodAsync(call.Customer, input!, call.Attempt, cancellationToken), Json.PaymentMethodAdded);
        }, cancellationToken);

    [Function(nameof(GetPaymentChildKey))]
    public Task<IActionResult> GetPaymentChildKey(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "v1/payment-methods/child-key")] HttpRequest request, CancellationToken cancellationToken) =>
        api.RunAsync(request, EndpointRules.Store, async call =>
            JsonResponse.Ok(await applications.GetChildKeyAsync(cancellationToken), Json.ChildKeyResult), cancellationToken);
}
