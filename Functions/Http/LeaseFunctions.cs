using FlexFunctions.Shared.Http;
using FlexFunctions.Shared.InputRules;
using FlexFunctions.Shared.Leases;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace FlexFunctions.Functions.Http;

/// <summary>Leases, the hosted checkout, finalize and purchase transactions.</summary>
public sealed class LeaseFunctions(ApiEndpoint api, ILeaseService leases)
{
    private static readonly LeasesJson Json = LeasesJson.Default;
    private static readonly EndpointRules CreateRules = EndpointRules.ForCustomer with { IdempotentOperation = "CreateLease" };
    private static readonly EndpointRules SignRules = EndpointRules.ForCustomer with { IdempotentOperation = "SignLease" };
    private static readonly EndpointRules FinalizeRules = EndpointRules.Store with { IdempotentOperation = "Finalize" };

    [Function(nameof(CreateLease))]
    public Task<IActionResult> CreateLease(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "v1/leases")] HttpRequest request, CancellationToken cancellationToken) =>
        api.RunAsync(request, CreateRules, async call =>
        {
            var (input, problem) = call.Bind(Json.CreateLeaseInput);
            return problem ?? JsonResponse.Created(await leases.CreateAsync(call.Customer, input!, call.Attempt, cancellationToken), Json.CreatedLease);
        }, cancellationToken);

    [Function(nameof(GetLease))]
    public Task<IActionResult> GetLease(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "v1/leases/{leaseId}")] HttpRequest request, string leaseId, CancellationToken cancellationToken) =>
        api.RunAsync(request, EndpointRules.ForCustomer, async call =>
        {
            var bad = FieldErrors.Problem(nameof(leaseId), leaseId, FieldRules.LeaseId);
            return bad ?? JsonResponse.Ok(await leases.GetAsync(call.Customer, leaseId, cancellationToken), Json.Lease);
        }, cancellationToken);

    [Function(nameof(SignLease))]
    public Task<IActionResult> SignLease(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "v1/leases/{leaseId}/sign")] HttpRequest request, string leaseId, CancellationToken cancellationToken) =>
        api.RunAsync(request, SignRules, async call =>
        {
            var bad = FieldErrors.Problem(nameof(leaseId), leaseId, FieldRules.LeaseId);
            if (bad is not null)
            {
                return bad;
            }

            var (input, problem) = call.Bind(Json.SignLeaseInput);
            return problem ?? JsonResponse.Ok(await leases.SignAsync(call.Customer, leaseId, input!, call.Attempt, cancellationToken), Json.SignedLease);
        }, cancellationToken);

    [Function(nameof(Checkout))]
    public Task<IActionResult> Checkout(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "v1/checkout")] HttpRequest request, CancellationToken cancellationToken) =>
        api.RunAsync(request, EndpointRules.Store, async call =>
        {
            var (input, problem) = call.Bind(Json.CheckoutInput);
            return problem ?? JsonResponse.Ok(await leases.CheckoutAsync(input!, cancellationToken), Json.CheckoutResult);
        }, cancellationToken);

    [Function(nameof(FinalizeTransaction))]
    public Task<IActionResult> FinalizeTransaction(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "v1/transactions/{id}/finalize")] HttpRequest request, string id, CancellationToken cancellationToken) =>
        api.RunAsync(request, FinalizeRules, async call =>
        {
            var bad = FieldErrors.Problem(nameof(id), id, FieldRules.Identifier);
            return bad ?? JsonResponse.Ok(await leases.FinalizeAsync(id, call.Attempt, cancellationToken), Json.FinalizeResult);
        }, cancellationToken);

    [Function(nameof(GetTransaction))]
    public Task<IActionResult> GetTransaction(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "v1/transactions/{id}")] HttpRequest request, string id, CancellationToken cancellationToken) =>
        api.RunAsync(request, EndpointRules.Store, async call =>
        {
            var bad = FieldErrors.Problem(nameof(id), id, FieldRules.Identifier);
            return bad ?? JsonResponse.Ok(await leases.GetTransactionAsync(id, cancellationToken), Json.PurchaseTransaction);
        }, cancellationToken);

    [Function(nameof(ListTransactions))]
    public Task<IActionResult> ListTransactions(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "v1/transactions")] HttpRequest request, CancellationToken cancellationToken) =>
        api.RunAsync(request, EndpointRules.Store, async call =>
        {
            var (query, problem) = TransactionQueryParser.Parse(request.Query);
            return problem ?? JsonResponse.Ok(await leases.ListTransactionsAsync(query!, cancellationToken), Json.TransactionPage);
        }, cancellationToken);
}
