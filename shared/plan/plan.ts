// The plan: a pure function from (signal, inventory, Key Vault data, policy) to actions with reasons.
import type { Policy } from "../config/config.js";
import type { SecretState, SpcpsState } from "../kube/cluster-api.js";
import { fileName, isPinned, matchingObjects, spcpsId, type Spc } from "../inventory/spc.js";
import type { Workload } from "../inventory/workload.js";
import { renderFileContent, secretDataForKey } from "../render/index.js";
import type { RotationSignal, SpcObject, VaultObjectData } from "../types.js";
import { POD_REFRESH, RELOADER, RESTART, csv, shortDigest, templateKey } from "./annotations.js";

export type SkipReason =
  | "namespace-excluded"
  | "spc-invalid"
  | "pinned-version"
  | "version-history"
  | "secret-not-synced"
  | "secret-object-invalid"
  | "up-to-date"
  | "object-unavailable"
  | "render-failed"
  | "driver-no-republish"
  | "mount-refresh-off"
  | "within-grace"
  | "opt-out"
  | "paused"
  | "already-restarted";

export type Action =
  // resourceVersion: the object as inventoried; the write is conditional on it (see ClusterApi), so a plan made from an
  // older Key Vault read never overwrites what a newer one wrote meanwhile (409 → the invocation is redelivered).
  | {
      type: "patchSecret";
      namespace: string;
      name: string;
      data: Record<string, string>;
      keys: string[];
      digest: string;
      reason: string;
      resourceVersion?: string;
    }
  | { type: "nudgePod"; namespace: string; name: string; spc: string; annotations: Record<string, string>; reason: string }
  | {
      type: "restartWorkload";
      namespace: string;
      kind: Workload["kind"];
      name: string;
      annotations: Record<string, string>;
      reason: string;
      resourceVersion?: string;
    }
  | { type: "skip"; namespace?: string; target: string; reason: SkipReason; detail: string };

/** What Key Vault holds now for the signalled object, per provider endpoint (secret / key / cert). */
export interface VaultState {
  vault: string;
  objectName: string;
  /** Latest enabled version's data, or why it could not be read (permanent errors only; transient ones abort). */
  byType: Partial<Record<SpcObject["objectType"], { data: VaultObjectData; created?: Date } | { error: string }>>;
}

export interface ClusterInventory {
  cluster: string;
  /** CSIDriver requiresRepublish: true (v1.6 + rotation), false, or null (no CSIDriver object). */
  driverRepublish: boolean | null;
  spcs: Spc[];
  secrets: Map<string, SecretState | null>;
  spcps: SpcpsState[];
  workloads: Workload[];
}

export interface PlanContext {
  policy: Policy;
  /** `event` (Event Grid, HTTP, CLI: a new version exists) or `drift` (timer: act only where state is behind). */
  trigger: "event" | "drift";
  now: Date;
  /** Drift only: mounts behind Key Vault for less than this are left to the driver. */
  driftGraceSeconds?: number;
}

export const secretKey = (ns: string, name: string) => `${ns}/${name}`;

export function namespaceInScope(ns: string, policy: Policy): boolean {
  if (policy.namespacesExclude.includes(ns)) return false;
  return policy.namespacesInclude.length === 0 || policy.namespacesInclude.includes(ns);
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64");
}

interface AffectedSecret {
  namespace: string;
  name: string;
  spc: string;
  patched: boolean;
  annotations: Record<string, string>;
}

/**
 * Plans one signal on one cluster. Objects of `signal` referenced by in-scope SPCs are rendered exactly as the
 * provider would write them; Secrets, mounts and env consumers that lag behind get an action, everything else a
 * `skip` with the reason.
 */
