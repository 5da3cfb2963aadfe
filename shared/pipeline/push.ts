// signal → inventory → plan → apply → report, for every configured cluster.
import { randomUUID } from "node:crypto";
import type { Policy } from "../config/config.js";
import { applyPlan } from "../apply/apply.js";
import { collectInventory, spcsForSignals } from "../inventory/collect.js";
import { matchingObjects, type Spc } from "../inventory/spc.js";
import type { ClusterApi } from "../kube/cluster-api.js";
import { describe, isTransient } from "../kube/errors.js";
import { planCluster, type Action, type VaultState } from "../plan/plan.js";
import { countActions, timings, toReportAction, type ClusterReport, type Report } from "../report/report.js";
import type { RotationSignal } from "../types.js";
import { KeyVaultReadError, worstFailure, type KeyVaultFailure } from "../vault/errors.js";
import { VaultReader } from "../vault/reader.js";
import type { Runtime } from "./runtime.js";

export interface PushOptions {
  invocationId?: string;
  receivedAt?: Date;
  dryRun?: boolean;
  /** Only these clusters (HTTP/CLI). */
  clusters?: string[];
  /** Only these namespaces (HTTP/CLI); intersected with the configured scope. */
  namespaces?: string[];
}

/** Same object signalled several times in one delivery → one push (the content is read fresh anyway). */
export function dedupeSignals(signals: RotationSignal[]): RotationSignal[] {
  const m = new Map<string, RotationSignal>();
  for (const s of signals) {
    const k = `${s.vault}|${s.objectType}|${s.objectName}`;
    const prev = m.get(k);
    if (!prev || Date.parse(s.eventTime) > Date.parse(prev.eventTime)) m.set(k, s);
  }
  return [...m.values()];
}

export function scopedPolicy(policy: Policy, namespaces: string[] | undefined): Policy {
  if (!namespaces?.length) return policy;
  const include = policy.namespacesInclude.length ? namespaces.filter((n) => policy.namespacesInclude.includes(n)) : namespaces;
  // An empty intersection must not widen to "all namespaces".
  return { ...policy, namespacesInclude: include.length ? include : ["\u0000none"] };
}

/** Reads, once, every Key Vault endpoint the matched SPC objects need for this signal. */
async function vaultState(rt: Runtime, reader: VaultReader, signal: RotationSignal, spcs: Spc[]): Promise<VaultState> {
  const vault = rt.config.vaults.get(signal.vault);
  const state: VaultState = { vault: signal.vault, objectName: signal.objectName, byType: {} };
  if (!vault) return state;
  const types = new Set(spcs.flatMap((s) => matchingObjects(s, signal).map((o) => o.objectType)));
  await Promise.all(
    [...types].map(async (t) => {
      state.byType[t] = await reader.read(vault, t, signal.objectName);
    }),
  );
  return state;
}

async function pushCluster(
  rt: Runtime,
  api: ClusterApi,
  reader: VaultReader,
  signals: RotationSignal[],
  policy: Policy,
  dryRun: boolean,
  receivedAt: number,
  onVaultFailure: (f: KeyVaultFailure) => void,
): Promise<ClusterReport> {
  const t0 = Date.now();
  const report: ClusterReport = { cluster: api.name, ok: true, durationMs: 0, actions: [] };
  try {
    const matched = await spcsForSignals(rt.spcSource, api, signals);
    for (const [i, signal] of signals.entries()) {
      const spcs = matched[i] ?? [];
      if (spcs.length === 0) continue;
      // Inventory first, Key Vault second: a write another instance makes after our inventory read fails our
      // conditional patches (409 → redelivery), and one made before it was made from a read no newer than ours.
      const inv = await collectInventory(api, spcs, [signal.objectName], policy, rt.config.concurrency);
      const vault = await vaultState(rt, reader, signal, spcs);
      const actions: Action[] = planCluster(signal, inv, vault, { policy, trigger: "event", now: new Date() });
      const out = await applyPlan(api, actions, { concurrency: rt.config.concurrency, dryRun, receivedAt });
      report.actions.push(...out.results.map(toReportAction));
      if (out.transientError) {
        report.ok = false;
        report.error = out.transientError;
        break;
      }
    }
  } catch (e) {
    report.ok = false;
    if (e instanceof KeyVaultReadError) {
      // Classified by Key Vault's own codes; only a transient failure is retried without a configuration change.
      onVaultFailure(e.summary());
      report.error = `${e.kind === "transient" ? "" : "permanent: "}${e.message}; fix: ${e.fix}`;
    } else {
      report.error = describe(e);
      if (!isTransient(e)) report.error = `permanent: ${report.error}`;
    }
  }
  report.durationMs = Date.now() - t0;
  return report;
}

/** Pushes signals to every (selected) cluster. Clusters are independent: one failing does not stop the others. */
export async function push(rt: Runtime, signalsIn: RotationSignal[], opts: PushOptions = {}): Promise<Report> {
  const receivedAt = (opts.receivedAt ?? new Date()).getTime();
  const signals = dedupeSignals(signalsIn);
  const reader = new VaultReader(rt.vaults);
  const dryRun = opts.dryRun ?? rt.config.dryRun;
  const policy = scopedPolicy(rt.config.policy, opts.namespaces);
  const apis = rt.clusters.filter((c) => !opts.clusters?.length || opts.clusters.includes(c.name));
  let vaultFailure: KeyVaultFailure | undefined;
  const noteFailure = (f: KeyVaultFailure) => (vaultFailure = worstFailure(vaultFailure, f));
  const clusters = await Promise.all(apis.map((api) => pushCluster(rt, api, reader, signals, policy, dryRun, receivedAt, noteFailure)));
  const { counts, skipsByReason } = countActions(clusters);
  return {
    invocationId: opts.invocationId ?? randomUUID(),
    trigger: "event",
    dryRun,
    receivedAt: new Date(receivedAt).toISOString(),
    durationMs: Date.now() - receivedAt,
    signals: signals.map((s) => ({
      vault: s.vault,
      objectType: s.objectType,
      objectName: s.objectName,
      eventTime: s.eventTime,
      source: s.source,
      ...(s.version ? { version: s.version } : {}),
      ...(s.eventId ? { eventId: s.eventId } : {}),
    })),
    vaultReads: reader.reads,
    clusters,
    counts,
    skipsByReason,
    timings: {
      ...(reader.lastReadDoneAt !== undefined ? { receiptToVaultReadMs: reader.lastReadDoneAt - receivedAt } : {}),
      ...timings(
        clusters,
        receivedAt,
        signals.map((s) => s.eventTime),
      ),
    },
    retry: clusters.some((c) => !c.ok && !(c.error ?? "").startsWith("permanent:")),
    ...(vaultFailure ? { vaultFailure } : {}),
  };
}
