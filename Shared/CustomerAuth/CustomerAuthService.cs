using FlexFunctions.Shared.FlexShopper;
using FlexFunctions.Shared.FlexShopper.Models;

namespace FlexFunctions.Shared.CustomerAuth;

/// <summary>Customer lookup, sign-up, passcode and login, and the signed-in customer.</summary>
public interface ICustomerAuthService
{
    Task<LookupResult> LookupAsync(string email, CancellationToken cancellationToken = default);
    Task<DeepUserExistsResult> VerifyAsync(DeepVerifyInput input, CancellationToken cancellationToken = default);
    Task<SessionResult> CreateAsync(CreateCustomerInput input, CancellationToken cancellationToken = default);
    Task<PasscodeSent> RequestPasscodeAsync(string userId, PasscodeRequestInput input, CancellationToken cancellationToken = default);
    Task<SessionResult> LoginAsync(string userId, LoginInput input, CancellationToken cancellationToken = default);
    Task<FlexShopperUser> GetMeAsync(CustomerCredential customer, CancellationToken cancellationToken = default);
}

public sealed class CustomerAuthService(IFlexShopperClient flexShopper, CustomerSessions sessions) : ICustomerAuthService
{
    public async Task<LookupResult> LookupAsync(string email, CancellationToken cancellationToken = default)
    {
        var result = await flexShopper.UserExistsAsync(email, cancellationToken).ConfigureAwait(false);
        return new LookupResult(result.Exists, result.Exists ? result.UserId : null);
    }

    public Task<DeepUserExistsResult> VerifyAsync(DeepVerifyInput input, CancellationToken cancellationToken = default) =>
        flexShopper.DeepUserExistsAsync(input.ToRequest(), cancellationToken);

    public async Task<SessionResult> CreateAsync(CreateCustomerInput input, CancellationToken cancellationToken = default)
    {
        var created = await flexShopper.CreateUserAsync(
            new CreateUserRequest(input.FirstName!.Trim(), input.LastName!.Trim(), input.Email!) { Locale = input.Locale },
            cancellationToken).ConfigureAwait(false);
        var session = sessions.Seal(created.Credential);
        return new SessionResult(created.UserId, session.Value, session.ExpiresAt);
    }

    public async Task<PasscodeSent> RequestPasscodeAsync(string userId, PasscodeRequestInput input, CancellationToken cancellationToken = default)
    {
        await flexShopper.SendPasscodeAsync(userId, input.ParsedTransport, cancellationToken).ConfigureAwait(false);
        return new PasscodeSent(userId, input.Transport!);
    }

    public async Task<SessionResult> LoginAsync(string userId, LoginInput input, CancellationToken cancellationToken = default)
    {
        // The passcode goes to FlexShopper once (the client never retries it) and is not kept.
        var credential = await flexShopper.PasscodeLoginAsync(userId, input.Passcode!, cancellationToken).ConfigureAwait(false);
        var session = sessions.Seal(credential);
        return new SessionResult(userId, session.Value, session.ExpiresAt);
    }

    public Task<FlexShopperUser> GetMeAsync(CustomerCredential customer, CancellationToken cancellationToken = default) =>
        flexShopper.GetMeAsync(customer, cancellationToken);
}
