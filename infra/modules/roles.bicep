// Data-plane grants, each on the narrowest resource that works. The app's identity gets exactly the five roles
// it needs; the deploying principal (optional) gets only Key Vault Secrets Officer so it can set the secrets; the
// warehouse (optional) may only send messages to its queue.
@description('Name of the app\'s user-assigned identity (in this resource group).')
param appIdentityName string

@description('Object id of the person or pipeline running the deployment; empty to grant nothing. ARM infers its type.')
param deployerPrincipalId string

@description('Object id of the warehouse\'s identity; empty to grant nothing.')
param warehouseSenderPrincipalId string

@allowed(['', 'ServicePrincipal', 'User', 'Group'])
@description('Its principal type; empty lets ARM infer it.')
param warehouseSenderPrincipalType string

param storageAccountName string

@description('The queue the warehouse writes and the app reads.')
param warehouseQueueName string

param keyVaultName string
param appInsightsName string

// Built-in role definition ids (the same in every subscription).
var roles = {
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  storageQueueDataMessageSender: 'c6a89b2d-59bc-44d0-9896-0f6e12d7b80a'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

resource appIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' existing = {
  name: appIdentityName
}

resource storage 'Microsoft.Storage/storageAccounts@2025-01-01' existing = {
  name: storageAccountName

  resource queueService 'queueServices' existing = {
    name: 'default'

    resource warehouseQueue 'queues' existing = {
      name: warehouseQueueName
    }
  }
}

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' existing = {
  name: keyVaultName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

// Read the FlexShopper API key and the webhook signing secret.
resource appSecretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, appIdentity.id, roles.keyVaultSecretsUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    principalId: appIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Flex Consumption pulls the app package from the deployment container with this identity, and the host keeps
// its timer locks and keys in blobs (azure-webjobs-hosts, azure-webjobs-secrets), which it creates itself:
// hence the account rather than one container.
resource appBlobDataOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, appIdentity.id, roles.storageBlobDataOwner)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
    principalId: appIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// The warehouse queue trigger reads, deletes and moves messages to the poison queue.
resource appQueueDataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, appIdentity.id, roles.storageQueueDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor)
    principalId: appIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Catalog, ledger, failed events, idempotency records, refresh runs and rate limits.
resource appTableDataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, appIdentity.id, roles.storageTableDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
    principalId: appIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Send telemetry to Application Insights, whose local (key) auth is off.
resource appMetricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, appIdentity.id, roles.monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: appIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Lets whoever deployed set the two secrets right afterwards; it cannot read any other data. No principalType:
// the deployer may be a user or a pipeline's service principal, and ARM looks it up itself.
resource deployerSecretsOfficer 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(deployerPrincipalId)) {
  name: guid(vault.id, deployerPrincipalId, roles.keyVaultSecretsOfficer)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsOfficer)
    principalId: deployerPrincipalId
  }
}

// Shared keys are off, so this role is the warehouse's only way in: add messages to its queue, nothing else (it
// cannot read, delete or see other queues, tables or blobs).
resource warehouseQueueSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(warehouseSenderPrincipalId)) {
  name: guid(storage::queueService::warehouseQueue.id, warehouseSenderPrincipalId, roles.storageQueueDataMessageSender)
  scope: storage::queueService::warehouseQueue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataMessageSender)
    principalId: warehouseSenderPrincipalId
    principalType: empty(warehouseSenderPrincipalType) ? null : warehouseSenderPrincipalType
  }
}
