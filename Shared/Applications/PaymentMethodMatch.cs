using FlexFunctions.Shared.FlexShopper.Models;

namespace FlexFunctions.Shared.Applications;

/// <summary>What the customer's payment methods say about one Add Payment Method request.</summary>
public enum PaymentMethodPresence
{
    /// <summary>A method with the request's last four digits (and, where both sides show them, type, brand and first six) is on file.</summary>
    Found,

    /// <summary>No method could be this one: the request was not carried out.</summary>
    Absent,

    /// <summary>The request carries nothing to recognise it by (a card without its last four digits) and the list is not empty.</summary>
    Undecidable,
}

/// <summary>
/// Finds an Add Payment Method request among Get Payment Methods' entries. FlexShopper shows the last four digits
/// of a card or account (3.0-beta docs), never the token or the full account number, so that is the key; the other
/// shown fields only rule entries out.
/// </summary>
public static class PaymentMethodMatch
{
    public static PaymentMethodPresence Find(IReadOnlyList<PaymentMethodSummary> methods, AddPaymentMethodRequest request)
    {
        ArgumentNullException.ThrowIfNull(methods);
        ArgumentNullException.ThrowIfNull(request);
        if (request.Ach is { } ach)
        {
            var last4 = ach.Account.Length >= 4 ? ach.Account[^4..] : ach.Account;
            return methods.Any(m => m.LastFour == last4 && !IsCard(m)) ? PaymentMethodPresence.Found : PaymentMethodPresence.Absent;
        }

        var card = request.Token ?? throw new ArgumentException("Exactly one of Ach or Token must be given.", nameof(request));
        if (card.LastFour is null)
        {
            return methods.Count == 0 ? PaymentMethodPresence.Absent : PaymentMethodPresence.Undecidable;
        }

        return methods.Any(m => m.LastFour == card.LastFour
                                && (m.Type is null || IsCard(m))
                                && (m.FirstSix is null || card.FirstSix is null || m.FirstSix == card.FirstSix)
                                && (m.CardBrand is null || Letters(m.CardBrand) == Letters(card.CardType)))
            ? PaymentMethodPresence.Found
            : PaymentMethodPresence.Absent;
    }

    private static bool IsCard(PaymentMethodSummary method) => string.Equals(method.Type, "card", StringComparison.OrdinalIgnoreCase);

    // "american-express" (what we send) and "American Express" (what the list shows) are one brand.
    private static string Letters(string text) => new([.. text.Where(char.IsAsciiLetter).Select(char.ToLowerInvariant)]);
}
