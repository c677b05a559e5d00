using System.Security.Cryptography;
using System.Text;
using FlexFunctions.Shared.Dependencies;
using FlexFunctions.Shared.FlexShopper.Models;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;

namespace FlexFunctions.Shared.CustomerAuth;

/// <summary>A sealed session and when it stops being accepted.</summary>
public sealed record CustomerSession(string Value, DateTimeOffset ExpiresAt)
{
    public override string ToString() => $"CustomerSession(ExpiresAt={ExpiresAt:O})";
}

/// <summary>
/// Seals a <see cref="CustomerCredential"/> (customer token + the key version that minted it) into an opaque
/// string with authenticated encryption (ASP.NET Core Data Protection): the store can neither read nor alter it,
/// and it expires. The store sends it back in <see cref="Header"/>.
/// </summary>
public sealed class CustomerSessions
{
    public const string Header = "X-Customer-Session";
    private const string Purpose = "FlexFunctions.CustomerSession.v1";

    private readonly ITimeLimitedDataProtector _protector;
    private readonly CustomerSessionOptions _options;
    private readonly TimeProvider _time;
    private readonly KeyRingSeal _seal;
    private Task? _loaded;

    public CustomerSessions(IDataProtectionProvider provider, IOptions<CustomerSessionOptions> options, TimeProvider time, KeyRingSeal seal)
    {
        _protector = provider.CreateProtector(Purpose).ToTimeLimitedDataProtector();
        _options = options.Value;
        _time = time;
        _seal = seal;
    }

    /// <summary>
    /// Reads the key ring's sealing secret before Data Protection needs it (it does so synchronously, and keeps a key it
    /// failed to open as unusable): a vault that cannot be read throws here, an outage the caller answers with 503.
    /// </summary>
    public ValueTask PrepareAsync(CancellationToken cancellationToken = default) => _seal.PrepareAsync(cancellationToken);

    /// <summary><see cref="PrepareAsync"/> and <see cref="ReadyAsync"/>, then <see cref="EnsureCanSeal"/>.</summary>
    public async ValueTask EnsureCanSealAsync(CancellationToken cancellationToken = default)
    {
        await PrepareAsync(cancellationToken).ConfigureAwait(false);
        await ReadyAsync().ConfigureAwait(false);
        EnsureCanSeal();
    }

    /// <summary><see cref="PrepareAsync"/> and <see cref="ReadyAsync"/>, then <see cref="Open"/>.</summary>
    public async ValueTask<CustomerCredential?> OpenAsync(string? session, CancellationToken cancellationToken = default)
    {
        await PrepareAsync(cancellationToken).ConfigureAwait(false);
        await ReadyAsync().ConfigureAwait(false);
        return Open(session);
    }

    public CustomerSession Seal(CustomerCredential credential)
    {
        ArgumentNullException.ThrowIfNull(credential);
        var expires = _time.GetUtcNow() + _options.Lifetime;
        // The version has no newline; everything after the first one is the token.
        var plain = Encoding.UTF8.GetBytes(credential.KeyVersion + "\n" + credential.Token);
        var sealedBytes = _protector.Protect(plain, expires);
        // Stryker disable once Statement : wiping the plaintext copy is hygiene; nothing reads it afterwards
        CryptographicOperations.ZeroMemory(plain);
        return new CustomerSession(Base64UrlEncode(sealedBytes), expires);
    }

    /// <summary>
    /// Throws now when no session could be sealed (the key ring in storage cannot be read), so a caller checks before
    /// spending a single-use passcode or creating a user whose session it could not then hand over.
    /// </summary>
    // Stryker disable once Arithmetic : the probe's sealed bytes are dropped; an expiry in the past seals just the same
    public void EnsureCanSeal() => _protector.Protect([], _time.GetUtcNow() + TimeSpan.FromMinutes(1));

    /// <summary>
    /// Waits until the key ring has been loaded once. Data Protection loads it synchronously under a lock, so on a cold
    /// instance a burst of first requests would each block a pool thread behind that one read, starving the thread pool
    /// the read itself needs. Until a load has succeeded, callers await one shared load instead; afterwards this is free.
    /// A failed load (storage down) is thrown to every waiter and the next caller tries again.
    /// </summary>
    public Task ReadyAsync()
    {
        var loaded = Volatile.Read(ref _loaded);
        // Stryker disable once Boolean,Block : the fast path only; without it the loaded task (completed) is returned instead of Task.CompletedTask
        if (loaded is { IsCompletedSuccessfully: true })
        {
            return Task.CompletedTask;
        }

        if (loaded is null || loaded.IsFaulted || loaded.IsCanceled)
        {
            var fresh = new Task(EnsureCanSeal);
            var previous = Interlocked.CompareExchange(ref _loaded, fresh, loaded);
            if (ReferenceEquals(previous, loaded))
            {
                fresh.Start(TaskScheduler.Default);
                loaded = fresh;
            }
            else
            {
                loaded = previous!;
            }
        }

        return loaded;
    }

    /// <summary>The credential inside <paramref name="session"/>, or null when it is forged, altered, expired or unreadable.</summary>
    public CustomerCredential? Open(string? session)
    {
        // Stryker disable once Equality : no sealed session is exactly 8192 characters (its bytes are 4 mod 16), so > and >= refuse the same
        if (string.IsNullOrWhiteSpace(session) || session.Length > 8192)
        {
            return null;
        }

        try
        {
            var plain = _protector.Unprotect(Base64UrlDecode(session), out var expiration);
            if (expiration <= _time.GetUtcNow())
            {
                return null;
            }

            var text = Encoding.UTF8.GetString(plain);
            var newline = text.IndexOf('\n', StringComparison.Ordinal);
            return newline <= 0 || newline == text.Length - 1 ? null : new CustomerCredential(text[(newline + 1)..], text[..newline]);
        }
        // Stryker disable once Block : an emptied catch returns default, which is this null
        catch (Exception ex) when (ex is CryptographicException or FormatException && !DependencyOutage.Is(ex))
        {
            // Forged, altered or sealed with a key we never had. A key ring that could not be read (storage down)
            // is not the session's fault: that propagates, and the caller answers 503 instead of "log in again".
            return null;
        }
    }

    private static string Base64UrlEncode(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] Base64UrlDecode(string text)
    {
        var b64 = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(b64.PadRight(b64.Length + ((4 - (b64.Length % 4)) % 4), '='));
    }
}
