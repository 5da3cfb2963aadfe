// The verdict on one workload's verification record, from what the cluster shows now (pure): every synced Secret it
// reads holds the new bytes, every mount of its pods reports the new version (SPCPS), its rollout completed (when
// this rotation restarted it), none of its pods is failing — before its deadline. Otherwise pending, or failed.
import { templateKey, templateValue } from "../lib/annotations.js";
import {
  isPinned,
  matchingObjects,
  nsName,
  objectUsers,
  shortVersion,
  spcpsId,
  workloadLabel,
  type PodObservation,
  type RotationRecord,
  type Spc,
  type SpcpsState,
  type VerifyProblem,
  type Workload,
  type WorkloadVerdict,
} from "../model/index.js";
import { notReady, podFailure } from "./pods.js";
import { rolloutProgress } from "./rollout.js";

/** Deadline when the workload names none (StatefulSet, DaemonSet): the Deployment controller's default. */
export const DEFAULT_DEADLINE_SECONDS = 600;

export interface Observed {
  /** The workload as listed now. */
  workload: Workload;
  /** Its pods (listed with its selector). */
  pods: PodObservation[];
  /** The SPCPS of its namespace. */
  spcps: SpcpsState[];
  /** The in-scope SPCs of its namespace. */
  spcs: Spc[];
  /** Synced Secrets (`namespace/name`) fed by the object: whether each holds the rendering of the record's version. */
  secretHolds: ReadonlyMap<string, boolean>;
  /** Key Vault's latest version of the object now; undefined when it could not be read as available. */
  latestVersion: string | undefined;
  now: Date;
}

export type Judgement = WorkloadVerdict | { superseded: string };

const label = (r: RotationRecord) => `${r.vault}/${r.objectName}@${shortVersion(r.version)}`;

export function deadlineSeconds(w: Workload): number {
  return w.rollout.progressDeadlineSeconds ?? DEFAULT_DEADLINE_SECONDS;
}

export function judge(record: RotationRecord, o: Observed): Judgement {
  const w = o.workload;
  const ref = { vault: record.vault, objectType: "certificate" as const, objectName: record.objectName };
  if (o.latestVersion !== record.version)
    return {
      superseded: o.latestVersion
        ? `Key Vault's latest version is now ${shortVersion(o.latestVersion)}`
        : "the object is no longer readable",
    };
  const recorded = w.templateAnnotations[templateKey(record.vault, record.objectName)];
  const restarted = recorded === templateValue(record.vault, record.objectName, record.version);
  if (recorded !== undefined && !restarted) return { superseded: `its pod template now records ${recorded}` };
  // Certificate matching covers every provider type an object of this name can be mounted as.
  const use = objectUsers(o.spcs, [w], ref, record.version)[0];
  if (!use) return { superseded: "it no longer mounts or reads the object" };

  const problems: VerifyProblem[] = [];
  const outstanding: VerifyProblem[] = [];
  const checked: string[] = [];

  for (const s of [...use.env, ...use.volume]) {
    const holds = o.secretHolds.get(nsName(w.namespace, s));
    if (holds === false) outstanding.push({ reason: "SecretBehind", detail: `Secret ${s} does not hold ${label(record)}` });
    if (holds === true && !checked.includes(`Secret ${s}`)) checked.push(`Secret ${s}`);
  }

  const live = o.pods.filter((p) => !p.terminating);
  const mounted = new Set<string>();
  for (const spcName of use.mounts) {
    const spc = o.spcs.find((s) => s.namespace === w.namespace && s.name === spcName)!;
    const ids = matchingObjects(spc, ref)
      .filter((so) => !isPinned(so) || so.objectVersion === record.version)
      .map((so) => ((so.objectVersionHistory ?? 0) > 1 ? `${spcpsId(so)}/0` : spcpsId(so)));
    for (const p of live) {
      const st = o.spcps.find((x) => x.namespace === w.namespace && x.podName === p.name && x.spcName === spcName);
      if (!st) {
        outstanding.push({ pod: p.name, reason: "NotMounted", detail: `pod ${p.name} reports no mount of ${spcName} yet` });
        continue;
      }
      const behind = ids.filter((id) => st.versions[id] !== undefined && st.versions[id] !== record.version);
      if (behind.length)
        outstanding.push({
          pod: p.name,
          reason: "MountBehind",
          detail: `pod ${p.name} mount of ${spcName} holds ${behind.map((id) => `${id}@${shortVersion(st.versions[id]!)}`).join(", ")}`,
        });
      else mounted.add(p.name);
    }
  }
  if (use.mounts.length) checked.push(`${mounted.size}/${live.length} pod mount(s) on the new version`);

  if (restarted) {
    const r = rolloutProgress(w.kind, w.rollout);
    if (r.state === "failed") problems.push({ reason: "RolloutFailed", detail: `${w.kind} ${r.message}` });
    else if (r.state === "waiting") outstanding.push({ reason: "RolloutInProgress", detail: `rollout: ${r.message}` });
    else checked.push(`rollout complete (${r.message.replace(/^rolled out \(|\)$/g, "")})`);
  }

  // The pods this rotation is judged by: the new ones after a restart (they carry the version), else all of them.
  const judged = restarted ? live.filter((p) => p.annotations[templateKey(record.vault, record.objectName)] === recorded) : live;
  for (const p of judged) {
    const f = podFailure(p);
    if (f) problems.push(f);
    else if (!p.ready) outstanding.push(notReady(p));
  }

  const deadline = deadlineSeconds(w);
  const overdue = o.now.getTime() - Date.parse(record.since) > deadline * 1000;
  if (problems.length === 0 && outstanding.length && overdue)
    problems.push(...outstanding, { reason: "DeadlineExceeded", detail: `not verified within ${deadline} s of the push` });
  const state = problems.length ? "failed" : outstanding.length ? "pending" : "verified";
  return {
    kind: w.kind,
    namespace: w.namespace,
    name: w.name,
    record,
    state,
    problems: state === "failed" ? problems : outstanding,
    checked: checked.join(", ") || "nothing left to check",
  };
}

/** Pods whose Warning Events would explain a verdict (not ready, at the deadline): at most `max`. */
export function podsToExplain(v: Judgement, max = 3): string[] {
  if ("superseded" in v || v.state !== "failed") return [];
  return [...new Set(v.problems.filter((p) => p.pod && p.reason !== "MountBehind" && p.reason !== "NotMounted").map((p) => p.pod!))].slice(
    0,
    max,
  );
}

export { workloadLabel };
