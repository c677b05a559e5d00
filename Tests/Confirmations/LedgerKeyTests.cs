using FlexFunctions.Shared.Confirmations;
using Microsoft.Extensions.Options;

namespace FlexFunctions.Tests.Confirmations;

/// <summary>
/// The keys the ledger stores events under: they must map one to one, survive Table Storage's forbidden characters,
/// and stay the same from one release to the next (a key recorded yesterday must match today's redelivery).
/// </summary>
public sealed class LedgerKeyTests
{
    [Theory]
    [InlineData("T-1001_a.Z9", "T-1001_a.Z9")] // what Table Storage allows is kept as it is
    [InlineData("a/b", "a~002Fb")]
    [InlineData("#?\\~ ", "~0023~003F~005C~007E~0020")]
    [InlineData("caf\u00e9\t", "caf~00E9~0009")]
    [InlineData("~002F", "~007E002F")] // an id that looks escaped stays apart from the one it looks like
    public void A_transaction_id_maps_to_a_partition_key_Table_Storage_accepts(string transactionId, string partition) =>
        Assert.Equal(partition, ConfirmationLedger.PartitionFor(transactionId));

    [Fact]
    public void An_events_key_is_the_same_in_every_release()
    {
        var items = new List<WarehouseItem>
        {
            new() { Sku = "TV-55", Quantity = 1, Carrier = "UPS", TrackingNumber = "1Z1", ShipDate = "2026-03-01" },
            new() { Sku = "BAR-2", Quantity = 2, Carrier = "UPS", TrackingNumber = "1Z2", ShipDate = "2026-03-01" },
        };

        var key = EventKey.Of("shipment", "T-1001", "PICK-7", items);

        Assert.Equal("dd75540e5111bbad243f645be6c34f8209ab4245410857bae30e62b2135502b2", key);
        Assert.Equal(key, EventKey.Of("shipment", "T-1001", "PICK-7", [items[1], items[0]]));
    }

    [Fact]
    public void The_done_events_an_instance_remembers_are_bounded()
    {
        using var done = new DoneEvents();
        for (var i = 0; i < DoneEvents.Capacity + 500; i++)
        {
            done.Add("T-1", "event-" + i);
        }

        Assert.InRange(Enumerable.Range(0, DoneEvents.Capacity + 500).Count(i => done.Contains("T-1", "event-" + i)), 1, DoneEvents.Capacity);
    }

    [Fact]
    public async Task Recording_done_without_a_claim_is_a_programming_error_said_as_such()
    {
        await using var h = new ConfirmationHarness();

        await Assert.ThrowsAsync<ArgumentNullException>(() => h.Ledger.MarkDoneAsync(null!, CancellationToken.None));
    }

    [Fact]
    public async Task A_claim_lease_out_of_range_stops_the_app_at_start_up_naming_the_setting()
    {
        await using var h = new ConfirmationHarness(s => s["Confirmations:ClaimLease"] = "00:00:00.001");

        var failure = Assert.Throws<OptionsValidationException>(() => h.Services.Get<IOptions<ConfirmationsOptions>>().Value);
        Assert.Contains(nameof(ConfirmationsOptions.ClaimLease), failure.Message, StringComparison.Ordinal);
    }
}
