# ---------------------------------------------------------------------------------------------------------------------
# Placement
# ---------------------------------------------------------------------------------------------------------------------

variable "subscription_id" {
  description = "Azure subscription that holds the function app, the vaults and the AKS clusters. null = take it from ARM_SUBSCRIPTION_ID or the Azure CLI login."
  type        = string
  default     = null
}

variable "location" {
  description = "Azure region of the function app, its storage account, Application Insights and Log Analytics workspace (for example \"westeurope\"). Use a region that offers the Flex Consumption plan."
  type        = string
}

variable "resource_group_name" {
  description = "Resource group for the function app and its supporting resources."
  type        = string
}

variable "create_resource_group" {
  description = "true = create resource_group_name in location; false = it already exists."
  type        = bool
  default     = true
}

variable "function_app_name" {
  description = "Name of the function app (globally unique host name <name>.azurewebsites.net; at most 32 characters to avoid host id collisions). Also the prefix of the plan, Application Insights and workspace names."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9][a-zA-Z0-9-]{0,30}[a-zA-Z0-9]$", var.function_app_name))
    error_message = "function_app_name must be 2-32 characters of letters, digits and hyphens, not starting or ending with a hyphen."
  }
}

variable "storage_account_name" {
  description = "Name of the storage account created for the function host (AzureWebJobsStorage), the Flex deployment package container and the Event Grid dead-letter container: 3-24 lowercase letters and digits, globally unique."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]{3,24}$", var.storage_account_name))
    error_message = "storage_account_name must be 3-24 lowercase letters and digits."
  }
}

variable "tags" {
  description = "Tags applied to every resource this configuration creates."
  type        = map(string)
  default     = {}
}

# ---------------------------------------------------------------------------------------------------------------------
# Function app
# ---------------------------------------------------------------------------------------------------------------------

variable "maximum_instance_count" {
  description = "Flex Consumption scale-out limit of the function app (1-1000). Every trigger other than HTTP scales on its own, so this also bounds concurrent Event Grid deliveries being processed."
  type        = number
  default     = 40

  validation {
    condition     = var.maximum_instance_count >= 1 && var.maximum_instance_count <= 1000
    error_message = "maximum_instance_count must be between 1 and 1000."
  }
}

variable "instance_memory_in_mb" {
  description = "Memory per Flex Consumption instance in MB: 2048 or 4096."
  type        = number
  default     = 2048

  validation {
    condition     = contains([2048, 4096], var.instance_memory_in_mb)
    error_message = "instance_memory_in_mb must be 2048 or 4096."
  }
}

variable "always_ready_instances" {
  description = "Always-ready (pre-warmed, billed) instances for the onKeyVaultEvent function. 0 = scale to zero and accept a cold start of a few seconds on the first event after idle; 1 keeps push latency sub-second."
  type        = number
  default     = 0

  validation {
    condition     = var.always_ready_instances >= 0 && var.always_ready_instances <= 1000
    error_message = "always_ready_instances must be between 0 and 1000."
  }
}

variable "user_assigned_identity" {
  description = "Optional user-assigned managed identity to run the function as ({ id = resource id, client_id, principal_id }). When set, it is attached next to the system-assigned identity, AZURE_CLIENT_ID points the Azure SDK at it, host storage uses it, and every role assignment goes to it. null = the system-assigned identity does everything."
  type = object({
    id           = string
    client_id    = string
    principal_id = string
  })
  default = null
}

variable "log_retention_in_days" {
  description = "Retention of the Log Analytics workspace behind Application Insights, in days (30-730)."
  type        = number
  default     = 30

  validation {
    condition     = var.log_retention_in_days >= 30 && var.log_retention_in_days <= 730
    error_message = "log_retention_in_days must be between 30 and 730."
  }
}

# ---------------------------------------------------------------------------------------------------------------------
# Networking (needed for private AKS API servers)
# ---------------------------------------------------------------------------------------------------------------------

variable "vnet_integration_subnet_id" {
  description = "Resource id of a subnet for outbound VNet integration (delegated to Microsoft.App/environments; the Microsoft.App resource provider must be registered). Needed to reach private AKS API servers. null = no VNet integration."
  type        = string
  default     = null

  validation {
    condition     = var.vnet_integration_subnet_id == null || can(regex("(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft.Network/virtualNetworks/[^/]+/subnets/[^/]+$", var.vnet_integration_subnet_id))
    error_message = "vnet_integration_subnet_id must be a subnet resource id (/subscriptions/.../virtualNetworks/<vnet>/subnets/<subnet>)."
  }
}

