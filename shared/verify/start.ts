// After a push: which workloads a rotation reached (they mount a class that takes the object, or read a synced Secret
// it feeds), and the pending records to leave on them. Idempotent: a workload already carrying a record of the same
// version keeps it (a redelivered event does not restart the clock, nor reopen a finished verification).
import { objectUsers, type RotationRecord, type Spc, type Workload } from "../model/index.js";
import { recordKey, recordsOf, recordsPatch, type Signer } from "./record.js";

export interface StartedRotation {
  vault: string;
  objectName: string;
  version: string;
  /** The Key Vault event's time (or the version's creation, for the timer). */
  eventTime: string;
}

export interface RecordWrite {
  workload: Workload;
  records: RotationRecord[];
  patch: ReturnType<typeof recordsPatch>;
}

/** The record writes for these rotations over the in-scope SPCs and the workloads of their namespaces. */
export function recordsToStart(rotations: StartedRotation[], spcs: Spc[], workloads: Workload[], since: Date, sign: Signer): RecordWrite[] {
  const byWorkload = new Map<Workload, Map<string, RotationRecord>>();
  for (const r of rotations) {
    const ref = { vault: r.vault, objectType: "certificate" as const, objectName: r.objectName };
    for (const use of objectUsers(spcs, workloads, ref, r.version)) {
      const key = recordKey(r.vault, r.objectName);
      if (recordsOf(use.workload, sign).get(key)?.version === r.version) continue;
      const updates = byWorkload.get(use.workload) ?? new Map<string, RotationRecord>();
      updates.set(key, { ...r, since: since.toISOString(), state: "pending" });
      byWorkload.set(use.workload, updates);
    }
  }
  return [...byWorkload].map(([workload, updates]) => ({
    workload,
    records: [...updates.values()],
    patch: recordsPatch(workload, updates, sign),
  }));
}
