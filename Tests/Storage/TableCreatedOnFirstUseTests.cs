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
        var table = new Mock<TableClient>();
        table.Setup(t => t.CreateIfNotExistsAsync(It.IsAny<CancellationToken>())).ReturnsAsync(Mock.Of<Response<TableItem>>());
        var created = new TableCreatedOnFirstUse(table.Object);

        await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => created.EnsureCreatedAsync()));
        await created.EnsureCreatedAsync();

        table.Verify(t => t.CreateIfNotExistsAsync(It.IsAny<CancellationToken>()), Times.Once);
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
