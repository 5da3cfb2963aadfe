// The event path, host-independent: a delivered Event Grid / CloudEvents payload → signals → push → report.
import type { ExpiryNotice, ExpiryReport } from "../model/index.js";
import { warnExpiry } from "../pipeline/expiry.js";
import { push } from "../pipeline/push.js";
import type { Runtime } from "../pipeline/runtime.js";
import { failureSummary, type Report } from "../report/report.js";
import { parseDelivery, signalsOf, type DeliveryEntry } from "../signal/delivery.js";
import { finishReport } from "./finish-report.js";
import { logJson, type LogSink } from "./log.js";

export interface DeliveryOutcome {
  entries: DeliveryEntry[];
  report?: Report;
  /** NearExpiry / Expired events: where the objects are used, and the Warning Events recorded. */
  expiry?: ExpiryReport;
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
  const notices = entries.flatMap((e) => (e.kind === "expiry" ? [e.notice] : []));
  const expiry = notices.length ? await handleExpiry(rt, notices, opts) : undefined;
  const signals = signalsOf(entries);
  if (signals.length === 0) return { entries, rejected, ignored, ...(expiry ? { expiry } : {}) };
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
      ...(c.verifying ? { verifying: c.verifying } : {}),
      ...(c.verifyError ? { verifyError: c.verifyError } : {}),
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
  return { entries, report, rejected, ignored, ...(expiry ? { expiry } : {}) };
}

/** An expiry could not be mapped on some cluster (transient): Event Grid redelivers, the warnings are recorded again. */
export class ExpiryRedeliveryNeeded extends Error {
  constructor(readonly expiry: ExpiryReport) {
    super(
      `expiry warnings incomplete, Event Grid should redeliver: ${expiry.clusters
        .filter((c) => !c.ok)
        .map((c) => `${c.cluster}: ${c.failure?.message ?? "failed"}`)
        .join("; ")}`,
    );
    this.name = "ExpiryRedeliveryNeeded";
  }
}

/** NearExpiry / Expired: Warning Events on the users, one log line per use, and the summary line (the metric). */
async function handleExpiry(rt: Runtime, notices: ExpiryNotice[], opts: DeliveryOptions): Promise<ExpiryReport> {
  const expiry = await warnExpiry(rt, notices, {
    invocationId: opts.invocationId,
    ...(opts.dryRun !== undefined ? { dryRun: opts.dryRun } : {}),
  });
  for (const u of expiry.uses)
    logJson(opts.log, "warn", u.expired ? "expired object in use" : "expiring object in use", {
      invocationId: opts.invocationId,
      cluster: u.cluster,
      namespace: u.namespace,
      vault: u.vault,
      objectType: u.objectType,
      objectName: u.objectName,
      version: u.version,
      expiresOn: u.expiresOn,
      spcs: u.spcs,
      workloads: u.workloads,
    });
  logJson(opts.log, expiry.retry ? "warn" : "info", "expiry summary", {
    invocationId: opts.invocationId,
    eventIds: notices.map((n) => n.eventId),
    objects: notices.map((n) => ({
      vault: n.vault,
      objectType: n.objectType,
      objectName: n.objectName,
      expiresOn: n.expiresOn,
      expired: n.expired,
    })),
    counts: expiry.counts,
    clusters: expiry.clusters,
    retry: expiry.retry,
  });
  if (expiry.retry) throw new ExpiryRedeliveryNeeded(expiry);
  return expiry;
}
