using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using CsCheck;
using FlexFunctions.Functions.Http;
using FlexFunctions.Shared.Confirmations;
using FlexFunctions.Shared.Http;
using FlexFunctions.Shared.InputRules;
using FlexFunctions.Shared.Storage;
using FlexFunctions.Shared.StorePlatforms;
using FlexFunctions.Tests.Confirmations;
using FlexFunctions.Tests.Infrastructure;
using FlexFunctions.Tests.StorePlatforms;
using static FlexFunctions.Tests.Http.BadValues;

namespace FlexFunctions.Tests.Http;

/// <summary>
/// The store platforms' routes in the generated bad-input suite. A platform delivery is refused (401 for a bad or
/// missing signature, 400 naming the header or the payload's field, 413 for an oversized body), or, when it is signed
/// and well formed but cannot be used (a line without a usable SKU or quantity, no order id, a transaction id the rule
/// set refuses, an unknown topic, tracking or a date the warehouse contract refuses), answered 200 and kept as
/// <c>skipped</c> with its reason: the platforms disable endpoints that keep failing. Either way nothing reaches the
/// warehouse queue or FlexShopper.
/// </summary>
public sealed partial class GeneratedBadInputTests
{
    private const string TrackingNumber = "1Z999AA10123456784";

    /// <summary>Where WooCommerce Shipment Tracking keeps its entries on the order.</summary>
    private const string WooTrackingItemsKey = "_wc_shipment_tracking_items";

    private static readonly string[] PlatformRoutes = [StorePlatformFunctions.ShopifyName, StorePlatformFunctions.WooCommerceName, StorePlatformFunctions.StandardName];

    private static readonly string[] ShopifyTopics =
        [ShopifyTranslator.FulfillmentCreated, ShopifyTranslator.FulfillmentUpdated, ShopifyTranslator.RefundCreated, .. ShopifyTranslator.OrderTopics];

    /// <summary>Whitespace at either end of a header is dropped (as HTTP does); these are refused anywhere in one.</summary>
    private static readonly char[] InnerControls = [.. Controls];

    private readonly Lazy<TestServices> _byName;

    public static TheoryData<string> StorePlatformRoutes => new(PlatformRoutes);

    /// <summary>
    /// One generated platform delivery: the header or field it spoils, how, and what must come of it: a 4xx (with the
    /// guard's <see cref="Code"/>, or naming <see cref="Field"/>), or, with <see cref="SkippedBecause"/>, a 200 whose
    /// skipped record's reason holds that text.
    /// </summary>
    public sealed record Delivery(string Field, string What, TestServices App, string Function, string Body, Dictionary<string, string> Headers, string DeliveryId)
    {
        public int Status { get; init; } = 400;

        public string? Code { get; init; }

        public string? SkippedBecause { get; init; }

        public override string ToString() => $"{Field}: {What}";
    }

