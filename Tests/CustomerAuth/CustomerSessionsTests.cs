using System.Security.Cryptography;
using FlexFunctions.Shared.CustomerAuth;
using FlexFunctions.Shared.Dependencies;
using FlexFunctions.Shared.FlexShopper.Models;
using FlexFunctions.Shared.Secrets;
using FlexFunctions.Tests.Http;
using FlexFunctions.Tests.Infrastructure;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FlexFunctions.Tests.CustomerAuth;

/// <summary>
/// Sessions when the key ring cannot be used: storage down on a fresh instance is an outage (503), never "log in
/// again"; a key ring that stops sealing after it loaded is caught before a passcode is spent.
/// </summary>
public sealed class CustomerSessionsTests : IDisposable
{
    private readonly FakeFlexShopper _flex = new();

    /// <summary>An instance whose key ring table is on a storage port where nothing listens.</summary>
    private TestServices StorageDown()
    {
        var closed = Azurite.FreePort();
        return HttpApp.Build(_flex, s =>
        {
            s["Storage"] = Azurite.ConnectionStringFor(closed, closed, closed);
            s["CustomerSession:KeyRingTable"] = Azurite.UniqueName("dpkeys");
        });
    }

    [Fact]
    public async Task With_the_key_ring_storage_down_the_first_load_fails_as_an_outage_for_every_waiter()
    {
        await using var app = StorageDown();
        var sessions = app.Get<CustomerSessions>();

        var error = await Assert.ThrowsAnyAsync<Exception>(() => sessions.ReadyAsync());

        Assert.True(DependencyOutage.Is(error), DependencyOutage.Describe(error));
    }

    [Fact]
    public async Task A_session_opened_while_the_key_ring_storage_is_down_is_an_outage_not_a_session_to_log_in_again()
    {
        using var healthy = HttpApp.Build(_flex);
        var session = healthy.Get<CustomerSessions>().Seal(new CustomerCredential("tok", "kv-1")).Value;
        await using var app = StorageDown();

        var error = Assert.ThrowsAny<Exception>(() => app.Get<CustomerSessions>().Open(session));

        Assert.True(DependencyOutage.Is(error), DependencyOutage.Describe(error));
    }

    [Fact]
    public async Task A_key_ring_that_stops_sealing_after_it_loaded_is_caught_before_a_passcode_is_spent()
    {
        var protection = new BreakableProtection();
        var unsealed = new KeyRingSeal(Options.Create(new CustomerSessionOptions()), Options.Create(new KeyVaultOptions()), new ServiceCollection().BuildServiceProvider(), TimeProvider.System, NullLogger<KeyRingSeal>.Instance);
        var sessions = new CustomerSessions(protection, Options.Create(new CustomerSessionOptions()), TimeProvider.System, unsealed);
        await sessions.EnsureCanSealAsync();

        // E.g. its newest key expired and the next one cannot be stored: the ring loaded once, sealing fails now.
        protection.Broken = true;

        await Assert.ThrowsAsync<CryptographicException>(() => sessions.EnsureCanSealAsync().AsTask());
    }

    [Fact]
    public void A_session_written_to_a_log_shows_when_it_expires_and_not_what_it_holds()
    {
        using var app = HttpApp.Build(_flex);
        var session = app.Get<CustomerSessions>().Seal(new CustomerCredential("tok-secret", "kv-1"));

        Assert.Equal($"CustomerSession(ExpiresAt={session.ExpiresAt:O})", session.ToString());
    }

    public void Dispose() => _flex.Dispose();

    /// <summary>Data Protection that works until <see cref="Broken"/> is set.</summary>
    private sealed class BreakableProtection : IDataProtectionProvider, IDataProtector
    {
        public volatile bool Broken;

        public IDataProtector CreateProtector(string purpose) => this;

        public byte[] Protect(byte[] plaintext) => Broken ? throw new CryptographicException("The key ring has no usable key.") : [.. plaintext];

        public byte[] Unprotect(byte[] protectedData) => [.. protectedData];
    }
}
