using FlexFunctions.Shared.AbuseLimits;

namespace FlexFunctions.Tests.AbuseLimits;

/// <summary>What a limit counts as one subject, and what a refusal tells the store.</summary>
public sealed class LimitRulesTests
{
    [Theory]
    [InlineData("cust-1", "CUST-1")]
    [InlineData("  Cust-1\t", "CUST-1")]
    [InlineData("ｃｕｓｔ－１", "CUST-1")] // full-width letters, digit and hyphen
    [InlineData("cust\u30001", "CUST 1")] // the ideographic space is a space
    [InlineData("\uFF01\uFF5E", "!~")] // both ends of the full-width block
    [InlineData("\uFF00\uFF5F", "\uFF00\uFF5F")] // just outside it: left alone
    public void A_customer_id_is_one_subject_however_it_is_spelled(string given, string subject) =>
        Assert.Equal(subject, LimitSubjects.Customer(given));

    [Theory]
    [InlineData("203.0.113.7", "203.0.113.7")]
    [InlineData(" 203.0.113.7 ", "203.0.113.7")]
    [InlineData("::ffff:203.0.113.7", "203.0.113.7")] // IPv4 written as IPv6
    [InlineData("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64")] // the same subscriber's block
    [InlineData("not-an-ip", null)]
    [InlineData("", null)]
    [InlineData("  ", null)]
    [InlineData(null, null)]
    public void A_client_ip_is_counted_by_address_and_an_IPv6_client_by_its_64_block(string? given, string? subject) =>
        Assert.Equal(subject, LimitSubjects.ClientIp(given));

    [Fact]
    public void A_customer_id_is_required() => Assert.Throws<ArgumentNullException>(() => LimitSubjects.Customer(null!));

    [Theory]
    [InlineData(0, 1000)]
    [InlineData(999, 1000)]
    [InlineData(1000, 1000)]
    [InlineData(1001, 1001)]
    [InlineData(90_000, 90_000)]
    public void A_refusal_asks_to_wait_at_least_a_second(int waitMs, int expectedMs)
    {
        var refused = LimitDecision.Deny(LimitScopes.Customer, TimeSpan.FromMilliseconds(waitMs));

        Assert.False(refused.Allowed);
        Assert.Equal(LimitScopes.Customer, refused.Scope);
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), refused.RetryAfter);
        Assert.Null(refused.Reservation);
        Assert.True(LimitDecision.Allow.Allowed);
    }

    [Theory]
    [InlineData(LimitKind.LoginAttempt, LimitScopes.Lockout, "LoginLocked")]
    [InlineData(LimitKind.PasscodeRequest, LimitScopes.Lockout, "LoginLocked")]
    [InlineData(LimitKind.PasscodeRequest, LimitScopes.Customer, "TooManyPasscodeRequests")]
    [InlineData(LimitKind.PasscodeRequest, LimitScopes.ClientIp, "TooManyPasscodeRequests")]
    [InlineData(LimitKind.LoginAttempt, LimitScopes.Customer, "TooManyLoginAttempts")]
    [InlineData(LimitKind.LoginAttempt, LimitScopes.InFlight, "TooManyLoginAttempts")]
    public void A_refusal_names_what_happened_for_the_shopper(LimitKind kind, string scope, string code)
    {
        var refused = new AbuseLimitExceededException(kind, LimitDecision.Deny(scope, TimeSpan.FromSeconds(42)));

        Assert.Equal(code, refused.Code);
        Assert.Equal($"{kind} refused by the {scope} limit; retry after 42 s.", refused.Message);
        Assert.Equal(kind, refused.Kind);
    }
}
