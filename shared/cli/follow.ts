// `push --wait`: after the push, follow its rotation until every workload it reached verified it or one failed, or the
// timeout. Each look is one verification run (the same one the verify timer makes: it finishes records and records
// Events as it goes, so the cluster and the timer agree), printed as one progress line per cluster when it changes.
import { verifyRotations } from "../pipeline/verify.js";
import type { Runtime } from "../pipeline/runtime.js";
import type { Report, RotationOutcome } from "../model/index.js";
import { outcomeLine } from "../verify/index.js";

export interface FollowResult {
  rotations: RotationOutcome[];
  /** verified: every rotation verified; failed: one failed; timeout: still in flight; none: nothing to follow. */
  result: "verified" | "failed" | "timeout" | "none";
}

export interface FollowOptions {
  timeoutMs: number;
  clusters?: string[];
  /** Between looks (default 1 s). */
  intervalMs?: number;
  /** One line per cluster, whenever it changes. */
  progress: (line: string) => void;
}

/** The `vault/object@version` the push moved things to (its report says). */
export function pushedVersions(r: Report): { vault: string; objectName: string; version: string }[] {
  return (r.versions ?? []).flatMap((v) => {
    const m = /^([^/]+)\/(.+)@([^@]+)$/.exec(v);
    return m ? [{ vault: m[1]!, objectName: m[2]!, version: m[3]! }] : [];
  });
}

export async function follow(rt: Runtime, pushed: Report, o: FollowOptions): Promise<FollowResult> {
  const targets = pushedVersions(pushed);
  const deadline = Date.now() + o.timeoutMs;
  const last = new Map<string, string>();
  let rotations: RotationOutcome[] = [];
  for (;;) {
    rotations = [];
    for (const t of targets) {
      const run = await verifyRotations(rt, { only: t, ...(o.clusters?.length ? { clusters: o.clusters } : {}) });
      for (const c of run.report.clusters.filter((x) => !x.ok))
        o.progress(`${c.cluster}: cannot look (${c.failure?.message ?? "failed"}); retrying`);
      rotations.push(...run.rotations);
    }
    for (const r of rotations) {
      const line = outcomeLine(r);
      if (last.get(r.cluster + r.objectName) !== line) o.progress(line);
      last.set(r.cluster + r.objectName, line);
    }
    if (rotations.length === 0) return { rotations, result: "none" };
    if (rotations.some((r) => r.state === "failed")) return { rotations, result: "failed" };
    if (rotations.every((r) => r.state === "verified")) return { rotations, result: "verified" };
    if (Date.now() >= deadline) return { rotations, result: "timeout" };
    await new Promise((r) => setTimeout(r, Math.min(o.intervalMs ?? 1000, Math.max(0, deadline - Date.now()))));
  }
}
