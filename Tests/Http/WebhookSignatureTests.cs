using System.Globalization;
using System.Text;
using FlexFunctions.Shared.Secrets;
using FlexFunctions.Shared.Webhooks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
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
}
