namespace FlexShopper.Emulator;

/// <summary>The product catalog, page by page, and the account's lease settings (its minimum order value).</summary>
public sealed partial class EmulatorState
{
    public ProductsData Products(int page)
    {
        var size = Math.Max(1, _options.ProductPageSize);
        var first = ((long)page - 1) * size;
        var products = new List<ProductData>();
        for (var n = first; n < Math.Min(first + size, _options.ProductCount); n++)
        {
            products.Add(TestData.Product((int)n + 1));
        }

        return new ProductsData(products);
    }

    /// <summary>Settings/lease: the minimum is per account (the Magento module's README shows 500), so it is a setting.</summary>
    public LeaseSettingsData LeaseSettings() => new(_options.MinimumOrderValue);
}

public static partial class EmulatorApp
{
    private static void MapCatalog(RouteGroupBuilder v3, EmulatorState state)
    {
        v3.MapGet("/products", (HttpContext ctx) => Ok(state.Products(IntQuery(ctx, "page", 1, 1, int.MaxValue)), Json.DataEnvelopeProductsData));
        v3.MapGet("/settings/lease", () => Ok(state.LeaseSettings(), Json.DataEnvelopeLeaseSettingsData));
    }
}
