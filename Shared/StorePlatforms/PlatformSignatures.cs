using System.Security.Cryptography;
using System.Text;
using FlexFunctions.Shared.Webhooks;

namespace FlexFunctions.Shared.StorePlatforms;

/// <summary>
/// Shopify's <c>X-Shopify-Hmac-SHA256</c> and WooCommerce's <c>X-WC-Webhook-Signature</c>: the base64 HMAC-SHA256 of
/// the raw body keyed with the shared secret, compared in constant time against every accepted secret.
/// </summary>
public static class Base64HmacSignature
{
    public static SignatureCheck Check(string? header, ReadOnlySpan<byte> body, IReadOnlyList<string> secrets, Func<string, string>? keyOf = null)
    {
        if (secrets.Count == 0)
        {
            return SignatureCheck.Unconfigured;
        }

        if (string.IsNullOrWhiteSpace(header))
        {
            return SignatureCheck.Missing;
        }

        Span<byte> given = stackalloc byte[HMACSHA256.HashSizeInBytes + 3];
        if (!Convert.TryFromBase64String(header.Trim(), given, out var length) || length != HMACSHA256.HashSizeInBytes)
        {
            return SignatureCheck.Malformed;
        }

        var match = false;
        foreach (var secret in secrets)
        {
            var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(keyOf?.Invoke(secret) ?? secret), body);
            // Every secret is compared, so timing says nothing about which one matched.
            match |= CryptographicOperations.FixedTimeEquals(expected, given[..length]);
        }

        return match ? SignatureCheck.Valid : SignatureCheck.Mismatch;
    }

    /// <summary>The header value a platform sends for <paramref name="body"/>.</summary>
    public static string Sign(string secret, ReadOnlySpan<byte> body) =>
        Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    /// <summary>
    /// WooCommerce keys the HMAC with its stored secret after WordPress's <c>wp_specialchars_decode(secret, ENT_QUOTES)</c>:
    /// the same decoding here makes a secret pasted as WooCommerce stores it give the same key.
    /// </summary>
    public static string WooCommerceKey(string secret)
    {
        if (!secret.Contains('&', StringComparison.Ordinal))
        {
            return secret;
        }

        var key = new StringBuilder(secret.Length);
        for (var i = 0; i < secret.Length; i++)
        {
            var entity = secret[i] == '&' ? WordPressEntities.FirstOrDefault(e => secret.AsSpan(i).StartsWith(e.Text, StringComparison.Ordinal)) : default;
            if (entity.Text is null)
            {
                key.Append(secret[i]);
                continue;
            }

            key.Append(entity.Char);
            i += entity.Text.Length - 1;
        }

        return key.ToString();
    }

    private static readonly (string Text, char Char)[] WordPressEntities =
    [
        ("&amp;", '&'), ("&#038;", '&'), ("&#x26;", '&'),
        ("&lt;", '<'), ("&#060;", '<'),
        ("&gt;", '>'), ("&#062;", '>'),
        ("&quot;", '"'), ("&#034;", '"'), ("&#x22;", '"'),
        ("&#039;", '\''), ("&#x27;", '\''),
    ];
}
