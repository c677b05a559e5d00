using FlexFunctions.Shared.FlexShopper;
using FlexFunctions.Shared.FlexShopper.Models;
using FlexFunctions.Shared.Idempotency;

namespace FlexFunctions.Shared.Leases;

/// <summary>Leases, the hosted checkout and purchase transactions.</summary>
/// <remarks>
/// Create, sign and finalize take the <see cref="IdempotentAttempt"/>: after an attempt whose outcome is unknown they
/// read FlexShopper's state first (see each method) and send again only when it proves nothing happened.
/// </remarks>
public interface ILeaseService
{
    /// <summary>After an unknown outcome: the transaction absent (TransactionNotFound) proves nothing happened; its lease, read with this customer's token, is the lease created.</summary>
    Task<CreatedLease> CreateAsync(CustomerCredential customer, CreateLeaseInput input, IdempotentAttempt attempt, CancellationToken cancellationToken = default);
    Task<Lease> GetAsync(CustomerCredential customer, string leaseId, CancellationToken cancellationToken = default);

    /// <summary>After an unknown outcome: the lease <c>signed</c> is done, <c>unsigned</c> proves nothing happened.</summary>
    Task<SignedLease> SignAsync(CustomerCredential customer, string leaseId, SignLeaseInput input, IdempotentAttempt attempt, CancellationToken cancellationToken = default);
    Task<CheckoutResult> CheckoutAsync(CheckoutInput input, CancellationToken cancellationToken = default);

    /// <summary>
    /// Finalizes only once the transaction's lease is signed; otherwise <see cref="LeaseNotSignedException"/> (which
    /// also proves an earlier finalize did not happen). After an unknown outcome, a transaction showing its lease
    /// number [INF] is finalized; one without cannot tell.
    /// </summary>
    Task<FinalizeResult> FinalizeAsync(string transactionId, IdempotentAttempt attempt, CancellationToken cancellationToken = default);
    Task<PurchaseTransaction> GetTransactionAsync(string transactionId, CancellationToken cancellationToken = default);
    Task<TransactionPage> ListTransactionsAsync(TransactionQuery query, CancellationToken cancellationToken = default);
}

/// <summary>Finalize was asked for a transaction whose lease is not signed yet.</summary>
public sealed class LeaseNotSignedException(string transactionId, string? status)
    : Exception($"The lease of transaction {transactionId} is '{status ?? "missing"}', not signed.")
{
    public string? LeaseStatus { get; } = status;
}

public sealed class LeaseService(IFlexShopperClient flexShopper) : ILeaseService
{
    public async Task<CreatedLease> CreateAsync(CustomerCredential customer, CreateLeaseInput input, IdempotentAttempt attempt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        var request = input.ToRequest();
        if (attempt.EarlierOutcomeUnknown && await CreatedEarlierAsync(customer, request.TransactionId, cancellationToken).ConfigureAwait(false) is { } created)
        {
            return created;
        }

        return await flexShopper.CreateLeaseAsync(customer, request, cancellationToken).ConfigureAwait(false);
    }

    public Task<Lease> GetAsync(CustomerCredential customer, string leaseId, CancellationToken cancellationToken = default) =>
        flexShopper.GetLeaseAsync(customer, leaseId, cancellationToken);

    public async Task<SignedLease> SignAsync(CustomerCredential customer, string leaseId, SignLeaseInput input, IdempotentAttempt attempt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        if (attempt.EarlierUnknownAt is { } earlier)
        {
            // A missing lease (404 LeaseNotFound) propagates: nothing can have been signed, and that is the answer.
            var lease = await flexShopper.GetLeaseAsync(customer, leaseId, cancellationToken).ConfigureAwait(false);
            switch (lease.LeaseStatus?.ToLowerInvariant())
            {
                case "signed":
                    // The earlier attempt signed it, with the time it began.
                    return new SignedLease(leaseId, true, input.CustomerIp!, earlier);
                case "unsigned":
                    break; // proves the signature never took effect: sign now
                default:
                    throw new OutcomeUnverifiableException($"the lease reads '{lease.LeaseStatus ?? "no status"}', neither signed nor unsigned");
            }
        }

        // The signature's evidence: the customer's IP as the store saw it, and when the store's request reached us.
        var at = attempt.StartedAt;
        await flexShopper.SignLeaseAsync(customer, leaseId, new SignLeaseRequest(input.CustomerIp!, at), cancellationToken).ConfigureAwait(false);
        return new SignedLease(leaseId, true, input.CustomerIp!, at);
    }