variable "aks_private_dns_zones" {
  description = "Private DNS zones of private AKS clusters (privatelink.<region>.azmk8s.io or <sub>.privatelink.<region>.azmk8s.io), as { name, resource_group_name }. Each is linked to the VNet of vnet_integration_subnet_id so the function resolves the private API server FQDN. Leave empty if that VNet already resolves them (existing link, custom DNS)."
  type = list(object({
    name                = string
    resource_group_name = string
  }))
  default = []

  validation {
    condition     = length(var.aks_private_dns_zones) == 0 || var.vnet_integration_subnet_id != null
    error_message = "aks_private_dns_zones needs vnet_integration_subnet_id: the zones are linked to that subnet's VNet."
  }
}

# ---------------------------------------------------------------------------------------------------------------------
# Key Vaults and Event Grid
# ---------------------------------------------------------------------------------------------------------------------

variable "vaults" {
  description = "Key Vaults (Azure RBAC permission model) whose new versions are pushed: { name, resource_group_name, use_certificates = optional(bool, false), use_keys = optional(bool, false), namespaces = optional(list(string)) }. Each gets an Event Grid system topic + subscription to onKeyVaultEvent and role assignments for the function's identity. Set use_certificates when SecretProviderClasses read certificates of this vault as objectType cert/key, use_keys when they read keys (objectType key). namespaces (KVRP_VAULTS[].namespaces): the namespaces, by name or glob (team-a-*), whose SecretProviderClasses may name this vault; null = every namespace."
  type = list(object({
    name                = string
    resource_group_name = string
    use_certificates    = optional(bool, false)
    use_keys            = optional(bool, false)
    namespaces          = optional(list(string))
  }))

  validation {
    condition     = length(var.vaults) > 0
    error_message = "vaults must list at least one Key Vault."
  }

  validation {
    condition     = length(distinct([for v in var.vaults : lower(v.name)])) == length(var.vaults)
    error_message = "vaults must not list the same vault twice."
  }

  validation {
    condition     = alltrue([for v in var.vaults : v.namespaces == null ? true : length(v.namespaces) > 0 && alltrue([for n in v.namespaces : can(regex("^[a-z0-9*]([-a-z0-9*]{0,61}[a-z0-9*])?$", n))])])
    error_message = "vaults[*].namespaces must be null (every namespace) or a non-empty list of namespace names or globs: 1-63 characters of [a-z0-9-*], starting and ending with a letter, digit or *."
  }
}

variable "create_event_subscriptions" {
  description = "Create the Event Grid subscriptions to onKeyVaultEvent. Event Grid validates that the function exists, so the first apply on a new app must use false, then publish the code, then apply with true (see README)."
  type        = bool
  default     = true
}

variable "report_topic" {
  description = "Optional Event Grid custom topic that receives one RotationPushed event per invocation: { id = topic resource id, endpoint = https://<topic>.<region>-1.eventgrid.azure.net/api/events }. The identity gets \"EventGrid Data Sender\" on it. null = no report events."
  type = object({
    id       = string
    endpoint = string
  })
  default = null
}

# ---------------------------------------------------------------------------------------------------------------------
# AKS clusters
# ---------------------------------------------------------------------------------------------------------------------

variable "aks_clusters" {
  description = "AKS clusters (Entra ID integration, local accounts disabled) the pusher writes to: { name, resource_group_name, use_azure_rbac = optional(bool, true) }. use_azure_rbac = true: the cluster uses Azure RBAC for Kubernetes authorization and Terraform assigns the custom role; false: Kubernetes RBAC, bind the identity with infra/k8s/rbac.yaml."
  type = list(object({
    name                = string
    resource_group_name = string
    use_azure_rbac      = optional(bool, true)
  }))

  validation {
    condition     = length(var.aks_clusters) > 0
    error_message = "aks_clusters must list at least one cluster."
  }

  validation {
    condition     = length(distinct([for c in var.aks_clusters : c.name])) == length(var.aks_clusters)
    error_message = "aks_clusters names must be unique (they become the cluster names in KVRP_CLUSTERS)."
  }
}

variable "assign_cluster_user_role" {
  description = "Assign \"Azure Kubernetes Service Cluster User Role\" (listClusterUserCredential: the cluster's kubeconfig, server and CA) on every cluster. The app settings already carry server and CA, so set false if nothing running as this identity fetches a kubeconfig."
  type        = bool
  default     = true
}

variable "aks_role_definition_name" {
  description = "Name of the Azure custom role (data actions on Kubernetes objects) created when at least one cluster has use_azure_rbac = true. Must be unique in the tenant. null = \"kv-rotation-pusher (<function_app_name>)\"."
  type        = string
  default     = null
}

