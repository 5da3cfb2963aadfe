# kv-rotation-pusher: Azure Functions app (Flex Consumption, Node.js 22) that Event Grid calls when Key Vault creates
# a new secret/certificate/key version, plus everything it needs: storage, monitoring, one Event Grid system topic and
# subscription per vault, and least-privilege role assignments on the vaults and the AKS clusters.
# Variables: variables.tf. Outputs: outputs.tf. Walkthrough: README.md.

data "azurerm_subscription" "current" {}

# ---------------------------------------------------------------------------------------------------------------------
# Resource group
# ---------------------------------------------------------------------------------------------------------------------

resource "azurerm_resource_group" "this" {
  count = var.create_resource_group ? 1 : 0

  name     = var.resource_group_name
  location = var.location
  tags     = var.tags
}

data "azurerm_resource_group" "this" {
  count = var.create_resource_group ? 0 : 1

  name = var.resource_group_name
}

# ---------------------------------------------------------------------------------------------------------------------
# Inputs looked up from Azure
# ---------------------------------------------------------------------------------------------------------------------

data "azurerm_key_vault" "vault" {
  for_each = local.vaults

  name                = each.value.name
  resource_group_name = each.value.resource_group_name
}

# Reading kube_config needs listClusterUserCredential for whoever runs Terraform.
data "azurerm_kubernetes_cluster" "aks" {
  for_each = local.clusters

  name                = each.value.name
  resource_group_name = each.value.resource_group_name
}

locals {
  resource_group_name = var.create_resource_group ? azurerm_resource_group.this[0].name : data.azurerm_resource_group.this[0].name

  vaults   = { for v in var.vaults : v.name => v }
  clusters = { for c in var.aks_clusters : c.name => c }

  # Vaults whose SecretProviderClasses read certificates (objectType cert/key) or keys (objectType key). See README,
  # "Key Vault roles", for why "Key Vault Certificate User" is the least-privilege built-in role for both.
  vaults_reading_certificates_or_keys = { for k, v in local.vaults : k => v if v.use_certificates || v.use_keys }

  azure_rbac_clusters = { for k, c in local.clusters : k => c if c.use_azure_rbac }

  uami_enabled = var.user_assigned_identity != null

  # The identity the function code runs as, and the one every role assignment goes to.
  principal_id = local.uami_enabled ? var.user_assigned_identity.principal_id : azurerm_function_app_flex_consumption.this.identity[0].principal_id

  deployment_container_name = "app-package"
  deadletter_container_name = "deadletter"

  # Name of the Event Grid-triggered function registered in functions/onKeyVaultEvent.ts. Changing it here without
  # changing the registration makes every delivery fail.
  event_function_name = "onKeyVaultEvent"

  # KVRP_VAULTS: the allow-list of vaults; events whose topic is not one of these resource ids are rejected.
  # namespaces is written only when set (absent = every namespace may name the vault).
  kvrp_vaults_json = jsonencode([
    for k, v in data.azurerm_key_vault.vault : merge(
      {
        name       = v.name
        resourceId = v.id
        url        = v.vault_uri
      },
      { for nk, nv in { namespaces = local.vaults[k].namespaces } : nk => nv if nv != null },
    )
  ])

  # KVRP_CLUSTERS: API server URL + CA (base64 PEM) of each cluster; the function authenticates with an Entra ID token
  # of its managed identity (auth = "azure"). caData is left out when the kubeconfig could not be read.
  kvrp_clusters_json = jsonencode([
    for k, c in data.azurerm_kubernetes_cluster.aks : merge(
      {
        name   = k
        server = try(c.kube_config[0].host, "https://${coalesce(try(c.private_fqdn, ""), c.fqdn)}:443")
        auth   = "azure"
      },
      { for ck, cv in { caData = try(c.kube_config[0].cluster_ca_certificate, null) } : ck => cv if cv != null && cv != "" },
    )
  ])

  # Every KVRP_* app setting the function reads (test/unit/infra/terraform.test.ts keeps this list in step with the
  # test helper and local.settings.sample.json). null values are left out of the app settings.
  kvrp_app_settings_all = {
    KVRP_CLUSTERS              = local.kvrp_clusters_json
    KVRP_VAULTS                = local.kvrp_vaults_json
    KVRP_RESTART_POLICY        = var.restart_policy
    KVRP_MOUNT_REFRESH         = var.mount_refresh
    KVRP_NAMESPACES_INCLUDE    = length(var.namespaces_include) > 0 ? join(",", var.namespaces_include) : null
    KVRP_NAMESPACES_EXCLUDE    = length(var.namespaces_exclude) > 0 ? join(",", var.namespaces_exclude) : null
    KVRP_DRY_RUN               = tostring(var.dry_run)
    KVRP_RECONCILE_SCHEDULE    = var.reconcile_schedule
    KVRP_CONCURRENCY           = tostring(var.concurrency)
    KVRP_DRIFT_GRACE_SECONDS   = tostring(var.drift_grace_seconds)
    KVRP_NAMESPACE_READ_BUDGET = tostring(var.namespace_read_budget)
    KVRP_PROOF_VERSIONS        = tostring(var.proof_versions)
    KVRP_DIGEST_KEY            = var.digest_key
    KVRP_REPORT_TOPIC_ENDPOINT = try(var.report_topic.endpoint, null)
  }

  # Identity-based host storage. AzureWebJobsStorage = "" overrides the key-based connection string (with an empty
  # key) that azurerm injects for Flex apps even with identity auth (hashicorp/terraform-provider-azurerm#29149,
  # #29693, #30732); the host then uses the __accountName/__credential form.
  host_settings_all = {
    AzureWebJobsStorage              = ""
    AzureWebJobsStorage__accountName = azurerm_storage_account.this.name
    AzureWebJobsStorage__credential  = "managedidentity"
    AzureWebJobsStorage__clientId    = try(var.user_assigned_identity.client_id, null)
    # DefaultAzureCredential / ManagedIdentityCredential pick the user-assigned identity through AZURE_CLIENT_ID.
    AZURE_CLIENT_ID = try(var.user_assigned_identity.client_id, null)
  }

  app_settings = merge(
    { for k, v in local.host_settings_all : k => v if v != null },
    { for k, v in local.kvrp_app_settings_all : k => v if v != null },
  )

  # VNet of the integration subnet, for the private DNS zone links.
  integration_vnet_id = var.vnet_integration_subnet_id == null ? null : regex("(?i)^(.*)/subnets/[^/]+$", var.vnet_integration_subnet_id)[0]
}

