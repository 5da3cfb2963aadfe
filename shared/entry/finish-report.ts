// Where every report ends: the summary line and the optional RotationPushed event.
import type { Runtime } from "../pipeline/runtime.js";
import { publishReport } from "../report/publish.js";
import type { Report } from "../report/report.js";
import { logJson, type LogSink } from "./log.js";

/**
 * Every report ends here: one summary line (the metrics: latencies, actions by type, skips by reason, drift age —
 * queried from Application Insights, see README) and, when configured, the `RotationPushed` event.
 */
export async function finishReport(rt: Runtime, report: Report, log: LogSink): Promise<void> {
  logJson(log, report.retry ? "warn" : "info", report.trigger === "drift" ? "reconcile summary" : "push summary", {
    invocationId: report.invocationId,
    trigger: report.trigger,
    dryRun: report.dryRun,
    counts: report.counts,
    skipsByReason: report.skipsByReason,
    timings: report.timings,
    vaultReads: report.vaultReads,
    durationMs: report.durationMs,
    retry: report.retry,
    ...(report.vaultFailure ? { vaultFailure: report.vaultFailure } : {}),
    ...(report.drift ? { drift: report.drift } : {}),
    clusters: report.clusters.map((c) => ({ cluster: c.cluster, ok: c.ok, error: c.error, durationMs: c.durationMs })),
  });
  if (rt.config.reportTopicEndpoint && !report.dryRun) {
    const err = await publishReport(rt.config.reportTopicEndpoint, rt.credential, report);
    if (err) logJson(log, "warn", "report event failed", { invocationId: report.invocationId, error: err });
  }
}