export function planCluster(signal: RotationSignal, inv: ClusterInventory, vault: VaultState, ctx: PlanContext): Action[] {
  const actions: Action[] = [];
  const skip = (target: string, reason: SkipReason, detail: string, namespace?: string) =>
    actions.push({ type: "skip", target, reason, detail, ...(namespace ? { namespace } : {}) });
  const patches = new Map<string, Extract<Action, { type: "patchSecret" }>>();
  const affectedSecrets = new Map<string, AffectedSecret>();
  const staleSpcs = new Map<string, { spc: Spc; version: string; ids: string[]; stale: SpcpsState[] }>();
  const versions = new Set<string>();

  for (const spc of inv.spcs) {
    const where = `SecretProviderClass ${spc.namespace}/${spc.name}`;
    if (!namespaceInScope(spc.namespace, ctx.policy)) {
      skip(where, "namespace-excluded", "namespace excluded by KVRP_NAMESPACES_INCLUDE/EXCLUDE", spc.namespace);
      continue;
    }
    if (spc.objectsError) {
      skip(where, "spc-invalid", `parameters.objects unreadable: ${spc.objectsError}`, spc.namespace);
      continue;
    }
    const objs = matchingObjects(spc, signal);
    for (const obj of objs) {
      const objLabel = `${where} object ${obj.objectType}/${obj.objectName}`;
      if (isPinned(obj)) {
        skip(objLabel, "pinned-version", `pinned to objectVersion ${obj.objectVersion}; a new version does not apply`, spc.namespace);
        continue;
      }
      const state = vault.byType[obj.objectType];
      if (!state || "error" in state) {
        skip(objLabel, "object-unavailable", state ? state.error : "not read from Key Vault", spc.namespace);
        continue;
      }
      const version = state.data.version;
      versions.add(version);
      const history = (obj.objectVersionHistory ?? 0) > 1;
      const file = fileName(obj);
      const id = history ? `${spcpsId(obj)}/0` : spcpsId(obj);

      // 1. synced Secrets fed by this file
      let rendered: Uint8Array | undefined;
      let renderError: string | undefined;
      for (const so of spc.secretObjects) {
        const entries = so.data.filter((d) => d.objectName === file || (history && d.objectName.startsWith(`${file}/`)));
        if (entries.length === 0) continue;
        const sLabel = `Secret ${spc.namespace}/${so.secretName}`;
        if (!so.secretName || !so.type) {
          skip(
            sLabel,
            "secret-object-invalid",
            "secretObjects entry needs secretName, type and data (the driver ignores it too)",
            spc.namespace,
          );
          continue;
        }
        if (history) {
          skip(
            sLabel,
            "version-history",
            `objectVersionHistory ${obj.objectVersionHistory}: versioned files (${file}/0..) are left to the driver's refresh`,
            spc.namespace,
          );
          continue;
        }
        const current = inv.secrets.get(secretKey(spc.namespace, so.secretName));
        if (!current) {
          skip(sLabel, "secret-not-synced", "Secret does not exist yet; the driver creates it when a pod mounts the class", spc.namespace);
          continue;
        }
        if (rendered === undefined && renderError === undefined) {
          try {
            rendered = renderFileContent(obj, state.data);
          } catch (e) {
            renderError = (e as Error).message;
          }
        }
        if (!rendered) {
          skip(sLabel, "render-failed", renderError ?? "render failed", spc.namespace);
          continue;
        }
        const k = secretKey(spc.namespace, so.secretName);
        const patch = patches.get(k) ?? {
          type: "patchSecret" as const,
          namespace: spc.namespace,
          name: so.secretName,
          data: {},
          keys: [],
          digest: "",
          reason: "",
          ...(current.resourceVersion ? { resourceVersion: current.resourceVersion } : {}),
        };
        let entryError: string | undefined;
        for (const d of entries) {
          let value: string;
          try {
            value = b64(secretDataForKey(so.type, d.key, rendered));
          } catch (e) {
            entryError = (e as Error).message;
            continue;
          }
          if (current.data[d.key] !== value) {
            patch.data[d.key] = value;
            if (!patch.keys.includes(d.key)) patch.keys.push(d.key);
          }
        }
        if (entryError) skip(sLabel, "render-failed", entryError, spc.namespace);
        const affected = affectedSecrets.get(k) ?? {
          namespace: spc.namespace,
          name: so.secretName,
          spc: spc.name,
          patched: false,
          annotations: current.annotations,
        };
        affectedSecrets.set(k, affected);
        if (patch.keys.length > 0) {
          affected.patched = true;
          patches.set(k, patch);
        } else if (!entryError) {
          skip(sLabel, "up-to-date", `keys already hold ${signal.objectName}@${short(version)}`, spc.namespace);
        }
      }

      // 2. mounts: pods whose SPCPS still holds another version of this object
      const stale = spcpsOf(inv.spcps, spc).filter((p) => p.versions[id] !== undefined && p.versions[id] !== version);
      const entry = staleSpcs.get(`${spc.namespace}/${spc.name}`) ?? { spc, version, ids: [], stale: [] };
      entry.ids.push(`${id}@${version}`);
      for (const p of stale) if (!entry.stale.includes(p)) entry.stale.push(p);
      staleSpcs.set(`${spc.namespace}/${spc.name}`, entry);
    }
  }

  for (const p of patches.values()) {
    p.keys.sort();
    p.digest = shortDigest(p.keys.map((k) => `${k}=${p.data[k]}`).join("\n"));
    p.reason = `keys ${p.keys.join(", ")} differ from ${signal.objectName}@${short([...versions][0] ?? "")}`;
    actions.push(p);
  }

  // Mount refresh
  const republish = inv.driverRepublish === true;
  const restartForMounts = new Map<string, Spc>();
  for (const { spc, ids, stale } of staleSpcs.values()) {
    if (stale.length === 0) continue;
    const refresh = shortDigest(ids.sort().join(","));
    // How long Key Vault has had this version: the drift grace period counts from its creation.
    const read = vault.byType[matchingObjects(spc, signal)[0]?.objectType ?? "secret"];
    const ageS = read && "created" in read && read.created ? (ctx.now.getTime() - read.created.getTime()) / 1000 : Infinity;
    for (const pod of stale) {
      const label = `Pod ${pod.namespace}/${pod.podName}`;
      if (ctx.policy.mountRefresh === "off") {
        skip(label, "mount-refresh-off", "mount refresh is off (KVRP_MOUNT_REFRESH=off); the driver's poll will refresh it", pod.namespace);
        continue;
      }
      if (ctx.trigger === "drift" && ageS < (ctx.driftGraceSeconds ?? 0)) {
        skip(
          label,
          "within-grace",
          `mount ${Math.round(ageS)} s behind, within the ${ctx.driftGraceSeconds} s grace period`,
          pod.namespace,
        );
        continue;
      }
      if (!republish) {
        const why =
          inv.driverRepublish === null
            ? "no CSIDriver secrets-store.csi.k8s.io found"
            : "CSIDriver has no requiresRepublish (driver < v1.6 or rotation off)";
        skip(label, "driver-no-republish", `mount waits for the driver's rotation poll: ${why}`, pod.namespace);
        if (ctx.policy.mountRefresh === "restart") restartForMounts.set(`${spc.namespace}/${spc.name}`, spc);
        continue;
      }
      const value = nudgeValue(refresh, ctx);
      const held = Object.entries(pod.versions)
        .filter(([id]) => ids.some((i) => i.startsWith(`${id}@`)))
        .map(([id, v]) => `${id}@${short(v)}`)
        .join(", ");
      actions.push({
        type: "nudgePod",
        namespace: pod.namespace,
        name: pod.podName,
        spc: spc.name,
        annotations: { [POD_REFRESH]: value },
        reason: `mount holds ${held}`,
      });
    }
  }

  // Restarts
  const version = [...versions][0];
  if (version !== undefined) {
    const tKey = templateKey(signal.vault, signal.objectName);
    const tValue = `${signal.vault}/${signal.objectName}@${version}`;
    // Only namespaces with an affected Secret or mount can restart anything (restartReason is null elsewhere).
    const touchedNs = new Set([
      ...[...affectedSecrets.values()].map((s) => s.namespace),
      ...[...restartForMounts.values()].map((s) => s.namespace),
    ]);
    for (const w of inv.workloads) {
      if (!touchedNs.has(w.namespace)) continue;
      const label = `${w.kind} ${w.namespace}/${w.name}`;
      const why = restartReason(w, affectedSecrets, restartForMounts, ctx);
      if (!why) continue;
      if (why.optOut) {
        skip(label, "opt-out", why.optOut, w.namespace);
        continue;
      }
      const current = w.templateAnnotations[tKey];
      if (current === tValue) {
        skip(label, "already-restarted", `pod template already carries ${signal.objectName}@${short(version)}`, w.namespace);
        continue;
      }
      if (ctx.trigger === "drift" && !why.patched && current === undefined && !why.mount) {
        // The timer restarts only what it found behind: a patched Secret, or a template that records an older version.
        continue;
      }
      if (w.paused) {
        skip(label, "paused", "Deployment is paused; resume it to roll out the new value", w.namespace);
        continue;
      }
      actions.push({
        type: "restartWorkload",
        namespace: w.namespace,
        kind: w.kind,
        name: w.name,
        annotations: { [tKey]: tValue },
        reason: why.reason,
        ...(w.resourceVersion ? { resourceVersion: w.resourceVersion } : {}),
      });
    }
  }
  return actions;
}

