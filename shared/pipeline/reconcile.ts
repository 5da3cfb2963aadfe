// The timer's pull fallback: find drift between Key Vault's current versions and what clusters hold, push it.
// One Key Vault read per distinct referenced object per run, however many SPCs, pods or clusters use it.
import { randomUUID } from "node:crypto";
import pLimit from "p-limit";
import { applyPlan } from "../apply/apply.js";
import { collectInventory } from "../inventory/collect.js";
import { isPinned, type Spc } from "../inventory/spc.js";
import { describe, isTransient } from "../kube/errors.js";
import { namespaceInScope, planCluster, type Action, type VaultState } from "../plan/plan.js";
import { countActions, timings, toReportAction, type ClusterReport, type Report } from "../report/report.js";
import type { RotationSignal, SpcObject, VaultObjectType } from "../types.js";
import { KeyVaultReadError, worstFailure, type KeyVaultFailure } from "../vault/errors.js";
import { VaultReader } from "../vault/reader.js";
import type { Runtime } from "./runtime.js";

export interface ReconcileOptions {
  dryRun?: boolean;
  now?: Date;
  invocationId?: string;
  clusters?: string[];
  /** Concurrent Key Vault reads per vault (Key Vault allows 4,000 GETs / 10 s per vault; the SDK honours Retry-After). */
  vaultConcurrency?: number;
}

interface Referenced {
  vault: string;
  objectName: string;
  types: Set<SpcObject["objectType"]>;
}

/** Distinct (vault, object) pairs referenced, unpinned, by in-scope SPCs of allow-listed vaults. */
export function referencedObjects(spcsByCluster: Spc[][], rt: Pick<Runtime, "config">): Referenced[] {
  const m = new Map<string, Referenced>();
  for (const spcs of spcsByCluster)
    for (const spc of spcs) {
      if (spc.provider !== "azure" || !rt.config.vaults.has(spc.keyvaultName)) continue;
      if (!namespaceInScope(spc.namespace, rt.config.policy)) continue;
      for (const o of spc.objects) {
        if (isPinned(o)) continue;
        const k = `${spc.keyvaultName}|${o.objectName}`;
        const r = m.get(k) ?? { vault: spc.keyvaultName, objectName: o.objectName, types: new Set() };
        r.types.add(o.objectType);
        m.set(k, r);
      }
    }
  return [...m.values()];
}

/** The signal whose matching rules cover every provider type referenced (certificate covers secret, cert and key). */
function signalFor(r: Referenced, now: Date): RotationSignal {
  const t: VaultObjectType =
    r.types.size === 1 && r.types.has("secret") ? "secret" : r.types.size === 1 && r.types.has("key") ? "key" : "certificate";
  return { vault: r.vault, objectType: t, objectName: r.objectName, eventTime: now.toISOString(), source: "timer" };
}

/**
 * Folds actions of one type that target the same object into the first of them (copied, so plans stay untouched);
 * every other action keeps its place.
 */
function mergeSame<T extends Action["type"]>(
  actions: Action[],
  type: T,
  key: (a: Extract<Action, { type: T }>) => string,
  copy: (a: Extract<Action, { type: T }>) => Extract<Action, { type: T }>,
  fold: (into: Extract<Action, { type: T }>, a: Extract<Action, { type: T }>) => void,
): Action[] {
  const out: Action[] = [];
  const seen = new Map<string, Extract<Action, { type: T }>>();
  for (const a of actions) {
    if (a.type !== type) {
      out.push(a);
      continue;
    }
    const act = a as Extract<Action, { type: T }>;
    const prev = seen.get(key(act));
    if (prev) fold(prev, act);
    else {
      const c = copy(act);
      seen.set(key(act), c);
      out.push(c);
    }
  }
  return out;
}

const addReason = (into: { reason: string }, reason: string) => {
  if (!into.reason.split("; ").includes(reason)) into.reason = `${into.reason}; ${reason}`;
};

/** Several objects feeding one Secret: one merge patch, so a Secret never shows some keys new and some old. */
export function mergeSecretPatches(actions: Action[]): Action[] {
  return mergeSame(
    actions,
    "patchSecret",
    (a) => `${a.namespace}/${a.name}`,
    (a) => ({ ...a, data: { ...a.data }, keys: [...a.keys] }),
    (into, a) => {
      Object.assign(into.data, a.data);
      into.keys = [...new Set([...into.keys, ...a.keys])].sort();
      addReason(into, a.reason);
    },
  );
}

/** Several objects behind on one workload: one template patch (one rollout, one version set), not one per object. */
export function mergeWorkloadRestarts(actions: Action[]): Action[] {
  return mergeSame(
    actions,
    "restartWorkload",
    (a) => `${a.kind}/${a.namespace}/${a.name}`,
    (a) => ({ ...a, annotations: { ...a.annotations } }),
    (into, a) => {
      Object.assign(into.annotations, a.annotations);
      addReason(into, a.reason);
    },
  );
}

