using System.Text;
using FlexFunctions.Shared.Confirmations;
using FlexFunctions.Shared.InputRules;
using Microsoft.Extensions.Options;

namespace FlexFunctions.Tests.Confirmations;

/// <summary>
/// The reasons the warehouse reader gives: the operator reads them in the failed-events table and the warehouse is
/// told them, so each names the field and the problem in full. Also the limits' exact bounds, and which well-formed
/// events pass (a check that refuses a good event stops real shipments).
/// </summary>
public sealed class RejectionReasonTests
{
    private const string Tx = ConfirmationHarness.Transaction;

    private static WarehouseMessageReader Reader(int maxMessageBytes = 48 * 1024, int maxItems = 200) =>
        new(Options.Create(new ConfirmationsOptions { MaxMessageBytes = maxMessageBytes, MaxItems = maxItems }), Options.Create(new OrderLimitsOptions()));

    private static string Reason(string message) => Reader().Read(message).Reason ?? "(accepted)";

    private static string ShipItem(string extra = "") => "{\"sku\":\"A\",\"carrier\":\"UPS\",\"shipDate\":\"2026-03-01\"" + extra + "}";

    public static TheoryData<string, string> ExactReasons() => new()
    {
        { "   ", "The message is empty." },
        { $$"""{"transactionId":"{{Tx}}","type":"cancel"}""", "The event is invalid: 'version' is required (current: 1)." },
        { $$"""{"version":1,"transactionId":"{{Tx}}"}""", "The event is invalid: 'type' is required: one of shipment, receipt, cancel, return." },
        { $$"""{"version":1,"type":"refund","transactionId":"{{Tx}}"}""", "The event is invalid: 'type' 'refund' is unknown: use one of shipment, receipt, cancel, return." },
        { """{"type":"cancel"}""", "The event is invalid: 'version' is required (current: 1); 'transactionId' is required." },
        { $$"""{"version":1,"type":"shipment","transactionId":"{{Tx}}"}""", "The event is invalid: 'items' is required for a shipment: carrier and shipDate travel per item." },
        { $$"""{"version":1,"type":"shipment","transactionId":"{{Tx}}","items":[]}""", "The event is invalid: 'items' is required for a shipment: carrier and shipDate travel per item." },
        { $$"""{"version":1,"type":"cancel","transactionId":"{{Tx}}","items":[null]}""", "The event is invalid: 'items[0]' must be an object." },
        { $$"""{"version":1,"type":"cancel","transactionId":"{{Tx}}","items":[null,{"sku":"A","quantity":0}]}""", "The event is invalid: 'items[0]' must be an object; 'items[1].quantity' must be a positive whole number up to 100 (was 0); omit it for every unit." },
        { $$"""{"version":1,"type":"cancel","transactionId":"{{Tx}}","items":[{"sku":"A","quantity":101}]}""", "The event is invalid: 'items[0].quantity' must be a positive whole number up to 100 (was 101); omit it for every unit." },
        { $$"""{"version":1,"type":"shipment","transactionId":"{{Tx}}","items":[{"sku":"A","carrier":"UPS"}]}""", "The event is invalid: 'items[0].shipDate' is required (YYYY-MM-DD)." },
        { $$"""{"version":1,"type":"shipment","transactionId":"{{Tx}}","items":[{"sku":"A","shipDate":"2026-03-01"}]}""", "The event is invalid: 'items[0].carrier' is required." },
        { $$"""{"version":1,"type":"receipt","transactionId":"{{Tx}}","items":[{"sku":"A","receivedDate":"03/04/2026"}]}""", $"The event is invalid: 'items[0].receivedDate' must be {FieldRules.Date.Requirement}." },
    };

    [Theory]
    [MemberData(nameof(ExactReasons))]
    public void Each_reason_names_the_field_and_the_problem_in_full(string message, string reason)
    {
        Assert.Equal(reason, Reason(message));
    }

