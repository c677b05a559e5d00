using System.Net;
using System.Net.Sockets;

namespace FlexFunctions.Shared.AbuseLimits;

/// <summary>
/// The one normalisation of what a limit counts: every counter, the lockout and its in-flight attempts key on these,
/// so spelling an id differently (case, spaces, full-width letters) or an address differently never escapes a limit.
/// </summary>
public static class LimitSubjects
{
    /// <summary>A customer id folded to one spelling: full-width forms to ASCII, trimmed, upper case.</summary>
    public static string Customer(string customerId)
    {
        ArgumentNullException.ThrowIfNull(customerId);
        // By hand: the app runs with invariant globalization, where string.Normalize leaves full-width letters alone.
        var folded = string.Create(customerId.Length, customerId, static (span, id) =>
        {
            for (var i = 0; i < id.Length; i++)
            {
                var c = id[i];
                span[i] = c switch
                {
                    >= '\uFF01' and <= '\uFF5E' => (char)(c - 0xFEE0),
                    '\u3000' => ' ',
                    _ => c,
                };
            }
        });
        return folded.Trim().ToUpperInvariant();
    }

    /// <summary>IPv4 as is (IPv4-mapped IPv6 folded to IPv4); IPv6 by its /64, the block one subscriber usually holds; null when not an address.</summary>
    public static string? ClientIp(string? clientIp)
    {
        if (string.IsNullOrWhiteSpace(clientIp) || !IPAddress.TryParse(clientIp.Trim(), out var address))
        {
            return null;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var bytes = address.GetAddressBytes();
            Array.Clear(bytes, 8, 8);
            return new IPAddress(bytes) + "/64";
        }

        return address.ToString();
    }
}
