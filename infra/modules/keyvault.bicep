// Key Vault for the FlexShopper API key and the webhook signing secret. Access is Azure RBAC only (no access
// policies); soft delete and purge protection keep a deleted or overwritten key recoverable. The secrets
// themselves are set out of band (see README, "Deploy to Azure"): no secret value is in any template.
param name string
param location string
param tags object

@allowed(['default', 'recover'])
@description('recover brings back the soft-deleted vault of this name (purge protection keeps it 90 days after `azd down`).')
param createMode string

@description('True when the vault is reached only through a private endpoint (see network.bicep).')
param privateNetworking bool

@description('With private networking: public addresses or CIDR ranges let through the firewall (the operator setting secrets).')
param allowedIpRanges string[]

@description('Log Analytics workspace that receives the audit log.')
param workspaceId string

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    createMode: createMode
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    // Private: only the private endpoint, unless some public addresses are named; then the firewall admits those.
    publicNetworkAccess: privateNetworking && empty(allowedIpRanges) ? 'Disabled' : 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: privateNetworking ? 'Deny' : 'Allow'
      ipRules: privateNetworking ? map(allowedIpRanges, range => { value: range }) : []
    }
  }
}

// Every read of the API key, every secret set and every denied call, with caller and IP (table AZKVAuditLogs).
resource audit 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'audit-to-log-analytics'
  scope: vault
  properties: {
    workspaceId: workspaceId
    logAnalyticsDestinationType: 'Dedicated'
    logs: [
      {
        category: 'AuditEvent'
        enabled: true
      }
    ]
  }
}

output id string = vault.id
output name string = vault.name
output uri string = vault.properties.vaultUri