# ---------------------------------------------------------------------------------------------------------------------
# Monitoring
# ---------------------------------------------------------------------------------------------------------------------

resource "azurerm_log_analytics_workspace" "this" {
  name                = "${var.function_app_name}-logs"
  location            = var.location
  resource_group_name = local.resource_group_name
  sku                 = "PerGB2018"
  retention_in_days   = var.log_retention_in_days
  tags                = var.tags
}

resource "azurerm_application_insights" "this" {
  name                = "${var.function_app_name}-appi"
  location            = var.location
  resource_group_name = local.resource_group_name
  workspace_id        = azurerm_log_analytics_workspace.this.id
  application_type    = "Node.JS"
  tags                = var.tags
}

# ---------------------------------------------------------------------------------------------------------------------
# Storage: host storage (AzureWebJobsStorage), Flex deployment package container, Event Grid dead-letter container
# ---------------------------------------------------------------------------------------------------------------------

resource "azurerm_storage_account" "this" {
  name                            = var.storage_account_name
  location                        = var.location
  resource_group_name             = local.resource_group_name
  account_kind                    = "StorageV2"
  account_tier                    = "Standard"
  account_replication_type        = "LRS"
  min_tls_version                 = "TLS1_2"
  https_traffic_only_enabled      = true
  allow_nested_items_to_be_public = false
  shared_access_key_enabled       = false
  default_to_oauth_authentication = true
  tags                            = var.tags
}

resource "azurerm_storage_container" "deployment" {
  name                  = local.deployment_container_name
  storage_account_id    = azurerm_storage_account.this.id
  container_access_type = "private"
}

resource "azurerm_storage_container" "deadletter" {
  name                  = local.deadletter_container_name
  storage_account_id    = azurerm_storage_account.this.id
  container_access_type = "private"
}

# ---------------------------------------------------------------------------------------------------------------------
# Function app (Flex Consumption)
# ---------------------------------------------------------------------------------------------------------------------

resource "azurerm_service_plan" "this" {
  name                = "${var.function_app_name}-plan"
  location            = var.location
  resource_group_name = local.resource_group_name
  os_type             = "Linux"
  sku_name            = "FC1"
  tags                = var.tags
}

