namespace FlexFunctions.Shared.FlexShopper.Models;

/// <summary>
/// A customer token together with the Key Vault version of the API key that minted it. FlexShopper may suspend
/// accounts that see a token with another key, so the two never travel apart.
/// </summary>
public sealed record CustomerCredential(string Token, string KeyVersion)
{
    // Records print their members; a token must never reach a log line.
    public override string ToString() => $"CustomerCredential(KeyVersion={KeyVersion})";
}

/// <summary>Where FlexShopper sends a passcode.</summary>
public enum PasscodeTransport
{
    Sms,
    Email,
    All,
}

internal sealed record SendPasscodeBody(string Transport);

internal sealed record PasscodeLoginBody(string Passcode);

internal sealed record TokenData(string? Token);
