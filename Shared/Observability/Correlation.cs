using System.Diagnostics;

namespace FlexFunctions.Shared.Observability;

/// <summary>
/// The correlation id an operator searches for: the W3C trace id of the current operation, so one id finds the
/// incoming request, every FlexShopper call and every table operation it caused.
/// </summary>
public static class Correlation
{
    /// <summary>Response header carrying the id back to HTTP callers.</summary>
    public const string Header = "X-Correlation-Id";

    /// <summary>The current trace id (32 hex characters), or null outside any trace.</summary>
    public static string? CurrentId =>
        Activity.Current is { } activity && activity.TraceId != default ? activity.TraceId.ToHexString() : null;

    /// <summary>The current W3C <c>traceparent</c>, for messages that continue this trace elsewhere (queue events).</summary>
    public static string? CurrentTraceParent =>
        Activity.Current is { IdFormat: ActivityIdFormat.W3C } activity ? activity.Id : null;

    /// <summary>
    /// Starts a span that continues the trace a message carried in its <c>traceparent</c> (when valid), so a
    /// replayed or forwarded event stays one journey; otherwise the span joins the current trace.
    /// </summary>
    public static Activity? StartLinked(string name, ActivityKind kind, string? traceParent)
    {
        if (traceParent is not null && ActivityContext.TryParse(traceParent, null, out var carried))
        {
            // The current trace (the queue trigger's) stays the parent; the carried one is linked, so both are findable.
            var links = new[] { new ActivityLink(carried) };
            return FlexTelemetry.Source.StartActivity(kind, links: links, name: name);
        }

        return FlexTelemetry.Source.StartActivity(name, kind);
    }
}
