using System.ComponentModel.DataAnnotations;

namespace FlexFunctions.Shared.CustomerAuth;

/// <summary>Settings under <c>CustomerSession</c>: the sealed session a store holds after login.</summary>
public sealed class CustomerSessionOptions
{
    public const string Section = "CustomerSession";

    /// <summary>How long a session is accepted after login; FlexShopper's token may expire sooner (then 401, log in again).</summary>
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromHours(12);

    /// <summary>
    /// Table holding the Data Protection key ring, shared by every instance. Empty (local runs): the default
    /// per-machine key folder is used.
    /// </summary>
    [RegularExpression("^$|^[A-Za-z][A-Za-z0-9]{2,62}$")]
    public string? KeyRingTable { get; set; }

    /// <summary>The Key Vault secret whose key seals the key ring at rest (one line, or two during a rotation: the new, then the old).</summary>
    [Required]
    public string KeyRingSecretName { get; set; } = "SessionKeyRingSecret";

    /// <summary>Local runs only (no <c>KeyVault__VaultUri</c>): the secret that seals the key ring, at least 32 characters.</summary>
    public string? KeyRingSecret { get; set; }
}
