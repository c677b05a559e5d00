using FlexFunctions.Shared.FlexShopper;
using FlexFunctions.Shared.FlexShopper.Models;

namespace FlexFunctions.Shared.Leases;

/// <summary>Leases, the hosted checkout and purchase transactions.</summary>
public interface ILeaseService
{
    Task<CreatedLease> CreateAsync(CustomerCredential customer, CreateLeaseInput input, CancellationToken cancellationToken = default);
    Task<Lease> GetAsync(CustomerCredential customer, string leaseId, CancellationToken cancellationToken = default);
    Task<SignedLease> SignAsync(CustomerCredential customer, string leaseId, SignLeaseInput input, CancellationToken cancellationToken = default);
    Task<CheckoutResult> CheckoutAsync(CheckoutInput input, CancellationToken cancellationToken = default);

    /// <summary>Finalizes only once the transaction's lease is signed; otherwise <see cref="LeaseNotSignedException"/>.</summary>
    Task<FinalizeResult> FinalizeAsync(string transactionId, CancellationToken cancellationToken = default);
    Task<PurchaseTransaction> GetTransactionAsync(string transactionId, CancellationToken cancellationToken = default);
    Task<TransactionPage> ListTransactionsAsync(TransactionQuery query, CancellationToken cancellationToken = default);
}

/// <summary>Finalize was asked for a transaction whose lease is not signed yet.</summary>
public sealed class LeaseNotSignedException(string transactionId, string? status)
    : Exception($"The lease of transaction {transactionId} is '{status ?? "missing"}', not signed.")
{
    public string? LeaseStatus { get; } = status;
}

public sealed class LeaseService(IFlexShopperClient flexShopper, TimeProvider time) : ILeaseService
{
    public Task<CreatedLease> CreateAsync(CustomerCredential customer, CreateLeaseInput input, CancellationToken cancellationToken = default) =>
        flexShopper.CreateLeaseAsync(customer, input.ToRequest(), cancellationToken);

    public Task<Lease> GetAsync(CustomerCredential customer, string leaseId, CancellationToken cancellationToken = default) =>
        flexShopper.GetLeaseAsync(customer, leaseId, cancellationToken);

    public async Task<SignedLease> SignAsync(CustomerCredential customer, string leaseId, SignLeaseInput input, CancellationToken cancellationToken = default)
    {
        // The signature's evidence: the customer's IP as the store saw it, and the moment we signed.
        var at = time.GetUtcNow();
        await flexShopper.SignLeaseAsync(customer, leaseId, new SignLeaseRequest(input.CustomerIp!, at), cancellationToken).ConfigureAwait(false);
        return new SignedLease(leaseId, true, input.CustomerIp!, at);
    }

    public Task<CheckoutResult> CheckoutAsync(CheckoutInput input, CancellationToken cancellationToken = default) =>
        flexShopper.CheckoutAsync(input.ToRequest(), cancellationToken);

    public async Task<FinalizeResult> FinalizeAsync(string transactionId, CancellationToken cancellationToken = default)
    {
        var transaction = await flexShopper.GetTransactionAsync(transactionId, cancellationToken).ConfigureAwait(false);
        var status = transaction.Lease?.Status;
        if (!string.Equals(status, "signed", StringComparison.OrdinalIgnoreCase))
        {
            throw new LeaseNotSignedException(transactionId, status);
        }

        return await flexShopper.FinalizeAsync(transactionId, cancellationToken).ConfigureAwait(false);
    }

    public Task<PurchaseTransaction> GetTransactionAsync(string transactionId, CancellationToken cancellationToken = default) =>
        flexShopper.GetTransactionAsync(transactionId, cancellationToken);

    public Task<TransactionPage> ListTransactionsAsync(TransactionQuery query, CancellationToken cancellationToken = default) =>
        flexShopper.ListTransactionsAsync(query, cancellationToken);
}
