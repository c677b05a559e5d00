using System.Text;
using FlexFunctions.Functions.Http;
using FlexFunctions.Shared.Webhooks;
using FlexFunctions.Tests.Http;
using FlexFunctions.Tests.Infrastructure;

namespace FlexFunctions.Tests.StorePlatforms;

/// <summary>
/// A custom store's events in our own warehouse contract, signed with Standard Webhooks (webhook-id,
/// webhook-timestamp, webhook-signature), and the same signature accepted on the store routes.
/// </summary>
public sealed class StandardWebhookTests
{
    private const string Event = """{"version":1,"type":"shipment","transactionId":"T-1001","reference":"PICK-88","items":[{"sku":"TV-55","quantity":1,"carrier":"UPS","trackingNumber":"1Z999AA10123456784","shipDate":"2026-03-01"}]}""";

    [Fact]
    public async Task A_signed_event_is_queued_as_sent()
    {
        await using var bed = new PlatformBed();
        await bed.CreateQueueAsync();

        var answer = await bed.Standard(Event);

        Assert.True(answer.Status == 200, answer.Body);
        var queued = Assert.Single(await bed.QueuedAsync());
        Assert.Equal(Event, queued.GetRawText());
    }

    [Theory]
    [InlineData("stale")]
    [InlineData("future")]
    [InlineData("another secret")]
    [InlineData("id changed")]
    [InlineData("no timestamp")]
    public async Task A_stale_or_wrong_signature_is_401_and_nothing_is_queued(string kind)
    {
        await using var bed = new PlatformBed();
        await bed.CreateQueueAsync();
        var other = "whsec_" + Convert.ToBase64String(Encoding.UTF8.GetBytes("some-other-store-key-0123456789"));

        var answer = kind switch
        {
            "stale" => await bed.Standard(Event, at: DateTimeOffset.UtcNow.AddMinutes(-6)),
            "future" => await bed.Standard(Event, at: DateTimeOffset.UtcNow.AddMinutes(6)),
            "another secret" => await bed.Standard(Event, secret: other),
            "id changed" => await bed.Standard(Event, id: "msg_1", extra: new Dictionary<string, string> { ["webhook-id"] = "msg_2" }),
            _ => await bed.Standard(Event, extra: new Dictionary<string, string> { ["webhook-timestamp"] = "" }),
        };

        Assert.Equal((401, "InvalidSignature"), (answer.Status, answer.Json.GetProperty("code").GetString()));
        Assert.Empty(await bed.QueuedAsync());
    }

    [Fact]
    public async Task A_replayed_webhook_id_is_acknowledged_once()
    {
        await using var bed = new PlatformBed();
        await bed.CreateQueueAsync();

        var first = await bed.Standard(Event, id: "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W");
        var replayed = await bed.Standard(Event, id: "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W");

        Assert.Equal(("accepted", "duplicate"), (first.Json.GetProperty("outcome").GetString(), replayed.Json.GetProperty("outcome").GetString()));
        Assert.Single(await bed.QueuedAsync());
    }

    [Fact]
    public async Task An_event_the_contract_refuses_is_400_naming_the_field_and_is_not_queued()
    {
        await using var bed = new PlatformBed();
        await bed.CreateQueueAsync();

        var answer = await bed.Standard("""{"version":1,"type":"shipment","transactionId":"T-1","items":[{"sku":"TV-55","quantity":1,"shipDate":"2026-03-01"}]}""");

        Assert.Equal(400, answer.Status);
        Assert.Contains("items[0].carrier", answer.Json.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Empty(await bed.QueuedAsync());
    }

    [Fact]
    public async Task During_a_rotation_the_sender_may_sign_with_both_secrets_and_we_accept_either_of_ours()
    {
        var newer = "whsec_" + Convert.ToBase64String(Encoding.UTF8.GetBytes("the-newer-standard-key-0123456789"));
        await using var bed = new PlatformBed(s => s["StandardWebhooks:Secret"] = newer + "\n" + PlatformBed.StandardSecret);
        await bed.CreateQueueAsync();

        var byOld = await bed.Standard(Event, secret: PlatformBed.StandardSecret);
        var byNew = await bed.Standard(Event.Replace("PICK-88", "PICK-89", StringComparison.Ordinal), secret: newer);
        // The spec's rotation: one header listing a signature per secret, the first of which we no longer know.
        var unknown = "whsec_" + Convert.ToBase64String(Encoding.UTF8.GetBytes("a-retired-key-we-never-had-0000"));
        var id = "msg_both";
        var at = DateTimeOffset.UtcNow;
        var both = PlatformBed.StandardHeaders(Event, id, at, unknown)["webhook-signature"] + " " + PlatformBed.StandardHeaders(Event, id, at, newer)["webhook-signature"];
        var listed = await bed.Standard(Event, id: id, at: at, secret: newer, extra: new Dictionary<string, string> { ["webhook-signature"] = both });

        Assert.Equal((200, 200, 200), (byOld.Status, byNew.Status, listed.Status));
    }

    [Fact]
    public async Task The_store_routes_accept_a_Standard_Webhooks_signature_instead_of_X_FlexFunctions_Signature()
    {
        using var flex = new FakeFlexShopper();
        flex.Server.StubJson("POST", "/v3/users/u1/send-passcode", 200, """{"status":200,"data":{}}""");
        await using var app = HttpApp.Build(flex, s =>
        {
            s["Webhook:RequireSignature"] = "true";
            s["Webhook:SigningSecret"] = "the-store-webhook-signing-secret-0123";
            s["StandardWebhooks:Secret"] = PlatformBed.StandardSecret;
        });
        var body = """{"transport":"sms"}""";
        Task<HttpResult> Call(Dictionary<string, string> headers) => HttpTestKit.RunAsync(
            HttpTestKit.Request(app.Provider, "POST", "/api/v1/customers/u1/passcode", body, headers),
            r => HttpTestKit.Create<CustomerFunctions>(app.Provider).RequestPasscode(r, "u1", default));

        var signed = await Call(PlatformBed.StandardHeaders(body, "msg_a", DateTimeOffset.UtcNow, PlatformBed.StandardSecret));
        var stale = await Call(PlatformBed.StandardHeaders(body, "msg_b", DateTimeOffset.UtcNow.AddMinutes(-10), PlatformBed.StandardSecret));
        var tampered = await Call(PlatformBed.StandardHeaders(body + " ", "msg_c", DateTimeOffset.UtcNow, PlatformBed.StandardSecret));

        Assert.Equal((202, 401, 401), (signed.Status, stale.Status, tampered.Status));
        Assert.Contains(StandardWebhookVerifier.SignatureHeader, stale.Json.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Single(flex.Server.LogEntries); // only the signed call reached FlexShopper
    }
}
