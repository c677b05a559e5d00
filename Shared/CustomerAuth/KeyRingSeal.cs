using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using FlexFunctions.Shared.Secrets;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlexFunctions.Shared.CustomerAuth;

/// <summary>
/// Seals the Data Protection keys at rest (AES-256-GCM) with a key derived from a secret in Key Vault
/// (<c>CustomerSession__KeyRingSecretName</c>; locally the <c>CustomerSession__KeyRingSecret</c> setting), so a copy of
/// the key ring table without that secret opens no session. The secret may hold two lines during a rotation (the new,
/// then the old): keys are sealed with the first and opened with whichever sealed them; the storage cleanup re-seals
/// older keys with the first, after which the old line can go.
/// </summary>
public sealed class KeyRingSeal
{
    /// <summary>Namespace of the sealed element inside Data Protection's <c>encryptedSecret</c>.</summary>
    public static readonly XNamespace Ns = "urn:flexfunctions:keyring-seal:v1";

    private static readonly XName Sealed = Ns + "sealed";

    /// <summary>Longest the synchronous path (Data Protection reads its key ring under a lock) waits for the vault.</summary>
    private static readonly TimeSpan VaultWait = TimeSpan.FromSeconds(5);

    private readonly SharedSecret? _secret;
    private volatile Derived? _derived;

    public KeyRingSeal(IOptions<CustomerSessionOptions> options, IOptions<KeyVaultOptions> vault, IServiceProvider services, TimeProvider time, ILogger<KeyRingSeal> logger)
    {
        // Stryker disable once Statement : guard on a constructor only the service container calls; options are never null there
        ArgumentNullException.ThrowIfNull(options);
        // Stryker disable once Statement : guard on a constructor only the service container calls; options are never null there
        ArgumentNullException.ThrowIfNull(vault);
        Enabled = vault.Value.VaultUri is not null || !string.IsNullOrWhiteSpace(options.Value.KeyRingSecret);
        if (Enabled)
        {
            _secret = new SharedSecret(() => options.Value.KeyRingSecretName, () => options.Value.KeyRingSecret, services, vault, time, logger);
        }
    }

    /// <summary>False only locally with neither a vault nor <c>CustomerSession__KeyRingSecret</c>: keys rest as Data Protection leaves them.</summary>
    public bool Enabled { get; }

    /// <summary>
    /// Reads the secret now, asynchronously, so Data Protection's synchronous use finds it cached. A vault that cannot
    /// be read (with nothing cached) throws the vault's failure before any key is touched: the caller answers 503.
    /// </summary>
    public async ValueTask PrepareAsync(CancellationToken cancellationToken = default)
    {
        if (_secret is not null)
        {
            Keys(await _secret.ReadAsync(cancellationToken).ConfigureAwait(false));
        }
    }

    /// <summary>Id of the secret new keys are sealed with.</summary>
    // Stryker disable once Linq : Current() is never empty (Keys throws on an empty secret), so First and FirstOrDefault agree
    public string CurrentSecretId() => Current().First().Id;

    /// <summary>The sealed form of <paramref name="plaintext"/> under the current secret.</summary>
    public XElement Seal(XElement plaintext)
    {
        // Stryker disable once Statement : Data Protection never passes null; without the guard the next line throws on null as well
        ArgumentNullException.ThrowIfNull(plaintext);
        // Stryker disable once Linq : Current() is never empty (Keys throws on an empty secret), so First and FirstOrDefault agree
        var key = Current().First();
        var plain = Encoding.UTF8.GetBytes(plaintext.ToString(SaveOptions.DisableFormatting));
        var nonce = RandomNumberGenerator.GetBytes(AesGcm.NonceByteSizes.MaxSize);
        var cipher = new byte[plain.Length];
        var tag = new byte[AesGcm.TagByteSizes.MaxSize];
        using (var aes = new AesGcm(key.Aes, tag.Length))
        {
            aes.Encrypt(nonce, plain, cipher, tag, Encoding.ASCII.GetBytes(key.Id));
        }

        // Stryker disable once Statement : wiping the plaintext copy is hygiene; nothing reads it afterwards
        CryptographicOperations.ZeroMemory(plain);
        return new XElement(Sealed, new XAttribute("secretId", key.Id), new XAttribute("nonce", Convert.ToBase64String(nonce)),
            new XAttribute("tag", Convert.ToBase64String(tag)), Convert.ToBase64String(cipher));
    }

