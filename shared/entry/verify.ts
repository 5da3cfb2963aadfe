// The verify timer's work, host-independent: one verification run, its log lines (one per finished rotation, with the
// time from the Key Vault event to verified, and a summary line with the counts as metrics) and, when a report topic
// is configured, one RotationVerified / RotationFailed event per finished rotation and cluster.
import { verifyRotations, type VerifyOptions, type VerifyRun } from "../pipeline/verify.js";
import type { Runtime } from "../pipeline/runtime.js";
import { outcomeLine } from "../verify/index.js";
import { logJson, type LogSink } from "./log.js";

export async function finishVerifyRun(rt: Runtime, run: VerifyRun, log: LogSink): Promise<void> {
  const r = run.report;
  for (const o of r.outcomes)
    logJson(log, o.state === "verified" ? "info" : "error", o.state === "verified" ? "rotation verified" : "rotation failed", {
      invocationId: r.invocationId,
      cluster: o.cluster,
      vault: o.vault,
      objectName: o.objectName,
      version: o.version,
      eventTime: o.eventTime,
      eventToDoneMs: o.eventToDoneMs,
      line: outcomeLine(o),
      workloads: o.workloads,
    });
  logJson(log, r.retry ? "warn" : "info", "verify summary", {
    invocationId: r.invocationId,
    durationMs: r.durationMs,
    verified: r.outcomes.filter((o) => o.state === "verified").length,
    failed: r.outcomes.filter((o) => o.state === "failed").length,
    inFlight: r.inFlight.length,
    eventToVerifiedMs: r.outcomes.filter((o) => o.state === "verified").map((o) => o.eventToDoneMs),
    clusters: r.clusters,
    retry: r.retry,
  });
  if (rt.config.reportTopicEndpoint && r.outcomes.length) {
    const { publishOutcomes } = await import("../report/publish.js");
    const err = await publishOutcomes(rt.config.reportTopicEndpoint, rt.credential, r.outcomes);
    if (err) logJson(log, "warn", "report event failed", { invocationId: r.invocationId, error: err });
  }
}

/** One run of the verify timer: follow every pending rotation one step. */
export async function runVerify(rt: Runtime, opts: VerifyOptions & { log: LogSink }): Promise<VerifyRun> {
  const run = await verifyRotations(rt, opts);
  await finishVerifyRun(rt, run, opts.log);
  return run;
}
