// Key Vault for the FlexShopper API key and the webhook signing secret. Access is Azure RBAC only (no access
// policies); soft delete and purge protection keep a deleted or overwritten key recoverable. The secrets
// themselves are set out of band (see README, "Deploy to Azure"): no secret value is in any template.
param name string
param location string
param tags object

@description('True when the vault is reached only through a private endpoint (see network.bicep).')
param privateNetworking bool

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    publicNetworkAccess: privateNetworking ? 'Disabled' : 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: privateNetworking ? 'Deny' : 'Allow'
    }
  }
}

output id string = vault.id
output name string = vault.name
output uri string = vault.properties.vaultUri
