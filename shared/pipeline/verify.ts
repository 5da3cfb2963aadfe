// Following rotations to their end: the workloads labelled as verifying are judged against what the cluster shows now
// (workload status, their pods, mount statuses, synced Secrets) and Key Vault's current version; finished ones get
// their record, label and Event; a rotation whose last workload finished is reported (logs, Event Grid). Any instance
// can run it at any time: records are conditional writes, so two runs never finish the same record twice.
import { randomUUID } from "node:crypto";
import pLimit from "p-limit";
import { collectInventory } from "../inventory/collect.js";
import type { ClusterApi } from "../kube/cluster-api.js";
import { describeError, kubeFailure, statusOf } from "../kube/errors.js";
import {
  apiVersionOf,
  namespaceInScope,
  nsName,
  rotationKey,
  workloadKind,
  type ClusterInventory,
  type RotationOutcome,
  type RotationRecord,
  type VerifyReport,
  type Workload,
} from "../model/index.js";
import { analyzeSecrets, inScope, type PlanContext, type PlannedObject } from "../plan/plan.js";
import { VaultReader } from "../vault/reader.js";
import {
  finishedRecord,
  foldOutcomes,
  judge,
  podsToExplain,
  recordsOf,
  recordsPatch,
  verdictEvent,
  VERIFY_LABEL,
  VERIFY_PENDING,
  type Judgement,
  type RecordEntry,
} from "../verify/index.js";
import { readObject, typesUsed } from "./objects.js";
import type { Runtime } from "./runtime.js";
import { latestVersion, recordSigner } from "./verify-start.js";

export interface VerifyOptions {
  invocationId?: string;
  now?: Date;
  clusters?: string[];
  /** Only this object's rotations (`push --wait`, `status --vault --name`). */
  only?: { vault?: string; objectName?: string; version?: string };
  /** false: judge and report, write nothing (status). Default true. */
  write?: boolean;
}

export interface VerifyRun {
  report: VerifyReport;
  /** Every rotation with records in scope, folded (finished ones as recorded, pending ones as judged now). */
  rotations: RotationOutcome[];
}

interface Pending {
  workload: Workload;
  key: string;
  record: RotationRecord;
}

const objKey = (vault: string, objectName: string) => `${vault}|${objectName}`;

function wanted(r: RotationRecord, only: VerifyOptions["only"]): boolean {
  return (
    (!only?.vault || r.vault === only.vault.toLowerCase()) &&
    (!only?.objectName || r.objectName === only.objectName) &&
    (!only?.version || r.version === only.version)
  );
}

/** Pending records by namespace, at most `budget` per namespace per run (tenants can label workloads too). */
function pendingRecords(rt: Runtime, workloads: Workload[], only: VerifyOptions["only"]): Pending[] {
  const sign = recordSigner(rt);
  const perNs = new Map<string, number>();
  const out: Pending[] = [];
  for (const w of workloads)
    for (const [key, record] of recordsOf(w, sign)) {
      if (record.state !== "pending" || !wanted(record, only)) continue;
      // Namespaces outside this app's scope are another deployment's (or nobody's) business: never judged here.
      if (!namespaceInScope(w.namespace, rt.config.policy)) continue;
      const n = perNs.get(w.namespace) ?? 0;
      if (n >= rt.config.namespaceReadBudget) continue;
      perNs.set(w.namespace, n + 1);
      out.push({ workload: w, key, record });
    }
  return out;
}

