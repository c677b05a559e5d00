using System.Security.Cryptography;
using System.Text;
using Azure.Data.Tables;
using FlexFunctions.Shared.Idempotency;
using FlexFunctions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace FlexFunctions.Tests.Idempotency;

/// <summary>
/// The idempotency record's life as a store's retries meet it (Azurite): pending, done and replayed byte for byte,
/// abandoned, taken over once its attempt died or its outcome is unknown, and expired after 24 hours.
/// </summary>
public sealed class IdempotencyStoreTests : IDisposable
{
    private const string Operation = "CreateLease";
    private static readonly string Fingerprint = TableIdempotencyStore.Fingerprint("POST", "/api/v1/leases", "{}"u8, "tok");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero));
    private readonly TestServices _app;

    private readonly Dictionary<string, string?> _settings = TestServices.DefaultSettings("http://127.0.0.1:9");

    public IdempotencyStoreTests()
    {
        _app = TestServices.Build(_settings, s => s.AddSingleton<TimeProvider>(_time));
    }

    private IIdempotencyStore Store => _app.Get<IIdempotencyStore>();

    private static string NewKey() => Guid.NewGuid().ToString();

    [Fact]
    public async Task A_completed_outcome_is_replayed_exactly_while_a_pending_one_is_in_progress()
    {
        var key = NewKey();
        var begun = await Store.BeginAsync(Operation, key, Fingerprint);
        Assert.Equal(IdempotencyState.Begun, begun.State);
        Assert.Null(begun.EarlierUnknownAt);
        Assert.Equal(_time.GetUtcNow(), begun.StartedAt);
        Assert.Equal(IdempotencyState.InProgress, (await Store.BeginAsync(Operation, key, Fingerprint)).State);

        await Store.CompleteAsync(Operation, begun, new IdempotencyOutcome(201, "application/json", "{\"leaseId\":\"L1\"}"u8.ToArray()));
        var replay = await Store.BeginAsync(Operation, key, Fingerprint);

        Assert.Equal(IdempotencyState.Completed, replay.State);
        Assert.Equal((201, "application/json", "{\"leaseId\":\"L1\"}"), (replay.Outcome!.Status, replay.Outcome.ContentType, Encoding.UTF8.GetString(replay.Outcome.Body)));
        // Another operation with the same key is another record.
        Assert.Equal(IdempotencyState.Begun, (await Store.BeginAsync("SignLease", key, Fingerprint)).State);
    }

    [Fact]
    public async Task The_stored_row_key_and_fingerprint_keep_their_format_so_a_retry_after_a_deployment_finds_its_record()
    {
        // The stored format is a contract with the release before: a retry arriving after a deployment must find the
        // record its first attempt left (else it is sent to FlexShopper again) and match its fingerprint (else a 422).
        const string key = "order-1001";
        var body = "{\"total\":\"99.95\"}"u8.ToArray();
        var secret = Encoding.UTF8.GetBytes(_settings["KeyedHashing:Secret"]!);
        var request = Encoding.UTF8.GetBytes("POST /api/v1/leases\n").Concat(SHA256.HashData("tok-1"u8)).Concat(body).ToArray();
        var fingerprint = Convert.ToHexStringLower(SHA256.HashData(request));
        Assert.Equal(fingerprint, TableIdempotencyStore.Fingerprint("post", "/api/v1/leases", body, "tok-1"));

        await Store.BeginAsync(Operation, key, fingerprint);

        var rowKey = Convert.ToHexStringLower(HMACSHA256.HashData(secret, Encoding.UTF8.GetBytes("idempotency-key\n" + key)));
        var table = _app.Get<TableServiceClient>().GetTableClient(_settings["Tables:Idempotency"]);
        var row = (await table.GetEntityAsync<TableEntity>(Operation, rowKey)).Value;
        var stored = Convert.ToHexStringLower(HMACSHA256.HashData(secret, Encoding.UTF8.GetBytes("idempotency-request\n" + fingerprint)));
        Assert.Equal(stored, row.GetString("Fingerprint"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(60 * 1024)] // exactly one property's worth
    [InlineData((60 * 1024) + 1)]
    [InlineData((3 * 60 * 1024) + 17)] // several properties
    public async Task A_body_of_any_recordable_size_is_replayed_byte_for_byte(int size)
    {
        var key = NewKey();
        var body = new byte[size];
        new Random(size).NextBytes(body);
        var begun = await Store.BeginAsync(Operation, key, Fingerprint);

        await Store.CompleteAsync(Operation, begun, new IdempotencyOutcome(200, null, body));
        var replay = await Store.BeginAsync(Operation, key, Fingerprint);

        Assert.Equal(IdempotencyState.Completed, replay.State);
        Assert.Null(replay.Outcome!.ContentType);
        Assert.Equal(body, replay.Outcome.Body);
    }

    [Fact]
    public async Task A_body_too_large_to_record_is_refused_and_the_record_stays_pending()
    {
        var key = NewKey();
        var begun = await Store.BeginAsync(Operation, key, Fingerprint);

        await Assert.ThrowsAsync<InvalidOperationException>(() => Store.CompleteAsync(Operation, begun, new IdempotencyOutcome(200, null, new byte[(15 * 60 * 1024) + 1])));

        Assert.Equal(IdempotencyState.InProgress, (await Store.BeginAsync(Operation, key, Fingerprint)).State);
    }

    [Fact]
    public async Task The_same_key_for_another_request_is_a_mismatch_whatever_state_its_record_is_in()
    {
        var key = NewKey();
        var other = TableIdempotencyStore.Fingerprint("POST", "/api/v1/leases", "{\"x\":1}"u8, "tok");
        var begun = await Store.BeginAsync(Operation, key, Fingerprint);
        Assert.Equal(IdempotencyState.Mismatch, (await Store.BeginAsync(Operation, key, other)).State);

        await Store.CompleteAsync(Operation, begun, new IdempotencyOutcome(201, null, []));
        Assert.Equal(IdempotencyState.Mismatch, (await Store.BeginAsync(Operation, key, other)).State);
    }

    [Fact]
    public async Task An_abandoned_key_begins_afresh_and_abandoning_a_record_taken_over_leaves_it_alone()
    {
        var key = NewKey();
        var first = await Store.BeginAsync(Operation, key, Fingerprint);
        await Store.AbandonAsync(Operation, first);
        var second = await Store.BeginAsync(Operation, key, Fingerprint);
        Assert.Equal(IdempotencyState.Begun, second.State);
        Assert.Null(second.EarlierUnknownAt);

        await Store.AbandonAsync(Operation, first); // the first attempt's late clean-up: not its record any more
        await Store.AbandonAsync(Operation, second);
        await Store.AbandonAsync(Operation, second); // already gone: nothing to do
        Assert.Equal(IdempotencyState.Begun, (await Store.BeginAsync(Operation, key, Fingerprint)).State);
        await Assert.ThrowsAsync<InvalidOperationException>(() => Store.AbandonAsync(Operation, new IdempotencyBegin(IdempotencyState.InProgress)));
    }

    [Fact]
    public async Task A_pending_record_older_than_its_lease_belongs_to_a_dead_call_and_is_taken_over_as_unknown()
    {
        var key = NewKey();
        var dead = await Store.BeginAsync(Operation, key, Fingerprint);

        _time.Advance(TableIdempotencyStore.PendingLease);
        Assert.Equal(IdempotencyState.InProgress, (await Store.BeginAsync(Operation, key, Fingerprint)).State); // not yet: at the lease
        _time.Advance(TimeSpan.FromSeconds(1));
        var taken = await Store.BeginAsync(Operation, key, Fingerprint);

        Assert.Equal(IdempotencyState.Begun, taken.State);
        Assert.Equal(dead.StartedAt, taken.EarlierUnknownAt);
        Assert.Equal(_time.GetUtcNow(), taken.StartedAt);
        Assert.Equal(IdempotencyState.InProgress, (await Store.BeginAsync(Operation, key, Fingerprint)).State); // the taker holds it now
        // The dead call's late answer cannot overwrite the taker's record.
        await Assert.ThrowsAnyAsync<Azure.RequestFailedException>(() => Store.CompleteAsync(Operation, dead, new IdempotencyOutcome(201, null, [])));
    }

    [Fact]
    public async Task An_unknown_outcome_is_handed_to_the_next_attempt_with_when_it_was_tried_and_never_expires_into_a_fresh_one()
    {
        var key = NewKey();
        var first = await Store.BeginAsync(Operation, key, Fingerprint);
        var attemptedAt = _time.GetUtcNow();
        await Store.MarkUnknownAsync(Operation, first, attemptedAt, "502 from FlexShopper");

        _time.Advance(TimeSpan.FromDays(3));
        var next = await Store.BeginAsync(Operation, key, Fingerprint);

        Assert.Equal(IdempotencyState.Begun, next.State);
        Assert.Equal(attemptedAt, next.EarlierUnknownAt);
        // Marking an attempt that lost its record (taken over meanwhile) changes nothing and does not fail.
        await Store.MarkUnknownAsync(Operation, first, attemptedAt, "late");
        Assert.Equal(IdempotencyState.InProgress, (await Store.BeginAsync(Operation, key, Fingerprint)).State);
    }

    [Fact]
    public async Task A_done_record_is_replayed_for_24_hours_and_then_the_key_starts_afresh()
    {
        var key = NewKey();
        var begun = await Store.BeginAsync(Operation, key, Fingerprint);
        await Store.CompleteAsync(Operation, begun, new IdempotencyOutcome(201, null, "one"u8.ToArray()));

        _time.Advance(TableIdempotencyStore.Retention - TimeSpan.FromSeconds(1));
        Assert.Equal(IdempotencyState.Completed, (await Store.BeginAsync(Operation, key, Fingerprint)).State);
        _time.Advance(TimeSpan.FromSeconds(1));
        var fresh = await Store.BeginAsync(Operation, key, Fingerprint);

        Assert.Equal(IdempotencyState.Begun, fresh.State);
        Assert.Null(fresh.EarlierUnknownAt);
        Assert.Equal(IdempotencyState.InProgress, (await Store.BeginAsync(Operation, key, Fingerprint)).State);
    }

    [Fact]
    public void The_fingerprint_tells_requests_apart_by_method_path_body_and_customer_only()
    {
        var body = "{\"a\":1}"u8;
        var one = TableIdempotencyStore.Fingerprint("POST", "/api/v1/leases", body, "tok");

        Assert.Equal(one, TableIdempotencyStore.Fingerprint("post", "/api/v1/leases", body, "tok"));
        Assert.NotEqual(one, TableIdempotencyStore.Fingerprint("PUT", "/api/v1/leases", body, "tok"));
        Assert.NotEqual(one, TableIdempotencyStore.Fingerprint("POST", "/api/v1/leases/L1", body, "tok"));
        Assert.NotEqual(one, TableIdempotencyStore.Fingerprint("POST", "/api/v1/leases", "{\"a\":2}"u8, "tok"));
        Assert.NotEqual(one, TableIdempotencyStore.Fingerprint("POST", "/api/v1/leases", body, "another"));
        Assert.Equal(TableIdempotencyStore.Fingerprint("POST", "/p", body), TableIdempotencyStore.Fingerprint("POST", "/p", body, ""));
        Assert.Matches("^[0-9a-f]{64}$", one);
    }

    [Fact]
    public void An_attempt_knows_whether_an_earlier_one_may_have_acted()
    {
        Assert.False(new IdempotentAttempt(_time.GetUtcNow()).EarlierOutcomeUnknown);
        Assert.True(new IdempotentAttempt(_time.GetUtcNow(), _time.GetUtcNow().AddMinutes(-1)).EarlierOutcomeUnknown);
    }

    public void Dispose() => _app.Dispose();
}
