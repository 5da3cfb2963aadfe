// Every app setting the function reads, with its default: local.settings.sample.json, the README table and Terraform
// (infra/main.tf, checked by test/unit/infra/terraform.test.ts) follow this list.

export const DEFAULT_RECONCILE_SCHEDULE = "0 */5 * * * *";

/** Whole-number settings: default and accepted range. */
export const INTEGER_SETTINGS = {
  /** Parallel Kubernetes API calls per cluster. */
  KVRP_CONCURRENCY: { default: 8, min: 1, max: 256 },
  /** Mounts older than this behind Key Vault count as drift (seconds). */
  KVRP_DRIFT_GRACE_SECONDS: { default: 180, min: 0, max: 86_400 },
  /** Distinct Key Vault objects one namespace's SecretProviderClasses may make a run read. */
  KVRP_NAMESPACE_READ_BUDGET: { default: 50, min: 1, max: 10_000 },
  /** How many of an object's newest versions a write proof may compare against. */
  KVRP_PROOF_VERSIONS: { default: 3, min: 1, max: 25 },
} as const;

/** Shortest accepted KVRP_DIGEST_KEY (characters). */
export const DIGEST_KEY_MIN_LENGTH = 32;

/** Every setting read, with a safe example (an empty string = unset, the default applies). */
export const SETTINGS = {
  KVRP_CLUSTERS: `[{"name":"aks-prod","server":"https://aks-prod-dns.hcp.westeurope.azmk8s.io:443","caData":"<base64 PEM>","auth":"azure"}]`,
  KVRP_VAULTS: `[{"name":"contoso-prod","resourceId":"/subscriptions/<sub>/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/contoso-prod","url":"https://contoso-prod.vault.azure.net"}]`,
  KVRP_RESTART_POLICY: "env",
  KVRP_MOUNT_REFRESH: "nudge",
  KVRP_NAMESPACES_INCLUDE: "",
  KVRP_NAMESPACES_EXCLUDE: "kube-system",
  KVRP_DRY_RUN: "false",
  KVRP_RECONCILE_SCHEDULE: DEFAULT_RECONCILE_SCHEDULE,
  KVRP_CONCURRENCY: String(INTEGER_SETTINGS.KVRP_CONCURRENCY.default),
  KVRP_DRIFT_GRACE_SECONDS: String(INTEGER_SETTINGS.KVRP_DRIFT_GRACE_SECONDS.default),
  KVRP_NAMESPACE_READ_BUDGET: String(INTEGER_SETTINGS.KVRP_NAMESPACE_READ_BUDGET.default),
  KVRP_PROOF_VERSIONS: String(INTEGER_SETTINGS.KVRP_PROOF_VERSIONS.default),
  KVRP_DIGEST_KEY: "",
  KVRP_REPORT_TOPIC_ENDPOINT: "",
  KVRP_KEYVAULT_API_VERSION: "",
} as const;

export type SettingName = keyof typeof SETTINGS;
