using Azure.Data.Tables;

namespace FlexFunctions.Shared.Storage;

/// <summary>
/// A table created the first time it is needed, once per process. Unlike a cached <c>Lazy&lt;Task&gt;</c>, a creation
/// that failed (storage briefly unreachable at start) is tried again on the next call instead of failing forever.
/// </summary>
public sealed class TableCreatedOnFirstUse(TableClient table)
{
    private readonly Lock _gate = new();
    private Task? _creation;

    public TableClient Table { get; } = table;

    public Task EnsureCreatedAsync(CancellationToken cancellationToken = default)
    {
        Task creation;
        lock (_gate)
        {
            if (_creation is null || _creation.IsFaulted || _creation.IsCanceled)
            {
                // Not tied to one caller's token: a cancelled request must not cancel creation for the others.
                _creation = Table.CreateIfNotExistsAsync(CancellationToken.None);
            }

            creation = _creation;
        }

        return creation.IsCompletedSuccessfully ? Task.CompletedTask : creation.WaitAsync(cancellationToken);
    }
}
