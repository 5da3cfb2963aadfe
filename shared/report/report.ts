// The one result of an invocation: built from the clusters' results, counted by typed reason, with timings.
import {
  objectVersionLabel,
  type ActionResult,
  targetOf,
  type ClusterReport,
  type Counts,
  type Failure,
  type Report,
  type ReportAction,
  type RotationSignal,
  isRetryable,
  worstFailure,
} from "../model/index.js";

export type { ClusterReport, Counts, Report, ReportAction } from "../model/index.js";

/** One action's line in the report. Digests appear only when keyed by the operator's key (`showDigest`). */
export function toReportAction(r: ActionResult, showDigest: boolean): ReportAction {
  const a = r.action;
  const out: ReportAction = { type: a.type, target: targetOf(a), status: r.status, reason: a.reason };
  if (a.type === "patchSecret") {
    out.keys = a.keys;
    out.versions = a.objects.map(objectVersionLabel);
    if (showDigest && a.digest) out.digest = a.digest;
  }
  if (a.type === "restartWorkload") out.versions = Object.values(a.annotations);
  if (a.type === "nudgeSecretSync") out.versions = a.objects.map(objectVersionLabel);
  if (r.atMs !== undefined) out.atMs = r.atMs;
  if (r.syncedAtMs !== undefined) out.syncedAtMs = r.syncedAtMs;
  if (r.error) out.error = r.error;
  return out;
}

export function countActions(clusters: ClusterReport[]): Pick<Report, "counts" | "skipsByReason"> {
  const counts: Counts = {
    secretsPatched: 0,
    podsNudged: 0,
    secretSyncsNudged: 0,
    workloadsRestarted: 0,
    skipped: 0,
    failed: 0,
    planned: 0,
  };
  const skipsByReason: Report["skipsByReason"] = {};
  for (const c of clusters)
    for (const a of c.actions) {
      if (a.status === "skipped") {
        counts.skipped++;
        skipsByReason[a.reason.code] = (skipsByReason[a.reason.code] ?? 0) + 1;
      } else if (a.status === "failed" || a.status === "not-run") counts.failed++;
      else if (a.status === "planned") counts.planned++;
      else if (a.status === "applied") {
        if (a.type === "patchSecret") counts.secretsPatched++;
        if (a.type === "nudgePod") counts.podsNudged++;
        if (a.type === "nudgeSecretSync") counts.secretSyncsNudged = (counts.secretSyncsNudged ?? 0) + 1;
        if (a.type === "restartWorkload") counts.workloadsRestarted++;
      }
    }
  return { counts, skipsByReason };
}

function maxAt(clusters: ClusterReport[], type: ReportAction["type"]): number | undefined {
  let m: number | undefined;
  for (const c of clusters)
    for (const a of c.actions) if (a.type === type && a.status === "applied" && a.atMs !== undefined) m = Math.max(m ?? 0, a.atMs);
  return m;
}

export function timings(clusters: ClusterReport[], receivedAt: number, eventTimes: string[]): Report["timings"] {
  const t: Report["timings"] = {};
  const s = maxAt(clusters, "patchSecret");
  const r = maxAt(clusters, "restartWorkload");
  const ev = eventTimes.map((e) => Date.parse(e)).filter((n) => Number.isFinite(n));
  const earliest = ev.length ? Math.min(...ev) : undefined;
  if (s !== undefined) {
    t.receiptToSecretsMs = s;
    if (earliest !== undefined) t.eventToSecretsMs = receivedAt + s - earliest;
  }
  let synced: number | undefined;
  for (const c of clusters) for (const a of c.actions) if (a.syncedAtMs !== undefined) synced = Math.max(synced ?? 0, a.syncedAtMs);
  if (synced !== undefined) t.receiptToSecretSyncsMs = synced;
  if (r !== undefined) {
    t.receiptToRolloutsMs = r;
    if (earliest !== undefined) t.eventToRolloutsMs = receivedAt + r - earliest;
  }
  return t;
}

export interface ReportInput {
  invocationId: string;
  trigger: Report["trigger"];
  dryRun: boolean;
  receivedAt: number;
  signals: RotationSignal[];
  reads: { total: number; proof: number; lastDoneAt?: number };
  clusters: ClusterReport[];
  vaultFailure?: Failure;
  overBudget?: Report["overBudget"];
  drift?: Report["drift"];
}

/** The report; `retry` when any cluster or Key Vault failure is one the trigger should retry. */
export function buildReport(i: ReportInput): Report {
  const { counts, skipsByReason } = countActions(i.clusters);
  // Key Vault failures surface once for the invocation too (whichever cluster's pass ran into them).
  let vaultFailure = i.vaultFailure;
  for (const c of i.clusters) if (c.failure?.source === "keyvault") vaultFailure = worstFailure(vaultFailure, c.failure);
  return {
    invocationId: i.invocationId,
    trigger: i.trigger,
    dryRun: i.dryRun,
    receivedAt: new Date(i.receivedAt).toISOString(),
    durationMs: Date.now() - i.receivedAt,
    signals: i.signals.map((s) => ({
      vault: s.vault,
      objectType: s.objectType,
      objectName: s.objectName,
      eventTime: s.eventTime,
      source: s.source,
      ...(s.version ? { version: s.version } : {}),
      ...(s.eventId ? { eventId: s.eventId } : {}),
    })),
    vaultReads: i.reads.total,
    proofReads: i.reads.proof,
    ...(vaultFailure ? { vaultFailure } : {}),
    clusters: i.clusters,
    counts,
    skipsByReason,
    ...(i.overBudget?.length ? { overBudget: i.overBudget } : {}),
    timings: {
      ...(i.reads.lastDoneAt !== undefined ? { receiptToVaultReadMs: i.reads.lastDoneAt - i.receivedAt } : {}),
      ...timings(
        i.clusters,
        i.receivedAt,
        i.signals.map((s) => s.eventTime),
      ),
    },
    retry:
      (!!vaultFailure && isRetryable(vaultFailure.kind)) || i.clusters.some((c) => !c.ok && !!c.failure && isRetryable(c.failure.kind)),
    ...(i.drift ? { drift: i.drift } : {}),
  };
}

const withFix = (f: Failure) => (f.fix ? `${f.message}; fix: ${f.fix}` : f.message);

/** Failures of the clusters that did not finish, as one line (`cluster: message; fix: …`). */
export function failureSummary(r: Report): string {
  return r.clusters
    .filter((c) => !c.ok)
    .map((c) => `${c.cluster}: ${c.failure ? withFix(c.failure) : "failed"}`)
    .concat(r.vaultFailure ? [`Key Vault: ${withFix(r.vaultFailure)}`] : [])
    .join("; ");
}
