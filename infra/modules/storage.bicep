// The host's storage account, which also holds the app's queues and tables. Shared keys are off: every caller
// (the host, the app, the deployment) authenticates with Entra ID.
param name string
param location string
param tags object

@description('Blob container Flex Consumption deploys the app package from.')
param deploymentContainerName string

@description('Queues the app reads: the warehouse feed and its poison queue.')
param queueNames string[]

@description('Tables the app reads and writes.')
param tableNames string[]

@allowed(['Standard_LRS', 'Standard_ZRS', 'Standard_GRS', 'Standard_GZRS', 'Standard_RAGRS', 'Standard_RAGZRS'])
@description('Redundancy; general-purpose v2 standard SKUs only, since Functions needs blobs, queues and tables.')
param skuName string

@description('True when the account is reached only through private endpoints (see network.bicep).')
param privateNetworking bool

@description('With private networking: public addresses or CIDR ranges let through the firewall (an outside warehouse).')
param allowedIpRanges string[]

@description('Log Analytics workspace for the optional request logs.')
param workspaceId string

@description('Send queue and table request logs (read, write, delete) to the workspace.')
param enableLogs bool

resource storage 'Microsoft.Storage/storageAccounts@2025-01-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: skuName
  }
  properties: {
    accessTier: 'Hot'
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    supportsHttpsTrafficOnly: true
    minimumTlsVersion: 'TLS1_2'
    // Private: only the private endpoints, unless some public addresses are named; then the firewall admits those.
    publicNetworkAccess: privateNetworking && empty(allowedIpRanges) ? 'Disabled' : 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: privateNetworking ? 'Deny' : 'Allow'
      ipRules: privateNetworking ? map(allowedIpRanges, range => { value: range, action: 'Allow' }) : []
    }
  }

  resource blobService 'blobServices' = {
    name: 'default'

    resource deploymentContainer 'containers' = {
      name: deploymentContainerName
      properties: {
        publicAccess: 'None'
      }
    }
  }

  resource queueService 'queueServices' = {
    name: 'default'

    resource queues 'queues' = [
      for queueName in queueNames: {
        name: queueName
      }
    ]
  }

  resource tableService 'tableServices' = {
    name: 'default'

    resource tables 'tables' = [
      for tableName in tableNames: {
        name: tableName
      }
    ]
  }
}

var requestLogs = [
  {
    category: 'StorageRead'
    enabled: true
  }
  {
    category: 'StorageWrite'
    enabled: true
  }
  {
    category: 'StorageDelete'
    enabled: true
  }
]

// Who sent, read and deleted warehouse messages, and the table traffic (tables StorageQueueLogs, StorageTableLogs).
resource queueLogs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = if (enableLogs) {
  name: 'requests-to-log-analytics'
  scope: storage::queueService
  properties: {
    workspaceId: workspaceId
    logs: requestLogs
  }
}

resource tableLogs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = if (enableLogs) {
  name: 'requests-to-log-analytics'
  scope: storage::tableService
  properties: {
    workspaceId: workspaceId
    logs: requestLogs
  }
}

output id string = storage.id
output name string = storage.name
output blobEndpoint string = storage.properties.primaryEndpoints.blob
output queueEndpoint string = storage.properties.primaryEndpoints.queue
output tableEndpoint string = storage.properties.primaryEndpoints.table
