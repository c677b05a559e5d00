using System.Security.Cryptography;
using System.Xml.Linq;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Security.KeyVault.Secrets;
using FlexFunctions.Shared.CustomerAuth;
using FlexFunctions.Shared.Secrets;
using FlexFunctions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace FlexFunctions.Tests.CustomerAuth;

/// <summary>
/// The seal on the Data Protection keys at rest: keys already in a deployment's table keep opening, a key sealed with a
/// secret this app does not hold or altered is refused with a <see cref="CryptographicException"/> that says why, a
/// rotation read from the vault seals new keys with the new secret, and a vault that cannot give the secret fails
/// before any key is touched.
/// </summary>
public sealed class KeyRingSealTests : IDisposable
{
    private const string Secret = "key-ring-secret-of-the-deployment-0123456789";
    private const string OtherSecret = "some-other-key-ring-secret-0123456789abcdef";
    private const string SecretName = "SessionKeyRingSecret";

    /// <summary>A key as this release stores it, sealed with <see cref="Secret"/>: a later release must still open it.</summary>
    private const string StoredKey =
        """
        <sealed secretId="01cf161198fc" nonce="2jNB+ungtvVu1VhL" tag="9TR5nf3+VebsvJlXe77KIQ==" xmlns="urn:flexfunctions:keyring-seal:v1">Nq4cplekxCscEEeI0os8+y8AsP5q8ZigTMuv+r2lqeyylwiBnXbgqHxZ2cTNu0ZGxQ/+rVEZfcy2bH9hmusIk24033Xh8kQDQMQUekySTUKFPz1dpcdKdsbA0gHYvWBk1L8k9pCVe3g8Yh0mgVhdsFmmc8wBwQD7</sealed>
        """;

    private static readonly XElement Plain = XElement.Parse("""<masterKey xmlns="http://schemas.asp.net/2015/03/dataProtection"><value>c2VjcmV0LWtleS1tYXRlcmlhbA==</value></masterKey>""");

