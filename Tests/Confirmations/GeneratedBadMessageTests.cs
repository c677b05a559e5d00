using System.Globalization;
using System.Text.Json.Nodes;
using CsCheck;
using FlexFunctions.Shared.Confirmations;
using FlexFunctions.Shared.InputRules;
using FlexFunctions.Tests.Http;
using Xunit.Abstractions;
using static FlexFunctions.Tests.Http.BadValues;

namespace FlexFunctions.Tests.Confirmations;

/// <summary>
/// The generated bad-input suite for the warehouse reader (CsCheck): a valid shipment or receipt with one field spoilt,
/// sent plain or base64 through the real processor. Each must be kept in the failed-events store with a reason naming the
/// field (never forwarded, never dropped), and FlexShopper must see no request. A failure prints the field, the value and
/// the seed. Summary line: <c>--filter "FullyQualifiedName~GeneratedBadMessageTests" --logger "console;verbosity=detailed"</c>.
/// </summary>
public sealed class GeneratedBadMessageTests(ITestOutputHelper output)
{
    public const int Iterations = 200;
    private static readonly OrderLimitsOptions Limits = new();
    private static readonly ConfirmationsOptions Confirmations = new();

    private const string Shipment = """
        {"version":1,"type":"shipment","transactionId":"T-1001","reference":"PICK-88","occurredAt":"2026-03-01T10:00:00Z",
         "items":[{"sku":"TV-55","quantity":1,"carrier":"UPS","trackingNumber":"1Z999AA10123456784","trackingLink":"https://www.ups.com/track?tracknum=1Z999AA10123456784",
                   "shipDate":"2026-03-01","deliveryDate":"2026-03-04"}]}
        """;

    private const string Receipt = """{"version":1,"type":"receipt","transactionId":"T-1001","items":[{"sku":"TV-55","quantity":1,"receivedDate":"2026-03-04"}]}""";

    public sealed record Message(string Field, string What, string Text)
    {
        public override string ToString() => $"{Field}: {What}";
    }

    [Fact]
    public async Task Generated_bad_messages_are_kept_with_a_reason_naming_the_field_and_never_reach_FlexShopper()
    {
        await using var h = new ConfirmationHarness();
        var cases = 0;
        await Messages().SampleAsync(async m =>
        {
            cases++;
            var before = h.Fake.Server.LogEntries.Count();

            var outcome = await h.Deliver(m.Text);

            var where = $"{m} ({Escape(m.Text)})";
            Assert.True(outcome == ProcessOutcome.Rejected, $"{where}: {outcome}");
            Assert.True(h.Fake.Server.LogEntries.Count() == before, $"{where}: reached FlexShopper");
            var row = await h.Failures.GetAsync(FailedEventKinds.Failed, EventKey.Hash(m.Text), CancellationToken.None);
            Assert.True(row is not null, $"{where}: not kept in the failed-events store");
            Assert.True(row.Value.Event.Reason.Contains($"'{m.Field}'", StringComparison.Ordinal), $"{where}: the reason '{row.Value.Event.Reason}' must name '{m.Field}'");
            Assert.Equal(m.Text, row.Value.Event.Message);
        }, iter: Iterations, threads: 1);

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bad-input route=warehouse-queue cases={cases} kept-with-reason={cases} upstream-calls=0"));
    }

    [Theory]
    [InlineData(Shipment, "confirm-shipment")]
    [InlineData(Receipt, "confirm-receipt")]
    public async Task The_messages_the_generator_spoils_are_confirmed_when_left_alone(string message, string path)
    {
        await using var h = new ConfirmationHarness();
        h.Answer($"transactions/T-1001/{path}", 200);

        Assert.Equal(ProcessOutcome.Confirmed, await h.Deliver(JsonNode.Parse(message)!.ToJsonString()));
        Assert.Single(h.Calls("POST", $"transactions/T-1001/{path}"));
    }

