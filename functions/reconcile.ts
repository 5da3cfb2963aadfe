// Timer trigger: the pull fallback (drift detection + push) for events that never arrived. Thin adapter to
// shared/pipeline/reconcile.ts.
//
// Schedule choice: NOT "%KVRP_RECONCILE_SCHEDULE%". With %…% the host refuses to start the whole app (the event path
// included) when the setting is absent, and the setting is optional. Instead the schedule is resolved here, at
// module load, from the same setting with the same validation (parseSchedule): set and valid → used; absent →
// DEFAULT_RECONCILE_SCHEDULE ("0 */5 * * * *", every 5 minutes). Set but invalid → the default is used for the
// trigger, and every run fails with the ConfigError naming KVRP_RECONCILE_SCHEDULE (getRuntime → loadConfig
// validates it), so the mistake is loud without keeping the event trigger from loading. Changing the setting needs
// an app restart (it does anyway: app settings changes restart the app).
import { app, type InvocationContext, type Timer } from "@azure/functions";
import { DEFAULT_RECONCILE_SCHEDULE, resolveSchedule } from "../shared/config/config.js";
import { finishReport } from "../shared/entry/finish-report.js";
import { contextLog, logJson } from "../shared/entry/log.js";
import { getRuntime } from "../shared/pipeline/instance.js";
import { reconcile } from "../shared/pipeline/reconcile.js";

export const FUNCTION_NAME = "reconcile";

const resolved = resolveSchedule();
if (resolved.error)
  console.error(
    `${resolved.error}; the reconcile timer falls back to "${DEFAULT_RECONCILE_SCHEDULE}" and its runs fail until this is fixed`,
  );

export async function reconcileTimer(timer: Timer, context: InvocationContext): Promise<void> {
  const log = contextLog(context);
  const rt = getRuntime();
  const report = await reconcile(rt, { invocationId: context.invocationId, now: new Date() });
  if (timer?.isPastDue) logJson(log, "warn", "reconcile ran late (host restart or long outage)", { invocationId: context.invocationId });
  await finishReport(rt, report, log);
  if (report.retry || report.vaultFailure)
    throw new Error(
      `reconcile incomplete (the next run retries): ${[
        ...report.clusters.filter((c) => !c.ok).map((c) => `${c.cluster}: ${c.error}`),
        ...(report.vaultFailure ? [`${report.vaultFailure.message}; fix: ${report.vaultFailure.fix}`] : []),
      ].join("; ")}`,
    );
}

app.timer(FUNCTION_NAME, { schedule: resolved.schedule, runOnStartup: false, useMonitor: true, handler: reconcileTimer });
