using System.Diagnostics;
using OpenTelemetry;

namespace FlexFunctions.Shared.Observability;

/// <summary>
/// Cuts paths and queries out of outgoing-request spans before any exporter sees them. FlexShopper paths carry
/// customer emails (user lookup) and user ids, and storage paths carry table keys; the parent span already names
/// the operation, so only scheme and host are kept.
/// </summary>
internal sealed class UrlRedactingProcessor : BaseProcessor<Activity>
{
    private static readonly string[] UrlTags = ["url.full", "http.url"];
    private static readonly string[] DroppedTags = ["url.path", "url.query", "http.target"];

    public override void OnEnd(Activity data)
    {
        foreach (var name in UrlTags)
        {
            if (data.GetTagItem(name) is string url)
            {
                data.SetTag(name, Redact(url));
            }
        }

        foreach (var name in DroppedTags)
        {
            if (data.GetTagItem(name) is not null)
            {
                data.SetTag(name, null);
            }
        }

        // Some sources put the URL in the status text of a failed request.
        if (data.StatusDescription is { } status && status.Contains("://", StringComparison.Ordinal))
        {
            data.SetStatus(data.Status, "Request failed (URL removed).");
        }
    }

    internal static string Redact(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) ? $"{uri.Scheme}://{uri.Authority}/[redacted]" : "[redacted]";
}
