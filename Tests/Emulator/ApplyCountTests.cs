using System.Net;
using FlexShopper.Emulator;

namespace FlexFunctions.Tests.Emulator;

/// <summary>The emulator's own count of what FlexShopper carried out, per step and subject, and the payment methods it keeps.</summary>
public sealed class ApplyCountTests
{
    private const string NewUser = """{"firstName":"Ada","lastName":"Count","email":"Ada.Count@example.com"}""";

    [Fact]
    public async Task Only_requests_the_api_carried_out_count_including_one_whose_answer_was_lost()
    {
        await using var emulator = await RunningEmulator.StartAsync();

        // Stopped by a fault before the API: not applied.
        emulator.State.SetFaults(new FaultSettings { Burst503Count = 1, PathContains = ["/v3/users"] });
        using (var refusedByFault = await emulator.SendAsync(HttpMethod.Post, "users", json: NewUser))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refusedByFault.StatusCode);
        }

        // Carried out, answer withheld and replaced by a 504: applied.
        emulator.State.SetFaults(new FaultSettings { LostResponseCount = 1, HangMs = 50, PathContains = ["/v3/users"] });
        using (var lost = await emulator.SendAsync(HttpMethod.Post, "users", json: NewUser))
        {
            Assert.Equal(HttpStatusCode.GatewayTimeout, lost.StatusCode);
        }

        // Refused by the API itself (the email exists now): not applied.
        emulator.State.SetFaults(new FaultSettings());
        using (var duplicate = await emulator.SendAsync(HttpMethod.Post, "users", json: NewUser))
        {
            Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);
        }

        Assert.Equal(1, emulator.State.AppliedCount("CreateUser", "ada.count@example.com"));
        Assert.Equal(0, emulator.State.AppliedCount("CreateUser", "someone.else@example.com"));
        using var admin = await emulator.Http.GetAsync("__admin/applies");
        var row = Assert.Single((await RunningEmulator.JsonOf(admin)).EnumerateArray());
        Assert.Equal(("CreateUser", "ada.count@example.com", 1), (row.GetProperty("step").GetString(), row.GetProperty("subject").GetString(), row.GetProperty("count").GetInt32()));
    }

    [Fact]
    public async Task Payment_methods_are_kept_per_customer_and_listed_with_their_last_four_digits_only()
    {
        await using var emulator = await RunningEmulator.StartAsync();
        using var created = await emulator.SendAsync(HttpMethod.Post, "users", json: NewUser);
        var data = (await RunningEmulator.JsonOf(created)).GetProperty("data");
        var (userId, token) = (data.GetProperty("userId").GetString()!, data.GetProperty("token").GetString());

        using var card = await emulator.SendAsync(HttpMethod.Post, "paymentMethods/add", token: token,
            json: """{"primary":true,"label":"Amex","token":{"cardType":"american-express","token":"lpp-1","billingZip":"33431","lastFour":"0005","firstSix":"378282"}}""");
        using var ach = await emulator.SendAsync(HttpMethod.Post, "paymentMethods/add", token: token,
            json: """{"ach":{"routing":"021000021","account":"000123456789","accountType":"checking"}}""");
        using var both = await emulator.SendAsync(HttpMethod.Post, "paymentMethods/add", token: token,
            json: """{"ach":{"routing":"021000021","account":"1","accountType":"checking"},"token":{"cardType":"visa","token":"t","billingZip":"33431"}}""");
        using var listed = await emulator.SendAsync(HttpMethod.Get, "customers/me/payment-methods", token: token);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.BadRequest), (card.StatusCode, ach.StatusCode, both.StatusCode));
        var methods = (await RunningEmulator.JsonOf(listed)).GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(["card:American Express:0005", "ach::6789"],
            methods.Select(m => $"{m.GetProperty("type").GetString()}:{(m.TryGetProperty("cardBrand", out var b) ? b.GetString() : "")}:{m.GetProperty("lastFour").GetString()}"));
        Assert.DoesNotContain("000123456789", await listed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(2, emulator.State.AppliedCount("AddPaymentMethod", userId));
    }
}
