using System.Text.Json;
using FlexFunctions.Functions.Http;
using FlexFunctions.Shared.Http;
using FlexFunctions.Tests.Http;
using FlexFunctions.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace FlexFunctions.Tests.CustomerAuth;

/// <summary>
/// The customer routes' bodies field by field, as a store sends them: each bad field is a 400 naming exactly that field
/// (the address's parts under <c>address.</c>) and nothing reaches FlexShopper; each valid variant, optional fields
/// left out included, reaches FlexShopper with what the store chose.
/// </summary>
public sealed class CustomerInputTests : IDisposable
{
    private const string Address = """{"street1":"1 Main St","street2":"Apt 2","city":"Boca Raton","region":"FL","postalCode":"33431","country":"US"}""";

    private readonly FakeFlexShopper _flex = new();
    private readonly TestServices _app;

    public CustomerInputTests()
    {
        // FlexShopper answers anything, so only its request log shows whether a request got through.
        foreach (var method in new[] { "GET", "POST" })
        {
            _flex.Server.StubJson(method, "/*", 200, """{"status":200,"data":{}}""");
        }

        _flex.Server.StubJson("POST", "/v3/user/exists", 200, """{"status":200,"data":{"emailExists":true,"phoneExists":false,"addressExists":true}}""");
        _flex.Server.StubJson("POST", "/v3/users", 200, """{"status":200,"data":{"userId":"u-new","token":"tok-new"}}""");
        _app = HttpApp.Build(_flex);
    }

    private static string Verify(string? address = Address, string email = "\"ana@example.com\"", string phone = "\"5615550100\"") =>
        "{\"email\":" + email + ",\"phone\":" + phone + (address is null ? "" : ",\"address\":" + address) + "}";

    private static string WithAddress(string field, string? json) =>
        JsonSerializer.Serialize(Edit(JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(Address)!, field, json));

    private static Dictionary<string, JsonElement> Edit(Dictionary<string, JsonElement> body, string field, string? json)
    {
        body.Remove(field);
        if (json is not null)
        {
            body[field] = JsonDocument.Parse(json).RootElement.Clone();
        }

        return body;
    }