    private readonly FakeKeyVault _vault = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);

    private static KeyRingSeal Local(string? secret) =>
        new(Options.Create(new CustomerSessionOptions { KeyRingSecret = secret }), Options.Create(new KeyVaultOptions()), new ServiceCollection().BuildServiceProvider(), TimeProvider.System, NullLogger<KeyRingSeal>.Instance);

    private KeyRingSeal FromVault(SecretClient? client = null) =>
        new(Options.Create(new CustomerSessionOptions { KeyRingSecretName = SecretName }),
            Options.Create(new KeyVaultOptions { VaultUri = _vault.VaultUri, RefreshInterval = TimeSpan.FromMinutes(1) }),
            new ServiceCollection().AddSingleton(client ?? _vault.CreateClient()).BuildServiceProvider(), _time, NullLogger<KeyRingSeal>.Instance);

    [Fact]
    public void A_key_stored_by_this_release_still_opens_and_names_the_secret_that_sealed_it()
    {
        var stored = XElement.Parse(StoredKey);
        var seal = Local(Secret);

        Assert.Equal(Plain.ToString(), seal.Open(stored).ToString());
        Assert.Equal(seal.CurrentSecretId(), KeyRingSeal.SecretIdOf(stored));
        Assert.Equal(XNamespace.Get("urn:flexfunctions:keyring-seal:v1"), stored.Name.Namespace);
    }

    [Fact]
    public void A_key_sealed_now_opens_with_either_line_of_a_rotation_and_never_holds_the_key_in_clear()
    {
        var sealedKey = Local(OtherSecret).Seal(Plain);

        Assert.DoesNotContain("c2VjcmV0LWtleS1tYXRlcmlhbA", sealedKey.ToString(), StringComparison.Ordinal);
        Assert.Equal(Plain.ToString(), Local(Secret + "\n" + OtherSecret).Open(sealedKey).ToString());
        Assert.Equal(Local(OtherSecret).CurrentSecretId(), KeyRingSeal.SecretIdOf(sealedKey));
    }

    [Fact]
    public void A_key_sealed_with_a_secret_this_app_does_not_hold_is_refused_naming_the_setting()
    {
        var sealedKey = Local(OtherSecret).Seal(Plain);

        var error = Assert.Throws<CryptographicException>(() => Local(Secret).Open(sealedKey));
        Assert.Contains("CustomerSession__KeyRingSecretName", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_element_this_app_did_not_seal_is_refused_and_names_no_secret()
    {
        var foreign = new XElement("sealed", new XAttribute("secretId", Local(Secret).CurrentSecretId()), "AAAA");

        var error = Assert.Throws<CryptographicException>(() => Local(Secret).Open(foreign));
        Assert.Contains("not a key sealed by this app", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Null(KeyRingSeal.SecretIdOf(foreign));
    }

    public static TheoryData<string, string> Spoilings => new()
    {
        { "nonce", "not base64!" },
        { "tag", "***" },
        { "nonce", "" },
        { "value", "%%%" },
    };

    [Theory]
    [MemberData(nameof(Spoilings))]
    public void A_malformed_sealed_key_is_refused_as_malformed(string part, string value)
    {
        var sealedKey = Local(Secret).Seal(Plain);
        if (part == "value")
        {
            sealedKey.Value = value;
        }
        else
        {
            sealedKey.SetAttributeValue(part, value);
        }

        var error = Assert.Throws<CryptographicException>(() => Local(Secret).Open(sealedKey));
        Assert.Contains("malformed", error.Message, StringComparison.Ordinal);
        Assert.True(error.InnerException is FormatException or ArgumentException, error.InnerException?.GetType().Name);
    }

    [Fact]
    public void A_sealed_key_altered_at_rest_is_refused()
    {
        var sealedKey = Local(Secret).Seal(Plain);
        var cipher = Convert.FromBase64String(sealedKey.Value);
        cipher[0] ^= 1;
        sealedKey.Value = Convert.ToBase64String(cipher);

        Assert.ThrowsAny<CryptographicException>(() => Local(Secret).Open(sealedKey));
    }

    [Fact]
    public async Task Without_a_vault_or_a_local_secret_keys_rest_unsealed_and_sealing_is_refused()
    {
        var unsealed = Local(null);

        Assert.False(unsealed.Enabled);
        await unsealed.PrepareAsync(); // nothing to read
        var error = Assert.Throws<InvalidOperationException>(() => unsealed.Seal(Plain));
        Assert.Contains("no key ring secret is configured", error.Message, StringComparison.Ordinal);
        Assert.True(Local(Secret).Enabled);
        Assert.True(FromVault().Enabled); // a vault alone seals: the secret is read from it
    }

    [Fact]
    public async Task A_vault_that_cannot_be_read_fails_the_preparation_as_an_outage()
    {
        _vault.GoDown();

        var error = await Assert.ThrowsAsync<RequestFailedException>(() => FromVault().PrepareAsync().AsTask());
        Assert.Equal(503, error.Status);
    }

    [Fact]
    public async Task An_empty_key_ring_secret_in_the_vault_is_refused_as_not_found_before_any_key_is_sealed()
    {
        _vault.Serve(SecretName, "r1", " \n ");

        var error = await Assert.ThrowsAsync<RequestFailedException>(() => FromVault().PrepareAsync().AsTask());
        Assert.Equal(404, error.Status);
        Assert.Contains("key ring secret is empty", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rotation_read_from_the_vault_seals_new_keys_with_the_new_secret_and_old_keys_still_open()
    {
        _vault.Serve(SecretName, "r1", OtherSecret);
        var seal = FromVault();
        await seal.PrepareAsync();
        var before = seal.Seal(Plain);

        _vault.Serve(SecretName, "r2", Secret + "\n" + OtherSecret);
        _time.Advance(TimeSpan.FromMinutes(2));
        await seal.PrepareAsync();
        var after = seal.Seal(Plain);

        Assert.Equal(Local(OtherSecret).CurrentSecretId(), KeyRingSeal.SecretIdOf(before));
        Assert.Equal(Local(Secret).CurrentSecretId(), seal.CurrentSecretId());
        Assert.Equal(seal.CurrentSecretId(), KeyRingSeal.SecretIdOf(after));
        Assert.Equal(Plain.ToString(), seal.Open(before).ToString());
    }

    [Fact]
    public void A_vault_that_does_not_answer_holds_Data_Protections_synchronous_key_read_for_a_bounded_wait_only()
    {
        // Data Protection seals and opens keys synchronously under its lock: a hung vault must not hold it for long.
        var options = new SecretClientOptions { DisableChallengeResourceVerification = true, Transport = new HttpClientTransport(new HttpClient(new NeverAnswers())) };
        options.Retry.MaxRetries = 0;
        var hung = new SecretClient(_vault.VaultUri, DelegatedTokenCredential.Create((_, _) => new AccessToken("t", DateTimeOffset.MaxValue)), options);
        var clock = System.Diagnostics.Stopwatch.StartNew();

        Assert.Throws<TimeoutException>(() => FromVault(hung).Seal(Plain));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"waited {clock.Elapsed}");
    }

    private sealed class NeverAnswers : HttpMessageHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
            throw new OperationCanceledException(cancellationToken);
        }
    }

    public void Dispose() => _vault.Dispose();
}
