// After a push (event, HTTP, CLI, or the timer's drift push): leave a pending verification record on every workload
// the rotation reached, so that whichever instance runs next (the verify timer, `push --wait`) can follow it to its
// end. Records go on workloads, never on synced Secrets (the driver rebuilds those and drops what it did not write).
import pLimit from "p-limit";
import type { ClusterApi } from "../kube/cluster-api.js";
import { isAvailable, type ActionResult, type ClusterInventory, type Spc } from "../model/index.js";
import type { PlannedObject } from "../plan/plan.js";
import { recordsToStart, type Signer, type StartedRotation } from "../verify/index.js";
import type { Runtime } from "./runtime.js";

/** Signs verification records with the operator's digest key, when there is one (forged records are then ignored). */
export function recordSigner(rt: Runtime): Signer {
  return rt.instance.digest.shown ? (text: string) => rt.instance.digest.of("kvrp-verify-record", text) : undefined;
}

/** The version each pushed object is at (first available provider endpoint: they share a certificate's version). */
export function latestVersion(o: PlannedObject): { version: string; created?: Date } | undefined {
  for (const t of ["secret", "cert", "key"] as const) {
    const r = o.state.byType[t];
    if (isAvailable(r)) return { version: r.data.version, ...(r.created ? { created: r.created } : {}) };
  }
  return undefined;
}

/** `vault|object` of the objects some applied write of this pass moved (a drift push records only those). */
function moved(results: ActionResult[]): Set<string> {
  const out = new Set<string>();
  for (const r of results) {
    if (r.status !== "applied") continue;
    const a = r.action;
    if (a.type === "patchSecret") for (const o of a.objects) out.add(`${o.vault}|${o.objectName}`);
    if (a.type === "restartWorkload")
      for (const v of Object.values(a.annotations)) {
        const m = /^([^/]+)\/(.+)@[^@]+$/.exec(v);
        if (m) out.add(`${m[1]}|${m[2]}`);
      }
  }
  return out;
}

export interface StartInput {
  objects: PlannedObject[];
  inv: ClusterInventory;
  inScope: (spc: Spc) => boolean;
  results: ActionResult[];
  trigger: "event" | "drift";
  now: Date;
}

/** Writes the pending records; returns how many workloads now have a verification pending for this pass. */
export async function startVerification(rt: Runtime, api: ClusterApi, i: StartInput): Promise<number> {
  const acted = moved(i.results);
  const rotations: StartedRotation[] = [];
  for (const o of i.objects) {
    const v = latestVersion(o);
    if (!v) continue;
    if (i.trigger === "drift" && !acted.has(`${o.state.vault}|${o.state.objectName}`)) continue;
    // The timer's signal time is the run's; the version's creation is when that rotation really began.
    const eventTime = o.signal.source === "timer" && v.created ? v.created.toISOString() : o.signal.eventTime;
    rotations.push({ vault: o.state.vault, objectName: o.state.objectName, version: v.version, eventTime });
  }
  if (rotations.length === 0) return 0;
  const writes = recordsToStart(rotations, i.inv.spcs.filter(i.inScope), i.inv.workloads, i.now, recordSigner(rt));
  const limit = pLimit(rt.config.concurrency);
  let n = 0;
  await Promise.all(
    writes.map((w) =>
      limit(async () => {
        const out = await api.patchWorkloadMetadata(w.workload.kind, w.workload.namespace, w.workload.name, w.patch);
        if (out === "patched") n++;
      }),
    ),
  );
  return n;
}
