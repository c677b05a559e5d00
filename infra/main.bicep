// FlexFunctions in Azure: one resource group holding the Function App (Flex Consumption, .NET 10 isolated),
// its storage, Key Vault, identity and monitoring. Deploy with `azd up`, or:
//   az deployment sub create --location <region> --template-file infra/main.bicep \
//     --parameters environmentName=<name> location=<region> deployerPrincipalId=$(az ad signed-in-user show --query id -o tsv)
// No secret is a parameter: set the FlexShopper API key in Key Vault afterwards (README, "Deploy to Azure").
targetScope = 'subscription'

@minLength(1)
@maxLength(40)
@description('Short name of this environment (e.g. dev, prod); names the resource group and seeds resource names.')
param environmentName string

// US regions only: FlexShopper answers callers outside the US with a page that is not JSON (its own Magento module
// catches it: "Fail gracefully when the server is hosted outside of US"), so the app must run in the US. The list is
// the US regions that offer Flex Consumption (`az functionapp list-flexconsumption-locations`; Microsoft's own
// Flex Consumption azd template allows the same ones); README, "Deploy to Azure", says why.
@allowed([
  'centralus'
  'eastus'
  'eastus2'
  'northcentralus'
  'southcentralus'
  'westcentralus'
  'westus'
  'westus2'
  'westus3'
])
@description('Azure region for every resource: a US region that offers Flex Consumption (FlexShopper refuses callers outside the US).')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@allowed(['sandbox', 'production'])
@description('Which FlexShopper API the app calls.')
param flexShopperEnvironment string = 'sandbox'

@description('Object id of the user or pipeline deploying; it is granted Key Vault Secrets Officer so it can set the secrets. Empty to grant nothing. ARM infers its principal type.')
param deployerPrincipalId string = ''

@description('Object id of the warehouse\'s Entra identity (managed identity, service principal, user or group); it may only send messages to the warehouse queue. Empty to grant nothing.')
param warehouseSenderPrincipalId string = ''

@allowed(['', 'ServicePrincipal', 'User', 'Group'])
@description('Principal type of warehouseSenderPrincipalId. Empty lets ARM infer it; give it for an identity created moments ago, which ARM may not see yet.')
param warehouseSenderPrincipalType string = ''

@description('Refuse every HTTP call without a valid X-FlexFunctions-Signature (secret WebhookSigningSecret in Key Vault). On by default; the app settings are replaced on every provision, so change it here, not in the portal.')
param requireWebhookSignature bool = true

@description('Which Shopify order field is the FlexShopper transaction id the store leased with: id, name (the order name without its #: #1001 gives 1001) or note:<note attribute name>.')
param shopifyTransactionId string = 'id'

@description('The one shop (my-store.myshopify.com) whose webhooks are served; empty serves any shop signing with the secret.')
param shopifyShopDomain string = ''

@description('Comma-separated Shopify payment gateway names that mean FlexShopper financed the order; empty sends every order and lets FlexShopper decide.')
param shopifyPaymentGateways string = ''

@description('Which WooCommerce order field is the FlexShopper transaction id: id, number or meta:<meta key>.')
param wooCommerceTransactionId string = 'id'

@description('Comma-separated WooCommerce payment method ids or titles that mean FlexShopper financed the order; empty sends every order.')
param wooCommercePaymentMethods string = ''

@maxLength(24)
@description('Key Vault name; empty for the generated kv-flex-<token>. Give a new name to start with an empty vault while the old one is still soft-deleted.')
param vaultName string = ''

@allowed(['default', 'recover'])
@description('recover brings back this environment\'s soft-deleted vault (after `azd down`) with its secrets; the azd preprovision hook chooses it when that vault exists in the deleted state.')
param vaultCreateMode string = 'default'

@allowed(['Standard_LRS', 'Standard_ZRS', 'Standard_GRS', 'Standard_GZRS', 'Standard_RAGRS', 'Standard_RAGZRS'])
@description('Storage redundancy (general-purpose v2 with blobs, queues and tables, as Functions requires). Production: Standard_ZRS (or Standard_GZRS) with zoneRedundant.')
param storageSkuName string = 'Standard_LRS'

@description('Spread the Flex Consumption plan across availability zones (the region must offer it; pair it with a zone-redundant storage SKU).')
param zoneRedundant bool = false

@description('NCRONTAB schedule of the catalog refresh (every six hours by default).')
param catalogRefreshSchedule string = '0 0 */6 * * *'

@description('Put the app behind a VNet and reach storage and Key Vault only through private endpoints.')
param enablePrivateNetworking bool = false

@description('With private networking: public IPv4 addresses or CIDR ranges (comma-separated) still let through the vault\'s firewall, e.g. the operator who sets the secrets.')
param vaultAllowedIpRanges string = ''

@description('With private networking: public IPv4 addresses or CIDR ranges (comma-separated; single addresses without /32) let through the storage firewall, e.g. an outside warehouse sending to its queue.')
param storageAllowedIpRanges string = ''

@description('Also send the storage queue and table request logs (read, write, delete) to the Log Analytics workspace; the vault\'s audit log is always sent.')
param enableStorageLogs bool = false

@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 100

@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