# ---------------------------------------------------------------------------------------------------------------------
# Behaviour (app settings KVRP_*)
# ---------------------------------------------------------------------------------------------------------------------

variable "restart_policy" {
  description = "KVRP_RESTART_POLICY: which workloads that read a rotated Secret by env/envFrom are restarted. env = all of them; annotated = only those that opt in by annotation; off = never."
  type        = string
  default     = "env"

  validation {
    condition     = contains(["env", "annotated", "off"], var.restart_policy)
    error_message = "restart_policy must be env, annotated or off."
  }
}

variable "mount_refresh" {
  description = "KVRP_MOUNT_REFRESH: how mounted files are refreshed. nudge = annotate the pods so kubelet republishes the CSI volume (driver v1.6+ with rotation on); restart = restart the workloads that mount the SecretProviderClass; off = leave mounts to the driver's own rotation."
  type        = string
  default     = "nudge"

  validation {
    condition     = contains(["nudge", "restart", "off"], var.mount_refresh)
    error_message = "mount_refresh must be nudge, restart or off."
  }
}

variable "namespaces_include" {
  description = "KVRP_NAMESPACES_INCLUDE: only these namespaces are touched. Empty = all namespaces (minus namespaces_exclude). Required when you use the namespaced RBAC variant (infra/k8s/rbac-namespaced.yaml)."
  type        = list(string)
  default     = []
}

variable "namespaces_exclude" {
  description = "KVRP_NAMESPACES_EXCLUDE: namespaces never touched, even if included."
  type        = list(string)
  default     = []
}

variable "dry_run" {
  description = "KVRP_DRY_RUN: true = plan and report only, never write to a cluster."
  type        = bool
  default     = false
}

variable "reconcile_schedule" {
  description = "KVRP_RECONCILE_SCHEDULE: NCRONTAB expression with 6 fields (second minute hour day month day-of-week) for the drift-reconcile timer."
  type        = string
  default     = "0 */5 * * * *"

  validation {
    condition     = length(regexall("\\S+", var.reconcile_schedule)) == 6
    error_message = "reconcile_schedule must be an NCRONTAB expression with 6 space-separated fields, for example \"0 */5 * * * *\"."
  }
}

variable "concurrency" {
  description = "KVRP_CONCURRENCY: maximum concurrent Kubernetes API writes per cluster and invocation."
  type        = number
  default     = 8

  validation {
    condition     = var.concurrency >= 1 && var.concurrency <= 64 && floor(var.concurrency) == var.concurrency
    error_message = "concurrency must be an integer between 1 and 64."
  }
}

variable "drift_grace_seconds" {
  description = "KVRP_DRIFT_GRACE_SECONDS: the reconcile timer ignores drift younger than this many seconds (a push or the driver's own rotation may still be in flight)."
  type        = number
  default     = 180

  validation {
    condition     = var.drift_grace_seconds >= 0 && floor(var.drift_grace_seconds) == var.drift_grace_seconds
    error_message = "drift_grace_seconds must be a non-negative integer."
  }
}

variable "namespace_read_budget" {
  description = "KVRP_NAMESPACE_READ_BUDGET: distinct Key Vault objects the SecretProviderClasses of one namespace may make one run read; objects beyond it are skipped and the namespace is named in the report."
  type        = number
  default     = 50

  validation {
    condition     = var.namespace_read_budget >= 1 && var.namespace_read_budget <= 10000 && floor(var.namespace_read_budget) == var.namespace_read_budget
    error_message = "namespace_read_budget must be an integer between 1 and 10000."
  }
}

variable "proof_versions" {
  description = "KVRP_PROOF_VERSIONS: how many of an object's newest versions the pusher may compare a synced Secret against to prove the CSI driver already wrote that object there."
  type        = number
  default     = 3

  validation {
    condition     = var.proof_versions >= 1 && var.proof_versions <= 25 && floor(var.proof_versions) == var.proof_versions
    error_message = "proof_versions must be an integer between 1 and 25."
  }
}

variable "digest_key" {
  description = "KVRP_DIGEST_KEY: per-deployment key for the keyed digests of values in reports and logs (at least 32 characters), or a Key Vault reference @Microsoft.KeyVault(SecretUri=...) to one (keeps the key out of the plan; the function's identity needs Key Vault Secrets User on that secret). null = no digests."
  type        = string
  default     = null
  sensitive   = true

  validation {
    condition     = var.digest_key == null || length(coalesce(var.digest_key, "")) >= 32 || startswith(coalesce(var.digest_key, ""), "@Microsoft.KeyVault(")
    error_message = "digest_key must be null, at least 32 characters, or a Key Vault reference @Microsoft.KeyVault(SecretUri=...)."
  }
}
