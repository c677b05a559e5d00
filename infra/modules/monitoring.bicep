// Log Analytics and Application Insights, both with local (key-based) auth off: telemetry is accepted only
// from Entra ID callers holding Monitoring Metrics Publisher, which roles.bicep grants to the app's identity.
param logAnalyticsName string
param appInsightsName string
param location string
param tags object

resource workspace 'Microsoft.OperationalInsights/workspaces@2025-02-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: 30
    features: {
      disableLocalAuth: true
    }
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: appInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    DisableLocalAuth: true
  }
}

output appInsightsName string = appInsights.name
output workspaceId string = workspace.id
// The connection string names the endpoint; with local auth off it cannot send telemetry on its own.
output appInsightsConnectionString string = appInsights.properties.ConnectionString
