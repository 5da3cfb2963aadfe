output "function_app_name" {
  description = "Name of the function app (for `func azure functionapp publish <name>`)."
  value       = azurerm_function_app_flex_consumption.this.name
}

output "function_app_id" {
  description = "Resource id of the function app."
  value       = azurerm_function_app_flex_consumption.this.id
}

output "function_app_default_hostname" {
  description = "Default host name of the function app (the rotate/plan HTTP endpoints live under https://<host>/api/)."
  value       = azurerm_function_app_flex_consumption.this.default_hostname
}

output "event_function_id" {
  description = "Resource id of the onKeyVaultEvent function, the endpoint of every Event Grid subscription."
  value       = "${azurerm_function_app_flex_consumption.this.id}/functions/${local.event_function_name}"
}

output "principal_id" {
  description = "Object (principal) id of the identity the function runs as and that holds every role assignment: the user-assigned identity if one was given, else the system-assigned identity."
  value       = local.principal_id
}

output "system_assigned_principal_id" {
  description = "Object id of the function app's system-assigned identity (equal to principal_id unless user_assigned_identity is set)."
  value       = azurerm_function_app_flex_consumption.this.identity[0].principal_id
}

output "kubernetes_rbac_object_id" {
  description = "The Entra ID object id to bind in Kubernetes RBAC (infra/k8s/rbac.yaml, subject kind User) on clusters with use_azure_rbac = false."
  value       = local.principal_id
}

output "kubernetes_rbac_clusters" {
  description = "Clusters with use_azure_rbac = false, where infra/k8s/rbac.yaml (or rbac-namespaced.yaml) must be applied."
  value       = [for k, c in local.clusters : k if !c.use_azure_rbac]
}

output "aks_role_definition_id" {
  description = "Resource id of the Azure custom role for Kubernetes data actions (null when no cluster uses Azure RBAC)."
  value       = try(azurerm_role_definition.aks_pusher[0].role_definition_resource_id, null)
}

output "event_subscription_ids" {
  description = "Event Grid subscription id per vault name (empty while create_event_subscriptions = false)."
  value       = { for k, s in azurerm_eventgrid_system_topic_event_subscription.vault : k => s.id }
}

output "system_topic_ids" {
  description = "Event Grid system topic id per vault name."
  value       = { for k, t in azurerm_eventgrid_system_topic.vault : k => t.id }
}

output "deadletter_container_url" {
  description = "URL of the blob container that receives events Event Grid could not deliver (after 30 attempts / 24 h, or at once on 400/413)."
  value       = "${azurerm_storage_account.this.primary_blob_endpoint}${azurerm_storage_container.deadletter.name}"
}

output "storage_account_name" {
  description = "Name of the function's storage account (host storage, deployment package, dead letters)."
  value       = azurerm_storage_account.this.name
}

output "application_insights_name" {
  description = "Name of the Application Insights component that receives the function's logs and traces."
  value       = azurerm_application_insights.this.name
}
