// Configuration from app settings / environment, validated once at start. Errors name the setting.
import type { Policy, VaultConfig } from "../model/index.js";

export type { MountRefresh, Policy, RestartPolicy } from "../model/index.js";

/** How the function reaches one Kubernetes API server. */
export type ClusterAuth =
  | { type: "azure"; scope?: string } // Entra ID token of the managed identity (AKS AAD)
  | { type: "token"; token: string } // static bearer token (tests, break-glass)
  | { type: "kubeconfig"; path?: string; context?: string }; // local use

export interface ClusterConfig {
  name: string;
  /** API server URL; absent for kubeconfig auth (taken from the kubeconfig). */
  server?: string;
  /** PEM CA bundle of the API server (base64 of PEM accepted too, as in kubeconfigs). */
  caData?: string;
  auth: ClusterAuth;
}

export interface Config {
  clusters: ClusterConfig[];
  vaults: Map<string, VaultConfig>;
  policy: Policy;
  dryRun: boolean;
  reconcileSchedule: string;
  concurrency: number;
  /** Mounts older than this behind Key Vault count as drift (seconds). */
  driftGraceSeconds: number;
  /** Optional Event Grid topic endpoint for the `RotationPushed` report event. */
  reportTopicEndpoint?: string;
  /** Key Vault API version to pin (e.g. an emulator's). Empty = SDK default. */
  keyVaultApiVersion?: string;
  /** Distinct Key Vault objects one namespace's SPCs may make a drift run read (KVRP_NAMESPACE_READ_BUDGET). */
  namespaceReadBudget?: number;
  /** Key for keyed digests of values in reports and Events (KVRP_DIGEST_KEY); none = no digests shown. */
  digestKey?: string;
  /** Newest versions a trust proof may check (KVRP_PROOF_VERSIONS). */
  proofVersions?: number;
}

export class ConfigError extends Error {
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(`configuration: ${setting}: ${message}`);
    this.name = "ConfigError";
  }
}

/** AKS AAD server application id: the scope every managed-identity token for AKS is requested for. */
export const AKS_SCOPE = "6dae42f8-4368-4678-94ff-3960e28e3630/.default";
export const DEFAULT_RECONCILE_SCHEDULE = "0 */5 * * * *";
/** Newest enabled versions a trust proof may check (KVRP_PROOF_VERSIONS). */
export const DEFAULT_PROOF_VERSIONS = 3;
/** Distinct objects one namespace may make a drift run read (KVRP_NAMESPACE_READ_BUDGET). */
export const DEFAULT_NAMESPACE_READ_BUDGET = 50;

/** Every setting read, with a safe example; local.settings.sample.json and the README table follow this list. */
export const SETTINGS = {
  KVRP_CLUSTERS: `[{"name":"aks-prod","server":"https://aks-prod-dns.hcp.westeurope.azmk8s.io:443","caData":"<base64 PEM>","auth":"azure"}]`,
  KVRP_VAULTS: `[{"name":"contoso-prod","resourceId":"/subscriptions/<sub>/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/contoso-prod","url":"https://contoso-prod.vault.azure.net"}]`,
  KVRP_RESTART_POLICY: "env",
  KVRP_MOUNT_REFRESH: "nudge",
  KVRP_NAMESPACES_INCLUDE: "",
  KVRP_NAMESPACES_EXCLUDE: "kube-system",
  KVRP_DRY_RUN: "false",
  KVRP_RECONCILE_SCHEDULE: DEFAULT_RECONCILE_SCHEDULE,
  KVRP_CONCURRENCY: "8",
  KVRP_DRIFT_GRACE_SECONDS: "180",
  KVRP_REPORT_TOPIC_ENDPOINT: "",
  KVRP_KEYVAULT_API_VERSION: "",
} as const;

const NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const VAULT_NAME = /^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/;

function parseJson(setting: string, raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch (e) {
    throw new ConfigError(
      setting,
      `is not valid JSON (${(e as Error).message}); expected e.g. ${SETTINGS[setting as keyof typeof SETTINGS] ?? "a JSON array"}`,
    );
  }
}

