using FlexFunctions.Functions.Http;
using FlexFunctions.Shared.CustomerAuth;
using FlexFunctions.Shared.Secrets;
using FlexFunctions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace FlexFunctions.Tests.Http;

/// <summary>
/// No passcode, token, SSN, bank number, date of birth or API key in any log line of the HTTP suite: the failure
/// paths (upstream rejections that echo values, outages, bad input) are driven here, and every record captured
/// from every HTTP test app so far is checked.
/// </summary>
public sealed class RedactionTests : IDisposable
{
    private readonly FakeFlexShopper _flex = new();

    [Fact]
    public async Task No_sensitive_value_reaches_any_log_line_of_the_http_suite()
    {
        // FlexShopper rejections that echo the sensitive values back in their messages.
        var echo = $$$"""{"error":{"code":"Invalid","message":"bad {{{JourneyTests.Passcode}}} {{{JourneyTests.Ssn}}} {{{JourneyTests.Account}}} {{{JourneyTests.Routing}}} {{{JourneyTests.DateOfBirth}}}","statusCode":400}}""";
        _flex.Server.StubJson("POST", "/v3/users/u1/passcode-login", 400, echo);
        _flex.Server.StubJson("POST", "/v3/users/me/apply", 400, echo);
        _flex.Server.StubJson("POST", "/v3/paymentMethods/add", 500, echo);
        _flex.Server.StubJson("GET", "/v3/routing-numbers/" + JourneyTests.Routing, 503, echo);
        var keys = new RotatingKeys(JourneyTests.KeyV1, "v1");
        await using var app = HttpApp.Build(_flex, configure: s => s.AddSingleton<IApiKeyProvider>(keys));
        var sp = app.Provider;
        var session = new Dictionary<string, string> { [CustomerSessions.Header] = sp.GetRequiredService<CustomerSessions>().Seal(new(JourneyTests.Token, "v1")).Value };
        var customers = HttpTestKit.Create<CustomerFunctions>(sp);
        var applications = HttpTestKit.Create<ApplicationFunctions>(sp);

        var login = await HttpTestKit.RunAsync(HttpTestKit.Request(sp, "POST", "/api/v1/customers/u1/login", $$"""{"passcode":"{{JourneyTests.Passcode}}"}"""), r => customers.LoginCustomer(r, "u1", default));
        var apply = await HttpTestKit.RunAsync(HttpTestKit.Request(sp, "POST", "/api/v1/applications", JourneyTests.ApplicationBody, session), r => applications.StartApplication(r, default));
        var pay = await HttpTestKit.RunAsync(
            HttpTestKit.Request(sp, "POST", "/api/v1/payment-methods", $$$"""{"ach":{"routing":"{{{JourneyTests.Routing}}}","account":"{{{JourneyTests.Account}}}","accountType":"checking"}}""", session),
            r => applications.AddPaymentMethod(r, default));
        var routing = await HttpTestKit.RunAsync(HttpTestKit.Request(sp, "GET", "/api/v1/routing-numbers/" + JourneyTests.Routing), r => applications.ValidateRoutingNumber(r, JourneyTests.Routing, default));
        var badApply = await HttpTestKit.RunAsync(
            HttpTestKit.Request(sp, "POST", "/api/v1/applications", JourneyTests.ApplicationBody.Replace("4200.50", "\"x\"", StringComparison.Ordinal), session),
            r => applications.StartApplication(r, default));
        keys.Withdraw("v1");
        var gone = await HttpTestKit.RunAsync(HttpTestKit.Request(sp, "GET", "/api/v1/customers/me", headers: session), r => customers.GetCurrentCustomer(r, default));

        // The payment method's 500 came after it was sent: outcome unknown, 503 OutcomeUnknown.
        Assert.Equal([400, 400, 503, 503, 400, 401], new[] { login.Status, apply.Status, pay.Status, routing.Status, badApply.Status, gone.Status });
        HttpRedaction.AssertClean(app);
        HttpRedaction.AssertClean(HttpApp.SuiteLogs);
    }

    public void Dispose() => _flex.Dispose();
}
