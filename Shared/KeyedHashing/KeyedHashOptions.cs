using System.ComponentModel.DataAnnotations;

namespace FlexFunctions.Shared.KeyedHashing;

/// <summary>
/// Settings under <c>KeyedHashing</c>: the secret that keys every hash the app stores as a table key (customer ids,
/// client IPs, idempotency keys and their requests), so a copy of the tables does not give those identifiers back.
/// </summary>
public sealed class KeyedHashOptions
{
    public const string Section = "KeyedHashing";

    /// <summary>Smallest secret accepted: 32 characters (<c>openssl rand -base64 32</c> gives 44).</summary>
    public const int MinimumSecretLength = 32;

    /// <summary>The Key Vault secret holding it: one line, or two (the new, then the old) during a rotation.</summary>
    [Required]
    public string SecretName { get; set; } = "TableKeySecret";

    /// <summary>Local runs only, used when <c>KeyVault__VaultUri</c> is empty.</summary>
    public string? Secret { get; set; }
}