// Keep in step with local.settings.sample.json (Tests/Infra compares them).
var flexShopperBaseUrls = {
  sandbox: 'https://apis.sandbox.flexshopper.com/v3/'
  production: 'https://apis.flexshopper.com/v3/'
}
var tableNames = {
  Catalog: 'catalog'
  CatalogRuns: 'catalogruns'
  ConfirmationLedger: 'confirmationledger'
  FailedEvents: 'failedevents'
  Idempotency: 'idempotency'
  RateLimits: 'ratelimits'
  PlatformDeliveries: 'platformdeliveries'
  ShopifyOrders: 'shopifyorders'
  StorageCleanup: 'storagecleanup'
}
// Data Protection key ring that seals customer sessions across instances (CustomerSession__KeyRingTable).
var keyRingTableName = 'dataprotectionkeys'
var warehouseQueueName = 'warehouse-events'
var deploymentContainerName = 'app-package'
// Comma-separated parameters (one azd env value each) as lists without blanks.
var vaultIpRanges = filter(map(split(vaultAllowedIpRanges, ','), range => trim(range)), range => !empty(range))
var storageIpRanges = filter(map(split(storageAllowedIpRanges, ','), range => trim(range)), range => !empty(range))

var token = toLower(uniqueString(subscription().id, environmentName, location))
var names = {
  identity: 'id-flexfunctions-${token}'
  logAnalytics: 'log-flexfunctions-${token}'
  appInsights: 'appi-flexfunctions-${token}'
  storage: 'stflex${token}'
  keyVault: empty(vaultName) ? 'kv-flex-${token}' : vaultName
  vnet: 'vnet-flexfunctions-${token}'
  plan: 'plan-flexfunctions-${token}'
  app: 'func-flexfunctions-${token}'
}
var tags = {
  'azd-env-name': environmentName
  app: 'flexfunctions'
}

resource rg 'Microsoft.Resources/resourceGroups@2025-04-01' = {
  name: 'rg-flexfunctions-${environmentName}'
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  scope: rg
  params: {
    name: names.identity
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  scope: rg
  params: {
    logAnalyticsName: names.logAnalytics
    appInsightsName: names.appInsights
    location: location
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  scope: rg
  params: {
    name: names.storage
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
    queueNames: [warehouseQueueName, '${warehouseQueueName}-poison']
    tableNames: concat(map(items(tableNames), table => table.value), [keyRingTableName])
    skuName: storageSkuName
    privateNetworking: enablePrivateNetworking
    allowedIpRanges: storageIpRanges
    workspaceId: monitoring.outputs.workspaceId
    enableLogs: enableStorageLogs
  }
}

module keyVault 'modules/keyvault.bicep' = {
  scope: rg
  params: {
    name: names.keyVault
    location: location
    tags: tags
    createMode: vaultCreateMode
    privateNetworking: enablePrivateNetworking
    allowedIpRanges: vaultIpRanges
    workspaceId: monitoring.outputs.workspaceId
  }
}

module roles 'modules/roles.bicep' = {
  scope: rg
  params: {
    appIdentityName: names.identity
    deployerPrincipalId: deployerPrincipalId
    warehouseSenderPrincipalId: warehouseSenderPrincipalId
    warehouseSenderPrincipalType: warehouseSenderPrincipalType
    storageAccountName: names.storage
    warehouseQueueName: warehouseQueueName
    keyVaultName: names.keyVault
    appInsightsName: names.appInsights
  }
  dependsOn: [identity, storage, keyVault, monitoring]
}

module network 'modules/network.bicep' = if (enablePrivateNetworking) {
  scope: rg
  params: {
    vnetName: names.vnet
    location: location
    tags: tags
    storageAccountName: names.storage
    keyVaultName: names.keyVault
  }
  dependsOn: [storage, keyVault]
}

module functionApp 'modules/functionapp.bicep' = {
  scope: rg
  params: {
    planName: names.plan
    appName: names.app
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    blobEndpoint: storage.outputs.blobEndpoint
    queueEndpoint: storage.outputs.queueEndpoint
    tableEndpoint: storage.outputs.tableEndpoint
    deploymentContainerName: deploymentContainerName
    keyVaultUri: keyVault.outputs.uri
    appInsightsConnectionString: monitoring.outputs.appInsightsConnectionString
    flexShopperBaseUrl: flexShopperBaseUrls[flexShopperEnvironment]
    tableNames: tableNames
    keyRingTableName: keyRingTableName
    warehouseQueueName: warehouseQueueName
    catalogRefreshSchedule: catalogRefreshSchedule
    requireWebhookSignature: requireWebhookSignature
    shopifyTransactionId: shopifyTransactionId
    shopifyShopDomain: shopifyShopDomain
    shopifyPaymentGateways: shopifyPaymentGateways
    wooCommerceTransactionId: wooCommerceTransactionId
    wooCommercePaymentMethods: wooCommercePaymentMethods
    zoneRedundant: zoneRedundant
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    virtualNetworkSubnetId: enablePrivateNetworking ? network!.outputs.appSubnetId : ''
  }
  // The app must be able to read its package, keys and telemetry endpoint the moment it starts.
  dependsOn: [roles]
}

output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output FUNCTION_APP_URL string = 'https://${functionApp.outputs.defaultHostName}'
output FUNCTION_APP_API_URL string = 'https://${functionApp.outputs.defaultHostName}/api/'
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_KEY_VAULT_URI string = keyVault.outputs.uri
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
// What a warehouse sends to: QueueClient(new Uri(WAREHOUSE_QUEUE_URL), credential).
output WAREHOUSE_QUEUE_URL string = '${storage.outputs.queueEndpoint}${warehouseQueueName}'
