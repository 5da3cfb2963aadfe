// A rotation's outcome in a cluster (every workload it reached, folded), and what each finished workload is told in
// its Kubernetes Event. Names, versions, pod names and kubelet's reasons only: never a value.
import {
  rotationKey,
  shortVersion,
  type RotationOutcome,
  type RotationRecord,
  type VerifyProblem,
  type VerifyState,
  type WorkloadKind,
  type WorkloadVerdict,
} from "../model/index.js";

export const ROTATION_VERIFIED = "RotationVerified";
export const ROTATION_FAILED = "RotationFailed";

const label = (r: Pick<RotationRecord, "vault" | "objectName" | "version">) => `${r.vault}/${r.objectName}@${shortVersion(r.version)}`;
const seconds = (ms: number | undefined) => (ms === undefined ? "?" : (ms / 1000).toFixed(1));

/** The record a finished verdict leaves on the workload. */
export function finishedRecord(v: WorkloadVerdict, now: Date): RotationRecord {
  const eventToDoneMs = Math.max(0, now.getTime() - Date.parse(v.record.eventTime));
  return {
    ...v.record,
    state: v.state,
    finishedAt: now.toISOString(),
    eventToDoneMs,
    ...(v.state === "failed" ? { problems: v.problems } : {}),
  };
}

export interface EventText {
  reason: string;
  type: "Normal" | "Warning";
  message: string;
}

/** The Event on the workload: Normal RotationVerified, or Warning RotationFailed naming the pods and why. */
export function verdictEvent(v: WorkloadVerdict, record: RotationRecord): EventText {
  if (v.state === "verified")
    return {
      reason: ROTATION_VERIFIED,
      type: "Normal",
      message: `kv-rotation-pusher: rotation ${label(record)} verified ${seconds(record.eventToDoneMs)} s after the Key Vault event: ${v.checked}`,
    };
  return {
    reason: ROTATION_FAILED,
    type: "Warning",
    message: `kv-rotation-pusher: rotation ${label(record)} failed: ${v.problems.map((p) => p.detail).join("; ")}`,
  };
}

export interface RecordEntry {
  cluster: string;
  kind: WorkloadKind;
  namespace: string;
  name: string;
  record: RotationRecord;
  /** Problems seen now (pending: outstanding items; failed: the failure); else the record's own. */
  problems?: VerifyProblem[];
}

const foldState = (states: VerifyState[]): VerifyState =>
  states.includes("failed") ? "failed" : states.includes("pending") ? "pending" : "verified";

/** Records of the same rotation and cluster, folded: failed if any failed, pending while any is, else verified. */
export function foldOutcomes(entries: RecordEntry[]): RotationOutcome[] {
  const groups = new Map<string, RecordEntry[]>();
  for (const e of entries) {
    const k = `${e.cluster}|${rotationKey(e.record)}`;
    groups.set(k, [...(groups.get(k) ?? []), e]);
  }
  return [...groups.values()].map((g) => {
    const r = g[0]!.record;
    const state = foldState(g.map((e) => e.record.state));
    const done = g.filter((e) => e.record.state === state && e.record.eventToDoneMs !== undefined).map((e) => e.record.eventToDoneMs!);
    const out: RotationOutcome = {
      cluster: g[0]!.cluster,
      vault: r.vault,
      objectName: r.objectName,
      version: r.version,
      eventTime: g.map((e) => e.record.eventTime).sort()[0]!,
      state,
      workloads: g
        .map((e) => ({
          target: `${e.kind} ${e.namespace}/${e.name}`,
          state: e.record.state,
          problems: e.problems ?? e.record.problems ?? [],
          ...(e.record.finishedAt ? { finishedAt: e.record.finishedAt } : {}),
        }))
        .sort((a, b) => a.target.localeCompare(b.target)),
    };
    // Verified: when the last workload got there. Failed: when the first failure was found.
    if (state !== "pending" && done.length) out.eventToDoneMs = state === "verified" ? Math.max(...done) : Math.min(...done);
    return out;
  });
}

/** One line per rotation and cluster (CLI progress, status, logs). */
export function outcomeLine(o: RotationOutcome): string {
  const n = o.workloads.length;
  const ok = o.workloads.filter((w) => w.state === "verified").length;
  const head = `${o.cluster}: ${label(o)}`;
  if (o.state === "verified") return `${head} RotationVerified — ${n} workload(s), ${seconds(o.eventToDoneMs)} s after the Key Vault event`;
  if (o.state === "failed") {
    const failed = o.workloads.filter((w) => w.state === "failed");
    return `${head} RotationFailed — ${failed.map((w) => `${w.target}: ${w.problems.map((p) => p.detail).join("; ")}`).join(" | ")}`;
  }
  const waiting = o.workloads.filter((w) => w.state === "pending");
  const first = waiting[0];
  return `${head} verifying — ${ok}/${n} workload(s) verified${first ? `; waiting on ${first.target}${first.problems[0] ? `: ${first.problems[0].detail}` : ""}` : ""}`;
}
