// Timer trigger: follows pushed rotations to their end (shared/entry/verify.ts). Short and frequent: a run with nothing
// pending costs one label-filtered list per workload kind and cluster; it never waits for anything, it looks once.
import { app, type InvocationContext, type Timer } from "@azure/functions";
import { contextLog } from "../shared/entry/log.js";
import { runVerify } from "../shared/entry/verify.js";
import { getRuntime } from "../shared/pipeline/instance.js";

export const FUNCTION_NAME = "verify";
/** Every 30 seconds: the resolution of "time from the Key Vault event to verified" when nobody runs `push --wait`. */
export const VERIFY_SCHEDULE = "*/30 * * * * *";

export async function verifyTimer(_timer: Timer, context: InvocationContext): Promise<void> {
  const run = await runVerify(getRuntime(), { invocationId: context.invocationId, log: contextLog(context) });
  if (run.report.retry)
    throw new Error(
      `verify incomplete (the next run retries): ${run.report.clusters
        .filter((c) => !c.ok)
        .map((c) => `${c.cluster}: ${c.failure?.message ?? "failed"}`)
        .join("; ")}`,
    );
}

app.timer(FUNCTION_NAME, { schedule: VERIFY_SCHEDULE, runOnStartup: false, useMonitor: false, handler: verifyTimer });