function oneOf<T extends string>(setting: string, raw: string | undefined, allowed: readonly T[], dflt: T): T {
  const v = (raw ?? "").trim();
  if (v === "") return dflt;
  if ((allowed as readonly string[]).includes(v)) return v as T;
  throw new ConfigError(setting, `"${v}" is not one of ${allowed.join(" | ")}`);
}

function int(setting: string, raw: string | undefined, dflt: number, min: number, max: number): number {
  const v = (raw ?? "").trim();
  if (v === "") return dflt;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max)
    throw new ConfigError(setting, `"${v}" must be a whole number from ${min} to ${max}`);
  return Number(v);
}

function bool(setting: string, raw: string | undefined, dflt: boolean): boolean {
  const v = (raw ?? "").trim().toLowerCase();
  if (v === "") return dflt;
  if (v === "true" || v === "1") return true;
  if (v === "false" || v === "0") return false;
  throw new ConfigError(setting, `"${v}" must be true or false`);
}

function list(setting: string, raw: string | undefined): string[] {
  const items = (raw ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const i of items) if (!NAME.test(i)) throw new ConfigError(setting, `"${i}" is not a valid namespace name`);
  return items;
}

export function parseClusters(raw: string | undefined, setting = "KVRP_CLUSTERS"): ClusterConfig[] {
  if (!raw || !raw.trim()) throw new ConfigError(setting, `is required: a JSON array of clusters, e.g. ${SETTINGS.KVRP_CLUSTERS}`);
  const arr = parseJson(setting, raw);
  if (!Array.isArray(arr) || arr.length === 0) throw new ConfigError(setting, "must be a non-empty JSON array");
  const seen = new Set<string>();
  return arr.map((c: unknown, i) => {
    const where = `${setting}[${i}]`;
    if (typeof c !== "object" || c === null) throw new ConfigError(where, "must be an object");
    const o = c as Record<string, unknown>;
    const name = o.name;
    if (typeof name !== "string" || !NAME.test(name)) throw new ConfigError(`${where}.name`, "must be a DNS-1123 label");
    if (seen.has(name)) throw new ConfigError(`${where}.name`, `duplicate cluster "${name}"`);
    seen.add(name);
    const authRaw = o.auth ?? "azure";
    let auth: ClusterAuth;
    if (authRaw === "azure") auth = { type: "azure" };
    else if (authRaw === "kubeconfig")
      auth = {
        type: "kubeconfig",
        ...(typeof o.kubeconfig === "string" ? { path: o.kubeconfig } : {}),
        ...(typeof o.context === "string" ? { context: o.context } : {}),
      };
    else if (authRaw === "token") {
      if (typeof o.token !== "string" || !o.token) throw new ConfigError(`${where}.token`, 'is required when auth is "token"');
      auth = { type: "token", token: o.token };
    } else throw new ConfigError(`${where}.auth`, 'must be "azure", "token" or "kubeconfig"');
    if (auth.type !== "kubeconfig") {
      if (typeof o.server !== "string" || !/^https:\/\/[^\s/]+/.test(o.server))
        throw new ConfigError(`${where}.server`, "must be the API server's https:// URL");
    }
    if (o.caData !== undefined && typeof o.caData !== "string")
      throw new ConfigError(`${where}.caData`, "must be a string (PEM or base64 PEM)");
    return {
      name,
      ...(typeof o.server === "string" ? { server: o.server } : {}),
      ...(typeof o.caData === "string" ? { caData: o.caData } : {}),
      auth,
    };
  });
}

