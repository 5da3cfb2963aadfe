// The one result of an invocation: what changed, what was skipped and why, per cluster, with timings. Never a value.
import type { ActionResult } from "../apply/apply.js";
import { label } from "../apply/apply.js";
import type { RotationSignal } from "../types.js";
import type { KeyVaultFailure } from "../vault/errors.js";

export interface ReportAction {
  type: "patchSecret" | "nudgePod" | "restartWorkload" | "skip";
  target: string;
  status: ActionResult["status"];
  reason: string;
  keys?: string[];
  digest?: string;
  atMs?: number;
  error?: string;
}

export interface ClusterReport {
  cluster: string;
  ok: boolean;
  error?: string;
  durationMs: number;
  actions: ReportAction[];
}

export interface Counts {
  secretsPatched: number;
  podsNudged: number;
  workloadsRestarted: number;
  skipped: number;
  failed: number;
  planned: number;
}

export interface Report {
  invocationId: string;
  trigger: "event" | "drift";
  dryRun: boolean;
  receivedAt: string;
  durationMs: number;
  signals: Pick<RotationSignal, "vault" | "objectType" | "objectName" | "version" | "eventId" | "eventTime" | "source">[];
  vaultReads: number;
  clusters: ClusterReport[];
  counts: Counts;
  skipsByReason: Record<string, number>;
  /** Latency from the signal's eventTime (Key Vault's clock) and from receipt to the last Secret patch / rollout. */
  timings: {
    receiptToVaultReadMs?: number;
    receiptToSecretsMs?: number;
    receiptToRolloutsMs?: number;
    eventToSecretsMs?: number;
    eventToRolloutsMs?: number;
  };
  /** True when some part failed transiently and the trigger should fail for redelivery. */
  retry: boolean;
  /** The worst Key Vault read failure of the invocation (identity > access > transient), with its fix. */
  vaultFailure?: KeyVaultFailure;
  /** Drift runs only. */
  drift?: { objectsChecked: number; driftFound: number; oldestDriftSeconds?: number };
}

export function toReportAction(r: ActionResult): ReportAction {
  const a = r.action;
  const out: ReportAction = {
    type: a.type,
    target: label(a),
    status: r.status,
    reason: a.type === "skip" ? `${a.reason}: ${a.detail}` : a.reason,
  };
  if (a.type === "patchSecret") {
    out.keys = a.keys;
    out.digest = a.digest;
  }
  if (r.atMs !== undefined) out.atMs = r.atMs;
  if (r.error) out.error = r.error;
  return out;
}

export function countActions(clusters: ClusterReport[]): { counts: Counts; skipsByReason: Record<string, number> } {
  const counts: Counts = { secretsPatched: 0, podsNudged: 0, workloadsRestarted: 0, skipped: 0, failed: 0, planned: 0 };
  const skipsByReason: Record<string, number> = {};
  for (const c of clusters)
    for (const a of c.actions) {
      if (a.status === "skipped") {
        counts.skipped++;
        const reason = a.reason.split(":")[0] ?? a.reason;
        skipsByReason[reason] = (skipsByReason[reason] ?? 0) + 1;
      } else if (a.status === "failed" || a.status === "not-run") counts.failed++;
      else if (a.status === "planned") counts.planned++;
      else if (a.status === "applied") {
        if (a.type === "patchSecret") counts.secretsPatched++;
        if (a.type === "nudgePod") counts.podsNudged++;
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
  if (r !== undefined) {
    t.receiptToRolloutsMs = r;
    if (earliest !== undefined) t.eventToRolloutsMs = receivedAt + r - earliest;
  }
  return t;
}

/** A terminal table: one line per action, grouped by cluster. */
export function formatTable(rep: Report): string {
  const lines: string[] = [];
  const sig = rep.signals
    .map((s) => `${s.vault}/${s.objectType}/${s.objectName}${s.version ? "@" + s.version.slice(0, 8) : ""}`)
    .join(", ");
  lines.push(
    `${rep.dryRun ? "PLAN (dry run)" : "PUSH"} ${sig || "(no signal)"} — ${rep.durationMs} ms, ${rep.vaultReads} Key Vault read(s)`,
  );
  for (const c of rep.clusters) {
    lines.push("");
    lines.push(`cluster ${c.cluster}: ${c.ok ? "ok" : "FAILED: " + (c.error ?? "")} (${c.durationMs} ms)`);
    const rows = c.actions.map((a) => [
      a.status.toUpperCase(),
      a.type,
      a.target,
      a.atMs !== undefined ? `${a.atMs} ms` : "",
      a.error ? `${a.reason} — ${a.error}` : a.reason,
    ]);
    if (rows.length === 0) lines.push("  (nothing references this object)");
    const w = [0, 1, 2, 3].map((i) => Math.min(60, Math.max(...rows.map((r) => (r[i] ?? "").length), 0)));
    for (const r of rows)
      lines.push(
        "  " +
          r
            .slice(0, 4)
            .map((v, i) => (v ?? "").padEnd(w[i] ?? 0))
            .join("  ") +
          "  " +
          (r[4] ?? ""),
      );
  }
  const k = rep.counts;
  lines.push("");
  lines.push(
    `secrets patched ${k.secretsPatched}, pods nudged ${k.podsNudged}, workloads restarted ${k.workloadsRestarted}, planned ${k.planned}, skipped ${k.skipped}, failed ${k.failed}${rep.retry ? " — will be retried" : ""}`,
  );
  if (rep.drift)
    lines.push(
      `drift: ${rep.drift.objectsChecked} objects checked, ${rep.drift.driftFound} drifted${rep.drift.oldestDriftSeconds !== undefined ? `, oldest ${rep.drift.oldestDriftSeconds} s` : ""}`,
    );
  return lines.join("\n");
}
