using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using FlexFunctions.Shared.Confirmations;
using FlexFunctions.Shared.Storage;
using Microsoft.Extensions.Options;

namespace FlexFunctions.Tests.Confirmations;

/// <summary>
/// The failed-events table's own limits: what an operator can always find there, however long the reason, however many
/// rows, and however two replays of one row interleave.
/// </summary>
public sealed class FailedEventTableTests
{
    [Fact]
    public async Task A_reason_longer_than_a_table_property_holds_is_kept_to_its_first_30000_characters()
    {
        await using var h = new ConfirmationHarness();
        var reason = "The event is invalid: " + string.Concat(Enumerable.Range(0, 2000).Select(i => $"'items[{i}].carrier' is required; "));
        Assert.True(reason.Length > 60_000);

        var recorded = await h.Failures.RecordAsync(new FailedEvent { Kind = FailedEventKinds.Failed, Id = EventKey.Hash("long"), Reason = reason }, "long", CancellationToken.None);

        var row = (await h.Failures.GetAsync(FailedEventKinds.Failed, recorded.Id, CancellationToken.None))!.Value.Event;
        Assert.Equal(reason[..30_000], row.Reason);
        Assert.Equal("long", row.Message);
    }

    [Fact]
    public async Task The_listing_stops_at_1000_rows()
    {
        await using var h = new ConfirmationHarness();
        await h.Failures.ListAsync(null, CancellationToken.None); // creates the table
        var table = h.Services.Get<TableServiceClient>().GetTableClient(h.Services.Get<IOptions<TableNames>>().Value.FailedEvents);
        var rows = Enumerable.Range(0, 1001).Select(i => new TableEntity(FailedEventKinds.Failed, EventKey.Hash(i.ToString(System.Globalization.CultureInfo.InvariantCulture)))
        {
            ["Reason"] = "bad",
            ["MessageChunks"] = 0,
        });
        foreach (var batch in rows.Chunk(100))
        {
            await table.SubmitTransactionAsync(batch.Select(r => new TableTransactionAction(TableTransactionActionType.Add, r)));
        }

        Assert.Equal(1000, (await h.Failures.ListAsync(null, CancellationToken.None)).Count);
        Assert.Equal(1000, (await h.Replayer.ListAsync(FailedEventKinds.Failed, CancellationToken.None)).Count);
    }

    [Fact]
    public async Task Deleting_a_row_already_gone_or_re_recorded_meanwhile_keeps_what_is_there()
    {
        await using var h = new ConfirmationHarness();
        var id = EventKey.Hash("m");
        FailedEvent Entry(string reason) => new() { Kind = FailedEventKinds.Failed, Id = id, Reason = reason };
        await h.Failures.RecordAsync(Entry("first"), "m", CancellationToken.None);
        var seen = (await h.Failures.GetAsync(FailedEventKinds.Failed, id, CancellationToken.None))!.Value;
        await h.Failures.RecordAsync(Entry("newer"), "m", CancellationToken.None);

        await h.Failures.DeleteAsync(FailedEventKinds.Failed, id, seen.ETag, CancellationToken.None);
        Assert.Equal("newer", (await h.Failures.GetAsync(FailedEventKinds.Failed, id, CancellationToken.None))!.Value.Event.Reason);

        // Two operators replaying the same row: the second delete finds nothing, and that is no error.
        await h.Failures.DeleteAsync(FailedEventKinds.Failed, id, ETag.All, CancellationToken.None);
        await h.Failures.DeleteAsync(FailedEventKinds.Failed, id, ETag.All, CancellationToken.None);
        Assert.Null(await h.Failures.GetAsync(FailedEventKinds.Failed, id, CancellationToken.None));
    }

    [Fact]
    public async Task A_delete_the_table_refuses_is_an_error_not_a_silent_success()
    {
        await using var h = new ConfirmationHarness();
        var failedEvents = h.Services.Get<IOptions<TableNames>>().Value.FailedEvents;
        var store = h.AnotherInstance(new StoragePipelinePolicies((new DeletesRefused(failedEvents), HttpPipelinePosition.BeforeTransport))).Get<FailedEventStore>();
        var recorded = await store.RecordAsync(new FailedEvent { Kind = FailedEventKinds.Failed, Id = EventKey.Hash("m"), Reason = "bad" }, "m", CancellationToken.None);

        var refused = await Assert.ThrowsAsync<RequestFailedException>(() => store.DeleteAsync(recorded.Kind, recorded.Id, ETag.All, CancellationToken.None));

        Assert.Equal(403, refused.Status);
        Assert.NotNull(await h.Failures.GetAsync(recorded.Kind, recorded.Id, CancellationToken.None));
    }

    /// <summary>Signs every delete on the table wrongly, as storage answers an identity without delete rights: 403.</summary>
    private sealed class DeletesRefused(string table) : HttpPipelineSynchronousPolicy
    {
        public override void OnSendingRequest(HttpMessage message)
        {
            if (message.Request.Method == RequestMethod.Delete && message.Request.Uri.Path.Contains("/" + table + "(", StringComparison.Ordinal)
                && message.Request.Headers.TryGetValue("Authorization", out var authorization))
            {
                message.Request.Headers.SetValue("Authorization", authorization[..(authorization.LastIndexOf(':') + 1)] + Convert.ToBase64String(new byte[32]));
            }
        }
    }
}
