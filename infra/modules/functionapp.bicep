// The Function App on the Flex Consumption plan, running as the user-assigned identity, with every app setting
// the code reads. Setting names here must match local.settings.sample.json (Tests/Infra checks both lists and
// the code's options classes agree). Connections are identity-based: a service URI, `credential` and `clientId`.
param planName string
param appName string
param location string
param tags object

@description('Resource id of the user-assigned identity the app runs as.')
param identityId string

@description('Client id of that identity, for identity-based connections and the app\'s ManagedIdentityCredential.')
param identityClientId string

param blobEndpoint string
param queueEndpoint string
param tableEndpoint string
param deploymentContainerName string

param keyVaultUri string
param appInsightsConnectionString string

@description('FlexShopper v3 root the app calls.')
param flexShopperBaseUrl string

@description('Tables__* settings: option property name to table name.')
param tableNames object

@description('Table holding the Data Protection key ring for customer sessions.')
param keyRingTableName string

param warehouseQueueName string

@description('NCRONTAB schedule of the catalog refresh.')
param catalogRefreshSchedule string

@description('Webhook__RequireSignature: refuse calls without a valid signature.')
param requireWebhookSignature bool

@description('Shopify__TransactionId: id, name or note:<attribute>.')
param shopifyTransactionId string

@description('Shopify__ShopDomain: the only shop served (empty for any shop signing with the secret).')
param shopifyShopDomain string

@description('Shopify__PaymentGateways: gateway names meaning FlexShopper financed the order (empty: no check).')
param shopifyPaymentGateways string

@description('WooCommerce__TransactionId: id, number or meta:<key>.')
param wooCommerceTransactionId string

@description('WooCommerce__PaymentMethods: payment method ids or titles meaning FlexShopper financed the order (empty: no check).')
param wooCommercePaymentMethods string

@description('Spread the plan across availability zones.')
param zoneRedundant bool

@minValue(1)
@maxValue(1000)
param maximumInstanceCount int

@allowed([512, 2048, 4096])
param instanceMemoryMB int

@description('Subnet (delegated to Microsoft.App/environments) for outbound VNet integration; empty for none.')
param virtualNetworkSubnetId string

resource plan 'Microsoft.Web/serverfarms@2024-11-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
    zoneRedundant: zoneRedundant
  }
}

