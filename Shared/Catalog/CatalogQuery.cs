using System.Buffers.Text;
using System.Globalization;
using System.Text;
using FlexFunctions.Shared.InputRules;

namespace FlexFunctions.Shared.Catalog;

/// <summary>A validated list request: page size 1..100 (default 50) and the table's continuation, unwrapped.</summary>
public sealed record CatalogQuery(int PageSize, string? TableContinuation)
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 100;
    public const string PageSizeField = "pageSize";
    public const string ContinuationField = "continuationToken";

    /// <summary>Reads one product by SKU instead of a page: the form for SKUs holding <c>/</c> or other characters a path cannot carry.</summary>
    public const string SkuField = "sku";

    // The prefix lets us change the token's inside later and still reject tokens from another format.
    private const string TokenPrefix = "c1:";

    /// <summary>Parses the raw query values; on failure names the field and why.</summary>
    public static bool TryParse(string? pageSize, string? continuationToken, out CatalogQuery query, out (string Field, string Message) error)
    {
        query = new CatalogQuery(DefaultPageSize, null);
        error = default;
        var size = DefaultPageSize;
        if (pageSize is not null
            && (!int.TryParse(pageSize, NumberStyles.None, CultureInfo.InvariantCulture, out size) || size is < 1 or > MaxPageSize))
        {
            error = (PageSizeField, $"pageSize must be a whole number from 1 to {MaxPageSize}.");
            return false;
        }

        string? continuation = null;
        if (!string.IsNullOrEmpty(continuationToken) && (continuation = Unwrap(continuationToken)) is null)
        {
            error = (ContinuationField, "continuationToken is not one this API issued: pass back the value of a previous response unchanged.");
            return false;
        }

        query = new CatalogQuery(size, continuation);
        return true;
    }

    /// <summary>The caller's opaque token for a table continuation (base64url, so it is safe in a query string).</summary>
    public static string? Wrap(string? tableContinuation) =>
        tableContinuation is null ? null : Base64Url.EncodeToString(Encoding.UTF8.GetBytes(TokenPrefix + tableContinuation));

    private static string? Unwrap(string token)
    {
        // The shape first: Base64Url.IsValid alone would let whitespace through.
        if (!FieldRules.Base64UrlToken.Accepts(token) || !Base64Url.IsValid(token))
        {
            return null;
        }

        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(Base64Url.DecodeFromChars(token));
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
            return null;
        }

        return text.StartsWith(TokenPrefix, StringComparison.Ordinal) && text.Length > TokenPrefix.Length && text.All(c => c is >= ' ' and <= '~')
            ? text[TokenPrefix.Length..]
            : null;
    }
}
