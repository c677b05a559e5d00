using System.Globalization;
using System.Net.Sockets;
using System.Security.Cryptography;
using Azure;
using Azure.Identity;
using FlexFunctions.Shared.FlexShopper;
using FlexFunctions.Shared.Secrets;

namespace FlexFunctions.Shared.Dependencies;

/// <summary>
/// The one rule for "a dependency of ours failed" (Table and Queue Storage, Key Vault, the app's Azure identity), in
/// every shape the Azure SDK surfaces it: <see cref="RequestFailedException"/> (status 0 when no answer came),
/// <see cref="AggregateException"/> once its retries are spent, transport errors, its own timeouts, Azure.Identity's
/// failures, and Data Protection's <see cref="CryptographicException"/> wrapping a key ring that could not be read.
/// Callers answer 503 with <see cref="RetryAfter"/>, or let a queue redeliver; never a 500, never "log in again".
/// </summary>
public static class DependencyOutage
{
    /// <summary>What a caller is told to wait before trying again.</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(5);

    private const int MaxDepth = 8;

    /// <summary>
    /// True when <paramref name="exception"/> is a dependency of ours failing. A cancellation of
    /// <paramref name="callerCancellation"/> is the caller's doing, not an outage; any other cancellation is the
    /// SDK's own timeout.
    /// </summary>
    public static bool Is(Exception exception, CancellationToken callerCancellation = default)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return !(callerCancellation.IsCancellationRequested && Contains<OperationCanceledException>(exception)) && IsOutage(exception, 0);
    }

    /// <summary>The storage or vault status behind the failure (0 when none answered), for log lines.</summary>
    public static int StatusOf(Exception exception) => Find<RequestFailedException>(exception)?.Status ?? 0;

    /// <summary>What failed, in words safe for a log line: exception types and statuses, never a message (it can hold a URL).</summary>
    public static string Describe(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var parts = new List<string>();
        for (Exception? e = exception; e is not null && parts.Count < MaxDepth; e = e is AggregateException many ? many.InnerExceptions.FirstOrDefault() : e.InnerException)
        {
            parts.Add(e is RequestFailedException failed
                ? string.Create(CultureInfo.InvariantCulture, $"{nameof(RequestFailedException)} {failed.Status}{(failed.ErrorCode is null ? "" : " " + failed.ErrorCode)}")
                : e is AggregateException all ? string.Create(CultureInfo.InvariantCulture, $"{nameof(AggregateException)} of {all.InnerExceptions.Count}") : e.GetType().Name);
        }

        return string.Join(" <- ", parts);
    }

    private static bool IsOutage(Exception exception, int depth) => depth <= MaxDepth && exception switch
    {
        // FlexShopper's failures and a key version that is really gone have their own answers.
        FlexShopperApiException or ApiKeyUnavailableException => false,
        // 400 (and the like) means we sent something malformed: a bug to see as a 500, not an outage to wait out.
        RequestFailedException failed => failed.Status is 0 or 401 or 403 or 404 or 408 or 409 or 412 or 429 or >= 500,
        // CredentialUnavailableException derives from it: the managed identity endpoint or the token service failed.
        AuthenticationFailedException => true,
        HttpRequestException or SocketException or TimeoutException => true,
        OperationCanceledException => true,
        AggregateException many => many.InnerExceptions.Count > 0 && many.InnerExceptions.All(e => IsOutage(e, depth + 1)),
        // Data Protection turns a key ring it could not load into a CryptographicException holding the cause.
        CryptographicException { InnerException: { } inner } => IsOutage(inner, depth + 1),
        _ => false,
    };

    private static bool Contains<T>(Exception exception)
        where T : Exception => Find<T>(exception) is not null;

    private static T? Find<T>(Exception? exception, int depth = 0)
        where T : Exception
    {
        if (exception is null || depth > MaxDepth)
        {
            return null;
        }

        if (exception is T found)
        {
            return found;
        }

        return exception is AggregateException many
            ? many.InnerExceptions.Select(e => Find<T>(e, depth + 1)).FirstOrDefault(e => e is not null)
            : Find<T>(exception.InnerException, depth + 1);
    }
}