resource "azurerm_function_app_flex_consumption" "this" {
  name                = var.function_app_name
  location            = var.location
  resource_group_name = local.resource_group_name
  service_plan_id     = azurerm_service_plan.this.id

  runtime_name    = "node"
  runtime_version = "22"

  storage_container_type            = "blobContainer"
  storage_container_endpoint        = "${azurerm_storage_account.this.primary_blob_endpoint}${azurerm_storage_container.deployment.name}"
  storage_authentication_type       = local.uami_enabled ? "UserAssignedIdentity" : "SystemAssignedIdentity"
  storage_user_assigned_identity_id = local.uami_enabled ? var.user_assigned_identity.id : null

  maximum_instance_count = var.maximum_instance_count
  instance_memory_in_mb  = var.instance_memory_in_mb

  dynamic "always_ready" {
    for_each = var.always_ready_instances > 0 ? [var.always_ready_instances] : []
    content {
      name           = "function:${local.event_function_name}"
      instance_count = always_ready.value
    }
  }

  https_only                                     = true
  webdeploy_publish_basic_authentication_enabled = false
  virtual_network_subnet_id                      = var.vnet_integration_subnet_id

  identity {
    type         = local.uami_enabled ? "SystemAssigned, UserAssigned" : "SystemAssigned"
    identity_ids = local.uami_enabled ? [var.user_assigned_identity.id] : null
  }

  site_config {
    # Sets the APPLICATIONINSIGHTS_CONNECTION_STRING app setting.
    application_insights_connection_string = azurerm_application_insights.this.connection_string
  }

  app_settings = local.app_settings

  tags = var.tags
}

# Host storage, deployment package and timer/lease blobs. Blob only: the app has no queue- or table-based triggers.
resource "azurerm_role_assignment" "storage_blob_data_owner" {
  scope                = azurerm_storage_account.this.id
  role_definition_name = "Storage Blob Data Owner"
  principal_id         = local.principal_id
  principal_type       = "ServicePrincipal"
}

# ---------------------------------------------------------------------------------------------------------------------
# Key Vault roles (vaults must use the Azure RBAC permission model)
# ---------------------------------------------------------------------------------------------------------------------

# secrets/getSecret + secrets/readMetadata: secret values, including certificate-backed secrets (objectType secret
# on a certificate name returns the PFX/PEM with the private key).
resource "azurerm_role_assignment" "kv_secrets_user" {
  for_each = local.vaults

  scope                = data.azurerm_key_vault.vault[each.key].id
  role_definition_name = "Key Vault Secrets User"
  principal_id         = local.principal_id
  principal_type       = "ServicePrincipal"
}

# certificates/read + keys/read (+ the two secret actions above): objectType cert (public certificate) and objectType
# key (public key material). No cryptographic operations, no control-plane actions.
resource "azurerm_role_assignment" "kv_certificate_user" {
  for_each = local.vaults_reading_certificates_or_keys

  scope                = data.azurerm_key_vault.vault[each.key].id
  role_definition_name = "Key Vault Certificate User"
  principal_id         = local.principal_id
  principal_type       = "ServicePrincipal"
}

# ---------------------------------------------------------------------------------------------------------------------
# Event Grid: one system topic + one subscription per vault
# ---------------------------------------------------------------------------------------------------------------------

# A vault can have only one system topic. If one exists already, import it (README, "Existing system topics").
resource "azurerm_eventgrid_system_topic" "vault" {
  for_each = local.vaults

  name                = "${each.key}-kvrp"
  location            = data.azurerm_key_vault.vault[each.key].location
  resource_group_name = local.resource_group_name
  source_resource_id  = data.azurerm_key_vault.vault[each.key].id
  topic_type          = "Microsoft.KeyVault.vaults"
  tags                = var.tags

  # Used to write dead-lettered events with Entra ID (the storage account has no shared keys).
  identity {
    type = "SystemAssigned"
  }
}

resource "azurerm_role_assignment" "deadletter_writer" {
  for_each = local.vaults

  scope                = "${azurerm_storage_account.this.id}/blobServices/default/containers/${azurerm_storage_container.deadletter.name}"
  role_definition_name = "Storage Blob Data Contributor"
  principal_id         = azurerm_eventgrid_system_topic.vault[each.key].identity[0].principal_id
  principal_type       = "ServicePrincipal"
}

