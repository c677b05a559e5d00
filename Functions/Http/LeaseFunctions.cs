using FlexFunctions.Shared.ApiDocument;
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
    [ApiOperation("Purchase", "Create a lease (total from $49.95 to OrderLimits__MaxTotal).", Guards = ApiGuards.StoreSignature | ApiGuards.CustomerSession | ApiGuards.IdempotencyKey)]
    [ApiRequest(typeof(LeasesJson), nameof(LeasesJson.CreateLeaseInput))]
    [ApiResponse(201, typeof(LeasesJson), nameof(LeasesJson.CreatedLease))]
    [ApiResponse(402, "Over the customer's spending limit, or a first payment is needed")]
    public Task<IActionResult> CreateLease(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "v1/leases")] HttpRequest request, CancellationToken cancellationToken) =>
        api.RunAsync(request, CreateRules, async call =>
        {
            var (input, problem) = call.Bind(Json.CreateLeaseInput);
            return problem ?? JsonResponse.Created(await leases.CreateAsync(call.Customer, input!, call.Attempt, cancellationToken), Json.CreatedLease);
        }, cancellationToken);

    [Function(nameof(GetLease))]
    [ApiOperation("Purchase", "Get a lease.", Guards = ApiGuards.StoreSignature | ApiGuards.CustomerSession)]
    [ApiParameter("leaseId", "Lease id.", Rule = nameof(FieldRules.LeaseId))]
    [ApiResponse(200, typeof(LeasesJson), nameof(LeasesJson.Lease))]
    [ApiResponse(404, "LeaseNotFound")]
    public Task<IActionResult> GetLease(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "v1/leases/{leaseId}")] HttpRequest request, string leaseId, CancellationToken cancellationToken) =>
        api.RunAsync(request, EndpointRules.ForCustomer, async call =>
        {
            var bad = FieldErrors.Problem(nameof(leaseId), leaseId, FieldRules.LeaseId);
            return bad ?? JsonResponse.Ok(await leases.GetAsync(call.Customer, leaseId, cancellationToken), Json.Lease);
        }, cancellationToken);

    [Function(nameof(SignLease))]
    [ApiOperation("Purchase", "Sign the lease, recording the customer's IP and our time.", Guards = ApiGuards.StoreSignature | ApiGuards.CustomerSession | ApiGuards.IdempotencyKey)]
    [ApiParameter("leaseId", "Lease id.", Rule = nameof(FieldRules.LeaseId))]
    [ApiRequest(typeof(LeasesJson), nameof(LeasesJson.SignLeaseInput))]
    [ApiResponse(200, typeof(LeasesJson), nameof(LeasesJson.SignedLease))]
    [ApiResponse(402, "PaymentRequired: a first payment is needed")]
    [ApiResponse(404, "LeaseNotFound")]
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
    [ApiOperation("Purchase", "Hosted checkout: returns the URL to redirect the customer to.", Guards = ApiGuards.StoreSignature)]
    [ApiRequest(typeof(LeasesJson), nameof(LeasesJson.CheckoutInput))]
    [ApiResponse(200, typeof(LeasesJson), nameof(LeasesJson.CheckoutResult))]
    public Task<IActionResult> Checkout(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "v1/checkout")] HttpRequest request, CancellationToken cancellationToken) =>
        api.RunAsync(request, EndpointRules.Store, async call =>
        {
            var (input, problem) = call.Bind(Json.CheckoutInput);
            return problem ?? JsonResponse.Ok(await leases.CheckoutAsync(input!, cancellationToken), Json.CheckoutResult);
        }, cancellationToken);

    [Function(nameof(FinalizeTransaction))]
    [ApiOperation("Purchase", "Finalize the transaction once its lease is signed.", Guards = ApiGuards.StoreSignature | ApiGuards.IdempotencyKey)]
    [ApiParameter("id", "Transaction id.", Rule = nameof(FieldRules.Identifier))]
    [ApiResponse(200, typeof(LeasesJson), nameof(LeasesJson.FinalizeResult))]
    [ApiResponse(404, "TransactionNotFound")]
    [ApiResponse(409, "LeaseNotSigned: the customer has not signed yet")]
    public Task<IActionResult> FinalizeTransaction(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "v1/transactions/{id}/finalize")] HttpRequest request, string id, CancellationToken cancellationToken) =>
        api.RunAsync(request, FinalizeRules, async call =>
        {
            var bad = FieldErrors.Problem(nameof(id), id, FieldRules.Identifier);
            return bad ?? JsonResponse.Ok(await leases.FinalizeAsync(id, call.Attempt, cancellationToken), Json.FinalizeResult);
        }, cancellationToken);

    [Function(nameof(GetTransaction))]
    [ApiOperation("Purchase", "Get a purchase transaction.", Guards = ApiGuards.StoreSignature)]
    [ApiParameter("id", "Transaction id.", Rule = nameof(FieldRules.Identifier))]
    [ApiResponse(200, typeof(LeasesJson), nameof(LeasesJson.PurchaseTransaction))]
    [ApiResponse(404, "TransactionNotFound")]
    public Task<IActionResult> GetTransaction(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "v1/transactions/{id}")] HttpRequest request, string id, CancellationToken cancellationToken) =>
        api.RunAsync(request, EndpointRules.Store, async call =>
        {
            var bad = FieldErrors.Problem(nameof(id), id, FieldRules.Identifier);
            return bad ?? JsonResponse.Ok(await leases.GetTransactionAsync(id, cancellationToken), Json.PurchaseTransaction);
        }, cancellationToken);

    [Function(nameof(ListTransactions))]
    [ApiOperation("Purchase", "List purchase transactions.", Guards = ApiGuards.StoreSignature)]
    [ApiParameter("leaseStatus", "Filter by lease status.", RuleOwner = typeof(TransactionQueryParser), Rule = nameof(TransactionQueryParser.LeaseStatuses))]
    [ApiParameter("page", "Page, from 1.", Minimum = 1, Maximum = TransactionQueryParser.MaxPage)]
    [ApiParameter("limit", "Page size.", Minimum = 1, Maximum = TransactionQueryParser.MaxLimit)]
    [ApiParameter("fromDate", "From date.", Rule = nameof(FieldRules.Date))]
    [ApiParameter("toDate", "To date.", Rule = nameof(FieldRules.Date))]
    [ApiResponse(200, typeof(LeasesJson), nameof(LeasesJson.TransactionPage))]
    public Task<IActionResult> ListTransactions(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "v1/transactions")] HttpRequest request, CancellationToken cancellationToken) =>
        api.RunAsync(request, EndpointRules.Store, async call =>
        {
            var (query, problem) = TransactionQueryParser.Parse(request.Query);
            return problem ?? JsonResponse.Ok(await leases.ListTransactionsAsync(query!, cancellationToken), Json.TransactionPage);
        }, cancellationToken);
}
