// Configuration from app settings / environment, validated once at start (one schema over the environment). Errors
// name the setting — and the field inside a JSON setting — and say what is expected; they never echo a credential.
import * as v from "valibot";
import { DNS1123_LABEL_RULE, isDns1123Label } from "../names/kubernetes.js";
import { quoteForLog } from "../names/untrusted.js";
import type { VaultConfig } from "../model/index.js";
import { clustersSetting, type ClusterConfig } from "./clusters.js";
import { ConfigError, envConfigError } from "./errors.js";
import { DEFAULT_RECONCILE_SCHEDULE, DIGEST_KEY_MIN_LENGTH, INTEGER_SETTINGS } from "./settings.js";
import { vaultsSetting } from "./vaults.js";

export { ConfigError } from "./errors.js";
export { parseClusters, type ClusterAuth, type ClusterConfig } from "./clusters.js";
export { lookupVault, parseVaults } from "./vaults.js";
export { DEFAULT_RECONCILE_SCHEDULE, DIGEST_KEY_MIN_LENGTH, INTEGER_SETTINGS, SETTINGS } from "./settings.js";

import type { MountRefresh, Policy, RestartPolicy } from "../model/index.js";
export type { MountRefresh, Policy, RestartPolicy } from "../model/index.js";

export interface Config {
  clusters: ClusterConfig[];
  vaults: Map<string, VaultConfig>;
  policy: Policy;
  dryRun: boolean;
  reconcileSchedule: string;
  concurrency: number;
  /** Mounts older than this behind Key Vault count as drift (seconds). */
  driftGraceSeconds: number;
  /** KVRP_NAMESPACE_READ_BUDGET: distinct Key Vault objects one namespace's SPCs may make a run read. */
  namespaceReadBudget: number;
  /** KVRP_DIGEST_KEY: per-deployment key for keyed digests of values; absent = no digests. Never logged. */
  digestKey?: string;
  /** KVRP_PROOF_VERSIONS: how many of an object's newest versions a write proof may compare against. */
  proofVersions: number;
  /** Optional Event Grid topic endpoint for the `RotationPushed` report event. */
  reportTopicEndpoint?: string;
  /** Key Vault API version to pin (e.g. an emulator's). Empty = SDK default. */
  keyVaultApiVersion?: string;
  /**
   * How long a pass waits for the sync controller after nudging SecretSyncs before it plans restarts (seconds; not
   * an app setting: 15 s unless a caller sets it). What is not written by then restarts in a later pass.
   */
  secretSyncWaitSeconds?: number;
}

/** AKS AAD server application id: the scope every managed-identity token for AKS is requested for. */
export const AKS_SCOPE = "6dae42f8-4368-4678-94ff-3960e28e3630/.default";

/** A setting as read from the environment: absent and blank are the same (the default applies). */
const text = v.pipe(v.optional(v.string(), ""), v.trim());

function oneOf<T extends string>(allowed: readonly T[], dflt: T) {
  return v.pipe(
    text,
    v.transform((s) => s || dflt),
    v.picklist(allowed, (i) => `${quoteForLog(i.input)} is not one of ${allowed.join(" | ")}`),
  );
}

function wholeNumber(name: keyof typeof INTEGER_SETTINGS) {
  const { default: dflt, min, max } = INTEGER_SETTINGS[name];
  return v.pipe(
    text,
    v.check(
      (s) => s === "" || (/^\d+$/.test(s) && Number(s) >= min && Number(s) <= max),
      (i) => `${quoteForLog(i.input)} must be a whole number from ${min} to ${max}`,
    ),
    v.transform((s): number => (s === "" ? dflt : Number(s))),
  );
}

function bool(dflt: boolean) {
  return v.pipe(
    text,
    v.toLowerCase(),
    v.picklist(["", "true", "1", "false", "0"], (i) => `${quoteForLog(i.input)} must be true or false`),
    v.transform((s) => (s === "" ? dflt : s === "true" || s === "1")),
  );
}

const namespaceList = v.pipe(
  text,
  v.transform((s) =>
    s
      .split(",")
      .map((n) => n.trim())
      .filter(Boolean),
  ),
  v.check(
    (items) => items.every(isDns1123Label),
    (i) => `${quoteForLog(i.input.find((n) => !isDns1123Label(n)))} is not a valid namespace name (${DNS1123_LABEL_RULE})`,
  ),
);

/** NCRONTAB with 6 fields (seconds first) — the classic mistake is a 5-field cron. */
const schedule = v.pipe(
  text,
  v.transform((s) => s || DEFAULT_RECONCILE_SCHEDULE),
  v.check(
    (s) => {
      const fields = s.split(/\s+/);
      return fields.length === 6 && fields.every((f) => /^[\d*/,\-A-Za-z]+$/.test(f));
    },
    (i) =>
      `${quoteForLog(i.input)} must be an NCRONTAB expression with 6 fields ({second} {minute} {hour} {day} {month} {day-of-week}), e.g. "${DEFAULT_RECONCILE_SCHEDULE}"`,
  ),
);

