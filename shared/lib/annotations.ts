// Annotation keys we write or honour. Ours share one domain-style prefix.
import { nameDigest } from "./digest.js";

export const PREFIX = "kv-rotation-pusher.io";
/** On pods: touching it makes kubelet republish the CSI mount (driver v1.6+ with requiresRepublish). */
export const POD_REFRESH = `${PREFIX}/refresh`;
/** On workloads (metadata or pod template): "false" opts out of restarts, "true" opts in under the `annotated` policy. */
export const RESTART = `${PREFIX}/restart`;
/** Pod-template annotation per Key Vault object: value `<vault>/<name>@<version>`, so equal versions never roll twice. */
export function templateKey(vault: string, objectName: string): string {
  return `${PREFIX}/v-${nameDigest(`${vault.toLowerCase()}/${objectName}`, 16)}`;
}
export const templateValue = (vault: string, objectName: string, version: string): string => `${vault}/${objectName}@${version}`;

/** Reloader's annotations, honoured as Reloader documents them (github.com/stakater/Reloader README, "Usage"). */
export const RELOADER = {
  auto: "reloader.stakater.com/auto",
  secretAuto: "secret.reloader.stakater.com/auto",
  spcAuto: "secretproviderclass.reloader.stakater.com/auto",
  secretReload: "secret.reloader.stakater.com/reload",
  spcReload: "secretproviderclass.reloader.stakater.com/reload",
  secretExclude: "secrets.exclude.reloader.stakater.com/reload",
  spcExclude: "secretproviderclasses.exclude.reloader.stakater.com/reload",
  search: "reloader.stakater.com/search",
  match: "reloader.stakater.com/match",
  ignore: "reloader.stakater.com/ignore",
} as const;

export function csv(v: string | undefined): string[] {
  return (v ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

export function truthy(v: string | undefined): boolean {
  return (v ?? "").trim().toLowerCase() === "true";
}

/** On workloads: a rotation's verification is pending (`pending`) or every one on it finished (`done`). A label, so
 * the verifier finds them with one filtered list per kind. */
export const VERIFY_LABEL = `${PREFIX}/verify`;
export const VERIFY_PENDING = "pending";
export const VERIFY_DONE = "done";
/** On workloads (metadata, not the template: nothing rolls out): one verification record per Key Vault object. */
export function recordKey(vault: string, objectName: string): string {
  return `${PREFIX}/rotation-${nameDigest(`${vault.toLowerCase()}/${objectName}`, 16)}`;
}
export const RECORD_PREFIX = `${PREFIX}/rotation-`;

const RELOADER_KEYS = new Set<string>(Object.values(RELOADER));

/**
 * The annotations of a workload (or its pod template) the pusher reads: ours (restart opt-in/out, per-object version
 * records, verification records) and Reloader's. Everything else (last-applied-configuration can be the whole object)
 * is not kept in memory by the workload cache.
 */
export function workloadAnnotations(all: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(all ?? {})) if (k.startsWith(`${PREFIX}/`) || RELOADER_KEYS.has(k)) out[k] = v;
  return out;
}
