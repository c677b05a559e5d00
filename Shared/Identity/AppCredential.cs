using System.Collections.Concurrent;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Identity;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace FlexFunctions.Shared.Identity;

/// <summary>
/// The one place the app's Azure credential is made, for Key Vault, tables, the warehouse queue and the telemetry
/// exporter alike. In Azure, <c>ManagedIdentity__ClientId</c> names the user-assigned identity the app runs as
/// (infra/modules/functionapp.bicep sets it, and nothing else does) and the credential is a
/// <see cref="ManagedIdentityCredential"/> for exactly that identity: no chain to probe, no developer login to pick
/// up by surprise. Without the setting (local runs, tests) it is <see cref="DefaultAzureCredential"/>, which finds
/// the developer's az, azd or Visual Studio sign-in.
/// </summary>
public static class AppCredential
{
    /// <summary>Configuration key of the identity's client id (app setting <c>ManagedIdentity__ClientId</c>).</summary>
    public const string ClientIdSetting = "ManagedIdentity:ClientId";

    // One credential per identity for the process, so every client shares its token cache (and a local run probes
    // the developer tools once, not once per client).
    private static readonly ConcurrentDictionary<string, TokenCredential> Shared = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The credential for <paramref name="configuration"/>; a client id that is not a GUID is refused, naming the setting.</summary>
    public static TokenCredential For(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var clientId = configuration[ClientIdSetting]?.Trim() ?? string.Empty;
        if (clientId.Length > 0 && !Guid.TryParse(clientId, out _))
        {
            throw new InvalidOperationException(
                "ManagedIdentity__ClientId must be the client id (a GUID) of the app's user-assigned managed identity, or empty for local runs.");
        }

        return Shared.GetOrAdd(clientId, id => Create(id));
    }

    /// <summary>What <see cref="For"/> builds; <paramref name="transport"/> lets a test answer the token requests.</summary>
    internal static TokenCredential Create(string clientId, HttpPipelineTransport? transport = null)
    {
        if (string.IsNullOrEmpty(clientId))
        {
            return new DefaultAzureCredential();
        }

        var options = new ManagedIdentityCredentialOptions(ManagedIdentityId.FromUserAssignedClientId(clientId));
        if (transport is not null)
        {
            options.Transport = transport;
        }

        return new ManagedIdentityCredential(options);
    }

    /// <summary>
    /// Registers <see cref="For"/> as the <see cref="TokenCredential"/> the app's Azure clients are built with. It is
    /// made here, at registration, so a malformed client id stops start-up instead of the first call to Azure.
    /// </summary>
    internal static IServiceCollection AddAppCredential(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(For(configuration));
        return services;
    }
}
