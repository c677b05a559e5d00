namespace FlexFunctions.Shared.Applications;

/// <summary>The ABA routing number check: 9 digits whose weighted sum (3, 7, 1, ...) is a multiple of 10.</summary>
public static class AbaRoutingNumber
{
    public static bool IsValid(string? routing)
    {
        if (routing is not { Length: 9 } || !routing.All(char.IsAsciiDigit))
        {
            return false;
        }

        ReadOnlySpan<int> weights = [3, 7, 1, 3, 7, 1, 3, 7, 1];
        var sum = 0;
        for (var i = 0; i < 9; i++)
        {
            sum += (routing[i] - '0') * weights[i];
        }

        // All zeros passes the arithmetic but is no bank.
        return sum % 10 == 0 && sum != 0;
    }
}