/** SPCPS of one SPC, in inventory order; indexed once per inventory (the timer plans every object over one inventory). */
const spcpsIndex = new WeakMap<SpcpsState[], { length: number; bySpc: Map<string, SpcpsState[]> }>();
function spcpsOf(all: SpcpsState[], spc: Spc): SpcpsState[] {
  let idx = spcpsIndex.get(all);
  if (!idx || idx.length !== all.length) {
    idx = { length: all.length, bySpc: new Map() };
    for (const p of all) {
      const k = `${p.namespace}/${p.spcName}`;
      const list = idx.bySpc.get(k);
      if (list) list.push(p);
      else idx.bySpc.set(k, [p]);
    }
    spcpsIndex.set(all, idx);
  }
  return idx.bySpc.get(`${spc.namespace}/${spc.name}`) ?? [];
}

function short(v: string): string {
  return v.slice(0, 8);
}

/**
 * Event: one value per version set, so duplicate deliveries patch nothing new. Drift: the value also carries the
 * grace window, so a republish the driver suppressed (content changed within its poll interval) is asked again
 * once per window, never more.
 */
export function nudgeValue(refresh: string, ctx: PlanContext): string {
  if (ctx.trigger === "event") return refresh;
  const window = Math.max(60, ctx.driftGraceSeconds ?? 0) * 1000;
  return `${refresh}.${Math.floor(ctx.now.getTime() / window)}`;
}

