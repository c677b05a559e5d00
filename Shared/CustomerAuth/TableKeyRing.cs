using System.Xml.Linq;
using Azure;
using Azure.Data.Tables;
using FlexFunctions.Shared.Dependencies;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace FlexFunctions.Shared.CustomerAuth;

/// <summary>
/// The Data Protection key ring in a table, so every instance of the app opens sessions sealed by any other.
/// (The Blob-backed package is not available to this build.) Keys rest sealed by <see cref="KeyRingSeal"/>, so a copy
/// of the table alone opens no session.
/// </summary>
public sealed class TableKeyRing(TableClient table) : IXmlRepository
{
    /// <summary>Longest a read or write of the key ring may take, the SDK's retries included.</summary>
    internal static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(5);

    /// <summary>How long after a failed call the table is not asked again.</summary>
    internal static readonly TimeSpan FailureMemory = TimeSpan.FromSeconds(10);

    private const string Partition = "keyring";
    private readonly Lock _gate = new();
    private int _created;
    private (long Until, Exception Cause)? _failed;

    public IReadOnlyCollection<XElement> GetAllElements() => Call(cancellationToken =>
    {
        EnsureTable(cancellationToken);
        // A filter string, not a LINQ lambda: the SDK's expression translator refuses an instrumented lambda (mutation testing).
        return table.Query<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {Partition}"), cancellationToken: cancellationToken)
            .Select(e => XElement.Parse(e.GetString("Xml")))
            .ToList();
    });

    public void StoreElement(XElement element, string friendlyName) => Call(cancellationToken =>
    {
        EnsureTable(cancellationToken);
        var row = string.IsNullOrWhiteSpace(friendlyName) ? Guid.NewGuid().ToString("N") : friendlyName;
        return table.UpsertEntity(new TableEntity(Partition, row) { ["Xml"] = element.ToString(SaveOptions.DisableFormatting) }, cancellationToken: cancellationToken);
    });

    /// <summary>
    /// Data Protection reads the key ring under a lock, synchronously, and every waiting request reads it again when
    /// it fails: with storage down that queues each customer request behind the SDK's retries of all the others.
    /// So a call is bounded, and for a short while after a failure the table is not asked: the request fails at
    /// once (an outage, answered 503) and one a little later tries again.
    /// </summary>
    private T Call<T>(Func<CancellationToken, T> call)
    {
        lock (_gate)
        {
            if (_failed is { } failed && Environment.TickCount64 < failed.Until)
            {
                throw new RequestFailedException(0, "The session key ring's table could not be reached moments ago; not asked again yet.", failed.Cause);
            }
        }

        using var timeout = new CancellationTokenSource(CallTimeout);
        try
        {
            return call(timeout.Token);
        }
        catch (Exception ex) when (DependencyOutage.Is(ex))
        {
            lock (_gate)
            {
                _failed = (Environment.TickCount64 + (long)FailureMemory.TotalMilliseconds, ex);
            }

            throw;
        }
    }

    private void EnsureTable(CancellationToken cancellationToken)
    {
        // Marked created only once creation succeeded: storage down at the first call must not break sessions for good.
        if (Volatile.Read(ref _created) == 0)
        {
            table.CreateIfNotExists(cancellationToken);
            Volatile.Write(ref _created, 1);
        }
    }
}