resource "azurerm_eventgrid_system_topic_event_subscription" "vault" {
  for_each = var.create_event_subscriptions ? local.vaults : {}

  name                = "kv-rotation-pusher"
  system_topic        = azurerm_eventgrid_system_topic.vault[each.key].name
  resource_group_name = local.resource_group_name

  event_delivery_schema = "EventGridSchema"

  # New versions are pushed; near-expiry and expired ones become Warning Events on the workloads that use the object.
  included_event_types = [
    "Microsoft.KeyVault.SecretNewVersionCreated",
    "Microsoft.KeyVault.CertificateNewVersionCreated",
    "Microsoft.KeyVault.KeyNewVersionCreated",
    "Microsoft.KeyVault.SecretNearExpiry",
    "Microsoft.KeyVault.SecretExpired",
    "Microsoft.KeyVault.CertificateNearExpiry",
    "Microsoft.KeyVault.CertificateExpired",
    "Microsoft.KeyVault.KeyNearExpiry",
    "Microsoft.KeyVault.KeyExpired",
  ]

  azure_function_endpoint {
    function_id          = "${azurerm_function_app_flex_consumption.this.id}/functions/onKeyVaultEvent"
    max_events_per_batch = 1
  }

  retry_policy {
    max_delivery_attempts = 30
    event_time_to_live    = 1440
  }

  dead_letter_identity {
    type = "SystemAssigned"
  }

  storage_blob_dead_letter_destination {
    storage_account_id          = azurerm_storage_account.this.id
    storage_blob_container_name = azurerm_storage_container.deadletter.name
  }

  depends_on = [azurerm_role_assignment.deadletter_writer]
}

# Optional report topic for RotationPushed events.
resource "azurerm_role_assignment" "report_topic_sender" {
  count = var.report_topic == null ? 0 : 1

  scope                = var.report_topic.id
  role_definition_name = "EventGrid Data Sender"
  principal_id         = local.principal_id
  principal_type       = "ServicePrincipal"
}

# ---------------------------------------------------------------------------------------------------------------------
# AKS
# ---------------------------------------------------------------------------------------------------------------------

# listClusterUserCredential: kubeconfig (server, CA) of the cluster. Grants no Kubernetes permission by itself.
resource "azurerm_role_assignment" "aks_cluster_user" {
  for_each = var.assign_cluster_user_role ? local.clusters : {}

  scope                = data.azurerm_kubernetes_cluster.aks[each.key].id
  role_definition_name = "Azure Kubernetes Service Cluster User Role"
  principal_id         = local.principal_id
  principal_type       = "ServicePrincipal"
}

# Azure RBAC for Kubernetes: the data actions equivalent to infra/k8s/required-permissions.json, one per (resource,
# folded verb). Azure RBAC maps verbs coarsely: read = get/list/watch, write = create/update/patch, and it has no
# resourceNames, so it cannot express "get but not list", "patch but not create" or "this CSIDriver only":
#   secrets get+patch      -> secrets/read + secrets/write (also allows list/watch and create/update of Secrets)
#   pods list+patch        -> pods/read + pods/write (read also allows get/watch of pods: no resourceNames here)
#   events create+list     -> events/read + events/write (core group only; events.k8s.io is not used)
#   apps list+watch+patch  -> apps/{deployments,statefulsets,daemonsets}/read + write
#   csidrivers get+list+watch [name] -> storage.k8s.io/csidrivers/read (every CSIDriver)
#   SPC/SPCPS list+watch, rollouts list+watch+patch, secretsyncs list+watch+patch -> customresources/read + write, narrowed
#                             by the ABAC condition on the assignment below.
# API discovery (GET /apis/argoproj.io/v1alpha1) is not a data action; AKS allows it to every authenticated caller.
resource "azurerm_role_definition" "aks_pusher" {
  count = length(local.azure_rbac_clusters) > 0 ? 1 : 0

  name        = coalesce(var.aks_role_definition_name, "kv-rotation-pusher (${var.function_app_name})")
  scope       = data.azurerm_subscription.current.id
  description = "kv-rotation-pusher: list SecretProviderClasses and their pod statuses, list SecretSyncs and set their forceSynchronization, get and patch synced Secrets, list and patch pods, list and patch workloads, create and list Events, read the Secrets Store CSIDriver."

  permissions {
    actions = []
    data_actions = [
      "Microsoft.ContainerService/managedClusters/secrets/read",
      "Microsoft.ContainerService/managedClusters/secrets/write",
      "Microsoft.ContainerService/managedClusters/pods/read",
      "Microsoft.ContainerService/managedClusters/pods/write",
      "Microsoft.ContainerService/managedClusters/events/read",
      "Microsoft.ContainerService/managedClusters/events/write",
      "Microsoft.ContainerService/managedClusters/apps/deployments/read",
      "Microsoft.ContainerService/managedClusters/apps/deployments/write",
      "Microsoft.ContainerService/managedClusters/apps/statefulsets/read",
      "Microsoft.ContainerService/managedClusters/apps/statefulsets/write",
      "Microsoft.ContainerService/managedClusters/apps/daemonsets/read",
      "Microsoft.ContainerService/managedClusters/apps/daemonsets/write",
      "Microsoft.ContainerService/managedClusters/storage.k8s.io/csidrivers/read",
      "Microsoft.ContainerService/managedClusters/customresources/read",
      "Microsoft.ContainerService/managedClusters/customresources/write",
    ]
    not_data_actions = []
  }

  assignable_scopes = [data.azurerm_subscription.current.id]
}

