using System.Text;
using Azure;
using Azure.Security.KeyVault.Secrets;
using FlexFunctions.Shared.CustomerAuth;
using FlexFunctions.Shared.Secrets;
using FlexFunctions.Shared.Webhooks;
using FlexFunctions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Moq;

namespace FlexFunctions.Tests.Http;

/// <summary>Sessions across instances and expiry; the webhook secret read from Key Vault.</summary>
public sealed class SessionAndSecretTests : IDisposable
{
    private readonly FakeFlexShopper _flex = new();

    [Fact]
    public void A_session_sealed_by_one_instance_opens_on_another_sharing_the_key_ring_table()
    {
        var table = Azurite.UniqueName("dpkeys");
        using var first = HttpApp.Build(_flex, s => s["CustomerSession:KeyRingTable"] = table);
        using var second = HttpApp.Build(_flex, s => s["CustomerSession:KeyRingTable"] = table);
        using var stranger = HttpApp.Build(_flex);

        var session = first.Get<CustomerSessions>().Seal(new("tok-abc", "kv-3"));

        Assert.Equal(new("tok-abc", "kv-3"), second.Get<CustomerSessions>().Open(session.Value));
        Assert.Null(stranger.Get<CustomerSessions>().Open(session.Value)); // another key ring cannot read it
    }

    [Fact]
    public void A_session_expires_after_its_lifetime()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var app = HttpApp.Build(_flex, s => s["CustomerSession:Lifetime"] = "00:30:00", s => s.AddSingleton<TimeProvider>(time));
        var sessions = app.Get<CustomerSessions>();
        var session = sessions.Seal(new("tok", "kv"));

        time.Advance(TimeSpan.FromMinutes(29));
        Assert.NotNull(sessions.Open(session.Value));
        time.Advance(TimeSpan.FromMinutes(2));
        Assert.Null(sessions.Open(session.Value));
    }

    [Fact]
    public async Task The_webhook_secret_comes_from_Key_Vault_when_one_is_configured()
    {
        const string secret = "vault-held-webhook-secret-0123456789";
        var client = new Mock<SecretClient>();
        client.Setup(c => c.GetSecretAsync("StoreWebhookSecret", null, It.IsAny<CancellationToken>()))
            .ReturnsAsync(Response.FromValue(new KeyVaultSecret("StoreWebhookSecret", secret), Mock.Of<Response>()));
        var services = new ServiceCollection().AddSingleton(client.Object).BuildServiceProvider();
        var verifier = new WebhookSignature(
            Options.Create(new WebhookOptions { RequireSignature = true, SigningSecret = "local-secret-that-must-not-be-used!!" }),
            Options.Create(new KeyVaultOptions { VaultUri = new Uri("https://example.vault.azure.net/"), WebhookSecretName = "StoreWebhookSecret" }),
            TimeProvider.System, services, NullLogger<WebhookSignature>.Instance);
        var body = "{}"u8.ToArray();

        var good = await verifier.VerifyAsync(WebhookSignature.Sign(Encoding.UTF8.GetBytes(secret), DateTimeOffset.UtcNow, body), body);
        var local = await verifier.VerifyAsync(WebhookSignature.Sign("local-secret-that-must-not-be-used!!"u8, DateTimeOffset.UtcNow, body), body);

        Assert.Equal(SignatureCheck.Valid, good);
        Assert.Equal(SignatureCheck.Mismatch, local);
        client.Verify(c => c.GetSecretAsync("StoreWebhookSecret", null, It.IsAny<CancellationToken>()), Times.Once()); // cached
    }

    [Fact]
    public async Task Signatures_are_not_checked_when_not_required()
    {
        using var app = HttpApp.Build(_flex);
        Assert.Equal(SignatureCheck.NotRequired, await app.Get<WebhookSignature>().VerifyAsync("t=1,v1=00", "{}"u8.ToArray()));
    }

    public void Dispose() => _flex.Dispose();
}
