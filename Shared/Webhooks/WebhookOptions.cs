using System.ComponentModel.DataAnnotations;

namespace FlexFunctions.Shared.Webhooks;

/// <summary>Settings under <c>Webhook</c>: the optional HMAC signature on calls from the store.</summary>
public sealed class WebhookOptions
{
    public const string Section = "Webhook";

    /// <summary>When true every <c>/api/v1/</c> call must carry a valid <see cref="WebhookSignature.Header"/>.</summary>
    public bool RequireSignature { get; set; }

    /// <summary>Local runs only: the shared secret when no Key Vault is configured.</summary>
    public string? SigningSecret { get; set; }

    /// <summary>How far the signed timestamp may be from now, either way.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan Tolerance { get; set; } = TimeSpan.FromMinutes(5);
}