/** What the judge needs beyond the workload: Key Vault's current version, the namespace's state, Secret checks. */
async function observe(rt: Runtime, api: ClusterApi, reader: VaultReader, pending: Pending[], now: Date) {
  const ctx: PlanContext = {
    policy: rt.config.policy,
    trigger: "event",
    now,
    vaults: rt.config.vaults,
    render: rt.render,
  };
  const namespaces = new Set(pending.map((p) => p.workload.namespace));
  const refs = new Map(
    pending.map((p) => [objKey(p.record.vault, p.record.objectName), { vault: p.record.vault, objectName: p.record.objectName }]),
  );
  // Only in-scope SPCs of the records' namespaces count: a record elsewhere reads nothing and checks nothing.
  const spcs = (await rt.spcSource.list(api)).filter((s) => namespaces.has(s.namespace) && inScope(ctx)(s));
  const objects: PlannedObject[] = await Promise.all(
    [...refs.values()].map((r) => {
      const signal = {
        vault: r.vault,
        objectType: "certificate" as const,
        objectName: r.objectName,
        eventTime: now.toISOString(),
        source: "timer" as const,
      };
      const types = typesUsed(spcs, signal);
      return readObject(reader, rt.config.vaults, signal, types);
    }),
  );
  const inv: ClusterInventory = await collectInventory(
    api,
    spcs.filter((s) => objects.some((o) => typesUsed([s], o.signal).length > 0)),
    [...new Set([...refs.values()].map((r) => r.objectName))],
    () => true,
    rt.config.concurrency,
    rt.caches,
  );
  // Which synced Secrets hold the current version's rendering (Key Vault's current version is the record's, or the
  // record is superseded and no Secret is checked).
  const holds = new Map<string, Map<string, boolean>>();
  const analysis = analyzeSecrets(objects, inv, ctx);
  for (const [list, ok] of [
    [analysis.current, true],
    [analysis.behind, false],
  ] as const)
    for (const t of list) {
      const k = objKey(t.vault, t.spcObject.objectName);
      const m = holds.get(k) ?? new Map<string, boolean>();
      const s = nsName(t.namespace, t.secret);
      m.set(s, ok && m.get(s) !== false);
      holds.set(k, m);
    }
  const latest = new Map(objects.map((o) => [objKey(o.state.vault, o.state.objectName), latestVersion(o)?.version]));
  return { inv, spcs, holds, latest };
}

/** Judges one record; at a failing verdict, reads the Warning Events of the pods that are not ready and judges again. */
async function judgeOne(api: ClusterApi, p: Pending, o: Awaited<ReturnType<typeof observe>>, now: Date): Promise<Judgement> {
  const fresh = o.inv.workloads.find(
    (w) => w.kind === p.workload.kind && w.namespace === p.workload.namespace && w.name === p.workload.name,
  );
  if (!fresh) return { superseded: "the workload is gone" };
  const pods = fresh.selector ? await api.listPods(fresh.namespace, fresh.selector) : [];
  const k = objKey(p.record.vault, p.record.objectName);
  const input = {
    workload: fresh,
    pods,
    spcps: o.inv.spcps,
    spcs: o.spcs,
    secretHolds: o.holds.get(k) ?? new Map<string, boolean>(),
    latestVersion: o.latest.get(k),
    now,
  };
  const first = judge(p.record, input);
  const explain = podsToExplain(first);
  if (explain.length === 0) return first;
  for (const pod of pods)
    if (explain.includes(pod.name))
      try {
        pod.warnings = await api.podWarnings(pod.namespace, pod.name);
      } catch {
        /* the verdict stands without them */
      }
  return judge(p.record, input);
}

interface ClusterResult {
  cluster: string;
  ok: boolean;
  failure?: { kind: string; message: string };
  pending: number;
  finished: number;
  entries: RecordEntry[];
  touched: Set<string>;
}

