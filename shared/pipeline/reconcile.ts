// The timer's pull fallback: find drift between Key Vault's current versions and what clusters hold, push it.
// One Key Vault read per distinct referenced object per run, however many SPCs, pods or clusters use it, and at most
// a budget of distinct objects per namespace.
import { randomUUID } from "node:crypto";
import pLimit from "p-limit";
import { kubeFailure } from "../kube/errors.js";
import {
  ClassifiedError,
  vaultTypeCovering,
  type ClusterReport,
  type Failure,
  type ObjectState,
  type Report,
  type RotationSignal,
  type Spc,
  worstFailure,
} from "../model/index.js";
import { inScope, type PlannedObject } from "../plan/plan.js";
import { buildReport } from "../report/report.js";
import { VaultReader } from "../vault/reader.js";
import { objectKey, referencedObjects, withinBudget, type Referenced } from "./budget.js";
import { orderingFor, runClusterPass } from "./cluster-run.js";
import type { Runtime } from "./runtime.js";

/** How long a run waits for the mount and workload caches to be live before listing per namespace instead. */
const CACHE_WAIT_MS = 30_000;

export interface ReconcileOptions {
  dryRun?: boolean;
  now?: Date;
  invocationId?: string;
  clusters?: string[];
  /** Concurrent Key Vault reads per vault (Key Vault allows 4,000 GETs / 10 s per vault; the SDK honours Retry-After). */
  vaultConcurrency?: number;
}

function signalFor(r: Referenced, now: Date): RotationSignal {
  return {
    vault: r.vault,
    objectType: vaultTypeCovering(r.types),
    objectName: r.objectName,
    eventTime: now.toISOString(),
    source: "timer",
  };
}

/** Reads the admitted objects (one read per object and endpoint, bounded per vault); remembers what is unreadable. */
async function readAll(rt: Runtime, reader: VaultReader, refs: Referenced[], concurrency: number) {
  const perVault = new Map<string, ReturnType<typeof pLimit>>();
  const states = new Map<string, ObjectState>();
  let failure: Failure | undefined;
  await Promise.all(
    refs.flatMap((r) => {
      const key = objectKey(r.vault, r.objectName);
      const state: ObjectState = { vault: r.vault, objectName: r.objectName, byType: {} };
      states.set(key, state);
      const cached = rt.instance.negative.get(key);
      if (cached) {
        for (const t of r.types)
          state.byType[t] = { unavailable: cached.reason, detail: `${cached.detail} (remembered; not read again yet)` };
        return [];
      }
      const limit = perVault.get(r.vault) ?? pLimit(concurrency);
      perVault.set(r.vault, limit);
      rt.instance.lastRead.set(key, Date.now());
      return [...r.types].map((t) =>
        limit(async () => {
          try {
            const read = await reader.read(rt.config.vaults.get(r.vault)!, t, r.objectName);
            state.byType[t] = read;
            if ("unavailable" in read && (read.unavailable === "object-not-found" || read.unavailable === "object-disabled"))
              rt.instance.negative.remember(key, { reason: read.unavailable, detail: read.detail });
          } catch (e) {
            const f: Failure = e instanceof ClassifiedError ? e.failure : kubeFailure(e);
            failure = worstFailure(failure, f);
            state.byType[t] = { unavailable: "object-unusable", detail: `not read this run: ${f.message}` };
          }
        }),
      );
    }),
  );
  return { states, failure };
}

export async function reconcile(rt: Runtime, opts: ReconcileOptions = {}): Promise<Report> {
  const now = opts.now ?? new Date();
  const receivedAt = Date.now();
  const dryRun = opts.dryRun ?? rt.config.dryRun;
  const apis = rt.clusters.filter((c) => !opts.clusters?.length || opts.clusters.includes(c.name));
  const ctx = { policy: rt.config.policy, trigger: "drift" as const, now, driftGraceSeconds: rt.config.driftGraceSeconds };

  // 1. What every cluster references (the mount and workload caches seed meanwhile, when cold).
  for (const api of apis) rt.caches?.start(api);
  const listed = await Promise.all(
    apis.map(async (api): Promise<Spc[] | ClusterReport> => {
      try {
        return await rt.spcSource.list(api);
      } catch (e) {
        return { cluster: api.name, ok: false, failure: kubeFailure(e), durationMs: 0, actions: [] };
      }
    }),
  );
  const spcsOf = (i: number) => (Array.isArray(listed[i]) ? (listed[i] as Spc[]) : []);
  const scope = inScope({ policy: rt.config.policy, vaults: rt.config.vaults });
  const refs = referencedObjects(
    apis.map((_, i) => spcsOf(i)),
    scope,
    (v) => rt.config.vaults.has(v),
  );
  const { admitted, overBudget } = withinBudget(refs, rt.config.namespaceReadBudget, (k) => rt.instance.lastRead.get(k) ?? 0);

  // 2. Key Vault: one read per distinct admitted object and endpoint — while the clusters' Secrets are fetched.
  const reader = new VaultReader(rt.vaults);
  const reads = readAll(rt, reader, admitted, opts.vaultConcurrency ?? 16);
  const objectsRead: Promise<PlannedObject[]> = reads.then(({ states }) =>
    admitted.map((r) => ({ signal: signalFor(r, now), state: states.get(objectKey(r.vault, r.objectName))! })),
  );

  // 3. Per cluster: one inventory for all objects, one plan, one ordered apply. The mount stage waits for the mount
  // and workload caches (the timer reads everything; live caches answer without thousands of per-namespace lists).
  const behind = new Set<string>();
  const ordering = orderingFor(rt, reader);
  const clusters = await Promise.all(
    apis.map(async (api, i) => {
      const l = listed[i]!;
      if (!Array.isArray(l)) return l;
      const r = await runClusterPass(rt, api, {
        spcs: l,
        objectNames: [...new Set(admitted.map((o) => o.objectName))],
        objects: () => objectsRead,
        ctx,
        dryRun,
        receivedAt,
        reader,
        ordering,
        quietUpToDate: true,
        waitForCachesMs: CACHE_WAIT_MS,
      });
      for (const k of r.behind) behind.add(k);
      return r.report;
    }),
  );

  const { failure: vaultFailure } = await reads;
  const objects = await objectsRead;
  let oldest: number | undefined;
  for (const o of objects)
    if (behind.has(objectKey(o.state.vault, o.state.objectName)))
      for (const s of Object.values(o.state.byType))
        if (s && "created" in s && s.created) oldest = Math.max(oldest ?? 0, (now.getTime() - s.created.getTime()) / 1000);

  return buildReport({
    invocationId: opts.invocationId ?? randomUUID(),
    trigger: "drift",
    dryRun,
    receivedAt,
    signals: [],
    reads: { total: reader.reads, proof: reader.versionReads },
    clusters,
    ...(vaultFailure ? { vaultFailure } : {}),
    overBudget,
    drift: {
      objectsChecked: refs.length,
      driftFound: behind.size,
      ...(oldest !== undefined ? { oldestDriftSeconds: Math.round(oldest) } : {}),
    },
  });
}
