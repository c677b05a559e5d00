using System.ComponentModel.DataAnnotations;

namespace FlexFunctions.Shared.AbuseLimits;

/// <summary>Settings under <c>AbuseLimits</c> (app setting names <c>AbuseLimits__*</c>): how often one customer or one client IP may ask.</summary>
public sealed class AbuseLimitsOptions
{
    public const string Section = "AbuseLimits";

    /// <summary>Passcodes (SMS or email) one customer may request per <see cref="Window"/>.</summary>
    [Range(1, 10_000)]
    public int PasscodeRequestsPerCustomer { get; set; } = 5;

    /// <summary>Passcodes requested from one client IP per <see cref="Window"/>, whichever customers they are for.</summary>
    [Range(1, 100_000)]
    public int PasscodeRequestsPerClientIp { get; set; } = 20;

    [Range(1, 10_000)]
    public int LoginAttemptsPerCustomer { get; set; } = 10;

    [Range(1, 100_000)]
    public int LoginAttemptsPerClientIp { get; set; } = 30;

    /// <summary>The fixed window every counter above is reset after.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Wrong passcodes in a row (within <see cref="Window"/>) that lock the customer's passcode login.</summary>
    [Range(1, 1_000)]
    public int FailedLoginsBeforeLockout { get; set; } = 5;

    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan LockoutDuration { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// How long an admitted login holds its place against the lockout while FlexShopper judges the passcode. The call
    /// is cut before this runs out, so keep it above <c>FlexShopper__TotalTimeout</c>; an instance that dies
    /// mid-login frees the place after this long.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:05", "00:10:00")]
    public TimeSpan LoginAttemptHold { get; set; } = TimeSpan.FromMinutes(1);
}