async function verifyCluster(rt: Runtime, api: ClusterApi, reader: VaultReader, opts: VerifyOptions, now: Date): Promise<ClusterResult> {
  const res: ClusterResult = { cluster: api.name, ok: true, pending: 0, finished: 0, entries: [], touched: new Set() };
  const write = opts.write !== false;
  const sign = recordSigner(rt);
  try {
    const labelled = await api.listLabelledWorkloads(`${VERIFY_LABEL}=${VERIFY_PENDING}`);
    const pending = pendingRecords(rt, labelled, opts.only);
    res.pending = pending.length;
    const judged = new Map<Pending, Judgement>();
    if (pending.length) {
      const o = await observe(rt, api, reader, pending, now);
      const limit = pLimit(rt.config.concurrency);
      await Promise.all(pending.map((p) => limit(async () => judged.set(p, await judgeOne(api, p, o, now)))));
    }
    // Finished verdicts: the record, the label, then the Event — per workload, conditional on what was listed.
    const byWorkload = new Map<Workload, Map<string, RotationRecord | null>>();
    const events: { w: Workload; e: ReturnType<typeof verdictEvent> }[] = [];
    const live = new Map<string, RecordEntry>();
    for (const [p, j] of judged) {
      const entry = `${p.workload.kind}/${p.workload.namespace}/${p.workload.name}|${p.key}`;
      res.touched.add(rotationKey(p.record));
      if ("superseded" in j) {
        byWorkload.set(p.workload, (byWorkload.get(p.workload) ?? new Map()).set(p.key, null));
        continue;
      }
      const base = { cluster: api.name, kind: p.workload.kind, namespace: p.workload.namespace, name: p.workload.name };
      if (j.state === "pending") {
        live.set(entry, { ...base, record: p.record, problems: j.problems });
        continue;
      }
      const done = finishedRecord(j, now);
      byWorkload.set(p.workload, (byWorkload.get(p.workload) ?? new Map()).set(p.key, done));
      events.push({ w: p.workload, e: verdictEvent(j, done) });
      live.set(entry, { ...base, record: done, problems: j.problems });
    }
    if (write) {
      const limit = pLimit(rt.config.concurrency);
      const lost = new Set<Workload>();
      await Promise.all(
        [...byWorkload].map(([w, updates]) =>
          limit(async () => {
            try {
              await api.patchWorkloadMetadata(w.kind, w.namespace, w.name, recordsPatch(w, updates, sign), w.resourceVersion);
            } catch (e) {
              // Changed since listed (a rollout's status, another instance finishing it): the next run looks again.
              if (statusOf(e) !== 409) throw e;
              lost.add(w);
            }
          }),
        ),
      );
      for (const { w, e } of events)
        if (!lost.has(w))
          try {
            await api.recordEvent({
              namespace: w.namespace,
              kind: w.kind,
              apiVersion: apiVersionOf(workloadKind(w.kind)),
              name: w.name,
              ...e,
            });
            res.finished++;
          } catch {
            /* Events are best effort */
          }
      for (const w of lost)
        for (const [k, e] of live)
          if (k.startsWith(`${w.kind}/${w.namespace}/${w.name}|`)) live.set(k, { ...e, record: { ...e.record, state: "pending" } });
    } else res.finished = events.length;
    // Fold: every record of the rotations seen, finished earlier (as recorded) or judged now.
    const all = pending.length || !write ? await api.listLabelledWorkloads(VERIFY_LABEL) : [];
    for (const w of all.filter((x) => namespaceInScope(x.namespace, rt.config.policy)))
      for (const [key, record] of recordsOf(w, sign)) {
        if (!wanted(record, opts.only)) continue;
        const k = `${w.kind}/${w.namespace}/${w.name}|${key}`;
        if (live.has(k)) continue;
        // Freshly listed after our writes, so finished records show their new state; pending ones we skipped wait.
        live.set(k, { cluster: api.name, kind: w.kind, namespace: w.namespace, name: w.name, record });
      }
    res.entries = [...live.values()];
  } catch (e) {
    res.ok = false;
    const f = kubeFailure(e);
    res.failure = { kind: f.kind, message: describeError(e) };
  }
  return res;
}

/** One verification run over the (selected) clusters. */
export async function verifyRotations(rt: Runtime, opts: VerifyOptions = {}): Promise<VerifyRun> {
  const now = opts.now ?? new Date();
  const t0 = Date.now();
  const reader = new VaultReader(rt.vaults);
  const apis = rt.clusters.filter((c) => !opts.clusters?.length || opts.clusters.includes(c.name));
  const results = await Promise.all(apis.map((api) => verifyCluster(rt, api, reader, opts, now)));
  const rotations = foldOutcomes(results.flatMap((r) => r.entries)).sort(
    (a, b) => a.cluster.localeCompare(b.cluster) || b.eventTime.localeCompare(a.eventTime),
  );
  const touched = (o: RotationOutcome) => results.find((r) => r.cluster === o.cluster)?.touched.has(rotationKey(o)) ?? false;
  const report: VerifyReport = {
    invocationId: opts.invocationId ?? randomUUID(),
    startedAt: now.toISOString(),
    durationMs: Date.now() - t0,
    clusters: results.map((r) => ({
      cluster: r.cluster,
      ok: r.ok,
      ...(r.failure ? { failure: r.failure } : {}),
      pending: r.pending,
      finished: r.finished,
    })),
    outcomes: rotations.filter((o) => o.state !== "pending" && touched(o) && opts.write !== false),
    inFlight: rotations.filter((o) => o.state === "pending"),
    retry: results.some((r) => !r.ok && r.failure?.kind !== "permanent"),
  };
  return { report, rotations };
}
