using System.Net;
using FlexShopper.Emulator;

namespace FlexFunctions.Tests.Emulator;

/// <summary>The lost-answer fault: FlexShopper acts, the caller never hears, and a second look shows what happened.</summary>
public sealed class LostResponseFaultTests
{
    [Fact]
    public async Task A_lost_answer_still_carries_out_the_request_and_is_recorded_with_the_status_the_caller_missed()
    {
        await using var emulator = await RunningEmulator.StartAsync();
        emulator.State.SetFaults(new FaultSettings { LostResponseCount = 1, HangMs = 30_000, PathContains = ["/users"] });

        using (var impatient = new CancellationTokenSource())
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "v3/users")
            {
                Content = new StringContent("""{"firstName":"Lin","lastName":"Lost","email":"lost@example.com"}""", System.Text.Encoding.UTF8, "application/json"),
            };
            request.Headers.TryAddWithoutValidation("Authorization", RunningEmulator.Key);
            var call = emulator.Http.SendAsync(request, impatient.Token);
            // The caller gives up once the emulator has acted (no timing guess on a loaded machine).
            for (var waited = 0; !emulator.State.Requests.Any(r => r.Fault == "lost"); waited += 10)
            {
                Assert.True(waited < 20_000 && !call.IsCompleted, "the request was never carried out");
                await Task.Delay(10);
            }

            await impatient.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        }

        using var exists = await emulator.SendAsync(HttpMethod.Get, "user-exists?email=lost%40example.com");
        Assert.Equal(HttpStatusCode.OK, exists.StatusCode);
        Assert.True((await RunningEmulator.JsonOf(exists)).GetProperty("data").GetProperty("exists").GetBoolean());
        var lost = Assert.Single(emulator.State.Requests, r => r.Path == "/v3/users");
        Assert.Equal((200, "lost"), (lost.Status, lost.Fault));

        // Counted: the next request is answered normally.
        using var second = await emulator.SendAsync(HttpMethod.Post, "users", json: """{"firstName":"Ann","lastName":"Other","email":"ann@example.com"}""");
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
    }
}