const optionalHttps = (what: string) =>
  v.pipe(
    text,
    v.check((s) => s === "" || /^https:\/\/\S+$/.test(s), `must be an https:// ${what}`),
    v.transform((s) => s || undefined),
  );

/** Used exactly as given (not trimmed): a key is bytes, not text. Messages never include it, not even its length. */
const digestKey = v.pipe(
  v.optional(v.string(), ""),
  // App Service leaves a Key Vault reference it could not resolve in place: long enough, and public.
  v.check(
    (s) => !s.trim().startsWith("@Microsoft.KeyVault("),
    "is a Key Vault reference the platform could not resolve: give the function app's identity read access to that secret",
  ),
  v.check(
    (s) => s.trim() === "" || s.length >= DIGEST_KEY_MIN_LENGTH,
    `is too short: use a random key of at least ${DIGEST_KEY_MIN_LENGTH} characters (e.g. \`openssl rand -base64 48\`), or leave it unset`,
  ),
  v.transform((s) => (s.trim() === "" ? undefined : s)),
);

/** Every setting; entries run in this order, and the first problem is reported. */
const environment = v.object({
  KVRP_RESTART_POLICY: oneOf<RestartPolicy>(["env", "annotated", "off"], "env"),
  KVRP_MOUNT_REFRESH: oneOf<MountRefresh>(["nudge", "restart", "off"], "nudge"),
  KVRP_NAMESPACES_INCLUDE: namespaceList,
  KVRP_NAMESPACES_EXCLUDE: namespaceList,
  KVRP_REPORT_TOPIC_ENDPOINT: optionalHttps("Event Grid topic endpoint"),
  KVRP_CLUSTERS: clustersSetting,
  KVRP_VAULTS: vaultsSetting,
  KVRP_DRY_RUN: bool(false),
  KVRP_RECONCILE_SCHEDULE: schedule,
  KVRP_CONCURRENCY: wholeNumber("KVRP_CONCURRENCY"),
  KVRP_DRIFT_GRACE_SECONDS: wholeNumber("KVRP_DRIFT_GRACE_SECONDS"),
  KVRP_NAMESPACE_READ_BUDGET: wholeNumber("KVRP_NAMESPACE_READ_BUDGET"),
  KVRP_PROOF_VERSIONS: wholeNumber("KVRP_PROOF_VERSIONS"),
  KVRP_DIGEST_KEY: digestKey,
  KVRP_KEYVAULT_API_VERSION: v.pipe(
    text,
    v.transform((s) => s || undefined),
  ),
});

/** Validates KVRP_RECONCILE_SCHEDULE (absent → the default). */
export function parseSchedule(raw: string | undefined): string {
  const r = v.safeParse(v.object({ KVRP_RECONCILE_SCHEDULE: schedule }), { KVRP_RECONCILE_SCHEDULE: raw }, { abortEarly: true });
  if (!r.success) throw envConfigError(r.issues);
  return r.output.KVRP_RECONCILE_SCHEDULE;
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
  const r = v.safeParse(environment, env, { abortEarly: true });
  if (!r.success) throw envConfigError(r.issues);
  const s = r.output;
  return {
    clusters: s.KVRP_CLUSTERS,
    vaults: s.KVRP_VAULTS,
    policy: {
      restart: s.KVRP_RESTART_POLICY,
      mountRefresh: s.KVRP_MOUNT_REFRESH,
      namespacesInclude: s.KVRP_NAMESPACES_INCLUDE,
      namespacesExclude: s.KVRP_NAMESPACES_EXCLUDE,
    },
    dryRun: s.KVRP_DRY_RUN,
    reconcileSchedule: s.KVRP_RECONCILE_SCHEDULE,
    concurrency: s.KVRP_CONCURRENCY,
    driftGraceSeconds: s.KVRP_DRIFT_GRACE_SECONDS,
    namespaceReadBudget: s.KVRP_NAMESPACE_READ_BUDGET,
    proofVersions: s.KVRP_PROOF_VERSIONS,
    ...(s.KVRP_DIGEST_KEY !== undefined ? { digestKey: s.KVRP_DIGEST_KEY } : {}),
    ...(s.KVRP_REPORT_TOPIC_ENDPOINT !== undefined ? { reportTopicEndpoint: s.KVRP_REPORT_TOPIC_ENDPOINT } : {}),
    ...(s.KVRP_KEYVAULT_API_VERSION !== undefined ? { keyVaultApiVersion: s.KVRP_KEYVAULT_API_VERSION } : {}),
  };
}
