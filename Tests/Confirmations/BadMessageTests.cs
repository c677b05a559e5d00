using FlexFunctions.Shared.Confirmations;

namespace FlexFunctions.Tests.Confirmations;

public sealed class BadMessageTests
{
    private const string Tx = ConfirmationHarness.Transaction;

    public static TheoryData<string, string, string> BadMessages()
    {
        var huge = $$"""{"version":1,"type":"shipment","transactionId":"{{Tx}}","note":"{{new string('x', 60_000)}}","items":[{"sku":"A","carrier":"UPS","shipDate":"2026-03-01"}]}""";
        return new TheoryData<string, string, string>
        {
            { "not JSON", "shipped order T-1001 today", "neither JSON nor base64-encoded JSON" },
            { "broken JSON", """{"version":1,"type":"shipment",""", "not valid JSON" },
            { "wrong version", $$"""{"version":2,"type":"cancel","transactionId":"{{Tx}}"}""", "'version' 2 is not supported" },
            { "no version", $$"""{"type":"cancel","transactionId":"{{Tx}}"}""", "'version' is required" },
            { "missing transaction id", """{"version":1,"type":"cancel","items":[{"sku":"A"}]}""", "'transactionId' is required" },
            { "negative quantity", $$"""{"version":1,"type":"return","transactionId":"{{Tx}}","items":[{"sku":"A","quantity":-2}]}""", "'items[0].quantity' must be a positive whole number" },
            { "fractional quantity", $$"""{"version":1,"type":"return","transactionId":"{{Tx}}","items":[{"sku":"A","quantity":1.5}]}""", "'items[0].quantity' has the wrong type" },
            { "unknown type", $$"""{"version":1,"type":"refund","transactionId":"{{Tx}}"}""", "'type' 'refund' is unknown" },
            { "shipment without carrier", $$"""{"version":1,"type":"shipment","transactionId":"{{Tx}}","items":[{"sku":"A","shipDate":"03/01/2026"}]}""", "'items[0].carrier' is required; 'items[0].shipDate' must be a date as YYYY-MM-DD" },
            { "huge", huge, "bytes of JSON; the limit is 49152" },
            { "base64 of not JSON", ConfirmationHarness.Base64("hello warehouse"), "neither JSON nor base64-encoded JSON" },
            { "base64 of a bad event", ConfirmationHarness.Base64($$"""{"version":1,"type":"cancel","transactionId":" "}"""), "'transactionId' is required" },
            { "an array", "[1,2,3]", "must be a JSON object: one event per message" },
        };
    }

    [Theory]
    [MemberData(nameof(BadMessages))]
    public async Task A_bad_message_is_recorded_with_a_clear_reason_and_its_full_text(string name, string message, string expectedReason)
    {
        await using var h = new ConfirmationHarness();

        var outcome = await h.Deliver(message);

        Assert.Equal(ProcessOutcome.Rejected, outcome);
        var row = Assert.Single(await h.Failures.ListAsync(null, CancellationToken.None));
        Assert.Equal(FailedEventKinds.Failed, row.Kind);
        Assert.True(row.Reason.Contains(expectedReason, StringComparison.Ordinal), $"{name}: reason was '{row.Reason}'");
        Assert.Equal(message, row.Message);
        Assert.False(row.Truncated);
        Assert.Equal(message.Length, row.MessageLength);
        Assert.Empty(h.Fake.Server.LogEntries);
    }

    [Fact]
    public async Task A_base64_encoded_event_is_processed_like_plain_JSON()
    {
        await using var h = new ConfirmationHarness();
        h.Answer($"transactions/{Tx}/confirm-shipment", 200);

        Assert.Equal(ProcessOutcome.Confirmed, await h.Deliver(ConfirmationHarness.Base64(ConfirmationHarness.Shipment())));
        Assert.Single(h.Calls("POST", $"transactions/{Tx}/confirm-shipment"));
    }

    [Fact]
    public async Task An_oversized_message_keeps_a_truncated_copy_with_its_length_and_hash()
    {
        await using var h = new ConfirmationHarness(s => s["Confirmations:MaxStoredMessageChars"] = "2048");
        var message = new string('z', 10_000);

        Assert.Equal(ProcessOutcome.Rejected, await h.Deliver(message));

        var row = Assert.Single(await h.Failures.ListAsync(null, CancellationToken.None));
        Assert.True(row.Truncated);
        Assert.Equal(10_000, row.MessageLength);
        Assert.Equal(2048, row.Message!.Length);
        Assert.Equal(EventKey.Hash(message), row.MessageSha256);
        var report = await h.Replayer.ReplayOneAsync(row.Kind, row.Id, CancellationToken.None);
        Assert.Contains("Only part of the message was kept", Assert.Single(report!.Skipped).Reason, StringComparison.Ordinal);
        // Not replayed: nothing partial reaches the live queue, and the row stays for the operator.
        Assert.Empty(report.Replayed);
        Assert.Empty((await h.Queue.Client.PeekMessagesAsync(32)).Value);
        Assert.NotNull(await h.Failures.GetAsync(row.Kind, row.Id, CancellationToken.None));
    }

    [Fact]
    public async Task The_same_bad_message_redelivered_is_one_row()
    {
        await using var h = new ConfirmationHarness();
        await h.Deliver("not json", 1);
        await h.Deliver("not json", 2);

        var row = Assert.Single(await h.Failures.ListAsync(null, CancellationToken.None));
        Assert.Equal(2, row.DequeueCount);
    }
}
