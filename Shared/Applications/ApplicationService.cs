using FlexFunctions.Shared.FlexShopper;
using FlexFunctions.Shared.FlexShopper.Models;
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
    Task<PaymentMethodAdded> AddPaymentMethodAsync(CustomerCredential customer, PaymentMethodInput input, CancellationToken cancellationToken = default);
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

    public async Task<PaymentMethodAdded> AddPaymentMethodAsync(CustomerCredential customer, PaymentMethodInput input, CancellationToken cancellationToken = default)
    {
        await flexShopper.AddPaymentMethodAsync(customer, input.ToRequest(), cancellationToken).ConfigureAwait(false);
        return new PaymentMethodAdded(true, input.Ach is not null ? "ach" : "card");
    }

    public async Task<ChildKeyResult> GetChildKeyAsync(CancellationToken cancellationToken = default) =>
        new(await flexShopper.GetLoanPaymentProChildKeyAsync(cancellationToken).ConfigureAwait(false));
}
