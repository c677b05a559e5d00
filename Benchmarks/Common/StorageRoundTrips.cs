using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Azure.Core;
using Azure.Core.Pipeline;
using FlexFunctions.Shared.Storage;

namespace FlexFunctions.Benchmarks.Common;

/// <summary>
/// The one storage model every benchmark uses: an Azure.Core policy on every storage client the benchmark builds (our
/// code's and the baseline's alike) that holds each request for <see cref="Latency"/>, as the network round trip to a
/// storage account does (loopback Azurite answers in well under a millisecond), and counts every request by kind.
/// Placed per retry, so a retried request pays the round trip again, as it would.
/// </summary>
public sealed class StorageRoundTrips : HttpPipelinePolicy
{
    private readonly ConcurrentDictionary<string, long> _kinds = new(StringComparer.Ordinal);
    private long _requests;
    private long _delayTicks;

    /// <summary>What each storage request waits before it is sent.</summary>
    public TimeSpan Latency { get; set; }

    /// <summary>For the app's graph: every storage client it builds gets this policy.</summary>
    public StoragePipelinePolicies Policies => new((this, HttpPipelinePosition.PerRetry));

    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>The wait actually applied per request on average (a timer rounds up; a busy machine adds more).</summary>
    public TimeSpan MeanAppliedLatency => Requests == 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _delayTicks) / Requests);

    /// <summary>Requests by kind, most first, e.g. <c>insert 8000, read 2000, insert→409 2000</c>.</summary>
    public string KindsText => _kinds.IsEmpty
        ? "none"
        : string.Join(", ", _kinds.OrderByDescending(k => k.Value).ThenBy(k => k.Key, StringComparer.Ordinal)
            .Select(k => string.Create(CultureInfo.InvariantCulture, $"{k.Key} {k.Value}")));

    public IReadOnlyDictionary<string, long> Kinds => _kinds;

    public void Reset()
    {
        _kinds.Clear();
        Interlocked.Exchange(ref _requests, 0);
        Interlocked.Exchange(ref _delayTicks, 0);
    }

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        ArgumentNullException.ThrowIfNull(message);
        var start = Stopwatch.GetTimestamp();
        if (Latency > TimeSpan.Zero)
        {
            Thread.Sleep(Latency);
        }

        var sent = Stopwatch.GetTimestamp();
        ProcessNext(message, pipeline);
        Record(message, start, sent, Stopwatch.GetTimestamp());
    }

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        ArgumentNullException.ThrowIfNull(message);
        var start = Stopwatch.GetTimestamp();
        if (Latency > TimeSpan.Zero)
        {
            await Task.Delay(Latency, message.CancellationToken).ConfigureAwait(false);
        }

        var sent = Stopwatch.GetTimestamp();
        await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
        Record(message, start, sent, Stopwatch.GetTimestamp());
    }

    private void Record(HttpMessage message, long start, long sent, long end)
    {
        Interlocked.Increment(ref _requests);
        Interlocked.Add(ref _delayTicks, sent - start);
        var kind = KindOf(message.Request.Method, message.Request.Uri.Path);
        var status = message.HasResponse ? message.Response.Status : 0;
        _kinds.AddOrUpdate(status is >= 200 and < 300 ? kind : string.Create(CultureInfo.InvariantCulture, $"{kind}→{status}"), 1, (_, n) => n + 1);
        Flow.Current?.Add(start, end, storage: true);
    }

    /// <summary>What a Table or Queue REST request does, from its method and path.</summary>
    public static string KindOf(RequestMethod method, string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Contains("/messages", StringComparison.Ordinal))
        {
            return method == RequestMethod.Post ? "queue send" : method == RequestMethod.Get ? "queue receive" : method == RequestMethod.Delete ? "queue delete" : "queue update";
        }

        if (path.EndsWith("$batch", StringComparison.Ordinal))
        {
            return "table batch";
        }

        if (path.EndsWith("/Tables", StringComparison.Ordinal) || path.Contains("/Tables(", StringComparison.Ordinal))
        {
            return "table admin";
        }

        if (path.Contains("(PartitionKey=", StringComparison.Ordinal))
        {
            return method == RequestMethod.Get ? "read" : method == RequestMethod.Put ? "replace" : method == RequestMethod.Delete ? "delete" : "merge";
        }

        return method == RequestMethod.Get ? "query" : method == RequestMethod.Post ? "insert" : "queue admin";
    }
}

/// <summary>
/// Times each call to the fake FlexShopper from inside the typed client (innermost handler), into the current
/// <see cref="Flow"/>: with the storage requests, what a request waited for rather than computed.
/// </summary>
public sealed class UpstreamWaits : DelegatingHandler
{
    private static long _calls;

    public static long Calls => Interlocked.Read(ref _calls);

    public static void Reset() => Interlocked.Exchange(ref _calls, 0);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        // The whole body is read inside (ResponseContentRead): the wait includes it.
        Interlocked.Increment(ref _calls);
        Flow.Current?.Add(start, Stopwatch.GetTimestamp(), storage: false);
        return response;
    }
}

/// <summary>
/// The storage requests and upstream calls one item (a request, a delivery, a refresh) made, with their times, so the
/// round trips in sequence on its critical path and its waits can be told apart from its own work. Set as current for
/// the async flow that handles the item; parallel branches of that flow record into it too.
/// </summary>
public sealed class Flow
{
    private static readonly AsyncLocal<Flow?> CurrentFlow = new();
    private readonly List<(long Start, long End, bool Storage)> _spans = [];

    public static Flow? Current => CurrentFlow.Value;

    /// <summary>A new flow, current from here on in the calling async method and whatever it awaits.</summary>
    public static Flow Begin() => CurrentFlow.Value = new Flow();

    /// <summary>No flow is current any more.</summary>
    public static void End() => CurrentFlow.Value = null;

    public void Add(long start, long end, bool storage)
    {
        lock (_spans)
        {
            _spans.Add((start, end, storage));
        }
    }

    public int StorageRequests
    {
        get
        {
            lock (_spans)
            {
                return _spans.Count(s => s.Storage);
            }
        }
    }

    /// <summary>
    /// The storage round trips in sequence: the longest chain of storage requests each sent after the previous one
    /// answered (requests in flight together count once).
    /// </summary>
    public int StorageInSequence(long? before = null)
    {
        lock (_spans)
        {
            var chain = 0;
            var lastEnd = long.MinValue;
            foreach (var (start, end, _) in _spans.Where(s => s.Storage && (before is null || s.End <= before)).OrderBy(s => s.End))
            {
                if (start >= lastEnd)
                {
                    chain++;
                    lastEnd = end;
                }
            }

            return chain;
        }
    }

    /// <summary>When the first upstream call started (null: none), to count what happened before it.</summary>
    public long? FirstUpstreamStart
    {
        get
        {
            lock (_spans)
            {
                return _spans.Where(s => !s.Storage).Select(s => (long?)s.Start).Min();
            }
        }
    }

    /// <summary>Time spent waiting on storage or upstream (overlapping waits counted once).</summary>
    public TimeSpan Waiting
    {
        get
        {
            lock (_spans)
            {
                long total = 0, start = 0, end = long.MinValue;
                foreach (var span in _spans.OrderBy(s => s.Start))
                {
                    if (span.Start > end)
                    {
                        total += end > start ? end - start : 0;
                        (start, end) = (span.Start, span.End);
                    }
                    else if (span.End > end)
                    {
                        end = span.End;
                    }
                }

                total += end > start ? end - start : 0;
                return Stopwatch.GetElapsedTime(0, total);
            }
        }
    }
}
