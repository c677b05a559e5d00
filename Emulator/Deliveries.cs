using System.Globalization;

namespace FlexShopper.Emulator;

/// <summary>
/// Delivery confirmations: shipment (shipped orders) and receipt (in-store orders). A repeat that finds every unit
/// already confirmed is answered like a success and remembered, so retries stay safe and tests can see them.
/// </summary>
public sealed partial class EmulatorState
{
    private readonly List<DuplicateConfirmation> _duplicates = [];
    private readonly List<ShipmentRecord> _shipments = [];

    public IReadOnlyList<DuplicateConfirmation> DuplicateConfirmations
    {
        get
        {
            lock (_gate)
            {
                return [.. _duplicates];
            }
        }
    }

    /// <summary>Every line of every accepted shipment confirmation, with its carrier and tracking.</summary>
    public IReadOnlyList<ShipmentRecord> Shipments
    {
        get
        {
            lock (_gate)
            {
                return [.. _shipments];
            }
        }
    }

    public void ConfirmShipment(string id, ShipmentBody body)
    {
        for (var i = 0; i < (body.Items?.Count ?? 0); i++)
        {
            var it = body.Items![i];
            Require(it.Carrier, $"items[{i}].carrier");
            if (it.ShipDate is null || !DateOnly.TryParseExact(it.ShipDate, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
            {
                throw ApiError.Validation($"items[{i}].shipDate", "shipDate must be YYYY-MM-DD.");
            }
        }

        // SKU is optional: a shipment line without one (carrier and date only) covers the whole transaction.
        var lines = body.Items is { Count: > 0 } && body.Items.All(i => !string.IsNullOrEmpty(i.Sku))
            ? body.Items.Select(i => new ItemQuantityBody(i.Sku, i.Quantity)).ToList()
            : null;
        Confirm(id, lines, "shipment",
            open: item => item.Signed - item.Canceled - item.Shipped,
            apply: (item, n) => item.Shipped += n);
        lock (_gate)
        {
            var at = _time.GetUtcNow();
            _shipments.AddRange((body.Items ?? []).Select(i => new ShipmentRecord(at, id, i.Sku, i.Quantity, i.Carrier, i.TrackingNumber, i.TrackingLink, i.ShipDate)));
        }
    }

    public void ConfirmReceipt(string id, ItemsBody body) =>
        // In-store orders are received without being shipped, so anything signed and not canceled can be received.
        Confirm(id, body.Items, "receipt",
            open: item => item.Signed - item.Canceled - item.Received,
            apply: (item, n) => item.Received += n);

    private void ResetDeliveries()
    {
        _duplicates.Clear();
        _shipments.Clear();
    }

    private void Confirm(string id, List<ItemQuantityBody>? requested, string kind, Func<Item, int> open, Action<Item, int> apply)
    {
        lock (_gate)
        {
            var t = FindTransaction(id);
            if (!t.Signed)
            {
                // Nothing is on lease yet, so there is no unit to deliver.
                throw new ApiError(400, "LeaseNotSigned", "The lease for this transaction has not been signed.");
            }

            if (_options.Strictness.RequireFinalizeBeforeDelivery && t.LeaseNumber is null)
            {
                // No source states this rule; it is a strictness setting, off by default.
                throw new ApiError(400, "TransactionNotFinalized", "Finalize the transaction before confirming delivery.");
            }

            var failed = new List<ItemQuantityBody>();
            var targets = Requested(t, requested, failed).ToList();
            if (failed.Count > 0)
            {
                throw ApiError.Validation("items", $"Unknown SKU '{failed[0].Sku}' for this transaction.");
            }

            var wholeTransaction = requested is not { Count: > 0 };
            if (wholeTransaction && targets.All(x => open(x.Item) <= 0))
            {
                // Already confirmed: answered like a success (so retries are safe) but remembered for tests.
                _duplicates.Add(new DuplicateConfirmation(_time.GetUtcNow(), t.Id, kind, null));
                return;
            }

            foreach (var (item, sku, wanted) in targets)
            {
                var remaining = open(item);
                if (remaining <= 0)
                {
                    if (!wholeTransaction)
                    {
                        _duplicates.Add(new DuplicateConfirmation(_time.GetUtcNow(), t.Id, kind, sku));
                    }

                    continue;
                }

                var n = wanted ?? remaining;
                if (n > remaining)
                {
                    throw ApiError.Validation("items", $"Only {remaining} unit(s) of '{sku}' can still be confirmed.");
                }

                apply(item, n);
            }
        }
    }
}

public static partial class EmulatorApp
{
    private static void MapDeliveries(RouteGroupBuilder v3, EmulatorState state)
    {
        v3.MapPost("/transactions/{id}/confirm-shipment", async Task<IResult> (HttpContext ctx, string id) =>
        {
            state.ConfirmShipment(id, await OptionalBody(ctx, Json.ShipmentBody) ?? new ShipmentBody(null));
            return Ok(new EmptyData(), Json.DataEnvelopeEmptyData);
        });
        v3.MapPost("/transactions/{id}/confirm-receipt", async Task<IResult> (HttpContext ctx, string id) =>
        {
            state.ConfirmReceipt(id, await OptionalBody(ctx, Json.ItemsBody) ?? new ItemsBody(null));
            return Ok(new EmptyData(), Json.DataEnvelopeEmptyData);
        });
    }

    private static void MapDeliveriesAdmin(RouteGroupBuilder admin, EmulatorState state)
    {
        admin.MapGet("/duplicates", () => Results.Json([.. state.DuplicateConfirmations], Json.ListDuplicateConfirmation));
        admin.MapGet("/shipments", () => Results.Json([.. state.Shipments], Json.ListShipmentRecord));
    }
}
