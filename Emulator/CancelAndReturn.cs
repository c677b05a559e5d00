namespace FlexShopper.Emulator;

/// <summary>
/// Cancel Items (units not yet delivered) and Return Items. The docs list as failed returns only units that do not
/// exist, were already returned, or were never signed; refusing signed but undelivered units is a strictness
/// setting (<see cref="StrictnessSettings.ReturnOnlyDelivered"/>), off by default.
/// </summary>
public sealed partial class EmulatorState
{
    public CanceledData Cancel(string id, ItemsBody body)
    {
        lock (_gate)
        {
            var t = FindTransaction(id);
            var done = new List<ItemQuantityBody>();
            var failed = new List<ItemQuantityBody>();
            foreach (var (item, sku, wanted) in Requested(t, body.Items, failed))
            {
                // A return takes delivered units first, so units out of reach are the larger of delivered and returned.
                var open = item.Quantity - item.Canceled - Math.Max(Delivered(item), item.Returned);
                var n = wanted ?? open;
                if (n < 1 || n > open)
                {
                    failed.Add(new ItemQuantityBody(sku, wanted ?? 0));
                    continue;
                }

                item.Canceled += n;
                done.Add(new ItemQuantityBody(sku, n));
            }

            return new CanceledData(done, failed);
        }
    }

    public ReturnedData Return(string id, ItemsBody body)
    {
        lock (_gate)
        {
            var t = FindTransaction(id);
            var done = new List<ItemQuantityBody>();
            var failed = new List<ItemQuantityBody>();
            foreach (var (item, sku, wanted) in Requested(t, body.Items, failed))
            {
                // Each signed unit that was not canceled can come back once (only delivered ones under the strict setting).
                var open = (_options.Strictness.ReturnOnlyDelivered ? Delivered(item) : item.Signed - item.Canceled) - item.Returned;
                var n = wanted ?? open;
                if (!t.Signed || n < 1 || n > open)
                {
                    failed.Add(new ItemQuantityBody(sku, wanted ?? 0));
                    continue;
                }

                item.Returned += n;
                done.Add(new ItemQuantityBody(sku, n));
            }

            return new ReturnedData(done, failed);
        }
    }

    private static int Delivered(Item item) => Math.Max(item.Shipped, item.Received);
}

public static partial class EmulatorApp
{
    private static void MapCancelAndReturn(RouteGroupBuilder v3, EmulatorState state)
    {
        v3.MapPost("/transactions/{id}/cancel", async Task<IResult> (HttpContext ctx, string id) =>
            Ok(state.Cancel(id, await OptionalBody(ctx, Json.ItemsBody) ?? new ItemsBody(null)), Json.DataEnvelopeCanceledData));

        // The docs say .../return, FlexShopper's Magento module posts to .../return-items: both are answered unless
        // Emulator:ReturnItemsPath picks one, to emulate either answer the sandbox may give.
        foreach (var segment in state.Options.ReturnItemsSegments)
        {
            v3.MapPost("/transactions/{id}/" + segment, async Task<IResult> (HttpContext ctx, string id) =>
                Ok(state.Return(id, await OptionalBody(ctx, Json.ItemsBody) ?? new ItemsBody(null)), Json.DataEnvelopeReturnedData));
        }
    }
}
