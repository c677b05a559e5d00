using FlexFunctions.Shared.CustomerAuth;
using FlexFunctions.Shared.FlexShopper.Models;
using FlexFunctions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace FlexFunctions.Tests.Http;

/// <summary>The sealed session a store holds: what it carries back, when it stops opening, and what never opens.</summary>
public sealed class CustomerSessionTests : IDisposable
{
    private readonly FakeFlexShopper _flex = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly TestServices _app;

    public CustomerSessionTests()
    {
        _app = HttpApp.Build(_flex, s => s["CustomerSession:Lifetime"] = "00:30:00", s => s.AddSingleton<TimeProvider>(_time));
    }

    private CustomerSessions Sessions => _app.Get<CustomerSessions>();

    [Fact]
    public async Task A_session_carries_the_token_and_its_key_version_back_until_its_lifetime_ends()
    {
        var session = Sessions.Seal(new CustomerCredential("tok-with\nnewline", "kv-9"));

        Assert.Equal(_time.GetUtcNow() + TimeSpan.FromMinutes(30), session.ExpiresAt);
        Assert.Equal(new CustomerCredential("tok-with\nnewline", "kv-9"), await Sessions.OpenAsync(session.Value));
        Assert.DoesNotMatch("[+/=]", session.Value); // base64url: safe in a header as it is
        Assert.DoesNotContain(session.Value, session.ToString(), StringComparison.Ordinal);

        _time.Advance(TimeSpan.FromMinutes(30) - TimeSpan.FromSeconds(1));
        Assert.NotNull(Sessions.Open(session.Value));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(Sessions.Open(session.Value));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("not base64 at all!")]
    [InlineData("AAAA")]
    public void What_was_not_sealed_here_opens_nothing(string? session) => Assert.Null(Sessions.Open(session));

    [Fact]
    public void An_altered_or_oversized_session_opens_nothing()
    {
        var session = Sessions.Seal(new CustomerCredential("tok", "kv")).Value;
        var altered = session[..^2] + (session[^2] == 'A' ? 'B' : 'A') + session[^1];

        Assert.Null(Sessions.Open(altered));
        Assert.Null(Sessions.Open(session + new string('A', 8192)));
    }

    [Theory]
    [InlineData("", "kv")] // no token
    [InlineData("tok", "")] // no key version: it could not be sent with the key that minted it
    public void A_credential_missing_its_token_or_version_does_not_come_back(string token, string version)
    {
        Assert.Null(Sessions.Open(Sessions.Seal(new CustomerCredential(token, version)).Value));
    }

    [Fact]
    public async Task The_key_ring_is_ready_once_loaded_and_sealing_is_checked_before_a_passcode_is_spent()
    {
        await Sessions.ReadyAsync();
        Assert.True(Sessions.ReadyAsync().IsCompletedSuccessfully);
        await Sessions.EnsureCanSealAsync();
        Assert.Null(await Sessions.OpenAsync(null));
        Assert.Throws<ArgumentNullException>(() => Sessions.Seal(null!));
    }

    public void Dispose()
    {
        _app.Dispose();
        _flex.Dispose();
    }
}