    private static Gen<Message> Messages() =>
        // The host hands us plain JSON or base64 (README, "Encodings"): both must be refused alike.
        Gen.Select(BadEvents(), Gen.Bool, (m, base64) => new Message(m.Field, m.What + (base64 ? " (base64)" : ""), base64 ? ConfirmationHarness.Base64(m.Json) : m.Json));

    /// <summary>A valid shipment or receipt (version 1) with one field spoilt: the field, how, and the JSON. Standard Webhooks deliveries carry the same events.</summary>
    internal static Gen<(string Field, string What, string Json)> BadEvents()
    {
        var shipment = JsonNode.Parse(Shipment)!.AsObject();
        var receipt = JsonNode.Parse(Receipt)!.AsObject();
        FieldSpec Id(string path, string valid, bool required) => new(path, Strings(FieldRules.Identifier, valid, required, PathAndQueryAttacks));
        FieldSpec[] shipmentFields =
        [
            Id("transactionId", "T-1001", required: true),
            Id("reference", "PICK-88", required: false),
            new("items[0].sku", Strings(FieldRules.Code, "TV-55", required: true, ".", "..", " TV-55", "TV-55 ")),
            new("items[0].quantity", Quantity(Limits.MaxQuantity)),
            new("items[0].carrier", Strings(FieldRules.Code, "UPS", required: true, ".", " UPS")),
            new("items[0].trackingNumber", Strings(FieldRules.Code, "1Z999AA10123456784", required: false)),
            new("items[0].trackingLink", Strings(FieldRules.HttpUrl, "https://www.ups.com/track?tracknum=1Z9", required: false, "ftp://x.example/a", "javascript:alert(1)", "//x.example")),
            new("items[0].shipDate", Strings(FieldRules.Date, "2026-03-01", required: true, "2026-13-01", "03/01/2026", "٢٠٢٦-٠٣-٠١")),
            new("items[0].deliveryDate", Strings(FieldRules.Date, "2026-03-04", required: false, "2026-02-30")),
            new("type", Gen.OneOf(
                Gen.OneOf(new BadValue("refund", "refund"), new BadValue("shipment\\n", "shipment\n"), new BadValue("missing", Missing: true), new BadValue("a number", Json: "7")),
                Gen.String[Gen.Char['a', 'z'], 1, 30].Where(t => !WarehouseEventTypes.All.Contains(t)).Select(t => new BadValue($"'{t}'", t)))),
            new("version", Gen.OneOf(
                Gen.OneOf(new BadValue("missing", Missing: true), new BadValue("\"1\"", Json: "\"1\""), new BadValue("1.5", Json: "1.5")),
                Gen.Int[2, int.MaxValue].Select(v => new BadValue($"{v}", Json: v.ToString(CultureInfo.InvariantCulture))))),
            new("items", Gen.Int[Confirmations.MaxItems + 1, Confirmations.MaxItems + 50].Select(n => new BadValue($"{n} items",
                Json: "[" + string.Join(",", Enumerable.Repeat("""{"sku":"A","carrier":"UPS","shipDate":"2026-03-01"}""", n)) + "]"))),
        ];
        FieldSpec[] receiptFields =
        [
            Id("transactionId", "T-1001", required: true),
            new("items[0].sku", Strings(FieldRules.Code, "TV-55", required: true)),
            new("items[0].receivedDate", Strings(FieldRules.Date, "2026-03-04", required: false, "2026-13-01")),
        ];
        return Gen.OneOf(
            Gen.OneOf(shipmentFields.Select(f => f.Bad.Select(b => (Field: f.Path, b.What, Json: Mutate(shipment, f.Path, b)))).ToArray()),
            Gen.OneOf(receiptFields.Select(f => f.Bad.Select(b => (Field: f.Path, b.What, Json: Mutate(receipt, f.Path, b)))).ToArray()));
    }

    /// <summary>The shipment the generator spoils, valid as it stands.</summary>
    internal static string ValidShipment => JsonNode.Parse(Shipment)!.ToJsonString();
}
