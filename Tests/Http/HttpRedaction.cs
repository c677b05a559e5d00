using FlexFunctions.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Testing;

namespace FlexFunctions.Tests.Http;

/// <summary>Proves no sensitive value of the HTTP tests reached a log line or its structured values.</summary>
public static class HttpRedaction
{
    private static readonly string[] Secrets =
    [
        JourneyTests.Passcode, JourneyTests.Token, JourneyTests.Ssn, "123456789", JourneyTests.Account, JourneyTests.Routing,
        JourneyTests.DateOfBirth, JourneyTests.KeyV1, JourneyTests.KeyV2, "test-api-key-0001",
    ];

    public static void AssertClean(TestServices app) => AssertClean(app.AllLogText());

    public static void AssertClean(FakeLogCollector logs) => AssertClean(
        logs.GetSnapshot().Select(r => r.Message + " " + string.Join(" ", r.StructuredState?.Select(kv => kv.Value) ?? []) + " " + r.Exception));

    private static void AssertClean(IEnumerable<string> text)
    {
        var lines = text.ToList();
        Assert.NotEmpty(lines); // something was logged, so the check is not vacuous
        foreach (var secret in Secrets)
        {
            Assert.DoesNotContain(lines, line => line.Contains(secret, StringComparison.Ordinal));
        }
    }
}
