using FlexFunctions.Shared.FlexShopper;
using FlexFunctions.Shared.FlexShopper.Models;
using FlexFunctions.Shared.Idempotency;
using FlexFunctions.Shared.InputRules;

namespace FlexFunctions.Shared.Applications;

/// <summary>The credit application: apply, KBA questions and answers, routing numbers and payment methods.</summary>
public interface IApplicationService
{
    Task<FlexShopperUser> ApplyAsync(CustomerCredential customer, ApplicationInput input, CancellationToken cancellationToken = default);
    Task<VerificationQuestions> GetQuestionsAsync(CustomerCredential customer, CancellationToken cancellationToken = default);
    Task<FlexShopperUser> AnswerAsync(CustomerCredential customer, AnswersInput input, CancellationToken cancellationToken = default);

    /// <summary>Callers check <see cref="FieldRules.RoutingNumber"/> first: a bad checksum never reaches FlexShopper.</summary>
    Task<RoutingNumberInfo> ValidateRoutingNumberAsync(string routing, CancellationToken cancellationToken = default);
    /// <summary>
    /// Adds the payment method. After an attempt whose outcome is unknown it first reads the customer's payment
    /// methods (see <see cref="PaymentMethodMatch"/>): one matching is the method added; none with its last four
    /// digits proves nothing happened.
    /// </summary>
    Task<PaymentMethodAdded> AddPaymentMethodAsync(CustomerCredential customer, PaymentMethodInput input, IdempotentAttempt attempt, CancellationToken cancellationToken = default);
    Task<ChildKeyResult> GetChildKeyAsync(CancellationToken cancellationToken = default);
}

public sealed class ApplicationService(IFlexShopperClient flexShopper) : IApplicationService
{
    public Task<FlexShopperUser> ApplyAsync(CustomerCredential customer, ApplicationInput input, CancellationToken cancellationToken = default) =>
        flexShopper.ApplyAsync(customer, input.ToRequest(), input.CustomerIp, cancellationToken);

    public Task<VerificationQuestions> GetQuestionsAsync(CustomerCredential customer, CancellationToken cancellationToken = default) =>
        flexShopper.GetVerificationQuestionsAsync(customer, cancellationToken);

    public Task<FlexShopperUser> AnswerAsync(CustomerCredential customer, AnswersInput input, CancellationToken cancellationToken = default) =>
        flexShopper.VerifyAnswersAsync(customer, input.ToRequest(), cancellationToken);

    public Task<RoutingNumberInfo> ValidateRoutingNumberAsync(string routing, CancellationToken cancellationToken = default)
    {
        if (!FieldRules.RoutingNumber.Accepts(routing))
        {
            throw new ArgumentException("The routing number fails the ABA checksum.", nameof(routing));
        }

        return flexShopper.ValidateRoutingNumberAsync(routing, cancellationToken);
    }

    public async Task<PaymentMethodAdded> AddPaymentMethodAsync(CustomerCredential customer, PaymentMethodInput input, IdempotentAttempt attempt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        var request = input.ToRequest();
        var added = new PaymentMethodAdded(true, input.Ach is not null ? "ach" : "card");
        if (attempt.EarlierOutcomeUnknown)
        {
            var methods = await flexShopper.ListPaymentMethodsAsync(customer, cancellationToken).ConfigureAwait(false);
            switch (PaymentMethodMatch.Find(methods, request))
            {
                case PaymentMethodPresence.Found:
                    return added;
                case PaymentMethodPresence.Undecidable:
                    throw new OutcomeUnverifiableException("the card has no last four digits to find among the customer's payment methods");
            }
        }

        await flexShopper.AddPaymentMethodAsync(customer, request, cancellationToken).ConfigureAwait(false);
        return added;
    }

    public async Task<ChildKeyResult> GetChildKeyAsync(CancellationToken cancellationToken = default) =>
        new(await flexShopper.GetLoanPaymentProChildKeyAsync(cancellationToken).ConfigureAwait(false));
}
