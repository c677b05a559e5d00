using FlexFunctions.Tests.Emulator;
using FlexFunctions.Tests.Http;
using FlexFunctions.Tests.Infrastructure;
using FlexShopper.Emulator;
using Xunit.Abstractions;

namespace FlexFunctions.Tests.EndToEnd;

/// <summary>
/// Every step FlexShopper may carry out without our hearing (create customer, add payment method, create lease,
/// sign, finalize), driven through the function classes over AddFlexFunctions, the in-process emulator and Azurite.
/// FlexShopper carries the step out and its answer is lost; the store retries with the same Idempotency-Key three
/// times at once, then once more and once more. FlexShopper applied the step exactly once (the emulator's own apply
/// count) and received it exactly once, and every retry got the real outcome.
/// </summary>
public sealed class LostAnswerTests(ITestOutputHelper output)
{
    private const string Ssn = "123456781"; // approved, $2,000 limit

    [Fact]
    public async Task Create_customer_whose_answer_was_lost_is_created_once_and_the_retry_says_sign_in()
    {
        await using var bed = await Bed.StartAsync(output);
        const string email = "lost.signup@example.com";

        var outcomes = await bed.LoseThenRetryAsync("/v3/users", () => bed.Store.CreateCustomerAsync(email, "signup-lost"));

        var userId = await bed.UserIdOf(email);
        Assert.NotNull(userId);
        foreach (var outcome in outcomes)
        {
            // The account exists; FlexShopper gives its session only at creation, so the customer signs in.
            Assert.Equal((409, "SignInRequired", userId), (outcome.Status, Code(outcome), outcome.Json.GetProperty("userId").GetString()));
        }

        Assert.Equal(1, bed.Emulator.State.AppliedCount("CreateUser", email));
        await bed.Store.LogInAsync(userId);
        Assert.Equal(200, (await bed.Store.MeAsync()).Status);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Add_payment_method_whose_answer_was_lost_is_added_once(bool card)
    {
        await using var bed = await Bed.StartAsync(output);
        var userId = await bed.SignedInAsync("lost.payment@example.com");

        var outcomes = await bed.LoseThenRetryAsync("/v3/paymentMethods/add", () => bed.Store.AddPaymentMethodAsync(card, "payment-lost"));

        foreach (var outcome in outcomes)
        {
            Assert.True(outcome.Status == 201, outcome.Body);
            Assert.Equal(card ? "card" : "ach", outcome.Json.GetProperty("kind").GetString());
        }

        Assert.Equal(1, bed.Emulator.State.AppliedCount("AddPaymentMethod", userId));
        var method = Assert.Single(bed.Emulator.State.PaymentMethods(userId));
        Assert.Equal(card ? "4242" : JourneyDriver.Account[^4..], method.LastFour);
    }

    [Fact]
    public async Task Create_lease_whose_answer_was_lost_is_created_once_and_the_retry_gets_that_lease()
    {
        await using var bed = await Bed.StartAsync(output);
        await bed.SignedInAsync("lost.lease@example.com");
        await bed.ApprovedAsync();

        var outcomes = await bed.LoseThenRetryAsync("/v3/leases", () => bed.Store.CreateLeaseAsync("order-7001", "EMU-00041", "EMU-00042", "lease-lost"));

        var lease = await bed.Store.TransactionAsync("order-7001");
        var leaseId = lease.Json.GetProperty("lease").GetProperty("id").GetString();
        foreach (var outcome in outcomes)
        {
            Assert.True(outcome.Status == 201, outcome.Body);
            Assert.Equal(leaseId, outcome.Json.GetProperty("leaseId").GetString());
            Assert.False(string.IsNullOrEmpty(outcome.Json.GetProperty("contract").GetString()));
        }

        Assert.Equal(1, bed.Emulator.State.AppliedCount("CreateLease", "order-7001"));
    }

    [Fact]
    public async Task Sign_whose_answer_timed_out_is_signed_once_however_the_store_retries()
    {
        // The incident: FlexShopper signs, our call times out waiting, the store retries with the same key.
        await using var bed = await Bed.StartAsync(output, attemptTimeout: "00:00:00.500", hangMs: 30_000);
        await bed.SignedInAsync("lost.sign@example.com");
        await bed.ApprovedAsync();
        var leaseId = await bed.LeaseAsync("order-7002");

        var outcomes = await bed.LoseThenRetryAsync($"/v3/leases/{leaseId}/sign", () => bed.Store.SignAsync(leaseId, "sign-lost"));

        foreach (var outcome in outcomes)
        {
            Assert.True(outcome.Status == 200, outcome.Body);
            Assert.True(outcome.Json.GetProperty("signed").GetBoolean());
        }

        Assert.Equal(1, bed.Emulator.State.AppliedCount("SignLease", leaseId));
        Assert.Equal("signed", (await bed.Store.GetLeaseAsync(leaseId)).Json.GetProperty("leaseStatus").GetString());
    }

    [Fact]
    public async Task Finalize_whose_answer_was_lost_is_finalized_once_and_the_retry_gets_its_numbers()
    {
        await using var bed = await Bed.StartAsync(output);
        await bed.SignedInAsync("lost.finalize@example.com");
        await bed.ApprovedAsync();
        var leaseId = await bed.LeaseAsync("order-7003");
        Assert.Equal(200, (await bed.Store.SignAsync(leaseId, "sign-7003")).Status);

        var outcomes = await bed.LoseThenRetryAsync("/v3/transactions/order-7003/finalize", () => bed.Store.FinalizeAsync("order-7003", "finalize-lost"));

        var transaction = (await bed.Store.TransactionAsync("order-7003")).Json;
        foreach (var outcome in outcomes)
        {
            Assert.True(outcome.Status == 200, outcome.Body);
            Assert.Equal(transaction.GetProperty("leaseNumber").GetString(), outcome.Json.GetProperty("leaseNumber").GetString());
            Assert.Equal(transaction.GetProperty("loanNumber").GetString(), outcome.Json.GetProperty("loanNumber").GetString());
        }

        Assert.Equal(1, bed.Emulator.State.AppliedCount("Finalize", "order-7003"));
    }

    [Fact]
    public async Task A_sign_that_never_reached_FlexShopper_is_sent_again_once_the_lease_proves_it_unsigned()
    {
        await using var bed = await Bed.StartAsync(output);
        await bed.SignedInAsync("hung.sign@example.com");
        await bed.ApprovedAsync();
        var leaseId = await bed.LeaseAsync("order-7004");
        var path = $"/v3/leases/{leaseId}/sign";

        // No answer at all, and FlexShopper did nothing: we cannot know that, so it is unknown.
        bed.Emulator.State.SetFaults(new FaultSettings { HangCount = 1, HangMs = 200, Methods = ["POST"], PathContains = [path] });
        AssertOutcomeUnknown(await bed.Store.SignAsync(leaseId, "sign-hung"));
        bed.Emulator.State.SetFaults(new FaultSettings());
        Assert.Equal(0, bed.Emulator.State.AppliedCount("SignLease", leaseId));

        var retried = await bed.Store.SignAsync(leaseId, "sign-hung");

        Assert.True(retried.Status == 200, retried.Body);
        Assert.Equal(2, bed.Sends(path)); // the lease read "unsigned": nothing had happened, so it was sent again
        Assert.Equal(1, bed.Emulator.State.AppliedCount("SignLease", leaseId));
    }

    [Fact]
    public async Task A_create_lease_that_never_reached_FlexShopper_is_sent_again_once_the_transaction_proves_absent()
    {
        await using var bed = await Bed.StartAsync(output);
        await bed.SignedInAsync("hung.lease@example.com");
        await bed.ApprovedAsync();

        bed.Emulator.State.SetFaults(new FaultSettings { HangCount = 1, HangMs = 200, Methods = ["POST"], PathContains = ["/v3/leases"] });
        AssertOutcomeUnknown(await bed.Store.CreateLeaseAsync("order-7005", "EMU-00051", "EMU-00052", "lease-hung"));
        bed.Emulator.State.SetFaults(new FaultSettings());

        var retried = await bed.Store.CreateLeaseAsync("order-7005", "EMU-00051", "EMU-00052", "lease-hung");

        Assert.True(retried.Status == 201, retried.Body);
        Assert.Equal(2, bed.Sends("/v3/leases"));
        Assert.Equal(1, bed.Emulator.State.AppliedCount("CreateLease", "order-7005"));
    }

    [Fact]
    public async Task While_FlexShoppers_state_cannot_be_read_the_outcome_stays_unknown_and_nothing_is_sent()
    {
        await using var bed = await Bed.StartAsync(output);
        await bed.SignedInAsync("unreadable.sign@example.com");
        await bed.ApprovedAsync();
        var leaseId = await bed.LeaseAsync("order-7006");
        var path = $"/v3/leases/{leaseId}/sign";

        bed.Emulator.State.SetFaults(new FaultSettings { LostResponseCount = 1, HangMs = 200, Methods = ["POST"], PathContains = [path] });
        AssertOutcomeUnknown(await bed.Store.SignAsync(leaseId, "sign-unreadable"));
        // The lease read meets 503s for longer than the client retries it.
        bed.Emulator.State.SetFaults(new FaultSettings { Burst503Count = 10, Methods = ["GET"], PathContains = ["/v3/leases/"] });
        var still = await bed.Store.SignAsync(leaseId, "sign-unreadable");
        AssertOutcomeUnknown(still);
        Assert.Contains("could not settle", still.Json.GetProperty("detail").GetString(), StringComparison.Ordinal);
        bed.Emulator.State.SetFaults(new FaultSettings());

        var settled = await bed.Store.SignAsync(leaseId, "sign-unreadable");

        Assert.True(settled.Status == 200, settled.Body);
        Assert.Equal(1, bed.Sends(path));
        Assert.Equal(1, bed.Emulator.State.AppliedCount("SignLease", leaseId));
    }

    [Fact]
    public async Task Without_an_Idempotency_Key_a_lost_answer_is_said_to_be_unknown_and_never_resent_by_us()
    {
        await using var bed = await Bed.StartAsync(output);
        await bed.SignedInAsync("keyless.sign@example.com");
        await bed.ApprovedAsync();
        var leaseId = await bed.LeaseAsync("order-7007");
        var path = $"/v3/leases/{leaseId}/sign";
        bed.Emulator.State.SetFaults(new FaultSettings { LostResponseCount = 1, HangMs = 200, Methods = ["POST"], PathContains = [path] });

        var lost = await bed.Store.SignAsync(leaseId);

        AssertOutcomeUnknown(lost);
        Assert.Contains("No Idempotency-Key", lost.Json.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, bed.Sends(path));
        Assert.Equal(1, bed.Emulator.State.AppliedCount("SignLease", leaseId));
    }

    private static string? Code(HttpResult result) => result.Json.TryGetProperty("code", out var code) ? code.GetString() : null;

    private static void AssertOutcomeUnknown(HttpResult result)
    {
        Assert.True(result.Status == 503, result.Body);
        Assert.Equal("OutcomeUnknown", Code(result));
        Assert.False(string.IsNullOrEmpty(result.Headers.RetryAfter));
    }

    /// <summary>An emulator, the app's real graph against it, and the store's driver.</summary>
    private sealed class Bed : IAsyncDisposable
    {
        private readonly TestServices _app;
        private readonly int _hangMs;
        private readonly ITestOutputHelper _output;

        private Bed(RunningEmulator emulator, TestServices app, int hangMs, ITestOutputHelper output)
        {
            Emulator = emulator;
            _app = app;
            _hangMs = hangMs;
            _output = output;
            Store = new AppDriver(app, emulator);
        }

        public RunningEmulator Emulator { get; }

        public AppDriver Store { get; }

        /// <param name="output">Where each step's figures are printed.</param>
        /// <param name="attemptTimeout">The client's attempt timeout: shorter than <paramref name="hangMs"/> to lose the answer to a timeout.</param>
        /// <param name="hangMs">How long a lost answer is withheld before the emulator answers 504 in its place.</param>
        public static async Task<Bed> StartAsync(ITestOutputHelper output, string attemptTimeout = "00:00:05", int hangMs = 200)
        {
            var emulator = await RunningEmulator.StartAsync();
            var settings = emulator.AppSettings();
            settings["FlexShopper:AttemptTimeout"] = attemptTimeout;
            return new Bed(emulator, HttpApp.Build(settings), hangMs, output);
        }

        public async Task<string> SignedInAsync(string email)
        {
            var userId = await Store.SignUpAsync(email);
            await Store.LogInAsync(userId);
            return userId;
        }

        public async Task ApprovedAsync() => Assert.Equal(200, (await Store.ApplyAsync(Ssn)).Status);

        public async Task<string> LeaseAsync(string transactionId)
        {
            var lease = await Store.CreateLeaseAsync(transactionId, "EMU-00061", "EMU-00062", "lease-" + transactionId);
            Assert.True(lease.Status == 201, lease.Body);
            return lease.Json.GetProperty("leaseId").GetString()!;
        }

        public async Task<string?> UserIdOf(string email)
        {
            using var exists = await Emulator.SendAsync(HttpMethod.Get, "user-exists?email=" + Uri.EscapeDataString(email));
            return (await RunningEmulator.JsonOf(exists)).GetProperty("data").GetProperty("userId").GetString();
        }

        /// <summary>How many times the app sent a request to <paramref name="path"/> (any outcome, faults included).</summary>
        public int Sends(string path) => Emulator.State.Requests.Count(r => r.Method == "POST" && r.Path == path);

        /// <summary>
        /// FlexShopper carries out the step and its answer is lost; then the store retries with the same key three
        /// times at once, then twice more one after the other. Returns every retry's answer that was not "still in
        /// progress", after checking that the step reached FlexShopper exactly once and that all of them are one outcome.
        /// </summary>
        public async Task<HttpResult[]> LoseThenRetryAsync(string path, Func<Task<HttpResult>> send)
        {
            Emulator.State.SetFaults(new FaultSettings { LostResponseCount = 1, HangMs = _hangMs, Methods = ["POST"], PathContains = [path] });
            var lost = await send();
            AssertOutcomeUnknown(lost);
            Assert.Equal("lost", Assert.Single(Emulator.State.Requests, r => r.Method == "POST" && r.Path == path).Fault);
            Emulator.State.SetFaults(new FaultSettings());

            var concurrent = await Task.WhenAll(send(), send(), send());
            var once = await send();
            var twice = await send();

            // A retry that met another still settling is told so, never given a second outcome.
            Assert.All(concurrent.Where(r => r.Status == 409 && Code(r) == "IdempotentRequestInProgress"), r => Assert.False(string.IsNullOrEmpty(r.Headers.RetryAfter)));
            var answered = concurrent.Where(r => Code(r) != "IdempotentRequestInProgress").Append(once).Append(twice).ToArray();
            Assert.Contains(concurrent, r => Code(r) != "IdempotentRequestInProgress");
            Assert.All(answered, r => Assert.Equal(answered[0].Body, r.Body));
            Assert.Equal("true", twice.Headers["Idempotent-Replayed"].ToString());
            Assert.Equal(1, Sends(path));
            var applies = string.Join(", ", Emulator.State.Applies.Select(a => $"{a.Step} x{a.Count}"));
            static string Said(HttpResult r) => Code(r) is { } code ? $"{r.Status} {code}" : r.Status.ToString(System.Globalization.CultureInfo.InvariantCulture);
            _output.WriteLine($"{path}: answer lost, then 3 concurrent retries ({string.Join(", ", concurrent.Select(Said))}) and 2 sequential ({Said(once)}, {Said(twice)}); "
                              + $"sent to FlexShopper {Sends(path)} time(s); emulator applies: {applies}");
            return answered;
        }

        public async ValueTask DisposeAsync()
        {
            Store.AssertNoSecretsLogged();
            await _app.DisposeAsync();
            await Emulator.DisposeAsync();
        }
    }
}