    public Task<CheckoutResult> CheckoutAsync(CheckoutInput input, CancellationToken cancellationToken = default) =>
        flexShopper.CheckoutAsync(input.ToRequest(), cancellationToken);

    public async Task<FinalizeResult> FinalizeAsync(string transactionId, IdempotentAttempt attempt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        var transaction = await flexShopper.GetTransactionAsync(transactionId, cancellationToken).ConfigureAwait(false);
        var status = transaction.Lease?.Status;
        if (!string.Equals(status, "signed", StringComparison.OrdinalIgnoreCase))
        {
            throw new LeaseNotSignedException(transactionId, status);
        }

        if (attempt.EarlierOutcomeUnknown)
        {
            if (transaction.LeaseNumber is not null || transaction.LoanNumber is not null)
            {
                return new FinalizeResult(transactionId, transaction.LoanNumber, transaction.LeaseNumber);
            }

            // A signed lease is what finalize needs, not what it leaves: it proves nothing either way.
            throw new OutcomeUnverifiableException("the transaction's lease is signed and FlexShopper shows no lease number, so whether it was finalized is unknown");
        }

        return await flexShopper.FinalizeAsync(transactionId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The lease an earlier attempt created, or null when the transaction does not exist (FlexShopper creates it
    /// with the lease, so nothing happened).
    /// </summary>
    private async Task<CreatedLease?> CreatedEarlierAsync(CustomerCredential customer, string transactionId, CancellationToken cancellationToken)
    {
        PurchaseTransaction transaction;
        try
        {
            transaction = await flexShopper.GetTransactionAsync(transactionId, cancellationToken).ConfigureAwait(false);
        }
        catch (FlexShopperApiException ex) when (ex is { Kind: FlexShopperErrorKind.NotFound, Code: "TransactionNotFound" })
        {
            return null;
        }

        if (string.IsNullOrEmpty(transaction.Lease?.Id))
        {
            throw new OutcomeUnverifiableException($"transaction {transactionId} exists but shows no lease");
        }

        Lease lease;
        try
        {
            lease = await flexShopper.GetLeaseAsync(customer, transaction.Lease.Id, cancellationToken).ConfigureAwait(false);
        }
        catch (FlexShopperApiException ex) when (ex is { Kind: FlexShopperErrorKind.NotFound, Code: "LeaseNotFound" })
        {
            // Our attempt would have created this customer's lease: the transaction id most likely belongs to someone
            // else's lease, and sending again would reuse it.
            throw new OutcomeUnverifiableException($"transaction {transactionId} holds a lease this customer cannot read (is the transaction id another customer's?)");
        }

        return new CreatedLease
        {
            LeaseId = lease.LeaseId,
            Contract = lease.Contract,
            Frequency = lease.Frequency,
            Term = lease.Term,
            Payment = lease.Payment,
            CashPrice = lease.CashPrice,
            CostOfRental = lease.CostOfRental,
        };
    }

    public Task<PurchaseTransaction> GetTransactionAsync(string transactionId, CancellationToken cancellationToken = default) =>
        flexShopper.GetTransactionAsync(transactionId, cancellationToken);

    public Task<TransactionPage> ListTransactionsAsync(TransactionQuery query, CancellationToken cancellationToken = default) =>
        flexShopper.ListTransactionsAsync(query, cancellationToken);
}
