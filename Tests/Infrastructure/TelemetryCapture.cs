using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using FlexFunctions.Shared.Observability;
using Microsoft.Extensions.Logging.Testing;
using OpenTelemetry;

namespace FlexFunctions.Tests.Infrastructure;

/// <summary>One span as the app's OpenTelemetry pipeline exported it (after every processor ran).</summary>
public sealed record ExportedSpan(
    string Source, string Name, ActivityKind Kind, string TraceId, string SpanId, string? ParentSpanId, TimeSpan Duration,
    ActivityStatusCode Status, string? StatusDescription, IReadOnlyList<KeyValuePair<string, string?>> Tags,
    IReadOnlyList<string> Events, IReadOnlyList<string> Links)
{
    public string? Tag(string name) => Tags.FirstOrDefault(t => t.Key == name).Value;

    /// <summary>Everything the span carries, as one string, for redaction checks.</summary>
    public string AllText() =>
        $"{Source} {Name} {StatusDescription} {string.Join(" ", Tags.Select(t => t.Key + "=" + t.Value))} {string.Join(" ", Events)} {string.Join(" ", Links)}";
}

/// <summary>An OpenTelemetry exporter that keeps what it is given, as the Azure Monitor exporter would receive it.</summary>
public sealed class SpanCapture : BaseExporter<Activity>
{
    private readonly ConcurrentQueue<ExportedSpan> _spans = new();

    public IReadOnlyList<ExportedSpan> Spans => [.. _spans];

    public override ExportResult Export(in Batch<Activity> batch)
    {
        foreach (var a in batch)
        {
            _spans.Enqueue(new ExportedSpan(
                a.Source.Name, a.DisplayName, a.Kind, a.TraceId.ToHexString(), a.SpanId.ToHexString(),
                a.ParentSpanId == default ? null : a.ParentSpanId.ToHexString(), a.Duration, a.Status, a.StatusDescription,
                a.TagObjects.Select(t => new KeyValuePair<string, string?>(t.Key, Convert.ToString(t.Value, CultureInfo.InvariantCulture))).ToList(),
                a.Events.Select(e => e.Name + " " + string.Join(" ", e.Tags.Select(t => t.Key + "=" + t.Value))).ToList(),
                a.Links.Select(l => l.Context.TraceId.ToHexString() + "/" + l.Context.SpanId.ToHexString()).ToList()));
        }

        return ExportResult.Success;
    }

    /// <summary>The spans of one trace as an indented tree: name, kind, duration and the tags that tell the story.</summary>
    public static string Render(IReadOnlyList<ExportedSpan> trace)
    {
        var text = new StringBuilder();
        var ids = trace.Select(s => s.SpanId).ToHashSet();
        void Walk(ExportedSpan span, int depth)
        {
            var tags = string.Join(" ", span.Tags.Where(t => t.Key is "flexshopper.operation" or "outcome" or "http.request.method" or "http.response.status_code"
                or "url.full" or "az.namespace" or "abuse_limit.scope" or "warehouse.delivery").Select(t => $"{t.Key}={t.Value}"));
            text.Append(CultureInfo.InvariantCulture, $"{new string(' ', depth * 2)}{span.Name} [{span.Source}, {span.Kind}, {span.Duration.TotalMilliseconds:F1} ms{(span.Status == ActivityStatusCode.Error ? ", error" : "")}] {tags}\n");
            foreach (var child in trace.Where(c => c.ParentSpanId == span.SpanId).OrderBy(c => c.SpanId, StringComparer.Ordinal))
            {
                Walk(child, depth + 1);
            }
        }

        foreach (var root in trace.Where(s => s.ParentSpanId is null || !ids.Contains(s.ParentSpanId)))
        {
            Walk(root, 0);
        }

        return text.ToString();
    }
}

/// <summary>
/// Everything every app the test run builds emits: log records (after redaction), exported spans, and every metric
/// measurement of the app's meters with its tags. The suite-wide redaction test reads it.
/// </summary>
public static class SuiteTelemetry
{
    private static readonly ConcurrentQueue<string> MeasurementText = new();
    private static readonly MeterListener Listener = StartListener();

    public static FakeLogCollector Logs { get; } = new();

    public static SpanCapture Spans { get; } = new();

    public static IReadOnlyList<string> Measurements
    {
        get
        {
            GC.KeepAlive(Listener);
            return [.. MeasurementText];
        }
    }

    private static MeterListener StartListener()
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (ObservabilityRegistration.Meters.Contains(instrument.Meter.Name))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
        listener.Start();
        return listener;
    }

    private static void Record<T>(Instrument instrument, T value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var text = new StringBuilder(instrument.Meter.Name).Append(' ').Append(instrument.Name).Append(' ').Append(value);
        foreach (var tag in tags)
        {
            text.Append(' ').Append(tag.Key).Append('=').Append(tag.Value);
        }

        MeasurementText.Enqueue(text.ToString());
    }

    /// <summary>Starts capturing measurements; called by every app the tests build.</summary>
    internal static void EnsureListening() => GC.KeepAlive(Listener);
}
