using System.Security.Cryptography;
using System.Text;
using Azure;
using FlexFunctions.Shared.Secrets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlexFunctions.Shared.KeyedHashing;

/// <summary>One secret's HMAC-SHA256, and a short id that names the secret without revealing it.</summary>
public sealed class HashKey
{
    private readonly byte[] _key;

    internal HashKey(string secret)
    {
        _key = Encoding.UTF8.GetBytes(secret);
        Id = Convert.ToHexStringLower(HMACSHA256.HashData(_key, "FlexFunctions table key id"u8))[..12];
    }

    /// <summary>Names the secret a row was written under (stored beside keyed values so they can be checked again).</summary>
    public string Id { get; }

    /// <summary>HMAC-SHA256 of the UTF-8 text, lower-case hex.</summary>
    public string Hex(string text) => Convert.ToHexStringLower(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(text)));

    /// <summary>HMAC-SHA256 of the UTF-8 text, upper-case hex.</summary>
    public string HexUpper(string text) => Convert.ToHexString(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(text)));

    /// <summary>An incremental HMAC for values built from several parts.</summary>
    public IncrementalHash Start() => IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _key);

    public override string ToString() => $"HashKey({Id})";
}

/// <summary>
/// The keys in force: <see cref="Write"/> is the one new rows are written under, <see cref="All"/> every key a row may
/// have been written under (the writing key first), so a lookup still finds what was written before a rotation.
/// </summary>
public sealed record HashKeys(HashKey Write, IReadOnlyList<HashKey> All)
{
    /// <summary>The key with this id, or null when the row was written under a secret no longer accepted.</summary>
    public HashKey? ById(string? id) => All.FirstOrDefault(k => k.Id == id);
}

/// <summary>
/// Keys every identifier the app stores as a table key with HMAC-SHA256 under a secret held in Key Vault (locally, the
/// <c>KeyedHashing__Secret</c> setting), read through <see cref="SharedSecret"/> like the other secrets. A plain hash of
/// an IPv4 address or a customer id is undone by trying every value; a keyed one is not, without the secret.
/// </summary>
/// <remarks>
/// Rotation: set the secret to two lines, the new one first. Every instance keeps reading both, and keeps writing under
/// the old one until the new version has existed for <see cref="KeyVaultOptions.RefreshInterval"/> plus a minute
/// (every instance has read it by then), so all instances switch together and no limit is split between two rows.
/// Once rows written under the old secret have expired (the longest retention of a keyed table), set the new one alone.
/// </remarks>
public sealed partial class KeyedHasher
{
    /// <summary>Allowance for the instances' clocks when they switch to the new secret together.</summary>
    internal static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(1);

    private readonly SharedSecret _secret;
    private readonly IOptions<KeyVaultOptions> _vault;
    private readonly IOptions<KeyedHashOptions> _options;
    private readonly TimeProvider _time;
    private volatile Derived? _derived;

    public KeyedHasher(IOptions<KeyedHashOptions> options, IOptions<KeyVaultOptions> vault, IServiceProvider services, TimeProvider time, ILogger<KeyedHasher> logger)
    {
        _options = options;
        _vault = vault;
        _time = time;
        _secret = new SharedSecret(() => options.Value.SecretName, () => options.Value.Secret, services, vault, time, logger);
    }

    /// <summary>
    /// The keys in force. A vault that cannot be read with nothing cached throws the vault's failure (an outage: the
    /// caller answers 503); a cached secret keeps serving through an outage.
    /// </summary>
    public async ValueTask<HashKeys> KeysAsync(CancellationToken cancellationToken = default)
    {
        var lines = await _secret.ReadAsync(cancellationToken).ConfigureAwait(false);
        if (lines.Secrets.Count == 0)
        {
            throw new RequestFailedException(404, $"The table key secret ({(_vault.Value.VaultUri is null ? KeyedHashOptions.Section + "__Secret" : _options.Value.SecretName)}) is empty.");
        }

        var derived = _derived;
        if (derived is null || !ReferenceEquals(derived.Lines, lines))
        {
            derived = new Derived(lines, lines.Secrets.Select(s => new HashKey(s)).ToList());
            _derived = derived;
        }

        // Until every instance has had the time to read a rotation, keep writing under the old secret.
        var switched = derived.Keys.Count == 1 || lines.SetAt is not { } setAt
            || _time.GetUtcNow() >= setAt + _vault.Value.RefreshInterval + ClockSkew;
        var write = switched ? derived.Keys[0] : derived.Keys[1];
        return new HashKeys(write, [write, .. derived.Keys.Where(k => !ReferenceEquals(k, write))]);
    }

    private sealed record Derived(SecretLines Lines, IReadOnlyList<HashKey> Keys);
}
