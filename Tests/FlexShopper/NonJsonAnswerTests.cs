using System.Net;
using FlexFunctions.Functions.Http;
using FlexFunctions.Shared.FlexShopper;
using FlexFunctions.Shared.Http;
using FlexFunctions.Tests.Http;
using FlexFunctions.Tests.Infrastructure;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace FlexFunctions.Tests.FlexShopper;

/// <summary>
/// An answer that is not JSON (FlexShopper's answer to a caller outside the US, which its own Magento module catches,
/// or a proxy answering in its place) is an error of its own, <see cref="FlexShopperErrorKind.NonJsonResponse"/>,
/// whose message names both likely causes, never quotes the body, and reaches a store as a 502 problem with its code.
/// </summary>
public sealed class NonJsonAnswerTests
{
    private const string Page = "<html><body>Access denied: this service is not available in your region. ref 7f3a</body></html>";

    [Theory]
    [InlineData(200, "text/html")]
    [InlineData(201, "text/plain")]
    [InlineData(400, "text/html")]
    [InlineData(401, "text/html")]
    [InlineData(403, "text/html")]
    [InlineData(451, "text/html")]
    public async Task A_non_json_answer_is_its_own_error_naming_the_region_and_the_proxy(int status, string contentType)
    {
        using var harness = ClientHarness.Start();
        harness.RespondToAll(status, Page, contentType);

        var error = await Assert.ThrowsAsync<FlexShopperApiException>(() => harness.Client.GetLeaseSettingsAsync());

        Assert.Equal(FlexShopperErrorKind.NonJsonResponse, error.Kind);
        Assert.Equal(FlexShopperApiException.NonJsonResponseCode, error.Code);
        Assert.Equal((HttpStatusCode)status, error.StatusCode);
        Assert.Contains("outside the US", error.Message, StringComparison.Ordinal);
        Assert.Contains("proxy", error.Message, StringComparison.Ordinal);
        Assert.Contains(contentType, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Access denied", error.Message, StringComparison.Ordinal);
        Assert.False(error.IsTransient);
        Assert.Single(harness.Requests); // asking again from the same place gets the same page
        var logs = string.Join('\n', harness.Services.AllLogText());
        Assert.Contains("not JSON", logs, StringComparison.Ordinal);
        Assert.DoesNotContain("Access denied", logs, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(404, FlexShopperErrorKind.NotFound)] // still an unknown URI: Return Items falls back on it
    [InlineData(408, FlexShopperErrorKind.Transient)]
    [InlineData(429, FlexShopperErrorKind.RateLimited)]
    [InlineData(502, FlexShopperErrorKind.Transient)]
    [InlineData(503, FlexShopperErrorKind.Transient)]
    public async Task Statuses_that_already_say_what_happened_keep_their_meaning_whatever_the_body(int status, FlexShopperErrorKind kind)
    {
        using var harness = ClientHarness.Start();
        harness.RespondToAll(status, Page, "text/html");

        var error = await Assert.ThrowsAsync<FlexShopperApiException>(() => harness.Client.FinalizeAsync("order-1001"));

        Assert.Equal(kind, error.Kind);
        Assert.Null(error.Code);
    }

    [Fact]
    public async Task A_store_gets_a_502_problem_with_the_code_and_the_likely_cause()
    {
        using var flex = new FakeFlexShopper();
        flex.Server.Given(Request.Create().WithPath("/v3/transactions/T1").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(403).WithHeader("Content-Type", "text/html").WithBody(Page));
        await using var app = HttpApp.Build(flex);
        var functions = HttpTestKit.Create<LeaseFunctions>(app.Provider);

        var result = await HttpTestKit.RunAsync(HttpTestKit.Request(app.Provider, "GET", "/api/v1/transactions/T1"), r => functions.GetTransaction(r, "T1", default));

        Assert.Equal(502, result.Status);
        Assert.Equal(Problems.ContentType, result.ContentType);
        Assert.Equal(FlexShopperApiException.NonJsonResponseCode, result.Json.GetProperty("code").GetString());
        Assert.Contains("outside the US", result.Json.GetProperty("title").GetString(), StringComparison.Ordinal);
        Assert.Contains("proxy", result.Json.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("Access denied", result.Body, StringComparison.Ordinal);
        Assert.False(result.Headers.ContainsKey("Retry-After")); // waiting does not move the app into the US
    }
}
