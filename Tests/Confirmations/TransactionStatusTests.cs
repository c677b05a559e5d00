using System.Text.Json;
using FlexFunctions.Shared.Confirmations;
using FlexFunctions.Shared.FlexShopper.Models;

namespace FlexFunctions.Tests.Confirmations;

/// <summary>
/// After an attempt whose outcome is unknown, whether FlexShopper's transaction already shows the event: if it does
/// the event is not sent again (a second shipment, cancel or return would be a real one), if it cannot tell it is.
/// </summary>
public sealed class TransactionStatusTests
{
    private static readonly Dictionary<string, int?> NoneEarlier = [];

    private static PurchaseTransaction Transaction(string items) => new()
    {
        Id = "T-1",
        Items = JsonSerializer.Deserialize<List<Dictionary<string, JsonElement>>>(items)!.Select(i => new TransactionItem
        {
            Sku = i.TryGetValue("sku", out var sku) ? sku.GetString() : null,
            Quantity = i.TryGetValue("quantity", out var q) ? q : null,
            QuantityByStatus = i.TryGetValue("quantityByStatus", out var s) ? s : null,
        }).ToList(),
    };

    private static ValidEvent Event(string type, params (string Sku, int? Quantity)[] items) =>
        new(type, "T-1", null, items.Select(i => new WarehouseItem { Sku = i.Sku, Quantity = i.Quantity }).ToList(), "key");

    [Theory]
    [InlineData("shipment", """[{"sku":"A","quantity":{"ordered":2,"shipped":2}}]""", true)]
    [InlineData("shipment", """[{"sku":"A","quantity":{"ordered":2,"shipped":1}}]""", false)]
    [InlineData("receipt", """[{"sku":"A","quantity":{"ordered":2,"received":2}}]""", true)]
    [InlineData("receipt", """[{"sku":"A","quantity":{"ordered":2,"delivered":2}}]""", true)]
    [InlineData("cancel", """[{"sku":"A","quantity":{"ordered":2,"canceled":2}}]""", true)]
    [InlineData("cancel", """[{"sku":"A","quantity":{"ordered":2,"cancelled":2}}]""", true)]
    [InlineData("return", """[{"sku":"A","quantity":{"ordered":2,"returned":2}}]""", true)]
    [InlineData("return", """[{"sku":"A","quantity":{"ordered":2,"shipped":2}}]""", false)] // another status does not count
    [InlineData("shipment", """[{"sku":"A","quantity":2,"quantityByStatus":{"shipped":2}}]""", true)] // the other shape
    [InlineData("shipment", """[{"sku":"A","quantity":2,"quantityByStatus":{"shipped":"2"}}]""", false)] // not a number: cannot tell
    [InlineData("shipment", """[{"sku":"A","quantity":{"ordered":2}}]""", false)] // no count: cannot tell
    [InlineData("shipment", """[{"sku":"B","quantity":{"ordered":2,"shipped":2}}]""", false)] // not the event's SKU
    [InlineData("shipment", """[]""", false)]
    [InlineData("shipment", """[{"sku":"A","quantity":{"ordered":1,"shipped":1}},{"sku":"A","quantity":{"ordered":1,"shipped":1}}]""", true)] // lines of one SKU add up
    [InlineData("shipment", """[{"sku":"A","quantity":{"ordered":1,"shipped":1}},{"sku":"A","quantity":{"ordered":1}}]""", false)]
    public void Two_units_of_one_sku_show_only_when_the_transaction_counts_them_in_the_events_status(string type, string items, bool shown)
    {
        Assert.Equal(shown, TransactionStatus.Shows(Transaction(items), Event(type, ("A", 2)), NoneEarlier));
    }

    [Theory]
    [InlineData(1, false)] // the earlier event's unit only
    [InlineData(3, true)]
    [InlineData(4, true)]
    public void Units_of_earlier_done_events_of_the_same_type_are_not_this_events(int shipped, bool shown)
    {
        var transaction = Transaction($$$"""[{"sku":"A","quantity":{"ordered":5,"shipped":{{{shipped}}}}}]""");

        Assert.Equal(shown, TransactionStatus.Shows(transaction, Event("shipment", ("A", 2)), new Dictionary<string, int?> { ["A"] = 1 }));
    }

