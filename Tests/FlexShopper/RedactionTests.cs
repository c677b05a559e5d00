using FlexFunctions.Shared.FlexShopper;
using FlexFunctions.Shared.FlexShopper.Models;

namespace FlexFunctions.Tests.FlexShopper;

/// <summary>
/// An error message reaches logs and, for validation failures, the store's problem document: it must never
/// carry the API key, a customer token or a passcode, even when FlexShopper echoes them back.
/// </summary>
public sealed class RedactionTests
{
    private const string Passcode = "482913";
    private const string Token = "eyJhbGciOiJIUzI1NiJ9.cust-token-secret";

    public static TheoryData<int, string> EchoingBodies => new()
    {
        { 400, """{"error":{"statusCode":400,"code":"InvalidPasscode","message":"Passcode 482913 is not valid for key test-api-key-0001","data":{"passcode":"482913"}}}""" },
        { 401, """{"message":"Invalid authentication credentials: test-api-key-0001"}""" },
        { 401, """{"error":{"statusCode":401,"code":"test-api-key-0001","message":"bad key"}}""" },
        { 500, """{"error":{"statusCode":500,"code":"InternalError","message":"Unhandled: passcode=482913, token=eyJhbGciOiJIUzI1NiJ9.cust-token-secret"}}""" },
        { 200, """{"error":{"statusCode":400,"code":"InvalidPasscode","message":"482913 expired; token eyJhbGciOiJIUzI1NiJ9.cust-token-secret, key test-api-key-0001"}}""" },
    };

    [Theory]
    [MemberData(nameof(EchoingBodies))]
    public async Task A_passcode_login_failure_never_repeats_the_passcode_or_key(int status, string body)
    {
        using var harness = ClientHarness.Start();
        harness.RespondToAll(status, body);

        var error = await Assert.ThrowsAsync<FlexShopperApiException>(() => harness.Client.PasscodeLoginAsync("u-1", Passcode));

        AssertClean(harness, error, Passcode, ClientHarness.ApiKey);
        Assert.Contains("POST PasscodeLogin", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(EchoingBodies))]
    public async Task A_customer_call_failure_never_repeats_the_token_or_key(int status, string body)
    {
        using var harness = ClientHarness.Start();
        harness.RespondToAll(status, body);
        var customer = await harness.CustomerAsync(Token);

        var error = await Assert.ThrowsAsync<FlexShopperApiException>(() => harness.Client.GetMeAsync(customer));

        AssertClean(harness, error, Token, ClientHarness.ApiKey);
    }

    [Fact]
    public async Task The_rest_of_the_message_is_kept()
    {
        using var harness = ClientHarness.Start();
        harness.RespondToAll(400, """{"error":{"statusCode":400,"code":"InvalidPasscode","message":"Passcode 482913 is not valid","data":{}}}""");

        var error = await Assert.ThrowsAsync<FlexShopperApiException>(() => harness.Client.PasscodeLoginAsync("u-1", Passcode));

        Assert.Equal("InvalidPasscode", error.Code);
        Assert.Contains("Passcode", error.Message, StringComparison.Ordinal);
        Assert.Contains("is not valid", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Transport_failures_and_unexpected_bodies_carry_no_secrets_either()
    {
        using var harness = ClientHarness.Start();
        harness.RespondToAll(200, "<html>" + Passcode + " " + ClientHarness.ApiKey + "</html>", "text/html");

        var error = await Assert.ThrowsAsync<FlexShopperApiException>(() => harness.Client.PasscodeLoginAsync("u-1", Passcode));

        Assert.Equal(FlexShopperErrorKind.NonJsonResponse, error.Kind);
        AssertClean(harness, error, Passcode, ClientHarness.ApiKey);
    }

    [Fact]
    public void Credentials_and_keys_print_without_their_secrets()
    {
        Assert.DoesNotContain(Token, new CustomerCredential(Token, "v1").ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("key-value", new Shared.Secrets.ApiKey("key-value", "v1").ToString(), StringComparison.Ordinal);
    }

    private static void AssertClean(ClientHarness harness, FlexShopperApiException error, params string[] secrets)
    {
        var logs = string.Join("\n", harness.Services.AllLogText());
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(secret, error.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, error.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain(secret, error.Code ?? "", StringComparison.Ordinal);
            Assert.DoesNotContain(secret, error.ErrorData?.GetRawText() ?? "", StringComparison.Ordinal);
            Assert.DoesNotContain(secret, logs, StringComparison.Ordinal);
        }
    }
}