resource app 'Microsoft.Web/sites@2024-11-01' = {
  name: appName
  location: location
  // azd finds the app to deploy `api` (azure.yaml) by this tag.
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientCertEnabled: false
    publicNetworkAccess: 'Enabled'
    virtualNetworkSubnetId: empty(virtualNetworkSubnetId) ? null : virtualNetworkSubnetId
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${blobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      // Flex Consumption takes the worker runtime from here, not from FUNCTIONS_WORKER_RUNTIME.
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
    }
  }

  resource appSettings 'config' = {
    name: 'appsettings'
    properties: {
      // Host storage
      AzureWebJobsStorage__blobServiceUri: blobEndpoint
      AzureWebJobsStorage__queueServiceUri: queueEndpoint
      AzureWebJobsStorage__tableServiceUri: tableEndpoint
      AzureWebJobsStorage__credential: 'managedidentity'
      AzureWebJobsStorage__clientId: identityClientId

      // The app's tables (connection `Storage`) and the warehouse feed (connection `Warehouse`)
      Storage__tableServiceUri: tableEndpoint
      Storage__queueServiceUri: queueEndpoint
      Storage__credential: 'managedidentity'
      Storage__clientId: identityClientId
      Warehouse__queueServiceUri: queueEndpoint
      Warehouse__credential: 'managedidentity'
      Warehouse__clientId: identityClientId
      WarehouseQueueName: warehouseQueueName
      CatalogRefreshSchedule: catalogRefreshSchedule
      StorageCleanupSchedule: '0 30 * * * *'

      // The app's own clients (Key Vault, tables, the queue, the telemetry exporter) sign in as this identity with
      // ManagedIdentityCredential; its presence is how the code knows it runs in Azure (Shared/Identity/AppCredential.cs).
      ManagedIdentity__ClientId: identityClientId
      // For any library left on DefaultAzureCredential: its managed identity step picks the same identity.
      AZURE_CLIENT_ID: identityClientId
      APPLICATIONINSIGHTS_CONNECTION_STRING: appInsightsConnectionString
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD;ClientId=${identityClientId}'

      // FlexShopper client and its resilience pipeline
      FlexShopper__BaseUrl: flexShopperBaseUrl
      FlexShopper__AttemptTimeout: '00:00:10'
      FlexShopper__TotalTimeout: '00:00:30'
      FlexShopper__MaxRetryAttempts: '3'
      FlexShopper__RetryBaseDelay: '00:00:00.500'
      FlexShopper__CircuitBreakerFailureRatio: '0.5'
      FlexShopper__CircuitBreakerMinimumThroughput: '20'
      FlexShopper__CircuitBreakerSamplingDuration: '00:00:30'
      FlexShopper__CircuitBreakerBreakDuration: '00:00:15'
      // The documented name of Return Items; 'return-items' if scripts/sandbox-check.sh finds that FlexShopper has that one.
      FlexShopper__ReturnItemsPath: 'return'

      // Secrets are read from Key Vault by name; their values never appear here.
      KeyVault__VaultUri: keyVaultUri
      KeyVault__ApiKeySecretName: 'FlexShopperApiKey'
      KeyVault__WebhookSecretName: 'WebhookSigningSecret'
      KeyVault__RefreshInterval: '00:05:00'
      // The secret keying every hash stored as a table key (customer ids, client IPs, idempotency keys)
      KeyedHashing__SecretName: 'TableKeySecret'

      Tables__Catalog: tableNames.Catalog
      Tables__CatalogRuns: tableNames.CatalogRuns
      Tables__ConfirmationLedger: tableNames.ConfirmationLedger
      Tables__FailedEvents: tableNames.FailedEvents
      Tables__Idempotency: tableNames.Idempotency
      Tables__RateLimits: tableNames.RateLimits
      Tables__PlatformDeliveries: tableNames.PlatformDeliveries
      Tables__ShopifyOrders: tableNames.ShopifyOrders
      Tables__StorageCleanup: tableNames.StorageCleanup

      // Store webhooks: signatures (secret from Key Vault) and sealed customer sessions
      Webhook__RequireSignature: requireWebhookSignature ? 'true' : 'false'
      Webhook__Tolerance: '00:05:00'
      StandardWebhooks__SecretName: 'StandardWebhooksSecret'

      // Store platforms' own webhooks (secrets in Key Vault by name; which order field is the transaction id)
      Shopify__SecretName: 'ShopifyWebhookSecret'
      Shopify__TransactionId: shopifyTransactionId
      Shopify__ShopDomain: shopifyShopDomain
      Shopify__PaymentGateways: shopifyPaymentGateways
      Shopify__DefaultCarrier: 'ground'
      WooCommerce__SecretName: 'WooCommerceWebhookSecret'
      WooCommerce__TransactionId: wooCommerceTransactionId
      WooCommerce__PaymentMethods: wooCommercePaymentMethods
      WooCommerce__DefaultCarrier: 'ground'
      CustomerSession__Lifetime: '12:00:00'
      CustomerSession__KeyRingTable: keyRingTableName
      // The key ring rests sealed with this Key Vault secret's key: a copy of the table opens no session without it
      CustomerSession__KeyRingSecretName: 'SessionKeyRingSecret'

      // Catalog refresh: run lock, page read-ahead, write fan-out and a bound on pages (the spill folder defaults to the temp folder)
      Catalog__LockDuration: '00:10:00'
      Catalog__WriteConcurrency: '4'
      Catalog__PageConcurrency: '4'
      Catalog__MaxPages: '5000'
      Catalog__SpillDirectory: ''

      // Warehouse confirmations: claim lease and message limits
      Confirmations__ClaimLease: '00:01:30'
      Confirmations__MaxMessageBytes: '49152'
      Confirmations__MaxItems: '200'
      Confirmations__MaxStoredMessageChars: '65536'

      // Order bounds: the largest lease or checkout a store sells through FlexShopper (raise for bigger accounts)
      OrderLimits__MaxTotal: '25000'
      OrderLimits__MaxLines: '100'
      OrderLimits__MaxQuantity: '100'

      // Abuse limits on passcode requests and logins, per customer and per client IP
      AbuseLimits__PasscodeRequestsPerCustomer: '5'
      AbuseLimits__PasscodeRequestsPerClientIp: '20'
      AbuseLimits__LoginAttemptsPerCustomer: '10'
      AbuseLimits__LoginAttemptsPerClientIp: '30'
      AbuseLimits__Window: '00:15:00'
      AbuseLimits__FailedLoginsBeforeLockout: '5'
      AbuseLimits__LockoutDuration: '00:30:00'
      AbuseLimits__LoginAttemptHold: '00:01:00'

      Health__CheckTimeout: '00:00:03'

      // Data retention: how long each table keeps a row after its last use (README, "Data retention"), and one cleanup run's budget
      Retention__Idempotency: '1.00:00:00'
      Retention__IdempotencyUnknown: '8.00:00:00'
      Retention__ConfirmationLedger: '400.00:00:00'
      Retention__FailedEvents: '90.00:00:00'
      Retention__RateLimits: '1.00:00:00'
      Retention__CatalogRuns: '30.00:00:00'
      Retention__PlatformDeliveries: '3.00:00:00'
      Retention__ShopifyOrders: '400.00:00:00'
      Retention__KeyRing: '14.00:00:00'
      Retention__CleanupRuns: '30.00:00:00'
      StorageCleanup__MaxRowsPerRun: '50000'
      StorageCleanup__MaxRunDuration: '00:04:00'
    }
  }
}

// Basic (user name and password) publishing is off: deployments authenticate with Entra ID.
resource ftpPolicy 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-11-01' = {
  parent: app
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmPolicy 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-11-01' = {
  parent: app
  name: 'scm'
  properties: {
    allow: false
  }
}

output name string = app.name
output defaultHostName string = app.properties.defaultHostName
