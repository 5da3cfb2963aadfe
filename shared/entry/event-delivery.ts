// The event path, host-independent: a delivered Event Grid / CloudEvents payload → signals → push → report.
import { push } from "../pipeline/push.js";
import type { Runtime } from "../pipeline/runtime.js";
import { failureSummary, type Report } from "../report/report.js";
import { parseDelivery, signalsOf, type DeliveryEntry } from "../signal/delivery.js";
import { finishReport } from "./finish-report.js";
import { logJson, type LogSink } from "./log.js";

export interface DeliveryOutcome {
  entries: DeliveryEntry[];
  report?: Report;
  rejected: number;
  ignored: number;
}

export class RedeliveryNeeded extends Error {
  constructor(readonly report: Report) {
    super(`push incomplete, Event Grid should redeliver: ${failureSummary(report)}`);
    this.name = "RedeliveryNeeded";
  }
}

export interface DeliveryOptions {
  invocationId: string;
  log: LogSink;
  dryRun?: boolean;
  receivedAt?: Date;
}

/**
 * Handles one delivery. Invalid, forged or irrelevant events are logged with their reason and acknowledged
 * (returning normally); a transient failure throws RedeliveryNeeded so the host answers 500 and Event Grid retries.
 */
export async function handleDelivery(rt: Runtime, body: unknown, opts: DeliveryOptions): Promise<DeliveryOutcome> {
  const receivedAt = opts.receivedAt ?? new Date();
  const entries = parseDelivery(body, { vaults: rt.config.vaults, receivedAt });
  return handleParsedDelivery(rt, entries, { ...opts, receivedAt });
}

/** `handleDelivery` for a delivery already parsed with `parseDelivery` (the CLI shows the entries too). */
export async function handleParsedDelivery(rt: Runtime, entries: DeliveryEntry[], opts: DeliveryOptions): Promise<DeliveryOutcome> {
  const receivedAt = opts.receivedAt ?? new Date();
  let rejected = 0;
  let ignored = 0;
  for (const e of entries) {
    if (e.kind === "rejected") {
      rejected++;
      logJson(opts.log, "warn", "event rejected", { invocationId: opts.invocationId, eventId: e.eventId, reason: e.reason });
    } else if (e.kind === "ignored") {
      ignored++;
      logJson(opts.log, "info", "event acknowledged, nothing to push", {
        invocationId: opts.invocationId,
        eventId: e.eventId,
        eventType: e.eventType,
        meaning: e.meaning,
      });
    } else if (e.kind === "duplicate") {
      logJson(opts.log, "info", "duplicate event in batch folded", {
        invocationId: opts.invocationId,
        eventId: e.eventId,
        duplicateOf: e.duplicateOf,
      });
    }
  }
  // Event Grid never sends an empty batch: say so rather than acknowledge it without a trace.
  if (entries.length === 0)
    logJson(opts.log, "warn", "delivery held no events", {
      invocationId: opts.invocationId,
      reason: "expected an event object or a non-empty array of events",
    });
  const signals = signalsOf(entries);
  if (signals.length === 0) return { entries, rejected, ignored };
  const report = await push(rt, signals, {
    invocationId: opts.invocationId,
    receivedAt,
    ...(opts.dryRun !== undefined ? { dryRun: opts.dryRun } : {}),
  });
  for (const c of report.clusters)
    logJson(opts.log, c.ok ? "info" : "error", "push result", {
      invocationId: opts.invocationId,
      eventIds: report.signals.map((s) => s.eventId),
      cluster: c.cluster,
      ok: c.ok,
      failure: c.failure,
      durationMs: c.durationMs,
      actions: c.actions
        .filter((a) => a.status !== "skipped")
        .map((a) => ({
          type: a.type,
          target: a.target,
          status: a.status,
          keys: a.keys,
          versions: a.versions,
          digest: a.digest,
          atMs: a.atMs,
        })),
      skips: c.actions
        .filter((a) => a.status === "skipped")
        .map((a) => ({ target: a.target, reason: a.reason.code, detail: a.reason.detail })),
    });
  await finishReport(rt, report, opts.log);
  // Transient: Event Grid redelivers. Key Vault access or identity: fail just as loudly — Event Grid retries, then
  // dead-letters, and the reason is in the function log — rather than acknowledge a rotation that was not pushed.
  if (report.retry || (report.vaultFailure && report.vaultFailure.kind !== "transient")) throw new RedeliveryNeeded(report);
  return { entries, report, rejected, ignored };
}
