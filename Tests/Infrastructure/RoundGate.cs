namespace FlexFunctions.Tests.Infrastructure;

/// <summary>
/// Makes concurrent callers really overlap: each round, every live caller reports once (its request is held at the
/// upstream fake, or it was refused before reaching it) and nobody goes on until all have. The fake's answers are
/// therefore held until every caller is waiting, whatever the machine's scheduling.
/// </summary>
public sealed class RoundGate(int callers)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly Lock _lock = new();
    private TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _live = callers;
    private int _reported;
    private int _heldAtUpstream;
    private int _upstreamRequests;

    /// <summary>Most requests the fake held at once: proof the callers overlapped there.</summary>
    public int MostHeldTogether { get; private set; }

    /// <summary>Requests that reached the fake, counted by the fake itself.</summary>
    public int UpstreamRequests
    {
        get
        {
            lock (_lock)
            {
                return _upstreamRequests;
            }
        }
    }

    /// <summary>Called by the fake for each request: waits until the round is complete.</summary>
    public Task HoldAtUpstreamAsync()
    {
        lock (_lock)
        {
            _upstreamRequests++;
            _heldAtUpstream++;
            MostHeldTogether = Math.Max(MostHeldTogether, _heldAtUpstream);
            return Report();
        }
    }

    /// <summary>Called by a caller refused before the upstream: waits for the others before trying again.</summary>
    public Task RefusedAsync()
    {
        lock (_lock)
        {
            return Report();
        }
    }

    /// <summary>A caller that is done takes no part in later rounds.</summary>
    public void Leave()
    {
        lock (_lock)
        {
            _live--;
            OpenIfComplete();
        }
    }

    private Task Report()
    {
        _reported++;
        var round = _open.Task;
        OpenIfComplete();
        return round.WaitAsync(Patience);
    }

    private void OpenIfComplete()
    {
        if (_reported > 0 && _reported >= _live)
        {
            _open.SetResult();
            _open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _reported = 0;
            _heldAtUpstream = 0;
        }
    }
}
