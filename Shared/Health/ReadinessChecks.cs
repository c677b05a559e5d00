using Azure;
using Azure.Data.Tables;
using Azure.Security.KeyVault.Secrets;
using FlexFunctions.Shared.Confirmations;
using FlexFunctions.Shared.FlexShopper;
using FlexFunctions.Shared.Secrets;
using FlexFunctions.Shared.Storage;
using FlexFunctions.Shared.Webhooks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace FlexFunctions.Shared.Health;

// Each check says what it found in words an operator can act on; none repeats an exception message, which may
// carry a URL or an upstream's echo of what we sent.

/// <summary>Key Vault: the API key secret can be read with the app's identity.</summary>
internal sealed class KeyVaultCheck(IOptions<KeyVaultOptions> options, IServiceProvider services) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var vault = options.Value;
        if (vault.VaultUri is null)
        {
            return HealthCheckResult.Healthy("No Key Vault configured: the API key comes from FlexShopper__ApiKey (local runs only).");
        }

        try
        {
            var secrets = services.GetRequiredService<SecretClient>();
            var secret = await secrets.GetSecretAsync(vault.ApiKeySecretName, null, cancellationToken).ConfigureAwait(false);
            return string.IsNullOrEmpty(secret.Value.Value)
                ? HealthCheckResult.Unhealthy($"Secret '{vault.ApiKeySecretName}' is empty.")
                : HealthCheckResult.Healthy($"Secret '{vault.ApiKeySecretName}' readable.");
        }
        catch (RequestFailedException ex)
        {
            return VaultFailed(ex.Status switch
            {
                401 or 403 => $"Key Vault refused the app's identity ({ex.Status}): check its Key Vault Secrets User role.",
                404 => $"Secret '{vault.ApiKeySecretName}' does not exist: set it (see README, Deploy to Azure).",
                _ => $"Key Vault answered {ex.Status}.",
            });
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return VaultFailed($"Key Vault could not be reached ({ex.GetType().Name}).");
        }
    }

    /// <summary>
    /// With the API key (and the signing secret, when signatures are required) already cached, the instance keeps
    /// serving through a vault outage: Degraded, so a probe does not take every instance out at once. Unhealthy otherwise.
    /// </summary>
    private HealthCheckResult VaultFailed(string why)
    {
        var cached = services.GetService<IApiKeyProvider>() is KeyVaultApiKeyProvider { CachedVersion: { } version } ? version : null;
        var signature = services.GetRequiredService<WebhookSignature>();
        return cached is not null && (!signature.Required || signature.HasCachedSecret)
            ? HealthCheckResult.Degraded($"{why} Serving with the cached API key version {cached} until it answers.")
            : HealthCheckResult.Unhealthy(why);
    }
}

/// <summary>Table Storage: the service answers, and which of the app's tables exist yet (the code creates them on first use).</summary>
internal sealed class TablesCheck(TableServiceClient tables, IOptions<TableNames> names) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var wanted = new[] { names.Value.Catalog, names.Value.CatalogRuns, names.Value.ConfirmationLedger, names.Value.FailedEvents, names.Value.Idempotency, names.Value.RateLimits };
        try
        {
            var present = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            await foreach (var table in tables.QueryAsync(maxPerPage: 1000, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                present.Add(table.Name);
            }

            var missing = wanted.Where(t => !present.Contains(t)).ToList();
            return HealthCheckResult.Healthy(missing.Count == 0
                ? "All tables present."
                : $"Reachable; not created yet: {string.Join(", ", missing)}.");
        }
        catch (RequestFailedException ex)
        {
            return HealthCheckResult.Unhealthy($"Table Storage answered {ex.Status}{(ex.Status is 401 or 403 ? ": check the identity's Storage Table Data Contributor role" : "")}.");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy($"Table Storage could not be reached ({ex.GetType().Name}).");
        }
    }
}

