using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Security.KeyVault.Secrets;
using WireMock.Matchers;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;
using Request = WireMock.RequestBuilders.Request;

namespace FlexFunctions.Tests.Infrastructure;

/// <summary>
/// Key Vault faked with WireMock.Net on 127.0.0.1 over HTTPS (the SDK sends bearer tokens over TLS only), behind a
/// real <see cref="SecretClient"/>: the client goes through Key Vault's challenge, parses real answers and raises the
/// SDK's own exceptions. Secrets can be served, deleted, disabled, refused to our identity, or the vault taken down.
/// </summary>
public sealed class FakeKeyVault : IDisposable
{
    public FakeKeyVault()
    {
        var port = Azurite.FreePort();
        Server = WireMockServer.Start(new WireMockServerSettings
        {
            Urls = [$"https://127.0.0.1:{port}"],
            CertificateSettings = new WireMockCertificateSettings { X509Certificate = SelfSigned() },
        });
        VaultUri = new Uri($"https://127.0.0.1:{port}/");
        // Without a token, Key Vault answers 401 with the challenge that tells the client where to get one.
        Server.Given(Request.Create().UsingAnyMethod().WithHeader("Authorization", "*", MatchBehaviour.RejectOnMatch)).AtPriority(1)
            .RespondWith(Response.Create().WithStatusCode(401)
                .WithHeader("WWW-Authenticate", "Bearer authorization=\"https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000\", resource=\"https://vault.azure.net\""));
    }

    public WireMockServer Server { get; }

    public Uri VaultUri { get; }

    /// <summary>Requests that reached the vault with a token (the challenge round trips excluded).</summary>
    public int SecretReads => Server.LogEntries.Count(e => e.RequestMessage?.Headers?.ContainsKey("Authorization") == true);

    /// <summary>A real client for this vault: any token, its self-signed certificate accepted, quick retries.</summary>
    public SecretClient CreateClient() => ClientFor(VaultUri);

    /// <summary>The same client for a vault at a loopback port where nothing listens (connections refused).</summary>
    public static SecretClient ClientForClosedPort() => ClientFor(new Uri($"https://127.0.0.1:{Azurite.FreePort()}/"));

    private static SecretClient ClientFor(Uri vault)
    {
        var options = new SecretClientOptions
        {
            DisableChallengeResourceVerification = true, // the challenge names vault.azure.net, the host is 127.0.0.1
            Transport = new HttpClientTransport(new HttpClientHandler { ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator }),
        };
        options.Retry.MaxRetries = 1;
        options.Retry.Delay = TimeSpan.FromMilliseconds(20);
        options.Retry.MaxDelay = TimeSpan.FromMilliseconds(50);
        return new SecretClient(vault, new StaticToken(), options);
    }

    /// <summary>Serves <paramref name="value"/> as <paramref name="version"/> of <paramref name="name"/>, and as its latest version.</summary>
    public void Serve(string name, string version, string value, bool latest = true)
    {
        var body = SecretJson(name, version, value);
        Answer($"/secrets/{name}/{version}", 200, body, priority: 10);
        if (latest)
        {
            // The latest version is read without a version: GET /secrets/{name}/ (one mapping, replaced on rotation).
            Answer($"/secrets/{name}/", 200, body, priority: 10, id: IdFor("latest/" + name));
            Answer($"/secrets/{name}", 200, body, priority: 10, id: IdFor("latest-bare/" + name));
        }
    }

    /// <summary>The version was deleted (or never existed): 404 SecretNotFound.</summary>
    public void Delete(string name, string version) =>
        Answer($"/secrets/{name}/{version}", 404, Error("SecretNotFound", $"A secret with (name/id) {name}/{version} was not found in this key vault.", null), priority: 5);

    /// <summary>The version was disabled: 403 Forbidden with the inner code SecretDisabled.</summary>
    public void Disable(string name, string version) =>
        Answer($"/secrets/{name}/{version}", 403, Error("Forbidden", "Operation get is not allowed on a disabled secret.", "SecretDisabled"), priority: 5);

    /// <summary>Our identity lost its role: 403 Forbidden by RBAC on every secret.</summary>
    /// <summary>Any answer for one version, body as given.</summary>
    public void AnswerVersion(string name, string version, int status, string body) => Answer($"/secrets/{name}/{version}", status, body, priority: 5);

    public void RefuseOurIdentity() =>
        Answer("/secrets/*", 403, Error("Forbidden", "Caller is not authorized to perform action on resource.", "ForbiddenByRbac"), priority: 2);

    /// <summary>The vault answers 503 to everything (until <see cref="Recover"/>).</summary>
    public void GoDown() =>
        Answer("/secrets/*", 503, Error("ServiceUnavailable", "The service is unavailable.", null), priority: 2, id: IdFor("outage"));

    public void Recover() => Server.DeleteMapping(IdFor("outage"));

    public void Dispose() => Server.Stop();

    private static Guid IdFor(string name) => new(MD5.HashData(System.Text.Encoding.UTF8.GetBytes(name)));

    private void Answer(string path, int status, string body, int priority, Guid? id = null)
    {
        var mapping = Server.Given(Request.Create().WithPath(new WildcardMatcher(path)).UsingGet().WithHeader("Authorization", "Bearer *"));
        if (id is { } guid)
        {
            mapping = mapping.WithGuid(guid); // the same id replaces the earlier answer
        }

        mapping.AtPriority(priority).RespondWith(Response.Create().WithStatusCode(status).WithHeader("Content-Type", "application/json; charset=utf-8").WithBody(body));
    }

    private string SecretJson(string name, string version, string value) => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["value"] = value,
        ["id"] = $"{VaultUri}secrets/{name}/{version}",
        ["attributes"] = new Dictionary<string, object> { ["enabled"] = true, ["created"] = 1_767_225_600, ["updated"] = 1_767_225_600, ["recoveryLevel"] = "Recoverable+Purgeable" },
    });

    private static string Error(string code, string message, string? inner) => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["error"] = inner is null
            ? new Dictionary<string, object> { ["code"] = code, ["message"] = message }
            : new Dictionary<string, object> { ["code"] = code, ["message"] = message, ["innererror"] = new Dictionary<string, string> { ["code"] = inner } },
    });

    private static X509Certificate2 SelfSigned()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        // Through PFX so the private key is usable by the TLS stack on every platform.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null);
    }

    /// <summary>Stands in for the app's managed identity: any token will do for the fake vault.</summary>
    private sealed class StaticToken : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            new("fake-vault-token", DateTimeOffset.UtcNow.AddHours(1));

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }
}
