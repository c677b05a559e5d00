using System.Text.Json.Serialization;

namespace FlexFunctions.Shared.FlexShopper.Models;

public sealed record ProductPage(IReadOnlyList<Product> Products);

/// <summary>A FlexShopper-eligible product; <c>url</c> is its marketplace page.</summary>
public sealed record Product(string Sku, string? Name, string? Url);

public sealed record LeaseSettings([property: JsonRequired] decimal MinimumOrderValue);
