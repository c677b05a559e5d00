using Azure.Core;
using Azure.Core.Pipeline;

namespace FlexFunctions.Tests.Infrastructure;

/// <summary>Counts the requests a storage client sends (added to its pipeline), for tests that pin round trips.</summary>
internal sealed class StorageRequestCounter : HttpPipelineSynchronousPolicy
{
    private int _count;

    public int Count => Volatile.Read(ref _count);

    public override void OnSendingRequest(HttpMessage message) => Interlocked.Increment(ref _count);
}