export async function reconcile(rt: Runtime, opts: ReconcileOptions = {}): Promise<Report> {
  const now = opts.now ?? new Date();
  const receivedAt = Date.now();
  const dryRun = opts.dryRun ?? rt.config.dryRun;
  const apis = rt.clusters.filter((c) => !opts.clusters?.length || opts.clusters.includes(c.name));
  const reports: ClusterReport[] = apis.map((a) => ({ cluster: a.name, ok: true, durationMs: 0, actions: [] }));

  // 1. What every cluster references.
  const listed = await Promise.all(
    apis.map(async (api, i) => {
      try {
        return await rt.spcSource.list(api);
      } catch (e) {
        reports[i]!.ok = false;
        reports[i]!.error = isTransient(e) ? describe(e) : `permanent: ${describe(e)}`;
        return null;
      }
    }),
  );
  const refs = referencedObjects(
    listed.map((l) => l ?? []),
    rt,
  );

  // 2. Key Vault: one read per distinct object and endpoint, bounded per vault.
  const reader = new VaultReader(rt.vaults);
  const perVault = new Map<string, ReturnType<typeof pLimit>>();
  const states = new Map<string, VaultState>();
  let vaultError: string | undefined;
  let vaultFailure: KeyVaultFailure | undefined;
  await Promise.all(
    refs.flatMap((r) => {
      const state: VaultState = { vault: r.vault, objectName: r.objectName, byType: {} };
      states.set(`${r.vault}|${r.objectName}`, state);
      const limit = perVault.get(r.vault) ?? pLimit(opts.vaultConcurrency ?? 16);
      perVault.set(r.vault, limit);
      return [...r.types].map((t) =>
        limit(async () => {
          try {
            state.byType[t] = await reader.read(rt.config.vaults.get(r.vault)!, t, r.objectName);
          } catch (e) {
            if (e instanceof KeyVaultReadError) vaultFailure = worstFailure(vaultFailure, e.summary());
            else vaultError ??= describe(e);
            state.byType[t] = { error: `not read this run: ${e instanceof KeyVaultReadError ? e.message : describe(e)}` };
          }
        }),
      );
    }),
  );

  // 3. Per cluster: one inventory for all objects, plans per object, one ordered apply.
  let oldest: number | undefined;
  let driftFound = 0;
  await Promise.all(
    apis.map(async (api, i) => {
      const rep = reports[i]!;
      const spcs = listed[i];
      if (!spcs) return;
      const t0 = Date.now();
      try {
        const names = [...new Set(refs.map((r) => r.objectName))];
        const inv = await collectInventory(api, spcs, names, rt.config.policy, rt.config.concurrency);
        let actions: Action[] = [];
        for (const r of refs) {
          const state = states.get(`${r.vault}|${r.objectName}`)!;
          const planned = planCluster(signalFor(r, now), inv, state, {
            policy: rt.config.policy,
            trigger: "drift",
            now,
            driftGraceSeconds: rt.config.driftGraceSeconds,
          });
          const drifted = planned.some((a) => a.type !== "skip" || a.reason === "driver-no-republish");
          if (drifted) {
            driftFound++;
            for (const s of Object.values(state.byType))
              if (s && "created" in s && s.created) oldest = Math.max(oldest ?? 0, (now.getTime() - s.created.getTime()) / 1000);
          }
          // Up-to-date objects are the normal case: report only what is behind or blocked.
          actions.push(...planned.filter((a) => a.type !== "skip" || a.reason !== "up-to-date"));
        }
        actions = mergeWorkloadRestarts(mergeSecretPatches(actions));
        const out = await applyPlan(api, actions, { concurrency: rt.config.concurrency, dryRun, receivedAt });
        rep.actions.push(...out.results.map(toReportAction));
        if (out.transientError) {
          rep.ok = false;
          rep.error = out.transientError;
        }
      } catch (e) {
        rep.ok = false;
        rep.error = isTransient(e) ? describe(e) : `permanent: ${describe(e)}`;
      }
      rep.durationMs = Date.now() - t0;
    }),
  );

  const { counts, skipsByReason } = countActions(reports);
  const report: Report = {
    invocationId: opts.invocationId ?? randomUUID(),
    trigger: "drift",
    dryRun,
    receivedAt: new Date(receivedAt).toISOString(),
    durationMs: Date.now() - receivedAt,
    signals: [],
    vaultReads: reader.reads,
    clusters: reports,
    counts,
    skipsByReason,
    timings: timings(reports, receivedAt, []),
    retry: !!vaultError || vaultFailure?.kind === "transient" || reports.some((c) => !c.ok && !(c.error ?? "").startsWith("permanent:")),
    ...(vaultFailure ? { vaultFailure } : {}),
    drift: { objectsChecked: refs.length, driftFound, ...(oldest !== undefined ? { oldestDriftSeconds: Math.round(oldest) } : {}) },
  };
  return report;
}
