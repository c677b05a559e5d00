using System.ComponentModel.DataAnnotations;

namespace FlexFunctions.Shared.Secrets;

/// <summary>Settings under <c>KeyVault</c> (app setting names <c>KeyVault__*</c>).</summary>
public sealed class KeyVaultOptions
{
    public const string Section = "KeyVault";

    /// <summary>e.g. <c>https://my-vault.vault.azure.net/</c>. Empty for local runs: the key then comes from <c>FlexShopper__ApiKey</c>.</summary>
    public Uri? VaultUri { get; set; }

    [Required]
    public string ApiKeySecretName { get; set; } = "FlexShopperApiKey";

    [Required]
    public string WebhookSecretName { get; set; } = "WebhookSigningSecret";

    /// <summary>How long the current key is trusted before Key Vault is asked again.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromMinutes(5);
}
