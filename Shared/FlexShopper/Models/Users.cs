using System.Text.Json;
using System.Text.Json.Serialization;

namespace FlexFunctions.Shared.FlexShopper.Models;

/// <summary>Body of Create User.</summary>
public sealed record CreateUserRequest(string FirstName, string LastName, string Email)
{
    public string? Password { get; init; }

    /// <summary><c>en</c> or <c>es</c> (API 3.1.0+).</summary>
    public string? Locale { get; init; }
}

/// <summary>A new FlexShopper user and the customer credential minted for it.</summary>
public sealed record CreatedUser(string UserId, CustomerCredential Credential);

internal sealed record CreateUserData(string? UserId, string? Token);

/// <summary>A customer as FlexShopper returns it from Get Users, Get User and Initiate Application.</summary>
public sealed record FlexShopperUser
{
    public string? UserId { get; init; }
    public string? FirstName { get; init; }
    public string? LastName { get; init; }
    public string? Email { get; init; }
    public DateTimeOffset? CreatedAt { get; init; }
    public IReadOnlyList<UserTransaction>? Transactions { get; init; }
    public CreditDecision? Decision { get; init; }

    /// <summary><c>pending</c>, <c>failed</c> or <c>succeeded</c>; kept as a string because the docs disagree.</summary>
    public string? VerificationStatus { get; init; }
}

public sealed record UserTransaction(string? Id, DateTimeOffset? CreatedAt)
{
    public UserTransactionLease? Lease { get; init; }
}

public sealed record UserTransactionLease(string? Id, string? Status);

/// <summary>The spending-limit decision. Money is in dollars.</summary>
public sealed record CreditDecision
{
    public bool? Approved { get; init; }

    /// <summary>An open set: approved, pending, failed, denied, error.</summary>
    public string? Status { get; init; }
    public decimal? SpendingLimit { get; init; }
    public decimal? AvailableBalance { get; init; }

    /// <summary>Documented as a string, sampled as a number: both are read.</summary>
    public decimal? AvailableWeeklySpending { get; init; }
    public DateTimeOffset? CreatedAt { get; init; }
    public string? ApplicationId { get; init; }
}

/// <summary>One page of Get Users.</summary>
public sealed record UserPage(IReadOnlyList<FlexShopperUser> Users, PageMeta? Meta);

public sealed record PageMeta(int? Count, int? TotalPages, int? Page, int? Limit);

public sealed record UserExistsResult([property: JsonRequired] bool Exists, string? UserId);

/// <summary>Body of Deeply Verify User Exists (3.2.0+).</summary>
public sealed record DeepUserExistsRequest(string Email, string Phone, PostalAddress Address);

public sealed record PostalAddress(string Street1, string City, string Region, string PostalCode, string Country)
{
    public string? Street2 { get; init; }
}

public sealed record DeepUserExistsResult([property: JsonRequired] bool EmailExists, [property: JsonRequired] bool PhoneExists, [property: JsonRequired] bool AddressExists);

internal sealed record ChildKeyResponse(string? Status, string? ChildKey);

/// <summary>Body of Add Payment Method: exactly one of <see cref="Ach"/> or <see cref="Token"/>.</summary>
public sealed record AddPaymentMethodRequest
{
    public bool Primary { get; init; }
    public string? Label { get; init; }
    public AchAccount? Ach { get; init; }
    public CardToken? Token { get; init; }
}

/// <summary>
/// One entry of Get Payment Methods (3.0-beta docs: <c>data[] {id, type, cardBrand, lastFour, firstSix, label}</c>).
/// [INF] the list's presence in API 3.0, and the <c>type</c> of a bank account (only <c>card</c> is documented).
/// <see cref="LastFour"/> is "the last four digits of the card or account".
/// </summary>
public sealed record PaymentMethodSummary
{
    public string? Id { get; init; }
    public string? Type { get; init; }
    public string? CardBrand { get; init; }
    public string? LastFour { get; init; }
    public string? FirstSix { get; init; }
    public string? Label { get; init; }
}

public sealed record AchAccount(string Routing, string Account, string AccountType);

/// <summary>A card tokenized with LoanPaymentPro; FlexShopper never sees the card number.</summary>
public sealed record CardToken(string CardType, string Token, string BillingZip)
{
    public string? ExpirationDate { get; init; }
    public string? LastFour { get; init; }
    public string? FirstSix { get; init; }
}

/// <summary>A response whose <c>data</c> we do not interpret but keep for callers.</summary>
public sealed record OpaqueData(JsonElement? Data);
