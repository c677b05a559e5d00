using Azure;
using Azure.Data.Tables;
using Azure.Data.Tables.Models;
using FlexFunctions.Shared.Storage;
using Moq;

namespace FlexFunctions.Tests.Storage;

public sealed class TableCreatedOnFirstUseTests
{
    [Fact]
    public async Task The_table_is_created_once_however_many_callers_ask()
    {
        const int callers = 10;
        var table = new Mock<TableClient>();
        var creations = 0;
        var allInside = new ManualResetEventSlim();
        table.Setup(t => t.CreateIfNotExistsAsync(It.IsAny<CancellationToken>())).Returns(() =>
        {
            // The first creation is held (synchronously, as a slow first request would be) so the callers, released
            // together on their own threads, are all asking at once. Without the lock every one of them gets here and
            // the last one in lets them all go; with it, the others wait at the lock and the hold ends on its own.
            if (Interlocked.Increment(ref creations) == callers)
            {
                allInside.Set();
            }

            allInside.Wait(TimeSpan.FromSeconds(1));
            return Task.FromResult(Mock.Of<Response<TableItem>>());
        });
        var created = new TableCreatedOnFirstUse(table.Object);
        using var start = new Barrier(callers);
        var asks = Enumerable.Range(0, callers).Select(_ => Task.Factory.StartNew(() =>
        {
            start.SignalAndWait();
            return created.EnsureCreatedAsync();
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap()).ToList();

        await Task.WhenAll(asks);
        await created.EnsureCreatedAsync();

        Assert.Equal(1, Volatile.Read(ref creations));
    }

    [Fact]
    public async Task A_failed_creation_is_tried_again_on_the_next_call()
    {
        var table = new Mock<TableClient>();
        table.SetupSequence(t => t.CreateIfNotExistsAsync(It.IsAny<CancellationToken>()))
            .ThrowsAsync(new RequestFailedException(503, "storage unreachable"))
            .ReturnsAsync(Mock.Of<Response<TableItem>>());
        var created = new TableCreatedOnFirstUse(table.Object);

        await Assert.ThrowsAsync<RequestFailedException>(() => created.EnsureCreatedAsync());
        await created.EnsureCreatedAsync();

        table.Verify(t => t.CreateIfNotExistsAsync(It.IsAny<CancellationToken>()), Times.Exactly(2));
    }
}
