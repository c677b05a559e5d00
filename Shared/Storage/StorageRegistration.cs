using Azure.Core;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using FlexFunctions.Shared.Identity;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FlexFunctions.Shared.Storage;

[OptionsValidator]
internal sealed partial class TableNamesValidator : IValidateOptions<TableNames>;

/// <summary>
/// The app's storage connections, each a connection string (local) or a service URI (Azure), reached with the app's
/// credential (<see cref="AppCredential"/>). The <c>__credential</c>/<c>__clientId</c> settings beside a URI are the
/// Functions host's (its queue trigger reads <c>Warehouse</c> with them); they name the same identity.
/// </summary>
public static class StorageConnections
{
    /// <summary>Tables (and any queue the app itself writes) live behind this prefix: <c>Storage</c> or <c>Storage__tableServiceUri</c>.</summary>
    public const string App = "Storage";

    /// <summary>The warehouse feed's queue, the same prefix the queue trigger binds to.</summary>
    public const string Warehouse = "Warehouse";

    /// <summary>App setting holding the warehouse queue's name.</summary>
    public const string WarehouseQueueNameSetting = "WarehouseQueueName";
}

/// <summary>The warehouse queue's client, kept apart from the app's own storage by its connection.</summary>
public sealed class WarehouseQueue(QueueClient client)
{
    public QueueClient Client { get; } = client;
}

internal static class StorageRegistration
{
    public static IServiceCollection AddStorageClients(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<TableNames>().Bind(configuration.GetSection(TableNames.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TableNames>, TableNamesValidator>();
        services.AddAppCredential(configuration);

        services.AddSingleton(sp => CreateTableService(configuration.GetSection(StorageConnections.App), sp.GetRequiredService<TokenCredential>(), sp.GetService<StoragePipelinePolicies>()));
        services.AddSingleton(sp => EntityTransactions.Create(sp.GetRequiredService<TableServiceClient>(), configuration.GetSection(StorageConnections.App).Value,
            () => sp.GetRequiredService<TokenCredential>(), sp.GetService<StoragePipelinePolicies>()));
        services.AddSingleton(sp =>
        {
            var section = configuration.GetSection(StorageConnections.Warehouse);
            var queueName = configuration[StorageConnections.WarehouseQueueNameSetting];
            if (string.IsNullOrWhiteSpace(queueName))
            {
                throw new InvalidOperationException($"Set {StorageConnections.WarehouseQueueNameSetting} to the warehouse queue's name.");
            }

            return new WarehouseQueue(CreateQueueService(section, sp.GetRequiredService<TokenCredential>(), sp.GetService<StoragePipelinePolicies>()).GetQueueClient(queueName));
        });
        return services;
    }

    internal static TableServiceClient CreateTableService(IConfigurationSection section, TokenCredential credential, StoragePipelinePolicies? policies = null)
    {
        var options = new TableClientOptions();
        policies?.ApplyTo(options);
        if (!string.IsNullOrWhiteSpace(section.Value))
        {
            return new TableServiceClient(section.Value, options);
        }

        var uri = ServiceUri(section, "tableServiceUri", "table");
        return new TableServiceClient(uri, credential, options);
    }

    internal static QueueServiceClient CreateQueueService(IConfigurationSection section, TokenCredential credential, StoragePipelinePolicies? policies = null)
    {
        // Producers differ: the processor accepts plain and base64 JSON alike, and we write plain JSON.
        var options = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None };
        policies?.ApplyTo(options);
        if (!string.IsNullOrWhiteSpace(section.Value))
        {
            return new QueueServiceClient(section.Value, options);
        }

        var uri = ServiceUri(section, "queueServiceUri", "queue");
        return new QueueServiceClient(uri, credential, options);
    }

    private static Uri ServiceUri(IConfigurationSection section, string uriKey, string service)
    {
        if (Uri.TryCreate(section[uriKey], UriKind.Absolute, out var uri))
        {
            return uri;
        }

        if (section["accountName"] is { Length: > 0 } account)
        {
            return new Uri($"https://{account}.{service}.core.windows.net");
        }

        throw new InvalidOperationException(
            $"Storage connection '{section.Path}' is not configured: set {section.Path} to a connection string (local: UseDevelopmentStorage=true) " +
            $"or {section.Path}__{uriKey} (Azure: reached as the identity ManagedIdentity__ClientId names).");
    }
}