resource "azurerm_role_assignment" "aks_pusher" {
  for_each = local.azure_rbac_clusters

  scope              = data.azurerm_kubernetes_cluster.aks[each.key].id
  role_definition_id = azurerm_role_definition.aks_pusher[0].role_definition_resource_id
  principal_id       = local.principal_id
  principal_type     = "ServicePrincipal"

  # ABAC (preview on AKS): custom resources readable only for the SecretProviderClass CRDs, SecretSyncs and Argo
  # Rollouts, writable only for Argo Rollouts and SecretSyncs (spec.forceSynchronization). Built-in resources pass through unchanged.
  condition_version = "2.0"
  condition         = <<-EOT
    (
     (
      !(ActionMatches{'Microsoft.ContainerService/managedClusters/customresources/read'})
     )
     OR
     (
      (
       @Request[Microsoft.ContainerService/managedClusters/customResources:group] StringEqualsIgnoreCase 'secrets-store.csi.x-k8s.io'
       AND
       (
        @Request[Microsoft.ContainerService/managedClusters/customResources:kind] StringEqualsIgnoreCase 'secretproviderclasses'
        OR
        @Request[Microsoft.ContainerService/managedClusters/customResources:kind] StringEqualsIgnoreCase 'secretproviderclasspodstatuses'
       )
      )
      OR
      (
       @Request[Microsoft.ContainerService/managedClusters/customResources:group] StringEqualsIgnoreCase 'secret-sync.x-k8s.io'
       AND
       @Request[Microsoft.ContainerService/managedClusters/customResources:kind] StringEqualsIgnoreCase 'secretsyncs'
      )
      OR
      (
       @Request[Microsoft.ContainerService/managedClusters/customResources:group] StringEqualsIgnoreCase 'argoproj.io'
       AND
       @Request[Microsoft.ContainerService/managedClusters/customResources:kind] StringEqualsIgnoreCase 'rollouts'
      )
     )
    )
    AND
    (
     (
      !(ActionMatches{'Microsoft.ContainerService/managedClusters/customresources/write'})
     )
     OR
     (
      (
       @Request[Microsoft.ContainerService/managedClusters/customResources:group] StringEqualsIgnoreCase 'argoproj.io'
       AND
       @Request[Microsoft.ContainerService/managedClusters/customResources:kind] StringEqualsIgnoreCase 'rollouts'
      )
      OR
      (
       @Request[Microsoft.ContainerService/managedClusters/customResources:group] StringEqualsIgnoreCase 'secret-sync.x-k8s.io'
       AND
       @Request[Microsoft.ContainerService/managedClusters/customResources:kind] StringEqualsIgnoreCase 'secretsyncs'
      )
     )
    )
  EOT
}

# Warn (not fail) when a cluster's authorization mode does not match aks_clusters[].use_azure_rbac.
check "aks_authorization_mode" {
  assert {
    condition = alltrue([
      for k, c in local.clusters :
      try(data.azurerm_kubernetes_cluster.aks[k].azure_active_directory_role_based_access_control[0].azure_rbac_enabled, false) == c.use_azure_rbac
    ])
    error_message = "aks_clusters[].use_azure_rbac does not match the cluster's Azure RBAC setting for at least one cluster: with use_azure_rbac = false apply infra/k8s/rbac.yaml, with true enable Azure RBAC for Kubernetes on the cluster."
  }
}

# ---------------------------------------------------------------------------------------------------------------------
# Private AKS API servers: link their private DNS zones to the integration VNet
# ---------------------------------------------------------------------------------------------------------------------

resource "azurerm_private_dns_zone_virtual_network_link" "aks" {
  for_each = { for z in var.aks_private_dns_zones : "${z.resource_group_name}/${z.name}" => z }

  name                  = "${var.function_app_name}-link"
  resource_group_name   = each.value.resource_group_name
  private_dns_zone_name = each.value.name
  virtual_network_id    = local.integration_vnet_id
  registration_enabled  = false
  tags                  = var.tags
}
