using System.Net;
using System.Text;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using Azure.Security.KeyVault.Secrets;
using FlexFunctions.Shared.Identity;
using FlexFunctions.Shared.Observability;
using FlexFunctions.Shared.Storage;
using FlexFunctions.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace FlexFunctions.Tests.Identity;

/// <summary>
/// How the app signs in to Azure: as its user-assigned identity with ManagedIdentityCredential when
/// ManagedIdentity__ClientId is set (the template sets it), with DefaultAzureCredential otherwise (local runs), and
/// the same credential for Key Vault, storage and the telemetry exporter.
/// </summary>
public sealed class AppCredentialTests
{
    private const string ClientId = "6f1c8a52-4b0e-4e8f-9a3c-2d7b5e9f0a11";

    [Fact]
    public void A_local_run_without_the_client_id_uses_DefaultAzureCredential()
    {
        Assert.IsType<DefaultAzureCredential>(AppCredential.For(Configuration(clientId: null)));
        Assert.IsType<DefaultAzureCredential>(AppCredential.For(Configuration(clientId: "  ")));
    }

    [Fact]
    public void In_Azure_the_client_id_selects_ManagedIdentityCredential_shared_by_every_client()
    {
        var first = AppCredential.For(Configuration(ClientId));

        Assert.IsType<ManagedIdentityCredential>(first);
        Assert.Same(first, AppCredential.For(Configuration(ClientId.ToUpperInvariant())));
    }

    [Fact]
    public async Task The_managed_identity_credential_asks_the_platform_for_that_identity_only()
    {
        var endpoint = new TokenEndpoint();
        var credential = AppCredential.Create(ClientId, new HttpClientTransport(new HttpClient(endpoint)));

        var token = await credential.GetTokenAsync(new TokenRequestContext(["https://vault.azure.net/.default"]), default);

        Assert.Equal("token-from-the-platform", token.Token);
        var request = Assert.Single(endpoint.Requests);
        Assert.Contains("client_id=" + ClientId, request.Query, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("resource=https", request.Query, StringComparison.Ordinal);
    }

    [Fact]
    public void A_client_id_that_is_not_a_guid_stops_start_up_naming_the_setting()
    {
        var settings = TestServices.DefaultSettings("http://127.0.0.1:9/v3/", withStorage: false);
        settings[AppCredential.ClientIdSetting] = "id-flexfunctions-abc"; // the identity's name, not its client id

        var error = Assert.Throws<InvalidOperationException>(() => TestServices.Build(settings));

        Assert.Contains("ManagedIdentity__ClientId", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_Key_Vault_client_is_built_with_the_app_credential()
    {
        var settings = TestServices.DefaultSettings("http://127.0.0.1:9/v3/", withStorage: false);
        settings["KeyVault:VaultUri"] = "https://unit.vault.azure.net/";
        settings[AppCredential.ClientIdSetting] = ClientId;
        using (var plain = TestServices.Build(settings))
        {
            Assert.Same(AppCredential.For(Configuration(ClientId)), plain.Get<TokenCredential>());
        }

        var asked = 0;
        using var services = TestServices.Build(settings, s => s.Replace(ServiceDescriptor.Singleton<TokenCredential>(_ =>
        {
            Interlocked.Increment(ref asked);
            return new RecordingCredential();
        })));

        Assert.Equal(0, asked);
        services.Get<SecretClient>();
        Assert.Equal(1, asked);
    }

    [Fact]
    public async Task Storage_clients_reached_by_uri_ask_the_app_credential_for_a_storage_token()
    {
        var settings = TestServices.DefaultSettings("http://127.0.0.1:9/v3/", withStorage: false);
        settings["Storage"] = null;
        settings["Storage:tableServiceUri"] = "https://127.0.0.1:9/";
        settings["Warehouse"] = null;
        settings["Warehouse:queueServiceUri"] = "https://127.0.0.1:9/";
        // It refuses after noting the scope, so no request is sent anywhere.
        var credential = new RecordingCredential(refuse: true);
        using var services = TestServices.Build(settings, s => s.Replace(ServiceDescriptor.Singleton<TokenCredential>(credential)));

        await Assert.ThrowsAsync<CredentialUnavailableException>(() => services.Get<TableServiceClient>().GetPropertiesAsync());
        await Assert.ThrowsAsync<CredentialUnavailableException>(() => services.Get<WarehouseQueue>().Client.ExistsAsync());

        Assert.Equal(["https://storage.azure.com/.default", "https://storage.azure.com/.default"], credential.Scopes);
    }

    [Fact]
    public void The_telemetry_exporter_signs_in_with_the_app_credential()
    {
        var configuration = Configuration(ClientId, new Dictionary<string, string?>
        {
            [ObservabilityRegistration.ConnectionStringSetting] = "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1:9/",
        });
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddObservability(configuration);
        using var provider = services.BuildServiceProvider();

        // Reading the options runs the exporter's configuration without starting an export (no token is fetched).
        var exporter = provider.GetRequiredService<IOptionsMonitor<AzureMonitorExporterOptions>>().Get(Options.DefaultName);

        Assert.Same(AppCredential.For(configuration), exporter.Credential);
        Assert.IsType<ManagedIdentityCredential>(exporter.Credential);
    }

    private static IConfiguration Configuration(string? clientId, IDictionary<string, string?>? more = null)
    {
        var values = new Dictionary<string, string?>(more ?? new Dictionary<string, string?>()) { [AppCredential.ClientIdSetting] = clientId };
        return new ConfigurationBuilder().AddInMemoryCollection(values).Build();
    }

    /// <summary>Stands in for the platform's token endpoint: records each request and issues a token.</summary>
    private sealed class TokenEndpoint : HttpMessageHandler
    {
        public List<Uri> Requests { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            lock (Requests)
            {
                Requests.Add(request.RequestUri!);
            }

            var expiresOn = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds();
            var body = $$"""{"access_token":"token-from-the-platform","expires_in":"3600","expires_on":"{{expiresOn}}","resource":"https://vault.azure.net","token_type":"Bearer","client_id":"{{ClientId}}"}""";
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, "application/json") });
        }
    }

    /// <summary>A credential that records the scopes it is asked for, and issues a token or refuses.</summary>
    private sealed class RecordingCredential(bool refuse = false) : TokenCredential
    {
        private readonly List<string> _scopes = [];

        public IReadOnlyList<string> Scopes
        {
            get
            {
                lock (_scopes)
                {
                    return [.. _scopes];
                }
            }
        }

        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            lock (_scopes)
            {
                _scopes.AddRange(requestContext.Scopes);
            }

            return refuse ? throw new CredentialUnavailableException("test credential") : new AccessToken("recorded", DateTimeOffset.UtcNow.AddHours(1));
        }

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }
}
