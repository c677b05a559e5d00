using FlexFunctions.Shared.Applications;
using FlexFunctions.Shared.FlexShopper.Models;

namespace FlexFunctions.Tests.Applications;

/// <summary>Finding an Add Payment Method request among the customer's payment methods, by what FlexShopper shows.</summary>
public sealed class PaymentMethodMatchTests
{
    private static readonly AddPaymentMethodRequest Card = new() { Token = new CardToken("american-express", "lpp-1", "33431") { LastFour = "0005", FirstSix = "378282" } };
    private static readonly AddPaymentMethodRequest Ach = new() { Ach = new AchAccount("021000021", "000123456789", "checking") };

    private static PaymentMethodSummary Method(string? type, string lastFour, string? brand = null, string? firstSix = null) =>
        new() { Id = "pm", Type = type, LastFour = lastFour, CardBrand = brand, FirstSix = firstSix };

    [Fact]
    public void A_card_is_found_by_its_last_four_with_brand_and_first_six_agreeing_where_shown()
    {
        Assert.Equal(PaymentMethodPresence.Found, PaymentMethodMatch.Find([Method("card", "0005", "American Express", "378282")], Card));
        Assert.Equal(PaymentMethodPresence.Found, PaymentMethodMatch.Find([Method(null, "0005")], Card));
        Assert.Equal(PaymentMethodPresence.Absent, PaymentMethodMatch.Find([Method("card", "0005", "Visa")], Card));
        Assert.Equal(PaymentMethodPresence.Absent, PaymentMethodMatch.Find([Method("card", "0005", firstSix: "411111")], Card));
        Assert.Equal(PaymentMethodPresence.Absent, PaymentMethodMatch.Find([Method("card", "1111"), Method("ach", "0005")], Card));
        Assert.Equal(PaymentMethodPresence.Absent, PaymentMethodMatch.Find([], Card));
    }

    [Fact]
    public void A_bank_account_is_found_by_its_accounts_last_four_and_never_as_a_card()
    {
        Assert.Equal(PaymentMethodPresence.Found, PaymentMethodMatch.Find([Method("ach", "6789")], Ach));
        Assert.Equal(PaymentMethodPresence.Found, PaymentMethodMatch.Find([Method("bank", "6789")], Ach));
        Assert.Equal(PaymentMethodPresence.Absent, PaymentMethodMatch.Find([Method("card", "6789")], Ach));
        Assert.Equal(PaymentMethodPresence.Absent, PaymentMethodMatch.Find([Method("ach", "1234")], Ach));
    }

    [Fact]
    public void A_card_without_its_last_four_cannot_be_told_apart_unless_the_list_is_empty()
    {
        var anonymous = new AddPaymentMethodRequest { Token = new CardToken("visa", "lpp-2", "33431") };

        Assert.Equal(PaymentMethodPresence.Undecidable, PaymentMethodMatch.Find([Method("card", "4242")], anonymous));
        Assert.Equal(PaymentMethodPresence.Absent, PaymentMethodMatch.Find([], anonymous));
    }
}