    /// <summary>The secret id a sealed element names, or null when it is not ours.</summary>
    public static string? SecretIdOf(XElement element) => element?.Name == Sealed ? element.Attribute("secretId")?.Value : null;

    /// <summary>Opens a sealed element; a <see cref="CryptographicException"/> when it was sealed with a secret we do not hold, or altered.</summary>
    public XElement Open(XElement sealedElement)
    {
        // Stryker disable once Statement : Data Protection never passes null; without the guard the next line throws on null as well
        ArgumentNullException.ThrowIfNull(sealedElement);
        if (sealedElement.Name != Sealed)
        {
            throw new CryptographicException("Not a key sealed by this app.");
        }

        var id = sealedElement.Attribute("secretId")?.Value;
        var key = Current().FirstOrDefault(k => k.Id == id)
            ?? throw new CryptographicException("This key was sealed with a secret this app does not hold (CustomerSession__KeyRingSecretName).");
        try
        {
            var nonce = Convert.FromBase64String(sealedElement.Attribute("nonce")?.Value ?? "");
            var tag = Convert.FromBase64String(sealedElement.Attribute("tag")?.Value ?? "");
            var cipher = Convert.FromBase64String(sealedElement.Value);
            var plain = new byte[cipher.Length];
            using (var aes = new AesGcm(key.Aes, tag.Length))
            {
                aes.Decrypt(nonce, cipher, tag, plain, Encoding.ASCII.GetBytes(key.Id));
            }

            var element = XElement.Parse(Encoding.UTF8.GetString(plain));
            // Stryker disable once Statement : wiping the plaintext copy is hygiene; nothing reads it afterwards
            CryptographicOperations.ZeroMemory(plain);
            return element;
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or System.Xml.XmlException)
        {
            throw new CryptographicException("The sealed key is malformed.", ex);
        }
    }

    private IReadOnlyList<SealKey> Current()
    {
        if (_secret is null)
        {
            throw new InvalidOperationException("The key ring is not sealed: no key ring secret is configured.");
        }

        var task = _secret.ReadAsync(CancellationToken.None);
        var lines = task.IsCompletedSuccessfully ? task.Result : task.AsTask().WaitAsync(VaultWait).GetAwaiter().GetResult();
        return Keys(lines);
    }

    private IReadOnlyList<SealKey> Keys(SecretLines lines)
    {
        var derived = _derived;
        if (derived is null || !ReferenceEquals(derived.Lines, lines))
        {
            if (lines.Secrets.Count == 0)
            {
                throw new Azure.RequestFailedException(404, "The key ring secret is empty.");
            }

            derived = new Derived(lines, lines.Secrets.Select(s => new SealKey(s)).ToList());
            _derived = derived;
        }

        return derived.Keys;
    }

    private sealed record Derived(SecretLines Lines, IReadOnlyList<SealKey> Keys);

    private sealed class SealKey
    {
        public SealKey(string secret)
        {
            var ikm = Encoding.UTF8.GetBytes(secret);
            Aes = HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, 32, salt: null, info: "FlexFunctions key ring seal v1"u8.ToArray());
            Id = Convert.ToHexStringLower(HMACSHA256.HashData(ikm, "FlexFunctions key ring secret id"u8))[..12];
            // Stryker disable once Statement : wiping the secret's bytes is hygiene; nothing reads them afterwards
            CryptographicOperations.ZeroMemory(ikm);
        }

        public byte[] Aes { get; }

        public string Id { get; }
    }
}

/// <summary>Data Protection's hook that seals each new key before it is stored (<see cref="KeyRingSeal"/>).</summary>
public sealed class SealedKeyEncryptor(KeyRingSeal seal) : IXmlEncryptor
{
    public EncryptedXmlInfo Encrypt(XElement plaintextElement) => new(seal.Seal(plaintextElement), typeof(SealedKeyDecryptor));
}

/// <summary>Opens keys sealed by <see cref="SealedKeyEncryptor"/>; Data Protection creates it with the app's services.</summary>
public sealed class SealedKeyDecryptor(IServiceProvider services) : IXmlDecryptor
{
    public XElement Decrypt(XElement encryptedElement) => services.GetRequiredService<KeyRingSeal>().Open(encryptedElement);
}