/// <summary>
/// Queue Storage: the warehouse queue exists; its depth, and each poison queue's depth and oldest message's age, are
/// reported. Degraded (still serving) when the poison function is not draining <c>-poison</c> (a message older than
/// <see cref="PoisonQueues.StuckAfter"/>) or anything sits on <c>-poison-poison</c>, which nothing drains.
/// </summary>
internal sealed class QueuesCheck(WarehouseQueue warehouse, PoisonQueues poisonQueues) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var queue = warehouse.Client;
        try
        {
            var properties = await queue.GetPropertiesAsync(cancellationToken).ConfigureAwait(false);
            var data = new Dictionary<string, object> { ["messages"] = properties.Value.ApproximateMessagesCount };
            var depths = await poisonQueues.SampleAsync(cancellationToken).ConfigureAwait(false);
            var poison = depths.Single(d => d.Kind == FailedEventKinds.PoisonQueue);
            var poisonPoison = depths.Single(d => d.Kind == FailedEventKinds.PoisonPoisonQueue);
            data["poisonMessages"] = poison.Messages;
            data["poisonOldestAgeSeconds"] = (long)(poison.OldestAgeSeconds ?? 0);
            data["poisonPoisonMessages"] = poisonPoison.Messages;
            data["poisonPoisonOldestAgeSeconds"] = (long)(poisonPoison.OldestAgeSeconds ?? 0);

            var problems = new List<string>();
            if (poison.OldestAgeSeconds > PoisonQueues.StuckAfter.TotalSeconds)
            {
                problems.Add($"'{poison.Queue}' holds {poison.Messages} message(s), the oldest {Minutes(poison.OldestAgeSeconds)} old: they are not being recorded as failed events");
            }

            if (poisonPoison.Messages > 0)
            {
                problems.Add($"'{poisonPoison.Queue}' holds {poisonPoison.Messages} message(s) nothing reads (oldest {Minutes(poisonPoison.OldestAgeSeconds)} old)");
            }

            return problems.Count == 0
                ? HealthCheckResult.Healthy($"Warehouse queue '{queue.Name}' reachable.", data: data)
                : HealthCheckResult.Degraded(string.Join("; ", problems) + ". List and replay them: GET /api/v1/admin/warehouse-events/failed.", data: data);
        }
        catch (RequestFailedException ex)
        {
            return HealthCheckResult.Unhealthy(ex.Status == 404
                ? $"Warehouse queue '{queue.Name}' does not exist."
                : $"Queue Storage answered {ex.Status}{(ex.Status is 401 or 403 ? ": check the identity's queue data roles" : "")}.");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy($"Queue Storage could not be reached ({ex.GetType().Name}).");
        }
    }

    private static string Minutes(double? seconds) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Math.Floor((seconds ?? 0) / 60):0} min");
}

/// <summary>FlexShopper: a cheap authenticated GET (lease settings) answers within the check timeout.</summary>
internal sealed class FlexShopperCheck(IFlexShopperClient flexShopper) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await flexShopper.GetLeaseSettingsAsync(cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy("Lease settings read.");
        }
        catch (FlexShopperApiException ex)
        {
            var status = ex.StatusCode is { } s ? ((int)s).ToString(System.Globalization.CultureInfo.InvariantCulture) : "no answer";
            return ex.Kind switch
            {
                FlexShopperErrorKind.Unauthorized or FlexShopperErrorKind.Forbidden =>
                    HealthCheckResult.Unhealthy($"FlexShopper refused the API key ({status}{(ex.Code is null ? "" : " " + ex.Code)})."),
                FlexShopperErrorKind.Transient or FlexShopperErrorKind.RateLimited =>
                    HealthCheckResult.Unhealthy($"FlexShopper unavailable ({status}, {ex.Kind})."),
                // It answered, so it is reachable, but not as expected.
                _ => HealthCheckResult.Degraded($"FlexShopper answered {status} ({ex.Kind})."),
            };
        }
    }
}