export function parseVaults(raw: string | undefined, setting = "KVRP_VAULTS"): Map<string, VaultConfig> {
  if (!raw || !raw.trim()) throw new ConfigError(setting, `is required: the vault allow-list, e.g. ${SETTINGS.KVRP_VAULTS}`);
  const arr = parseJson(setting, raw);
  if (!Array.isArray(arr) || arr.length === 0) throw new ConfigError(setting, "must be a non-empty JSON array");
  const out = new Map<string, VaultConfig>();
  arr.forEach((v: unknown, i) => {
    const where = `${setting}[${i}]`;
    if (typeof v !== "object" || v === null) throw new ConfigError(where, "must be an object");
    const o = v as Record<string, unknown>;
    if (typeof o.name !== "string" || !VAULT_NAME.test(o.name))
      throw new ConfigError(`${where}.name`, "must be a Key Vault name (3-24 letters, digits, hyphens; starts with a letter)");
    const name = o.name.toLowerCase();
    const rid = o.resourceId;
    if (
      typeof rid !== "string" ||
      !new RegExp(`^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\\.KeyVault/vaults/${name}$`, "i").test(rid)
    )
      throw new ConfigError(`${where}.resourceId`, `must be the vault's ARM id ending in /providers/Microsoft.KeyVault/vaults/${name}`);
    if (typeof o.url !== "string" || !/^https:\/\/[^\s]+$/.test(o.url))
      throw new ConfigError(`${where}.url`, "must be the vault's https:// URL");
    if (out.has(name)) throw new ConfigError(`${where}.name`, `duplicate vault "${name}"`);
    out.set(name, { name, resourceId: rid, url: o.url.replace(/\/+$/, "") });
  });
  return out;
}

/** Validates NCRONTAB with 6 fields (seconds first) — the classic mistake is a 5-field cron. */
export function parseSchedule(raw: string | undefined): string {
  const v = (raw ?? "").trim() || DEFAULT_RECONCILE_SCHEDULE;
  const fields = v.split(/\s+/);
  if (fields.length !== 6 || !fields.every((f) => /^[\d*/,\-A-Za-z]+$/.test(f)))
    throw new ConfigError(
      "KVRP_RECONCILE_SCHEDULE",
      `"${v}" must be an NCRONTAB expression with 6 fields ({second} {minute} {hour} {day} {month} {day-of-week}), e.g. "${DEFAULT_RECONCILE_SCHEDULE}"`,
    );
  return v;
}

/** The timer's schedule at load time: the setting if valid, else the default plus the error to report. */
export function resolveSchedule(env: NodeJS.ProcessEnv = process.env): { schedule: string; error?: string } {
  try {
    return { schedule: parseSchedule(env.KVRP_RECONCILE_SCHEDULE) };
  } catch (e) {
    return { schedule: DEFAULT_RECONCILE_SCHEDULE, error: e instanceof ConfigError ? e.message : String(e) };
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const policy: Policy = {
    restart: oneOf("KVRP_RESTART_POLICY", env.KVRP_RESTART_POLICY, ["env", "annotated", "off"] as const, "env"),
    mountRefresh: oneOf("KVRP_MOUNT_REFRESH", env.KVRP_MOUNT_REFRESH, ["nudge", "restart", "off"] as const, "nudge"),
    namespacesInclude: list("KVRP_NAMESPACES_INCLUDE", env.KVRP_NAMESPACES_INCLUDE),
    namespacesExclude: list("KVRP_NAMESPACES_EXCLUDE", env.KVRP_NAMESPACES_EXCLUDE),
  };
  const topic = (env.KVRP_REPORT_TOPIC_ENDPOINT ?? "").trim();
  if (topic && !/^https:\/\/\S+$/.test(topic))
    throw new ConfigError("KVRP_REPORT_TOPIC_ENDPOINT", "must be an https:// Event Grid topic endpoint");
  const apiVersion = (env.KVRP_KEYVAULT_API_VERSION ?? "").trim();
  return {
    clusters: parseClusters(env.KVRP_CLUSTERS),
    vaults: parseVaults(env.KVRP_VAULTS),
    policy,
    dryRun: bool("KVRP_DRY_RUN", env.KVRP_DRY_RUN, false),
    reconcileSchedule: parseSchedule(env.KVRP_RECONCILE_SCHEDULE),
    concurrency: int("KVRP_CONCURRENCY", env.KVRP_CONCURRENCY, 8, 1, 256),
    driftGraceSeconds: int("KVRP_DRIFT_GRACE_SECONDS", env.KVRP_DRIFT_GRACE_SECONDS, 180, 0, 86_400),
    ...(topic ? { reportTopicEndpoint: topic } : {}),
    ...(apiVersion ? { keyVaultApiVersion: apiVersion } : {}),
  };
}