    [Theory]
    [InlineData(2, true)]
    [InlineData(1, false)]
    public void Lines_of_one_sku_in_the_event_add_up(int shipped, bool shown)
    {
        var transaction = Transaction($$$"""[{"sku":"A","quantity":{"ordered":3,"shipped":{{{shipped}}}}}]""");

        Assert.Equal(shown, TransactionStatus.Shows(transaction, Event("shipment", ("A", 1), ("A", 1)), NoneEarlier));
    }

    [Theory]
    [InlineData(3, true)] // "every unit" needs the whole ordered quantity
    [InlineData(2, false)]
    public void An_item_without_a_quantity_means_every_unit(int canceled, bool shown)
    {
        var transaction = Transaction($$$"""[{"sku":"A","quantity":{"ordered":3,"canceled":{{{canceled}}}}}]""");

        Assert.Equal(shown, TransactionStatus.Shows(transaction, Event("cancel", ("A", null)), NoneEarlier));
        Assert.Equal(shown, TransactionStatus.Shows(transaction, Event("cancel", ("A", 1), ("A", null)), NoneEarlier));
        // An earlier "every unit" event of the same type leaves nothing this one could have added but the whole.
        Assert.Equal(shown, TransactionStatus.Shows(transaction, Event("cancel", ("A", 1)), new Dictionary<string, int?> { ["A"] = null }));
    }

    [Fact]
    public void Every_unit_of_a_sku_on_two_lines_is_both_lines_ordered_units()
    {
        var half = Transaction("""[{"sku":"A","quantity":{"ordered":1,"canceled":1}},{"sku":"A","quantity":{"ordered":1,"canceled":0}}]""");
        var all = Transaction("""[{"sku":"A","quantity":{"ordered":1,"canceled":1}},{"sku":"A","quantity":{"ordered":1,"canceled":1}}]""");

        Assert.False(TransactionStatus.Shows(half, Event("cancel", ("A", null)), NoneEarlier));
        Assert.True(TransactionStatus.Shows(all, Event("cancel", ("A", null)), NoneEarlier));
    }

    [Theory]
    [InlineData("""[{"sku":"A","quantity":{"ordered":2,"canceled":2}},{"sku":"B","quantity":{"ordered":1,"canceled":1}}]""", true)]
    [InlineData("""[{"sku":"A","quantity":{"ordered":2,"canceled":2}},{"sku":"B","quantity":{"ordered":1,"canceled":0}}]""", false)]
    [InlineData("""[{"sku":"A","quantity":{"canceled":2}}]""", false)] // no ordered count: cannot tell
    [InlineData("""[{"sku":"A","quantity":2,"quantityByStatus":{"canceled":2}}]""", true)]
    public void An_event_with_no_items_is_the_whole_transaction(string items, bool shown)
    {
        Assert.Equal(shown, TransactionStatus.Shows(Transaction(items), Event("cancel"), NoneEarlier));
    }

    [Fact]
    public void Every_sku_of_the_event_must_show()
    {
        var transaction = Transaction("""[{"sku":"A","quantity":{"ordered":1,"returned":1}},{"sku":"B","quantity":{"ordered":1,"returned":0}}]""");

        Assert.False(TransactionStatus.Shows(transaction, Event("return", ("A", 1), ("B", 1)), NoneEarlier));
        Assert.True(TransactionStatus.Shows(transaction, Event("return", ("A", 1)), NoneEarlier));
        Assert.False(TransactionStatus.Shows(new PurchaseTransaction { Id = "T-1" }, Event("return", ("A", 1)), NoneEarlier));
        Assert.Throws<ArgumentNullException>(() => TransactionStatus.Shows(null!, Event("return", ("A", 1)), NoneEarlier));
        Assert.Throws<ArgumentNullException>(() => TransactionStatus.Shows(transaction, null!, NoneEarlier));
    }
}
