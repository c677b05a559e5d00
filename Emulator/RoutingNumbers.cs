namespace FlexShopper.Emulator;

/// <summary>
/// Routing numbers: the ABA checksum, and then FlexShopper's own list of banks, which refuses some checksum-valid
/// numbers (FlexShopper's UI tests: <c>000000000</c> and <c>084009519</c> give "We do not accept this bank") and
/// names the bank of others. The test data is in <see cref="TestData"/> and Emulator/README.md.
/// </summary>
public sealed partial class EmulatorState
{
    /// <summary>Validate Routing Number: <c>{valid, bankName}</c>; a bank FlexShopper does not accept is not valid.</summary>
    public static RoutingData Routing(string routing) => RoutingRefusal(routing) is null
        ? new RoutingData(true, TestData.BankNameFor(routing))
        : new RoutingData(false, null);

    /// <summary>The ABA check: 9 digits, weights 3-7-1, sum divisible by 10.</summary>
    internal static bool IsAbaRoutingNumber(string routing)
    {
        if (!NineDigits().IsMatch(routing))
        {
            return false;
        }

        int[] weights = [3, 7, 1, 3, 7, 1, 3, 7, 1];
        var sum = 0;
        for (var i = 0; i < 9; i++)
        {
            sum += (routing[i] - '0') * weights[i];
        }

        return sum % 10 == 0;
    }

    /// <summary>Why FlexShopper would refuse this routing number, or null when it takes it.</summary>
    private static string? RoutingRefusal(string? routing) => routing switch
    {
        null => "is required.",
        _ when !IsAbaRoutingNumber(routing) => "is not a valid ABA routing number.",
        _ when TestData.RefusedBanks.Contains(routing) => TestData.RefusedBankMessage,
        _ => null,
    };

    /// <summary>A 400 naming <paramref name="field"/> unless FlexShopper accepts the routing number.</summary>
    private static void RequireAcceptedRouting(string? routing, string field)
    {
        if (RoutingRefusal(routing) is { } refusal)
        {
            throw ApiError.Validation(field, refusal == TestData.RefusedBankMessage ? refusal : $"{field} {refusal}");
        }
    }
}

public static partial class EmulatorApp
{
    private static void MapRoutingNumbers(RouteGroupBuilder v3) =>
        v3.MapGet("/routing-numbers/{routing}", (string routing) => Ok(EmulatorState.Routing(routing), Json.DataEnvelopeRoutingData));
}