interface RestartWhy {
  reason: string;
  patched: boolean;
  mount: boolean;
  optOut?: string;
}

function truthy(v: string | undefined): boolean {
  return (v ?? "").trim().toLowerCase() === "true";
}

/** Why (and whether) a workload must restart for the affected Secrets / stale mounts — Reloader's rules included. */
export function restartReason(
  w: Workload,
  secrets: Map<string, AffectedSecret>,
  mounts: Map<string, Spc>,
  ctx: PlanContext,
): RestartWhy | null {
  const a = { ...w.annotations, ...w.templateAnnotations };
  const policy = ctx.policy.restart;
  const optedOut = a[RESTART]?.trim().toLowerCase() === "false" || a[RELOADER.auto]?.trim().toLowerCase() === "false";
  const reasons: string[] = [];
  let patched = false;
  let mount = false;
  for (const s of secrets.values()) {
    if (s.namespace !== w.namespace) continue;
    if (truthy(s.annotations[RELOADER.ignore])) continue;
    if (csv(a[RELOADER.secretExclude]).includes(s.name) || csv(a[RELOADER.spcExclude]).includes(s.spc)) continue;
    const env = w.envSecrets.has(s.name);
    const uses = env || w.volumeSecrets.has(s.name) || w.spcVolumes.has(s.spc);
    const named = csv(a[RELOADER.secretReload]).includes(s.name) || csv(a[RELOADER.spcReload]).includes(s.spc);
    const auto =
      ((truthy(a[RELOADER.auto]) || truthy(a[RELOADER.secretAuto])) && (env || w.volumeSecrets.has(s.name))) ||
      (truthy(a[RELOADER.spcAuto]) && w.spcVolumes.has(s.spc)) ||
      (truthy(a[RELOADER.search]) && truthy(s.annotations[RELOADER.match]) && uses) ||
      (truthy(a[RESTART]) && uses);
    const wants = policy === "env" ? env || named || auto : policy === "annotated" ? named || auto : false;
    if (!wants) continue;
    reasons.push(
      env ? `reads Secret ${s.name} as env` : named ? `names ${s.name} in a reload annotation` : `opted in (annotation) and uses ${s.name}`,
    );
    if (s.patched) patched = true;
  }
  for (const spc of mounts.values()) {
    if (spc.namespace === w.namespace && w.spcVolumes.has(spc.name)) {
      reasons.push(`mounts SecretProviderClass ${spc.name} and the driver cannot refresh it (KVRP_MOUNT_REFRESH=restart)`);
      mount = true;
    }
  }
  if (reasons.length === 0) return null;
  const why: RestartWhy = { reason: reasons.join("; "), patched, mount };
  if (optedOut) why.optOut = `opted out (${RESTART}=false or ${RELOADER.auto}=false)`;
  return why;
}
