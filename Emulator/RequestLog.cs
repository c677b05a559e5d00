namespace FlexShopper.Emulator;

/// <summary>Every v3 request the emulator saw: method, path, status and fault, never a header, query or body.</summary>
public sealed partial class EmulatorState
{
    private readonly List<RequestRecord> _requests = [];

    public IReadOnlyList<RequestRecord> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    internal void Record(RequestRecord record)
    {
        lock (_gate)
        {
            _requests.Add(record);
            if (_requests.Count > 10_000)
            {
                _requests.RemoveRange(0, 1_000); // a long local session must not grow without bound
            }
        }
    }

    private void ResetRequests() => _requests.Clear();
}

public static partial class EmulatorApp
{
    private static void MapRequestLogAdmin(RouteGroupBuilder admin, EmulatorState state) =>
        admin.MapGet("/requests", () => Results.Json([.. state.Requests], Json.ListRequestRecord));
}