    public static TheoryData<string, string, string> BadBodies => new()
    {
        // route, body, the one field the problem must name
        { "verify", Verify(email: "\"not-an-email\""), "email" },
        { "verify", Verify(phone: "\"12\""), "phone" },
        { "verify", Verify(address: null), "address" },
        { "verify", Verify(WithAddress("street1", null)), "address.street1" },
        { "verify", Verify(WithAddress("street2", "\"Apt\\u0001 2\"")), "address.street2" },
        { "verify", Verify(WithAddress("city", null)), "address.city" },
        { "verify", Verify(WithAddress("region", "\"Florida\"")), "address.region" },
        { "verify", Verify(WithAddress("postalCode", "\"334\"")), "address.postalCode" },
        { "verify", Verify(WithAddress("country", "\"CA\"")), "address.country" },
        { "create", """{"lastName":"Silva","email":"ana@example.com"}""", "firstName" },
        { "create", """{"firstName":"Ana","email":"ana@example.com"}""", "lastName" },
        { "create", """{"firstName":"Ana","lastName":"Silva","email":"ana@@example"}""", "email" },
        { "create", """{"firstName":"Ana","lastName":"Silva","email":"ana@example.com","locale":"fr"}""", "locale" },
        { "passcode", """{"transport":"pigeon"}""", "transport" },
        { "passcode", "{}", "transport" },
        { "passcode", """{"transport":"sms","customerIp":"999.1.1.1"}""", "customerIp" },
        { "login", """{"passcode":"12ab"}""", "passcode" },
        { "login", "{}", "passcode" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task A_bad_field_is_a_400_naming_exactly_that_field_and_nothing_reaches_FlexShopper(string route, string body, string field)
    {
        var result = await Call(route, body);

        Assert.True(result.Status == 400, $"{route} {body}: {result.Status} {result.Body}");
        Assert.Equal(Problems.ContentType, result.ContentType);
        Assert.Equal([field], result.ErrorFields);
        Assert.Empty(_flex.Server.LogEntries);
    }

    public static TheoryData<string, string> GoodBodies => new()
    {
        { "verify", Verify() },
        { "verify", Verify(WithAddress("country", null)) }, // country is optional: only US is served
        { "verify", Verify(WithAddress("street2", null)) },
        { "create", """{"firstName":"Ana","lastName":"Silva","email":"ana@example.com"}""" }, // locale is optional
        { "create", """{"firstName":"Ana","lastName":"Silva","email":"ana@example.com","locale":"en"}""" },
        { "create", """{"firstName":"Ana","lastName":"Silva","email":"ana@example.com","locale":"es"}""" },
        { "passcode", """{"transport":"sms","customerIp":"203.0.113.7"}""" },
    };

    [Theory]
    [MemberData(nameof(GoodBodies))]
    public async Task A_valid_body_with_or_without_its_optional_fields_reaches_FlexShopper(string route, string body)
    {
        var result = await Call(route, body);

        Assert.True(result.Status is >= 200 and < 300, $"{route} {body}: {result.Status} {result.Body}");
        Assert.Single(_flex.Server.LogEntries);
    }

    [Theory]
    [InlineData("sms")]
    [InlineData("email")]
    [InlineData("all")]
    public async Task The_passcode_goes_by_the_transport_the_store_chose(string transport)
    {
        var result = await Call("passcode", $$"""{"transport":"{{transport}}"}""");

        Assert.Equal(202, result.Status);
        var sent = Assert.Single(_flex.Server.LogEntries).RequestMessage!;
        Assert.Equal("/v3/users/u1/send-passcode", sent.Path);
        Assert.Equal(transport, JsonDocument.Parse(sent.Body!).RootElement.GetProperty("transport").GetString());
    }

    [Fact]
    public async Task The_deep_check_sends_the_address_as_a_US_postal_address()
    {
        var result = await Call("verify", Verify(WithAddress("country", null)));

        Assert.Equal(200, result.Status);
        var sent = JsonDocument.Parse(Assert.Single(_flex.Server.LogEntries).RequestMessage!.Body!).RootElement;
        Assert.Equal("5615550100", sent.GetProperty("phone").GetString());
        var address = sent.GetProperty("address");
        Assert.Equal(("1 Main St", "Apt 2", "Boca Raton", "FL", "33431", "US"), (address.GetProperty("street1").GetString(), address.GetProperty("street2").GetString(),
            address.GetProperty("city").GetString(), address.GetProperty("region").GetString(), address.GetProperty("postalCode").GetString(), address.GetProperty("country").GetString()));
    }

    [Fact]
    public async Task Sign_up_sends_the_trimmed_names_and_the_chosen_locale_to_FlexShopper()
    {
        var result = await Call("create", """{"firstName":"  Ana ","lastName":" Silva  ","email":"ana@example.com","locale":"es"}""");

        Assert.True(result.Status is >= 200 and < 300, $"{result.Status} {result.Body}");
        Assert.Equal("u-new", result.Json.GetProperty("userId").GetString());
        var sent = JsonDocument.Parse(Assert.Single(_flex.Server.LogEntries).RequestMessage!.Body!).RootElement;
        Assert.Equal("Ana", sent.GetProperty("firstName").GetString());
        Assert.Equal("Silva", sent.GetProperty("lastName").GetString());
        Assert.Equal("ana@example.com", sent.GetProperty("email").GetString());
        Assert.Equal("es", sent.GetProperty("locale").GetString());
    }

    private Task<HttpResult> Call(string route, string body)
    {
        var sp = _app.Provider;
        var customers = HttpTestKit.Create<CustomerFunctions>(sp);
        (string Path, Func<HttpRequest, Task<IActionResult>> Fn) target = route switch
        {
            "verify" => ("/api/v1/customers/verify", r => customers.VerifyCustomer(r, default)),
            "create" => ("/api/v1/customers", r => customers.CreateCustomer(r, default)),
            "passcode" => ("/api/v1/customers/u1/passcode", r => customers.RequestPasscode(r, "u1", default)),
            "login" => ("/api/v1/customers/u1/login", r => customers.LoginCustomer(r, "u1", default)),
            _ => throw new ArgumentOutOfRangeException(nameof(route)),
        };
        return HttpTestKit.RunAsync(HttpTestKit.Request(sp, "POST", target.Path, body), target.Fn);
    }

    public void Dispose()
    {
        _app.Dispose();
        _flex.Dispose();
    }
}
