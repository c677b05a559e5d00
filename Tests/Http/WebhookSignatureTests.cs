using System.Globalization;
using System.Text;
using FlexFunctions.Shared.Secrets;
using FlexFunctions.Shared.Webhooks;
using FlexFunctions.Tests.StorePlatforms;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace FlexFunctions.Tests.Http;

/// <summary>
/// <c>X-FlexFunctions-Signature</c> as a store sends it: rotations on either side (several <c>v1=</c> values from the
/// store, two secrets on ours), the time window at its edges, and every way a header can be malformed.
/// </summary>
public sealed class WebhookSignatureTests
{
    private const string Ours = "the-current-store-webhook-secret-01";
    private const string Older = "the-previous-store-webhook-secret-0";
    private const string Stranger = "a-secret-this-app-never-accepted-00";
    private static readonly byte[] Body = """{"transactionId":"T1","items":[]}"""u8.ToArray();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero));
    private readonly FakeLogger<WebhookSignature> _logger = new();

    private WebhookSignature Verifier(string secrets, bool required = true) => new(
        Options.Create(new WebhookOptions { RequireSignature = required, SigningSecret = secrets }),
        Options.Create(new KeyVaultOptions()), _time, new ServiceCollection().BuildServiceProvider(), _logger);

    private string Mac(string secret, DateTimeOffset? at = null) =>
        WebhookSignature.Sign(Encoding.UTF8.GetBytes(secret), at ?? _time.GetUtcNow(), Body).Split(",v1=")[1];

    private string T(DateTimeOffset? at = null) => (at ?? _time.GetUtcNow()).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);

    [Fact]
    public async Task A_store_rotating_its_secret_signs_with_both_and_either_position_of_ours_is_accepted()
    {
        var verifier = Verifier(Ours);

        Assert.Equal(SignatureCheck.Valid, await verifier.VerifyAsync($"t={T()},v1={Mac(Ours)},v1={Mac(Stranger)}", Body));
        Assert.Equal(SignatureCheck.Valid, await verifier.VerifyAsync($"t={T()},v1={Mac(Stranger)},v1={Mac(Ours)}", Body));
        Assert.Equal(SignatureCheck.Valid, await verifier.VerifyAsync($"v1={Mac(Stranger)}, v1={Mac(Ours)}, t={T()}", Body));
        Assert.Equal(SignatureCheck.Mismatch, await verifier.VerifyAsync($"t={T()},v1={Mac(Stranger)},v1={Mac(Older)}", Body));
    }

    [Fact]
    public async Task While_we_rotate_both_our_secrets_are_accepted_and_no_other()
    {
        var verifier = Verifier(Ours + "\n" + Older);

        Assert.Equal(SignatureCheck.Valid, await verifier.VerifyAsync($"t={T()},v1={Mac(Ours)}", Body));
        Assert.Equal(SignatureCheck.Valid, await verifier.VerifyAsync($"t={T()},v1={Mac(Older)}", Body));
        Assert.Equal(SignatureCheck.Valid, await verifier.VerifyAsync($"t={T()},v1={Mac(Stranger)},v1={Mac(Older)}", Body));
        Assert.Equal(SignatureCheck.Mismatch, await verifier.VerifyAsync($"t={T()},v1={Mac(Stranger)}", Body));
    }

    [Fact]
    public async Task The_signature_covers_the_exact_body_and_timestamp()
    {
        var verifier = Verifier(Ours);
        var signedAt = _time.GetUtcNow().AddSeconds(-30);
        var header = WebhookSignature.Sign(Encoding.UTF8.GetBytes(Ours), signedAt, Body);

        Assert.Equal(SignatureCheck.Valid, await verifier.VerifyAsync(header, Body));
        Assert.Equal(SignatureCheck.Mismatch, await verifier.VerifyAsync(header, Body.Append((byte)' ').ToArray()));
        Assert.Equal(SignatureCheck.Mismatch, await verifier.VerifyAsync(header.Replace($"t={T(signedAt)}", $"t={T(signedAt.AddSeconds(1))}", StringComparison.Ordinal), Body));
        Assert.Matches("^t=[0-9]+,v1=[0-9a-f]{64}$", header);
        // What any store computes: hex HMAC-SHA256 of "<t>.<raw body>" under the shared secret.
        var expected = Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData(Encoding.UTF8.GetBytes(Ours), Encoding.ASCII.GetBytes(T(signedAt) + ".").Concat(Body).ToArray()));
        Assert.Equal($"t={T(signedAt)},v1={expected}", header);
        // The same signature listed twice (a store whose old and new secret are one) is still valid.
        Assert.Equal(SignatureCheck.Valid, await verifier.VerifyAsync($"{header},v1={expected}", Body));
    }

    [Theory]
    [InlineData(-300, SignatureCheck.Valid)] // five minutes old: still inside the window
    [InlineData(-301, SignatureCheck.Stale)]
    [InlineData(300, SignatureCheck.Valid)] // a store clock five minutes ahead
    [InlineData(301, SignatureCheck.Stale)]
    public async Task The_time_window_is_five_minutes_either_way(int seconds, SignatureCheck expected)
    {
        var at = _time.GetUtcNow().AddSeconds(seconds);

        Assert.Equal(expected, await Verifier(Ours).VerifyAsync($"t={T(at)},v1={Mac(Ours, at)}", Body));
    }

    [Theory]
    [InlineData("", SignatureCheck.Missing)]
    [InlineData("   ", SignatureCheck.Missing)]
    [InlineData("t=1700000000", SignatureCheck.Malformed)] // no v1
    [InlineData("v1=OURS", SignatureCheck.Malformed)] // no t
    [InlineData("t=NOW,v1", SignatureCheck.Malformed)] // a part without '='
    [InlineData("t=NOW,=abc,v1=OURS", SignatureCheck.Malformed)] // a part with no name
    [InlineData("t=NOW,v1=abc", SignatureCheck.Malformed)] // not 64 hex digits
    [InlineData("t=NOW,v1=OURSff", SignatureCheck.Malformed)]
    [InlineData("t=NOW,v1=zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", SignatureCheck.Malformed)]
    [InlineData("t=-5,v1=OURS", SignatureCheck.Malformed)] // not a plain number
    [InlineData("t=abc,v1=OURS", SignatureCheck.Malformed)]
    [InlineData("t=99999999999999999,v1=OURS", SignatureCheck.Malformed)] // past the last representable date
    [InlineData("t=NOW,v0=OURS", SignatureCheck.Malformed)] // another scheme only
    [InlineData("t=NOW,v0=abc,v1=OURS", SignatureCheck.Valid)] // other schemes are skipped
    public async Task Malformed_headers_are_told_apart_from_wrong_signatures(string header, SignatureCheck expected)
    {
        var value = header.Replace("NOW", T(), StringComparison.Ordinal).Replace("OURS", Mac(Ours), StringComparison.Ordinal);

        Assert.Equal(expected, await Verifier(Ours).VerifyAsync(value, Body));
        Assert.Equal(expected == SignatureCheck.Valid ? 0 : 1, _logger.Collector.Count);
    }

    [Fact]
    public async Task Nothing_is_checked_when_signatures_are_not_required()
    {
        var verifier = Verifier(Ours, required: false);

        Assert.False(verifier.Required);
        Assert.Equal(SignatureCheck.NotRequired, await verifier.VerifyAsync("t=1,v1=00", Body));
        Assert.Equal(SignatureCheck.NotRequired, await verifier.VerifyAsync(new HeaderDictionary(), Body));
        Assert.Equal(SignatureCheck.NotRequired, await verifier.VerifyAsync(new HeaderDictionary { [StandardWebhookVerifier.SignatureHeader] = "v1,abc" }, Body));
        Assert.True(Verifier(Ours).Required);
    }

    [Fact]
    public async Task The_header_is_read_from_the_request_and_its_absence_is_missing()
    {
        var verifier = Verifier(Ours);

        Assert.Equal(SignatureCheck.Valid, await verifier.VerifyAsync(new HeaderDictionary { [WebhookSignature.Header] = $"t={T()},v1={Mac(Ours)}" }, Body));
        Assert.Equal(SignatureCheck.Missing, await verifier.VerifyAsync(new HeaderDictionary(), Body));
        // A Standard Webhooks signature with no verifier registered for it is "not configured", never valid.
        Assert.Equal(SignatureCheck.Unconfigured, await verifier.VerifyAsync(new HeaderDictionary { [StandardWebhookVerifier.SignatureHeader] = "v1,abc" }, Body));
        Assert.Contains(_logger.Collector.GetSnapshot(), r => r.Message.Contains("Missing", StringComparison.Ordinal));
        Assert.Contains(_logger.Collector.GetSnapshot(), r => r.Message.Contains("Unconfigured", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_empty_header_of_ours_beside_a_Standard_Webhooks_signature_is_checked_as_Standard_Webhooks()
    {
        var headers = new HeaderDictionary { [WebhookSignature.Header] = "", [StandardWebhookVerifier.SignatureHeader] = "v1,abc" };

        Assert.Equal(SignatureCheck.Unconfigured, await Verifier(Ours).VerifyAsync(headers, Body));
        await Assert.ThrowsAsync<ArgumentNullException>(() => Verifier(Ours).VerifyAsync((IHeaderDictionary)null!, Body).AsTask());
    }

    private static StandardWebhookVerifier Standard(string secret, FakeLogger<StandardWebhookVerifier>? logger = null) => new(
        Options.Create(new StandardWebhooksOptions { Secret = secret }), Options.Create(new KeyVaultOptions()), TimeProvider.System,
        new ServiceCollection().BuildServiceProvider(), logger ?? new FakeLogger<StandardWebhookVerifier>());

    [Theory]
    [InlineData("valid", SignatureCheck.Valid)]
    [InlineData("no id", SignatureCheck.Missing)]
    [InlineData("ten minutes old", SignatureCheck.Stale)]
    [InlineData("ten minutes ahead", SignatureCheck.Stale)]
    [InlineData("timestamp not a number", SignatureCheck.Malformed)]
    [InlineData("another secret", SignatureCheck.Mismatch)]
    [InlineData("only empty entries", SignatureCheck.Malformed)]
    [InlineData("body not UTF-8", SignatureCheck.Mismatch)]
    public async Task A_Standard_Webhooks_signature_is_valid_or_says_why_not(string kind, SignatureCheck expected)
    {
        const string text = """{"type":"shipment"}""";
        var at = kind switch
        {
            "ten minutes old" => DateTimeOffset.UtcNow.AddMinutes(-10),
            "ten minutes ahead" => DateTimeOffset.UtcNow.AddMinutes(10),
            _ => DateTimeOffset.UtcNow,
        };
        var other = "whsec_" + Convert.ToBase64String("another-standard-webhooks-key-000000"u8);
        var headers = new HeaderDictionary();
        foreach (var (name, value) in PlatformBed.StandardHeaders(text, "msg_1", at, kind == "another secret" ? other : PlatformBed.StandardSecret))
        {
            headers[name] = value;
        }

        if (kind == "no id")
        {
            headers.Remove(StandardWebhookVerifier.IdHeader);
        }
        else if (kind == "timestamp not a number")
        {
            headers[StandardWebhookVerifier.TimestampHeader] = "soon";
        }
        else if (kind == "only empty entries")
        {
            headers[StandardWebhookVerifier.SignatureHeader] = "v1, v1,";
        }

        byte[] body = kind == "body not UTF-8" ? [0xC3, 0x28] : Encoding.UTF8.GetBytes(text);

        Assert.Equal(expected, await Standard(PlatformBed.StandardSecret).VerifyAsync(headers, body));
        Assert.True(StandardWebhookVerifier.IsSigned(headers));
    }

    [Fact]
    public async Task A_Standard_Webhooks_secret_that_is_not_whsec_base64_is_skipped_and_said_so()
    {
        var logger = new FakeLogger<StandardWebhookVerifier>();
        var headers = new HeaderDictionary();
        foreach (var (name, value) in PlatformBed.StandardHeaders("{}", "msg_2", DateTimeOffset.UtcNow, PlatformBed.StandardSecret))
        {
            headers[name] = value;
        }

        Assert.Equal(SignatureCheck.Valid, await Standard("whsec_not*base64\n" + PlatformBed.StandardSecret, logger).VerifyAsync(headers, "{}"u8.ToArray()));
        Assert.Contains(logger.Collector.GetSnapshot(), r => r.Level == LogLevel.Error && r.Message.Contains("not whsec_", StringComparison.Ordinal));
        Assert.Equal(SignatureCheck.Unconfigured, await Standard("").VerifyAsync(headers, "{}"u8.ToArray()));
    }

    [Theory]
    [InlineData(false, null, null, true)]
    [InlineData(true, null, null, false)]
    [InlineData(true, null, "0123456789012345678901234567890", false)] // 31 characters
    [InlineData(true, null, "01234567890123456789012345678901", true)] // 32
    [InlineData(true, "https://unit.vault.azure.net/", null, true)] // the secret is in Key Vault
    public void Requiring_signatures_without_a_secret_fails_at_start(bool require, string? vault, string? secret, bool valid)
    {
        using var services = Registered(new()
        {
            ["Webhook:RequireSignature"] = require ? "true" : "false",
            ["Webhook:SigningSecret"] = secret,
            ["KeyVault:VaultUri"] = vault,
        });

        if (valid)
        {
            Assert.Equal(require, services.GetRequiredService<IOptions<WebhookOptions>>().Value.RequireSignature);
        }
        else
        {
            var failure = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<WebhookOptions>>().Value);
            Assert.Contains("Webhook__RequireSignature is on but there is no secret", failure.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Out_of_range_settings_fail_at_start_and_the_verifiers_resolve_from_the_registration_alone()
    {
        using var badTolerance = Registered(new() { ["Webhook:Tolerance"] = "00:00:00" });
        using var noName = Registered(new() { ["StandardWebhooks:SecretName"] = "" });
        using var fine = Registered([]);

        Assert.Throws<OptionsValidationException>(() => badTolerance.GetRequiredService<IOptions<WebhookOptions>>().Value);
        Assert.Throws<OptionsValidationException>(() => noName.GetRequiredService<IOptions<StandardWebhooksOptions>>().Value);
        Assert.NotNull(fine.GetRequiredService<WebhookSignature>());
        Assert.NotNull(fine.GetRequiredService<StandardWebhookVerifier>());
    }

    private static ServiceProvider Registered(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddOptions<KeyVaultOptions>().Bind(configuration.GetSection("KeyVault"));
        services.AddWebhookSignature(configuration);
        return services.BuildServiceProvider();
    }
}
