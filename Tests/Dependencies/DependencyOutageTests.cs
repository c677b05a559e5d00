using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Azure;
using Azure.Data.Tables;
using Azure.Identity;
using FlexFunctions.Shared.Dependencies;
using FlexFunctions.Shared.FlexShopper;
using FlexFunctions.Shared.Secrets;
using FlexFunctions.Tests.Infrastructure;

namespace FlexFunctions.Tests.Dependencies;

/// <summary>The one rule for "a dependency of ours failed", over the shapes the Azure SDK really throws.</summary>
public sealed class DependencyOutageTests
{
    public static TheoryData<string, Exception, bool> Shapes => new()
    {
        { "no answer (status 0)", new RequestFailedException(0, "No connection could be made"), true },
        { "503 ServerBusy", new RequestFailedException(503, "busy", "ServerBusy", null), true },
        { "500", new RequestFailedException(500, "internal"), true },
        { "429 throttled", new RequestFailedException(429, "throttled"), true },
        { "408", new RequestFailedException(408, "timeout"), true },
        { "403 our identity refused", new RequestFailedException(403, "AuthorizationPermissionMismatch"), true },
        { "412 lost a race we could not settle", new RequestFailedException(412, "changed"), true },
        { "400 we sent something malformed", new RequestFailedException(400, "OutOfRangeInput", "OutOfRangeInput", null), false },
        { "413 too large", new RequestFailedException(413, "RequestBodyTooLarge"), false },
        { "retries spent", new AggregateException("Retry failed after 4 tries.", Enumerable.Repeat(new RequestFailedException(0, "refused", new HttpRequestException("refused")), 4)), true },
        { "retries spent on a bug", new AggregateException(new RequestFailedException(0, "refused"), new ArgumentException("bug")), false },
        { "transport", new HttpRequestException("Connection refused", new SocketException((int)SocketError.ConnectionRefused)), true },
        { "socket", new SocketException((int)SocketError.ConnectionReset), true },
        { "the SDK's own timeout", new TaskCanceledException("The operation was cancelled because it exceeded the configured timeout of 0:01:40."), true },
        { "timeout", new TimeoutException(), true },
        { "managed identity unavailable", new CredentialUnavailableException("ManagedIdentityCredential authentication unavailable."), true },
        { "token request failed", new AuthenticationFailedException("ManagedIdentityCredential authentication failed."), true },
        { "key ring unreadable", new CryptographicException("An error occurred during a cryptographic operation.", new AggregateException(new RequestFailedException(0, "refused"))), true },
        { "forged session", new CryptographicException("The payload was invalid."), false },
        { "FlexShopper down (its own answer)", new FlexShopperApiException(FlexShopperErrorKind.Transient, HttpStatusCode.ServiceUnavailable, null, "down"), false },
        { "key version gone (log in again)", new ApiKeyUnavailableException("v0", "deleted"), false },
        { "a bug", new InvalidOperationException("bug"), false },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Each_shape_is_or_is_not_an_outage(string shape, Exception exception, bool outage) =>
        Assert.True(DependencyOutage.Is(exception) == outage, $"{shape}: {DependencyOutage.Describe(exception)}");

    [Fact]
    public void The_callers_own_cancellation_is_not_an_outage()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.False(DependencyOutage.Is(new OperationCanceledException(cancelled.Token), cancelled.Token));
        Assert.False(DependencyOutage.Is(new AggregateException(new TaskCanceledException()), cancelled.Token));
        Assert.True(DependencyOutage.Is(new TaskCanceledException(), CancellationToken.None));
    }

    [Fact]
    public void The_description_names_types_and_statuses_never_a_message()
    {
        var error = new AggregateException(new RequestFailedException(503, "https://acct.table.core.windows.net/?sig=SECRET-SAS", "ServerBusy", null));

        var described = DependencyOutage.Describe(error);

        Assert.Equal("AggregateException of 1 <- RequestFailedException 503 ServerBusy", described);
        Assert.Equal(503, DependencyOutage.StatusOf(error));
    }

    [Fact]
    public async Task A_table_refusing_connections_fails_in_a_shape_that_is_an_outage()
    {
        var closed = Azurite.FreePort();
        var options = new TableClientOptions();
        options.Retry.MaxRetries = 2;
        options.Retry.Delay = TimeSpan.FromMilliseconds(10);
        var table = new TableClient(Azurite.ConnectionStringFor(closed, closed, closed), "outage", options);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => table.GetEntityIfExistsAsync<TableEntity>("p", "r"));

        Assert.IsType<AggregateException>(error);
        Assert.True(DependencyOutage.Is(error), DependencyOutage.Describe(error));
        Assert.Equal(0, DependencyOutage.StatusOf(error));
    }

    [Fact]
    public async Task A_table_that_never_answers_fails_on_the_SDKs_own_timeout_which_is_an_outage_unless_the_caller_cancelled()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0); // accepts connections, never answers
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        var options = new TableClientOptions();
        options.Retry.MaxRetries = 1;
        options.Retry.Delay = TimeSpan.FromMilliseconds(10);
        options.Retry.NetworkTimeout = TimeSpan.FromMilliseconds(200);
        var table = new TableClient(Azurite.ConnectionStringFor(port, port, port), "outage", options);

        var timedOut = await Assert.ThrowsAnyAsync<Exception>(() => table.GetEntityIfExistsAsync<TableEntity>("p", "r"));
        using var caller = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        var cancelled = await Assert.ThrowsAnyAsync<Exception>(() => table.GetEntityIfExistsAsync<TableEntity>("p", "r", cancellationToken: caller.Token));

        Assert.True(DependencyOutage.Is(timedOut), DependencyOutage.Describe(timedOut));
        Assert.False(DependencyOutage.Is(cancelled, caller.Token), DependencyOutage.Describe(cancelled));
    }
}