    [Theory]
    [MemberData(nameof(StorePlatformRoutes))]
    public async Task Generated_bad_deliveries_are_refused_or_kept_as_skipped_and_nothing_is_queued_or_sent(string function)
    {
        var route = PlatformRoute(function);
        await CreateQueuesAsync();
        int cases = 0, refused = 0, skipped = 0, serverErrors = 0, upstream = 0, queued = 0;
        await route.Cases.SampleAsync(async d =>
        {
            cases++;
            var before = _flex.Server.LogEntries.Count();
            var result = await Send(d);
            var reached = _flex.Server.LogEntries.Count() - before;
            var onQueue = (await d.App.Get<WarehouseQueue>().Client.PeekMessagesAsync(32)).Value;
            upstream += reached;
            queued += onQueue.Length;
            serverErrors += result.Status >= 500 ? 1 : 0;
            var where = $"{function} {d}: got {result.Status} {Escape(result.Body)}";
            Assert.True(result.Status < 500, where);
            Assert.True(reached == 0, $"{where}: {reached} request(s) reached FlexShopper");
            Assert.True(onQueue.Length == 0, $"{where}: put on the warehouse queue: {(onQueue.Length > 0 ? onQueue[0].Body.ToString() : "")}");
            var kept = (await d.App.Get<FailedEventStore>().ListAsync(FailedEventKinds.Skipped, CancellationToken.None)).Where(f => f.MessageId == d.DeliveryId).ToList();
            if (d.SkippedBecause is { } because)
            {
                skipped++;
                Assert.True(result.Status == 200, where);
                Assert.True(result.Json.GetProperty("outcome").GetString() == "accepted" && result.Json.GetProperty("events").GetInt32() == 0 && result.Json.GetProperty("skipped").GetInt32() >= 1, where);
                Assert.True(kept.Any(k => k.Reason.Contains(because, StringComparison.Ordinal)),
                    $"{where}: no skipped record says '{because}': {string.Join(" | ", kept.Select(k => k.Reason))}");
                return;
            }

            refused++;
            Assert.True(result.Status == d.Status, $"{where}: expected {d.Status}");
            Assert.Equal(Problems.ContentType, result.ContentType);
            Assert.True(kept.Count == 0, $"{where}: a refused delivery was recorded");
            if (d.Code is { } code)
            {
                Assert.True(result.Json.TryGetProperty("code", out var got) && got.GetString() == code, $"{where}: expected code {code}");
            }

            Assert.True(d.Code == "InvalidSignature" || Names(result, d.Field), $"{where}: the problem must name '{d.Field}'");
        }, iter: route.Iterations, threads: 1);

        _output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"bad-input route={function} cases={cases} refused-4xx={refused} kept-as-skipped={skipped} 5xx={serverErrors} upstream-calls={upstream} queued={queued}"));
    }

    [Theory]
    [MemberData(nameof(StorePlatformRoutes))]
    public async Task The_valid_delivery_each_platform_case_spoils_is_queued_as_a_valid_version_1_event(string function)
    {
        // Proves the generated cases are refused or skipped for the spoilt part, not for the rest of the delivery.
        await CreateQueuesAsync();
        var valid = function switch
        {
            StorePlatformFunctions.ShopifyName => new[] { (Shopify(_app, ShopifyTranslator.FulfillmentCreated, ShopifyFulfilment()), "5551234567"), (Shopify(_byName.Value, ShopifyTranslator.FulfillmentCreated, ShopifyFulfilment()), "1001") },
            StorePlatformFunctions.WooCommerceName => [(Woo(_app, WooCompleted()), "4750"), (Woo(_byName.Value, WooCompleted()), "WC-4750")],
            _ => [(Standard(_app, GeneratedBadMessageTests.ValidShipment), "T-1001")],
        };
        foreach (var (delivery, transactionId) in valid)
        {
            var result = await Send(delivery);
            Assert.True(result.Status == 200 && result.Json.GetProperty("events").GetInt32() == 1 && result.Json.GetProperty("skipped").GetInt32() == 0, $"{function}: {result.Status} {result.Body}");
            var queue = delivery.App.Get<WarehouseQueue>().Client;
            var message = Assert.Single((await queue.PeekMessagesAsync(32)).Value);
            var read = delivery.App.Get<WarehouseMessageReader>().Read(message.Body.ToString());
            Assert.True(read.Event is not null, read.Reason);
            Assert.Equal(transactionId, read.Event.TransactionId);
            await queue.ClearMessagesAsync();
        }
    }

    private async Task CreateQueuesAsync()
    {
        await _app.Get<WarehouseQueue>().Client.CreateIfNotExistsAsync();
        await _byName.Value.Get<WarehouseQueue>().Client.CreateIfNotExistsAsync();
    }

    private (int Iterations, Gen<Delivery> Cases) PlatformRoute(string function) => function switch
    {
        StorePlatformFunctions.ShopifyName => (200, ShopifyCases()),
        StorePlatformFunctions.WooCommerceName => (160, WooCases()),
        StorePlatformFunctions.StandardName => (140, StandardCases()),
        _ => throw new ArgumentOutOfRangeException(nameof(function), function, null),
    };

    // ---- Shopify ----

    private Gen<Delivery> ShopifyCases()
    {
        var fulfilment = JsonNode.Parse(ShopifyFulfilment())!.AsObject();
        Delivery Signed(string field, string what, JsonObject body, string? topic = null, string? skipped = null, TestServices? app = null) =>
            Shopify(app ?? _app, topic ?? ShopifyTranslator.FulfillmentCreated, body.ToJsonString()) with { Field = field, What = what, SkippedBecause = skipped };
        Gen<Delivery> Spoil(string path, Gen<BadValue> bad, Func<BadValue, string?> skipped, TestServices? app = null) =>
            bad.Select(b => Signed(path, b.What, JsonNode.Parse(Mutate(fulfilment, path, b))!.AsObject(), skipped: skipped(b), app: app) with { Code = skipped(b) is null ? "InvalidPayload" : null });
        return Gen.OneOf(
            SignatureCases(PlatformIntake.ShopifySignatureHeader, fulfilment.ToJsonString(), PlatformBed.ShopifySecret, (body, signature) =>
                Shopify(_app, ShopifyTranslator.FulfillmentCreated, body, new() { [PlatformIntake.ShopifySignatureHeader] = signature })),
            HeaderCases(PlatformIntake.ShopifyTopicHeader, FieldRules.Code, ShopifyTranslator.FulfillmentCreated, required: true,
                v => Shopify(_app, ShopifyTranslator.FulfillmentCreated, fulfilment.ToJsonString(), new() { [PlatformIntake.ShopifyTopicHeader] = v })),
            HeaderCases(PlatformIntake.ShopifyWebhookIdHeader, FieldRules.Code, Guid.NewGuid().ToString(), required: true,
                v => Shopify(_app, ShopifyTranslator.FulfillmentCreated, fulfilment.ToJsonString(), new() { [PlatformIntake.ShopifyWebhookIdHeader] = v })),
            HeaderCases(PlatformIntake.ShopifyShopHeader, FieldRules.Code, "flex-demo.myshopify.com", required: false,
                v => Shopify(_app, ShopifyTranslator.FulfillmentCreated, fulfilment.ToJsonString(), new() { [PlatformIntake.ShopifyShopHeader] = v })),
            BodyCases(fulfilment, body => Shopify(_app, ShopifyTranslator.FulfillmentCreated, body),
                wrongTypes: ["id", "order_id", "line_items", "line_items[0].quantity", "line_items[0].sku", "created_at", "tracking_numbers", "tracking_company", "status"],
                texts: ["line_items[0].sku", "line_items[0].title", "tracking_number", "name", "destination.first_name"]),
            // Signed and well formed, but nothing in it can be sent: answered 200 and kept as skipped.
            LineCases(Spoil, lines => Signed("line_items", lines.What, With(fulfilment, "line_items", lines.Lines), skipped: "OrderLimits__MaxQuantity")),
            Spoil("order_id", Ids(), _ => "has no order_id"),
            Spoil("id", Ids(), _ => "has no id"),
            Gen.OneOf("cancelled", "error", "failure", "CANCELLED").Select(status => Signed("status", $"'{status}'", With(fulfilment, "status", status), topic: ShopifyTranslator.FulfillmentUpdated,
                skipped: $"is '{status.ToLowerInvariant()}'")),
            Spoil("tracking_number", CodeValues(TrackingNumber), _ => "'items[0].trackingNumber'"),
            Spoil("tracking_company", CodeValues("UPS"), _ => "'items[0].carrier'"),
            Gen.OneOf("1899-12-31T10:00:00-05:00", "2101-01-02T09:00:00+00:00", "0001-01-02T00:00:00+00:00").Select(at =>
                Signed("created_at", at, With(fulfilment, "created_at", at), skipped: "'items[0].shipDate'")),
            UnknownTopics('/', ShopifyTopics).Select(topic => Signed(PlatformIntake.ShopifyTopicHeader, $"unknown topic '{topic}'", fulfilment, topic: topic, skipped: "is not one FlexFunctions")),
            // Shopify__TransactionId=name: the order name without its '#' must be an identifier.
            Gen.OneOf(NamesThatAreNoTransactionId).Select(name => Signed("name", $"order name '{Escape(name)}'", With(fulfilment, "name", name + ".1"),
                skipped: "Shopify__TransactionId=name", app: _byName.Value)),
            OversizedCases(size => Shopify(_app, ShopifyTranslator.FulfillmentCreated, Padded(fulfilment, size))));
    }

    private Delivery Shopify(TestServices app, string topic, string body, Dictionary<string, string?>? headers = null)
    {
        var id = Guid.NewGuid().ToString();
        return Build(app, StorePlatformFunctions.ShopifyName, body, id, new()
        {
            [PlatformIntake.ShopifyTopicHeader] = topic,
            [PlatformIntake.ShopifyShopHeader] = "flex-demo.myshopify.com",
            [PlatformIntake.ShopifyWebhookIdHeader] = id,
            [PlatformIntake.ShopifySignatureHeader] = PlatformBed.Base64Hmac(PlatformBed.ShopifySecret, body),
        }, headers);
    }

    private static string ShopifyFulfilment() => PlatformSamples.ShopifyFulfillment(255858046, TrackingNumber, new PlatformSamples.Line(1, "TV-55", 1, "Television"));

    /// <summary>Order names whose part after the one '#' the identifier rule refuses (or that have none).</summary>
    private static readonly string[] NamesThatAreNoTransactionId =
        ["#", "##1001", "# 1001", "#10 01", "#1001/2", "#..", "#a..b", "#1001%2F", "#1001?x=1", "#1001'", "№1001", "#١٠٠١", "#１００１", "#1001\u0000", "#" + new string('1', 129)];

    // ---- WooCommerce ----

    private Gen<Delivery> WooCases()
    {
        var order = JsonNode.Parse(WooCompleted())!.AsObject();
        Delivery Signed(string field, string what, JsonObject body, string? topic = null, string? skipped = null, TestServices? app = null) =>
            Woo(app ?? _app, body.ToJsonString(), topic) with { Field = field, What = what, SkippedBecause = skipped };
        Gen<Delivery> Spoil(string path, Gen<BadValue> bad, Func<BadValue, string?> skipped, TestServices? app = null) =>
            bad.Select(b => Signed(path, b.What, JsonNode.Parse(Mutate(order, path, b))!.AsObject(), skipped: skipped(b), app: app));
        var tracking = (JsonObject)JsonNode.Parse(PlatformSamples.TrackingItems("UPS", TrackingNumber, 1_772_400_000).Item2!.ToJsonString())![0]!;
        return Gen.OneOf(
            SignatureCases(PlatformIntake.WooSignatureHeader, order.ToJsonString(), PlatformBed.WooSecret, (body, signature) =>
                Woo(_app, body, headers: new() { [PlatformIntake.WooSignatureHeader] = signature })),
            HeaderCases(PlatformIntake.WooTopicHeader, FieldRules.Code, "order.updated", required: true,
                v => Woo(_app, order.ToJsonString(), headers: new() { [PlatformIntake.WooTopicHeader] = v })),
            HeaderCases(PlatformIntake.WooDeliveryHeader, FieldRules.Code, "0f6b3c1e9a2d4b5c8e7f6a5b4c3d2e1f", required: true,
                v => Woo(_app, order.ToJsonString(), headers: new() { [PlatformIntake.WooDeliveryHeader] = v })),
            HeaderCases(PlatformIntake.WooSourceHeader, FieldRules.HttpUrl, "https://shop.example.com/", required: false,
                v => Woo(_app, order.ToJsonString(), headers: new() { [PlatformIntake.WooSourceHeader] = v }), "shop.example.com", "ftp://shop.example.com/", "https://"),
            BodyCases(order, body => Woo(_app, body),
                wrongTypes: ["id", "status", "line_items", "line_items[0].quantity", "line_items[0].sku", "meta_data", "refunds", "date_completed"],
                texts: ["line_items[0].sku", "line_items[0].name", "meta_data[0].value", "billing.first_name", "number"]),
            LineCases(Spoil, lines => Signed("line_items", lines.What, With(order, "line_items", lines.Lines), skipped: "OrderLimits__MaxQuantity")),
            Spoil("id", Ids(), _ => "has no id"),
            UnknownTopics('.', WooCommerceTranslator.OrderTopics).Select(topic => Signed(PlatformIntake.WooTopicHeader, $"unknown topic '{topic}'", order, topic: topic, skipped: "is not one FlexFunctions")),
            Gen.Int[0, 1].Select(_ => Signed(PlatformIntake.WooTopicHeader, "order.deleted", order, topic: "order.deleted", skipped: "was deleted")),
            CodeValues(TrackingNumber).Select(b => Signed("meta_data[0].value[0].tracking_number", b.What,
                With(order, "meta_data", new JsonArray(new JsonObject { ["id"] = 1, ["key"] = WooTrackingItemsKey, ["value"] = new JsonArray(With(tracking, "tracking_number", JsonValue.Create(b.Text))) })),
                skipped: "'items[0].trackingNumber'")),
            Gen.OneOf("1899-12-31T10:00:00", "2101-01-02T09:00:00").Select(at => Signed("date_completed", at, With(order, "date_completed", at), skipped: "'items[0].shipDate'")),
            Gen.Int[1, 1_000_000].Select(id => Signed("refunds", $"a partial refund #{id}", With(With(order, "status", "processing"), "refunds", new JsonArray(new JsonObject { ["id"] = id, ["reason"] = "", ["total"] = "-10.00" })),
                skipped: "partial refund")),
            // WooCommerce__TransactionId=number: the order number must be an identifier.
            Gen.OneOf("", "   ", "WC 4750", "../4750", "a#b", "a/b", "4750\u0000", "٤٧٥٠", new string('4', 129)).Select(number => Signed("number", $"order number '{Escape(number)}'", With(order, "number", number),
                skipped: "WooCommerce__TransactionId=number", app: _byName.Value)),
            OversizedCases(size => Woo(_app, Padded(order, size))));
    }

    private Delivery Woo(TestServices app, string body, string? topic = null, Dictionary<string, string?>? headers = null)
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        return Build(app, StorePlatformFunctions.WooCommerceName, body, id, new()
        {
            [PlatformIntake.WooTopicHeader] = topic ?? "order.updated",
            [PlatformIntake.WooSourceHeader] = "https://shop.example.com/",
            [PlatformIntake.WooDeliveryHeader] = id,
            [PlatformIntake.WooSignatureHeader] = PlatformBed.Base64Hmac(PlatformBed.WooSecret, body),
        }, headers);
    }

    private static string WooCompleted()
    {
        var order = PlatformSamples.WooOrder("completed", meta: [("_order_source", JsonValue.Create("checkout"))], lines: [new PlatformSamples.Line(11, "TV-55", 1, "Television")]);
        return order.ToJsonString();
    }

    // ---- Standard Webhooks ----

    private Gen<Delivery> StandardCases()
    {
        var valid = GeneratedBadMessageTests.ValidShipment;
        string[] signatureCode = ["InvalidSignature"];
        Delivery Refused(string field, string what, string body, Dictionary<string, string?> headers) =>
            Standard(_app, body, headers) with { Field = field, What = what, Status = 401, Code = signatureCode[0] };
        var now = DateTimeOffset.UtcNow;
        return Gen.OneOf(
            Gen.OneOf(StandardWebhookVerifierHeaders).Select(h => Refused(h, "missing", valid, new() { [h] = null })),
            Gen.Int[301, 100_000].Select(s => Refused("webhook-timestamp", $"signed {s} s ago", valid, Resigned(valid, now.AddSeconds(-s)))),
            Gen.Int[301, 100_000].Select(s => Refused("webhook-timestamp", $"signed {s} s ahead", valid, Resigned(valid, now.AddSeconds(s)))),
            Gen.Byte.Array[24, 48].Select(key => Refused("webhook-signature", "signed with another secret", valid,
                Resigned(valid, DateTimeOffset.UtcNow, "whsec_" + Convert.ToBase64String(key)))),
            Gen.Int[0, valid.Length - 1].Select(at => Refused("body", $"char {at} changed after signing", valid[..at] + (valid[at] == 'x' ? 'y' : 'x') + valid[(at + 1)..], Resigned(valid, DateTimeOffset.UtcNow))),
            Gen.OneOf("", "v1,", "v1,not-base64!", "v2," + Convert.ToBase64String(new byte[32]), "garbage").Select(v => Refused("webhook-signature", $"'{v}'", valid, new() { ["webhook-signature"] = v })),
            Gen.OneOf("abc", "-1", "1e9", "").Select(t => Refused("webhook-timestamp", $"timestamp '{t}'", valid, new() { ["webhook-timestamp"] = t })),
            // Signed over a message id the rule set refuses: 400 naming the header (the id is kept in storage and logs).
            BadHeaderValues(FieldRules.Code, "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", required: false).Select(b => StandardWithId(b.Text!) with { Field = "webhook-id", What = b.What }),
            // Signed, but the event is one the warehouse contract refuses: 400 naming the field, nothing queued.
            GeneratedBadMessageTests.BadEvents().Select(e => Standard(_app, e.Json) with { Field = e.Field, What = e.What, Code = "InvalidPayload" }),
            Gen.OneOf("not json", "[" + valid + "]", "\"a string\"", "42").Select(body => Standard(_app, body) with { Field = "body", What = Escape(body), Code = "InvalidPayload" }),
            OversizedCases(size => Standard(_app, valid + new string(' ', size - Encoding.UTF8.GetByteCount(valid)))));
    }

    private static readonly string[] StandardWebhookVerifierHeaders = ["webhook-id", "webhook-timestamp", "webhook-signature"];

    private Delivery Standard(TestServices app, string body, Dictionary<string, string?>? headers = null)
    {
        var id = "msg_" + Guid.NewGuid().ToString("N");
        return Build(app, StorePlatformFunctions.StandardName, body, id, PlatformBed.StandardHeaders(body, id, DateTimeOffset.UtcNow, PlatformBed.StandardSecret), headers);
    }

    private Delivery StandardWithId(string id)
    {
        var body = GeneratedBadMessageTests.ValidShipment;
        return Build(_app, StorePlatformFunctions.StandardName, body, id, PlatformBed.StandardHeaders(body, id, DateTimeOffset.UtcNow, PlatformBed.StandardSecret), null);
    }

    private static Dictionary<string, string?> Resigned(string body, DateTimeOffset at, string? secret = null)
    {
        var headers = PlatformBed.StandardHeaders(body, "msg_" + Guid.NewGuid().ToString("N"), at, secret ?? PlatformBed.StandardSecret);
        return headers.ToDictionary(h => h.Key, h => (string?)h.Value);
    }

    // ---- What every platform is sent ----

    /// <summary>A body signed by <paramref name="sign"/> with a signature header that is missing, malformed or made another way.</summary>
    private static Gen<Delivery> SignatureCases(string header, string body, string secret, Func<string, string?, Delivery> sign)
    {
        Delivery One(string what, string? signature, string? sent = null) => sign(sent ?? body, signature) with { Field = header, What = what, Status = 401, Code = "InvalidSignature" };
        return Gen.OneOf(
            Gen.OneOf(One("missing", null), One("empty", ""), One("spaces", "   "), One("not base64", "not a signature!"), One("hex instead of base64",
                Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(body)))), One("5,000 characters", new string('A', 5_000))),
            Gen.Byte.Array[1, 64].Where(b => b.Length != 32).Select(b => One($"base64 of {b.Length} bytes", Convert.ToBase64String(b))),
            Gen.Byte.Array[32].Select(b => One("a random MAC", Convert.ToBase64String(b))),
            Gen.String[Gen.Char['!', '~'], 8, 64].Where(s => s != secret).Select(other => One("signed with another secret", PlatformBed.Base64Hmac(other, body))),
            Gen.Int[0, body.Length - 1].Select(at => One($"char {at} changed after signing", PlatformBed.Base64Hmac(secret, body),
                body[..at] + (body[at] == 'x' ? 'y' : 'x') + body[(at + 1)..])),
            Gen.OneOf(" ", "\n", "{}", "0").Select(extra => One($"'{Escape(extra)}' appended after signing", PlatformBed.Base64Hmac(secret, body), body + extra)));
    }

    /// <summary>A header with a control or non-ASCII character inside, too long, or (when required) missing or blank: 400 naming it.</summary>
    private static Gen<Delivery> HeaderCases(string header, FieldRule rule, string valid, bool required, Func<string?, Delivery> send, params string[] extra)
    {
        var bad = BadHeaderValues(rule, valid, required);
        return (extra.Length == 0 ? bad : Gen.OneOf(bad, Gen.OneOf(extra).Select(e => new BadValue($"'{e}'", e))))
            .Select(b => send(b.Text) with { Field = header, What = b.What });
    }

    private static Gen<BadValue> BadHeaderValues(FieldRule rule, string valid, bool required)
    {
        var gens = new List<IGen<BadValue>>
        {
            Gen.Select(Gen.Int[1, valid.Length - 1], Gen.OneOf(InnerControls), (at, c) => new BadValue($"control U+{(int)c:X4} at {at}", valid.Insert(at, c.ToString()))),
            Gen.Select(Gen.Int[1, valid.Length - 2], Gen.OneOf("é", "Ａ", "а", "\u00A0", "\u200B", "😀", "٤"), (at, s) => new BadValue($"'{s}' at {at}", valid[..at] + s + valid[(at + 1)..])),
            Gen.Int[rule.MaxLength + 1, Math.Max(5_000, rule.MaxLength + 1)].Select(n => new BadValue($"{n} characters", string.Concat(Enumerable.Repeat(valid, (n / valid.Length) + 1))[..n])),
        };
        if (required)
        {
            gens.Add(Gen.OneOf(new BadValue("missing", Text: null), new BadValue("empty", ""), new BadValue("spaces", "   ")));
        }

        return Gen.OneOf(gens.ToArray());
    }

    /// <summary>
    /// Bodies that cannot be read: not JSON, not an object, a field of the wrong type, a string with a broken UTF-16
    /// escape (a lone surrogate). 400 naming the field.
    /// </summary>
    private static Gen<Delivery> BodyCases(JsonObject valid, Func<string, Delivery> send, string[] wrongTypes, string[] texts)
    {
        var json = valid.ToJsonString();
        var notJson = Gen.OneOf(
            Gen.Int[0, json.Length - 2].Select(n => new BadValue($"cut at {n}", json[..n])),
            Gen.OneOf(new BadValue("empty", ""), new BadValue("not JSON", "webhook_id=7"), new BadValue("a trailing comma", json[..^1] + ",}")));
        var notObject = Gen.OneOf(new BadValue("an array", "[" + json + "]"), new BadValue("a string", "\"x\""), new BadValue("a number", "42"), new BadValue("null", "null"));
        BadValue[] types =
        [
            new("a word", Json: "\"lots\""), new("an object", Json: "{}"), new("an array", Json: "[1]"), new("true", Json: "true"), new("1.5", Json: "1.5"),
            new("past long", Json: "9223372036854775808"), new("a number", Json: "42"),
        ];
        return Gen.OneOf(
            notJson.Select(b => send(b.Text!) with { Field = "body", What = b.What, Code = "InvalidPayload" }),
            notObject.Select(b => send(b.Text!) with { Field = "body", What = b.What, Code = "InvalidPayload" }),
            Gen.Select(Gen.OneOf(wrongTypes), Gen.OneOf(types)).Where((path, bad) => WrongFor(valid, path, bad)).Select((path, bad) =>
                send(Mutate(valid, path, bad)) with { Field = path, What = bad.What, Code = "InvalidPayload" }),
            Gen.Select(Gen.OneOf(texts), Gen.OneOf("\uD800", "\uDC00", "\uDBFF"), Gen.Int[0, 3]).Select((path, surrogate, at) =>
            {
                var text = Value(valid, path) ?? "x";
                var bad = new BadValue($"lone surrogate U+{(int)surrogate[0]:X4}", text.Insert(Math.Min(at, text.Length), surrogate));
                return send(Mutate(valid, path, bad)) with { Field = path, What = bad.What, Code = "InvalidPayload" };
            }));
    }

    /// <summary>Whether <paramref name="bad"/> is really the wrong type at <paramref name="path"/> (a number is text nowhere, an object is a number nowhere, ...).</summary>
    private static bool WrongFor(JsonObject valid, string path, BadValue bad)
    {
        var node = Node(valid, path);
        return node switch
        {
            JsonArray => bad.Json is not "[1]",
            JsonObject => bad.Json is not "{}",
            // A number field takes whole numbers in range (and numeric text): only non-numbers, fractions and overflow are wrong.
            JsonValue v when v.GetValueKind() == System.Text.Json.JsonValueKind.Number => bad.Json is not "42",
            // Text fields refuse every non-string; dates refuse a word too.
            JsonValue v when v.GetValueKind() == System.Text.Json.JsonValueKind.String => bad.Json != "\"lots\"" || path is "created_at",
            _ => false,
        };
    }

    private static Gen<Delivery> OversizedCases(Func<int, Delivery> send) =>
        Gen.Int[(int)PlatformIntake.BodyLimitBytes + 1, (int)PlatformIntake.BodyLimitBytes + 64 * 1024]
            .Select(size => send(size) with { Field = "body", What = $"{size} bytes", Status = 413 });

    /// <summary>
    /// A platform's only line without a usable SKU or quantity (via <paramref name="spoil"/>), or two lines of one SKU
    /// that add up past OrderLimits__MaxQuantity (via <paramref name="withLines"/>): kept as skipped, nothing sent.
    /// </summary>
    private static Gen<Delivery> LineCases(Func<string, Gen<BadValue>, Func<BadValue, string?>, TestServices?, Gen<Delivery>> spoil, Func<(string What, JsonArray Lines), Delivery> withLines) =>
        Gen.OneOf(
            spoil("line_items[0].sku", SkuValues(), b => b.Json is null && b.Text is { } t && t.Trim().Length > 0 ? "has a SKU that is not" : "has no SKU", null),
            spoil("line_items[0].quantity", QuantityValues(), QuantityReason, null),
            Gen.Select(Gen.Int[1, Limits.MaxQuantity], Gen.Int[1, Limits.MaxQuantity]).Where((a, b) => a + b > Limits.MaxQuantity)
                .Select((a, b) => withLines(($"two lines of one SKU, {a} + {b} units", SkuLines(("TV-55", a), ("TV-55", b))))));

    /// <summary>SKUs the warehouse contract refuses, or none: the line is kept as skipped (leading and trailing spaces are trimmed, so not among them).</summary>
    private static Gen<BadValue> SkuValues() => Gen.OneOf(
        Gen.OneOf(new BadValue("missing", Missing: true), new BadValue("null", Json: "null"), new BadValue("empty", ""), new BadValue("spaces", "   ")),
        CodeValues("TV-55"));

    /// <summary>Text a Code field (SKU, carrier, tracking number) refuses even after trimming.</summary>
    private static Gen<BadValue> CodeValues(string valid) => Gen.OneOf(
        Gen.Select(Gen.Int[1, valid.Length - 1], Gen.OneOf(InnerControls), (at, c) => new BadValue($"control U+{(int)c:X4} at {at}", valid.Insert(at, c.ToString()))),
        Gen.Select(Gen.Int[1, valid.Length - 2], Gen.OneOf("é", "Ａ", "а", "\u00A0", "😀", "٤", "—"), (at, s) => new BadValue($"'{s}' at {at}", valid[..at] + s + valid[(at + 1)..])),
        Gen.Int[FieldRules.MaxIdentifierLength + 1, 5_000].Select(n => new BadValue($"{n} characters", string.Concat(Enumerable.Repeat(valid, (n / valid.Length) + 1))[..n])),
        Gen.OneOf(new BadValue("'.'", "."), new BadValue("'..'", ".."), new BadValue("'...'", "...")));

    /// <summary>Quantities no line can have: negative, zero, past OrderLimits__MaxQuantity.</summary>
    private static Gen<BadValue> QuantityValues() => Gen.OneOf(
        Gen.Int[int.MinValue, -1].Select(n => new BadValue($"{n}", Json: n.ToString(CultureInfo.InvariantCulture))),
        Gen.Int[Limits.MaxQuantity + 1, int.MaxValue].Select(n => new BadValue($"{n}", Json: n.ToString(CultureInfo.InvariantCulture))),
        Gen.Const(new BadValue("0", Json: "0")));

    private static string QuantityReason(BadValue b) => int.Parse(b.Json!, CultureInfo.InvariantCulture) switch
    {
        < 0 => "has a negative quantity",
        0 => "lists no units",
        _ => "OrderLimits__MaxQuantity",
    };

    /// <summary>Ids a resource cannot be without: missing, zero, negative.</summary>
    private static Gen<BadValue> Ids() => Gen.OneOf(
        Gen.OneOf(new BadValue("missing", Missing: true), new BadValue("0", Json: "0")),
        Gen.Long[long.MinValue, -1].Select(n => new BadValue($"{n}", Json: n.ToString(CultureInfo.InvariantCulture))));

    /// <summary>Well-formed topics the platform route does not turn into events.</summary>
    private static Gen<string> UnknownTopics(char separator, IReadOnlyList<string> known) =>
        Gen.Select(Gen.String[Gen.Char['a', 'z'], 1, 20], Gen.String[Gen.Char['a', 'z'], 1, 20], (a, b) => a + separator + b)
            .Where(t => !known.Contains(t));

    private static JsonArray SkuLines(params (string Sku, int Quantity)[] lines) =>
        new([.. lines.Select((l, i) => (JsonNode)new JsonObject { ["id"] = i + 1, ["sku"] = l.Sku, ["quantity"] = l.Quantity, ["title"] = "Item", ["name"] = "Item" })]);

    private static JsonObject With(JsonObject valid, string property, JsonNode? value)
    {
        var copy = (JsonObject)valid.DeepClone();
        copy[property] = value;
        return copy;
    }

    /// <summary>The valid body followed by spaces up to <paramref name="size"/> bytes: still JSON, only too large.</summary>
    private static string Padded(JsonObject valid, int size)
    {
        var json = valid.ToJsonString();
        return json + new string(' ', size - Encoding.UTF8.GetByteCount(json));
    }

    private static JsonNode? Node(JsonObject root, string path)
    {
        JsonNode? node = root;
        foreach (var part in path.Split('.'))
        {
            var bracket = part.IndexOf('[', StringComparison.Ordinal);
            node = bracket < 0 ? node?[part] : node?[part[..bracket]]?[int.Parse(part[(bracket + 1)..^1], CultureInfo.InvariantCulture)];
        }

        return node;
    }

    private static string? Value(JsonObject root, string path) =>
        Node(root, path) is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.String ? v.GetValue<string>() : null;

    /// <summary>A delivery to <paramref name="function"/>: the platform's headers, with <paramref name="overrides"/> replacing (or, when null, removing) some.</summary>
    private static Delivery Build(TestServices app, string function, string body, string deliveryId, Dictionary<string, string> headers, Dictionary<string, string?>? overrides)
    {
        foreach (var (name, value) in overrides ?? [])
        {
            if (value is null)
            {
                headers.Remove(name);
            }
            else
            {
                headers[name] = value;
            }
        }

        return new Delivery("", "", app, function, body, headers, headers.TryGetValue(function == StorePlatformFunctions.ShopifyName ? PlatformIntake.ShopifyWebhookIdHeader
            : function == StorePlatformFunctions.WooCommerceName ? PlatformIntake.WooDeliveryHeader : "webhook-id", out var id) ? id.Trim() : deliveryId);
    }

    private static Task<HttpResult> Send(Delivery d)
    {
        var functions = HttpTestKit.Create<StorePlatformFunctions>(d.App.Provider);
        var path = d.Function switch
        {
            StorePlatformFunctions.ShopifyName => "/api/v1/webhooks/shopify",
            StorePlatformFunctions.WooCommerceName => "/api/v1/webhooks/woocommerce",
            _ => "/api/v1/webhooks/standard",
        };
        var context = HttpTestKit.Request(d.App.Provider, "POST", path, d.Body, d.Headers);
        return HttpTestKit.RunAsync(context, r => d.Function switch
        {
            StorePlatformFunctions.ShopifyName => functions.Shopify(r, default),
            StorePlatformFunctions.WooCommerceName => functions.WooCommerce(r, default),
            _ => functions.Standard(r, default),
        });
    }

    /// <summary>The problem names the field: in <c>errors</c>, quoted in <c>detail</c>, or (for the body as a whole) says it is the body.</summary>
    private static bool Names(HttpResult result, string field)
    {
        if (result.ErrorFields.Contains(field))
        {
            return true;
        }

        var detail = result.Json.TryGetProperty("detail", out var d) ? d.GetString() ?? "" : "";
        return detail.Contains($"'{field}'", StringComparison.Ordinal)
               || (field == "body" && (detail.StartsWith("The body", StringComparison.Ordinal) || detail.StartsWith("The message", StringComparison.Ordinal) || detail.StartsWith("Bodies", StringComparison.Ordinal)));
    }
}