    [Fact]
    public void An_unknown_type_is_quoted_whole_up_to_40_characters_and_cut_after()
    {
        var forty = new string('q', 40);
        var longer = forty + "zzz";

        Assert.Contains($"'type' '{forty}' is unknown", Reason($$"""{"version":1,"type":"{{forty}}","transactionId":"{{Tx}}"}"""), StringComparison.Ordinal);
        var cut = Reason($$"""{"version":1,"type":"{{longer}}","transactionId":"{{Tx}}"}""");
        Assert.Contains($"'type' '{forty}...' is unknown", cut, StringComparison.Ordinal);
        Assert.DoesNotContain("zzz", cut, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"version":1,"type":"shipment",""")]
    [InlineData("""{]""")]
    [InlineData("""{"version":1} trailing""")]
    public void Broken_JSON_gives_the_parsers_first_sentence_without_its_position_noise(string message)
    {
        var reason = Reason(message);

        Assert.StartsWith("The message is not valid JSON: ", reason, StringComparison.Ordinal);
        var sentence = reason["The message is not valid JSON: ".Length..];
        Assert.True(sentence.Length > 10 && sentence.EndsWith('.') && !sentence.Contains(". ", StringComparison.Ordinal), $"reason was '{reason}'");
        Assert.DoesNotContain("LineNumber", reason, StringComparison.Ordinal);
        Assert.DoesNotContain("Path:", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_field_of_the_wrong_type_is_named_with_the_parsers_first_sentence()
    {
        var reason = Reason($$"""{"version":1,"type":"cancel","transactionId":"{{Tx}}","items":[{"sku":"A","quantity":"two"}]}""");

        Assert.StartsWith("'items[0].quantity' has the wrong type or is malformed: ", reason, StringComparison.Ordinal);
        Assert.EndsWith(".", reason, StringComparison.Ordinal);
        Assert.DoesNotContain("LineNumber", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_message_of_exactly_the_size_limit_is_read_and_one_byte_more_is_refused_with_both_sizes()
    {
        var head = $$"""{"version":1,"type":"cancel","transactionId":"{{Tx}}","note":" """;
        string Padded(int bytes) => head + new string('x', bytes - Encoding.UTF8.GetByteCount(head) - 2) + "\"}";
        var reader = Reader(maxMessageBytes: 300);

        Assert.NotNull(reader.Read(Padded(300)).Event);
        Assert.Equal("The message is 301 bytes of JSON; the limit is 300.", reader.Read(Padded(301)).Reason);
    }

    [Fact]
    public void Exactly_the_item_limit_is_read_and_one_more_is_refused_with_the_count()
    {
        string Shipment(int n) => $$"""{"version":1,"type":"shipment","transactionId":"{{Tx}}","items":[{{string.Join(",", Enumerable.Repeat(ShipItem(), n))}}]}""";
        var reader = Reader(maxItems: 3);

        Assert.Equal(3, reader.Read(Shipment(3)).Event!.Items.Count);
        Assert.Equal("The event is invalid: 'items' has 4 entries; the limit is 3.", reader.Read(Shipment(4)).Reason);
    }

    [Fact]
    public void The_largest_quantity_allowed_is_accepted()
    {
        var read = Reader().Read($$"""{"version":1,"type":"return","transactionId":"{{Tx}}","items":[{"sku":"A","quantity":100}]}""");

        Assert.Equal(100, Assert.Single(read.Event!.Items).Quantity);
    }

    [Fact]
    public void A_cancel_or_return_without_items_is_the_whole_transaction_and_passes()
    {
        foreach (var type in new[] { "cancel", "return", "receipt" })
        {
            var read = Reader().Read($$"""{"version":1,"type":"{{type}}","transactionId":"{{Tx}}"}""");

            Assert.True(read.Event is not null, $"{type}: {read.Reason}");
            Assert.Empty(read.Event.Items);
            Assert.Equal((type, Tx), (read.Type, read.TransactionId));
        }
    }

    [Fact]
    public void A_receipt_item_without_a_received_date_passes()
    {
        var read = Reader().Read($$"""{"version":1,"type":"receipt","transactionId":"{{Tx}}","items":[{"sku":"A","quantity":1}]}""");

        Assert.True(read.Event is not null, read.Reason);
    }

    [Fact]
    public void A_rejected_event_keeps_its_transaction_and_type_only_when_they_are_well_formed()
    {
        var known = Reader().Read($$"""{"version":2,"type":"CANCEL","transactionId":"{{Tx}}","traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}""");
        Assert.Null(known.Event);
        Assert.Equal((Tx, "cancel", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"), (known.TransactionId, known.Type, known.TraceParent));

        var unknown = Reader().Read("""{"version":1,"type":"refund","transactionId":"T/../1001"}""");
        Assert.Null(unknown.Event);
        Assert.Equal((null, null), (unknown.TransactionId, unknown.Type));
        Assert.Contains("'transactionId' must be", unknown.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Base64_whose_bytes_are_not_UTF8_is_refused_even_when_the_rest_is_a_valid_event()
    {
        // A valid cancel with one byte (0xFF) that is not UTF-8 in a property we ignore: never read as a good event.
        var bytes = Encoding.UTF8.GetBytes($$"""{"version":1,"type":"cancel","transactionId":"{{Tx}}","note":"#"}""");
        bytes[Array.IndexOf(bytes, (byte)'#')] = 0xFF;

        var read = Reader().Read(Convert.ToBase64String(bytes));

        Assert.Null(read.Event);
        Assert.Equal("The message is neither JSON nor base64-encoded JSON.", read.Reason);
        Assert.Equal(WarehouseMessageReader.Base64Encoding, read.Encoding);
    }

    [Theory]
    [InlineData("shipped order T-1001 today", WarehouseMessageReader.PlainEncoding)] // not base64 either
    [InlineData("aGVsbG8gd2FyZWhvdXNl", WarehouseMessageReader.Base64Encoding)] // base64 of "hello warehouse"
    [InlineData("ICAg", WarehouseMessageReader.Base64Encoding)] // base64 of three spaces
    public void What_is_neither_JSON_nor_base64_JSON_is_refused_with_how_it_arrived(string message, string encoding)
    {
        var read = Reader().Read(message);

        Assert.Equal(("The message is neither JSON nor base64-encoded JSON.", encoding), (read.Reason, read.Encoding));
    }

    [Fact]
    public async Task A_rejected_event_is_listed_with_its_transaction_type_and_encoding_for_the_operator()
    {
        await using var h = new ConfirmationHarness();
        var message = ConfirmationHarness.Base64($$"""{"version":2,"type":"return","transactionId":"{{Tx}}"}""");

        Assert.Equal(ProcessOutcome.Rejected, await h.Deliver(message));

        var row = Assert.Single(await h.Failures.ListAsync(FailedEventKinds.Failed, CancellationToken.None));
        Assert.Equal((Tx, "return", WarehouseMessageReader.Base64Encoding), (row.TransactionId, row.EventType, row.Encoding));
        Assert.Equal("The event is invalid: 'version' 2 is not supported (current: 1).", row.Reason);
    }

    [Fact]
    public async Task A_delivery_without_text_is_kept_as_an_empty_message_with_its_reason()
    {
        await using var h = new ConfirmationHarness();
        await h.Queue.Client.CreateIfNotExistsAsync();

        Assert.Equal(ProcessOutcome.Rejected, await h.Processor.ProcessAsync(new WarehouseDelivery(null, "m-null", 1), CancellationToken.None));

        var row = Assert.Single(await h.Failures.ListAsync(null, CancellationToken.None));
        Assert.Equal(("The message is empty.", "", 0), (row.Reason, row.Message, row.MessageLength));
        Assert.Equal(EventKey.Hash(""), row.MessageSha256);
    }
}
