using System.Security.Cryptography;
using System.Text;

namespace FlexFunctions.Shared.Secrets;

/// <summary>
/// Local runs only: the key from <c>FlexShopper__ApiKey</c>. Its "version" is a short fingerprint of the value,
/// so a token minted before the setting changed is never sent with the new key.
/// </summary>
public sealed class ConfigurationApiKeyProvider : IApiKeyProvider
{
    private readonly ApiKey _key;

    public ConfigurationApiKeyProvider(string apiKey)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(apiKey);
        _key = new ApiKey(apiKey, Fingerprint(apiKey));
    }

    public ValueTask<ApiKey> GetCurrentAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(_key);

    public ValueTask<ApiKey> GetVersionAsync(string version, CancellationToken cancellationToken = default) =>
        version == _key.Version
            ? ValueTask.FromResult(_key)
            : throw new ApiKeyUnavailableException(version, "the configured key has changed since this version was issued");

    public ValueTask<ApiKey> RefreshAfterRejectionAsync(ApiKey rejected, CancellationToken cancellationToken = default) => ValueTask.FromResult(_key);

    internal static string Fingerprint(string apiKey) =>
        "cfg-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(apiKey)))[..12];
}
