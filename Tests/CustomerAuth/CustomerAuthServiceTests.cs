using Azure;
using Azure.Data.Tables;
using FlexFunctions.Shared.AbuseLimits;
using FlexFunctions.Shared.CustomerAuth;
using FlexFunctions.Shared.FlexShopper;
using FlexFunctions.Shared.FlexShopper.Models;
using FlexFunctions.Shared.Idempotency;
using FlexFunctions.Tests.Http;
using FlexFunctions.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using Moq;

namespace FlexFunctions.Tests.CustomerAuth;

/// <summary>
/// The customer service between the functions and FlexShopper: what a lookup answers, what sign-up sends, and how a
/// passcode login ends when FlexShopper is slow, when the store gives up, and when the abuse limits cannot be told.
/// </summary>
public sealed class CustomerAuthServiceTests : IDisposable
{
    private readonly FakeFlexShopper _flex = new();
    private readonly TestServices _app;
    private readonly Mock<IFlexShopperClient> _client = new(MockBehavior.Strict);
    private readonly Mock<IAbuseLimiter> _limits = new(MockBehavior.Strict);
    private readonly List<LoginOutcome> _completed = [];

    public CustomerAuthServiceTests()
    {
        _app = HttpApp.Build(_flex);
        _limits.Setup(l => l.CompleteLoginAsync(It.IsAny<LimitDecision>(), It.IsAny<LoginOutcome>(), It.IsAny<CancellationToken>()))
            .Callback<LimitDecision, LoginOutcome, CancellationToken>((_, outcome, _) => _completed.Add(outcome))
            .Returns(Task.CompletedTask);
    }

    private CustomerAuthService Service => new(_client.Object, _app.Get<CustomerSessions>(), _limits.Object, _app.Get<ILogger<CustomerAuthService>>());

    /// <summary>Admits the login with a place held for <paramref name="hold"/>.</summary>
    private void Admit(TimeSpan hold) =>
        _limits.Setup(l => l.TryAcquireAsync(LimitKind.LoginAttempt, "u1", null, It.IsAny<CancellationToken>()))
            .ReturnsAsync(LimitDecision.Allow with { Reservation = new LoginReservation("u1", new TableEntity("p", "r"), "g1", hold) });

    /// <summary>FlexShopper does not answer the passcode login until the call is cancelled; <paramref name="arrived"/> is set once it is waiting.</summary>
    private void FlexShopperHangs(TaskCompletionSource? arrived = null) =>
        _client.Setup(c => c.PasscodeLoginAsync("u1", "482913", It.IsAny<CancellationToken>()))
            .Returns<string, string, CancellationToken>(async (_, _, token) =>
            {
                arrived?.TrySetResult();
                await Task.Delay(Timeout.InfiniteTimeSpan, token);
                return new CustomerCredential("never", "kv-1");
            });

    [Fact]
    public async Task A_lookup_FlexShopper_answers_not_found_carries_no_user_id_even_when_FlexShopper_sends_one()
    {
        _client.Setup(c => c.UserExistsAsync("ana@example.com", It.IsAny<CancellationToken>())).ReturnsAsync(new UserExistsResult(false, "u-stale"));
        _client.Setup(c => c.UserExistsAsync("bo@example.com", It.IsAny<CancellationToken>())).ReturnsAsync(new UserExistsResult(true, "u-bo"));

        Assert.Equal(new LookupResult(false, null), await Service.LookupAsync("ana@example.com"));
        Assert.Equal(new LookupResult(true, "u-bo"), await Service.LookupAsync("bo@example.com"));
    }

    [Fact]
    public async Task Sign_up_sends_the_trimmed_names_the_email_and_the_locale_and_hands_over_a_session()
    {
        CreateUserRequest? sent = null;
        _client.Setup(c => c.CreateUserAsync(It.IsAny<CreateUserRequest>(), It.IsAny<CancellationToken>()))
            .Callback<CreateUserRequest, CancellationToken>((r, _) => sent = r)
            .ReturnsAsync(new CreatedUser("u-new", new CustomerCredential("tok-new", "kv-3")));

        var outcome = await Service.CreateAsync(new CreateCustomerInput { FirstName = " Ana ", LastName = "Silva  ", Email = "ana@example.com", Locale = "es" }, new IdempotentAttempt(DateTimeOffset.UtcNow));

        Assert.Equal(new CreateUserRequest("Ana", "Silva", "ana@example.com") { Locale = "es" }, sent);
        Assert.Equal("u-new", outcome.UserId);
        Assert.Equal(new CustomerCredential("tok-new", "kv-3"), _app.Get<CustomerSessions>().Open(outcome.Session!.Session));
    }

    [Fact]
    public async Task A_login_FlexShopper_leaves_unanswered_past_its_hold_is_a_transient_PasscodeLogin_failure_with_no_verdict()
    {
        Admit(TimeSpan.FromMilliseconds(100));
        FlexShopperHangs();

        var error = await Assert.ThrowsAsync<FlexShopperApiException>(() => Service.LoginAsync("u1", new LoginInput { Passcode = "482913" }));

        // Transient with no status: the store gets 503 with Retry-After; the operator's log line names the operation.
        Assert.Equal(FlexShopperErrorKind.Transient, error.Kind);
        Assert.Null(error.StatusCode);
        Assert.Equal("PasscodeLogin", error.Operation);
        Assert.IsAssignableFrom<OperationCanceledException>(error.InnerException);
        Assert.Equal([LoginOutcome.NoVerdict], _completed);
    }

    [Fact]
    public async Task A_login_the_store_gives_up_on_is_a_cancellation_not_a_FlexShopper_failure()
    {
        Admit(TimeSpan.FromMinutes(10));
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        FlexShopperHangs(arrived);
        using var caller = new CancellationTokenSource();

        var login = Service.LoginAsync("u1", new LoginInput { Passcode = "482913" }, caller.Token);
        await arrived.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await caller.CancelAsync();

        var error = await Assert.ThrowsAnyAsync<Exception>(() => login);
        Assert.IsAssignableFrom<OperationCanceledException>(error);
        Assert.Equal([LoginOutcome.NoVerdict], _completed);
    }

    [Fact]
    public async Task A_login_whose_outcome_the_limits_cannot_record_still_hands_over_the_session_and_warns_the_operator()
    {
        Admit(TimeSpan.FromMinutes(1));
        _client.Setup(c => c.PasscodeLoginAsync("u1", "482913", It.IsAny<CancellationToken>())).ReturnsAsync(new CustomerCredential("tok-1", "kv-1"));
        _limits.Setup(l => l.CompleteLoginAsync(It.IsAny<LimitDecision>(), LoginOutcome.Succeeded, It.IsAny<CancellationToken>()))
            .ThrowsAsync(new RequestFailedException(503, "storage is down"));

        var session = await Service.LoginAsync("u1", new LoginInput { Passcode = "482913" });

        Assert.Equal(new CustomerCredential("tok-1", "kv-1"), _app.Get<CustomerSessions>().Open(session.Session));
        Assert.Equal("SessionResult(UserId=u1)", session.ToString()); // what a log of the result shows: the customer, not the session
        var warning = Assert.Single(_app.Logs.GetSnapshot(), r => r.Category == typeof(CustomerAuthService).FullName);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("Succeeded login of customer u1 could not be recorded", warning.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(RequestFailedException), warning.Message, StringComparison.Ordinal);
        Assert.Contains("AbuseLimits__LoginAttemptHold", warning.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _app.Dispose();
        _flex.Dispose();
    }
}
