// Where every report ends: the summary line (also the CLI's, with --verbose) and the optional RotationPushed event.
import type { Runtime } from "../pipeline/runtime.js";
import type { Report } from "../report/report.js";
import { logJson, type LogSink } from "./log.js";

/**
 * Every report of the function app ends here: the summary line and, when configured, the `RotationPushed` event.
 */
export async function finishReport(rt: Runtime, report: Report, log: LogSink): Promise<void> {
  logReportSummary(report, log);
  if (rt.config.reportTopicEndpoint && !report.dryRun) {
    // Loaded on first use: only apps with a report topic pay for @azure/eventgrid at start (module load, issue 14).
    const { publishReport } = await import("../report/publish.js");
    const err = await publishReport(rt.config.reportTopicEndpoint, rt.credential, report);
    if (err) logJson(log, "warn", "report event failed", { invocationId: report.invocationId, error: err });
  }
}

/**
 * One value-free summary line per report: the metrics (latencies, actions by type, skips by reason, drift age —
 * queried from Application Insights, see README).
 */
export function logReportSummary(report: Report, log: LogSink): void {
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
    proofReads: report.proofReads,
    ...(report.vaultFailure ? { vaultFailure: report.vaultFailure } : {}),
    ...(report.overBudget ? { overBudget: report.overBudget } : {}),
    clusters: report.clusters.map((c) => ({
      cluster: c.cluster,
      ok: c.ok,
      failure: c.failure,
      durationMs: c.durationMs,
      ...(c.found ? { found: c.found } : {}),
    })),
  });
}
