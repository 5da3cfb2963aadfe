// The commands on the shared pipeline (loaded only when a command runs, so --help and usage errors start fast):
// push/plan → push() (push --wait then follows the rotation: follow.ts), drift → reconcile(), event → parseDelivery()
// once, then handleParsedDelivery(); status → a read-only verification run; expiring → Key Vault's properties listings.
// With --verbose every command writes the function app's structured log lines to stderr.
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { ConfigError } from "../config/config.js";
import { ExpiryRedeliveryNeeded, handleParsedDelivery, RedeliveryNeeded } from "../entry/event-delivery.js";
import { logReportSummary } from "../entry/finish-report.js";
import { logJson, type Level, type LogSink } from "../entry/log.js";
import { describeError } from "../kube/errors.js";
import { listExpiring } from "../pipeline/expiry.js";
import { push } from "../pipeline/push.js";
import { verifyRotations } from "../pipeline/verify.js";
import { reconcile } from "../pipeline/reconcile.js";
import type { Runtime } from "../pipeline/runtime.js";
import { formatTable } from "../report/format.js";
import { failureSummary, type Report } from "../report/report.js";
import { parseDelivery, type DeliveryEntry } from "../signal/delivery.js";
import { PROGRAM, UsageError, validateObjectFlags, type Command } from "./args.js";
import { Progress } from "./progress.js";
import { follow } from "./follow.js";
import { formatExpiring, formatStatus } from "./tables.js";
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, type CliIo } from "./io.js";
import { cliConfig, cliRuntime } from "./setup.js";

type RunCommand = Exclude<Command, { command: "help" }>;

export function reportFailed(r: Report): boolean {
  return r.retry || !!r.vaultFailure || r.clusters.some((c) => !c.ok) || r.counts.failed > 0;
}

/** How a failed report ended, in words: transient (retry as is), a configuration problem, or failed actions. */
function outcomeWords(r: Report, retryHint: string): string {
  if (!r.retry) return "some part failed";
  const failures = [...r.clusters.map((c) => c.failure), r.vaultFailure].filter((f) => !!f);
  return failures.every((f) => f.kind === "transient")
    ? `incomplete (transient failure; ${retryHint})`
    : "failed (needs a configuration change; see fix)";
}

/** Key Vault's failure, its kind and what to change, on stderr (the table shows only per-object skips). */
function vaultFailureLines(r: Report): string {
  const f = r.vaultFailure;
  return f ? `${PROGRAM}: Key Vault ${f.kind} failure: ${f.message}\n${PROGRAM}: fix: ${f.fix}\n` : "";
}

function sink(io: CliIo, verbose: boolean): LogSink {
  return (level: Level, line: string) => {
    if (verbose) io.stderr.write(`[${level}] ${line}\n`);
  };
}

function entrySummary(e: DeliveryEntry): Record<string, unknown> {
  switch (e.kind) {
    case "signal":
      return {
        kind: e.kind,
        eventId: e.signal.eventId,
        vault: e.signal.vault,
        objectType: e.signal.objectType,
        objectName: e.signal.objectName,
        version: e.signal.version,
      };
    case "ignored":
      return { kind: e.kind, eventId: e.eventId, eventType: e.eventType, meaning: e.meaning };
    case "rejected":
      return { kind: e.kind, eventId: e.eventId, reason: e.reason };
    case "expiry":
      return {
        kind: e.kind,
        eventId: e.notice.eventId,
        eventType: e.notice.eventType,
        vault: e.notice.vault,
        objectType: e.notice.objectType,
        objectName: e.notice.objectName,
        version: e.notice.version,
        expiresOn: e.notice.expiresOn,
      };
    case "duplicate":
      return { kind: e.kind, eventId: e.eventId, duplicateOf: e.duplicateOf };
  }
}

function eventTable(entries: DeliveryEntry[]): string {
  const n = (k: DeliveryEntry["kind"]) => entries.filter((e) => e.kind === k).length;
  const lines = [
    `EVENTS ${entries.length}: ${n("signal")} to push, ${n("expiry")} expiry, ${n("ignored")} ignored, ${n("duplicate")} duplicate, ${n("rejected")} rejected`,
  ];
  for (const e of entries) {
    const s = entrySummary(e);
    const id = (s.eventId as string | undefined) ?? "(no id)";
    if (e.kind === "signal")
      lines.push(
        `  SIGNAL    ${id}  ${e.signal.vault}/${e.signal.objectType}/${e.signal.objectName}${e.signal.version ? "@" + e.signal.version.slice(0, 8) : ""}`,
      );
    if (e.kind === "expiry")
      lines.push(
        `  EXPIRY    ${id}  ${e.notice.vault}/${e.notice.objectType}/${e.notice.objectName} ${e.notice.expired ? "expired" : "expires"}${e.notice.expiresOn ? ` ${e.notice.expiresOn}` : ""}`,
      );
    if (e.kind === "ignored") lines.push(`  IGNORED   ${id}  ${e.eventType}: ${e.meaning}`);
    if (e.kind === "duplicate") lines.push(`  DUPLICATE ${id}  of ${e.duplicateOf ?? "(no id)"}`);
    if (e.kind === "rejected") lines.push(`  REJECTED  ${id}  ${e.reason}`);
  }
  return lines.join("\n");
}

async function withProgress<T>(io: CliIo, label: string, f: () => Promise<T>): Promise<T> {
  const p = new Progress(io.stderr, label).start();
  try {
    return await f();
  } finally {
    p.stop();
  }
}

function printReport(io: CliIo, cmd: RunCommand, r: Report): number {
  logReportSummary(r, sink(io, cmd.common.verbose));
  io.stdout.write(cmd.common.output === "json" ? JSON.stringify(r, null, 2) + "\n" : formatTable(r) + "\n");
  if (reportFailed(r)) {
    io.stderr.write(`${PROGRAM}: ${outcomeWords(r, "safe to run again")}: ${failureSummary(r) || `${r.counts.failed} action(s) failed`}\n`);
    io.stderr.write(vaultFailureLines(r));
    return EXIT_FAILED;
  }
  return EXIT_OK;
}

async function execute(cmd: RunCommand, rt: Runtime, io: CliIo): Promise<number> {
  const invocationId = randomUUID();
  const c = cmd.common;
  const scope = c.clusters.length ? { clusters: c.clusters } : {};
  switch (cmd.command) {
    case "push":
    case "plan": {
      // Now the real allow-list and cluster names (403 → a usage error naming KVRP_VAULTS / --vault-url).
      validateObjectFlags(
        { vault: cmd.vault, name: cmd.objectName, type: cmd.objectType, namespaces: cmd.namespaces, clusters: c.clusters },
        cmd.command,
        { vaults: rt.config.vaults, clusterNames: rt.clusters.map((k) => k.name) },
      );
      const dryRun = cmd.dryRun || rt.config.dryRun;
      const what = `${cmd.vault}/${cmd.objectType}/${cmd.objectName}`;
      const r = await withProgress(
        io,
        `${dryRun ? "planning" : "pushing"} ${what} on ${rt.clusters.filter((k) => !c.clusters.length || c.clusters.includes(k.name)).length} cluster(s)…`,
        () =>
          push(
            rt,
            [
              {
                vault: cmd.vault,
                objectType: cmd.objectType,
                objectName: cmd.objectName,
                eventTime: new Date().toISOString(),
                source: "cli",
              },
            ],
            {
              invocationId,
              dryRun,
              ...scope,
              ...(cmd.namespaces.length ? { namespaces: cmd.namespaces } : {}),
            },
          ),
      );
      if (!cmd.wait || dryRun) return printReport(io, cmd, r);
      return await pushAndWait(io, cmd, rt, r);
    }
    case "status": {
      if (cmd.vault && !rt.config.vaults.has(cmd.vault))
        throw new UsageError(`--vault: vault "${cmd.vault}" is not in the allow-list (KVRP_VAULTS or --vault-url)`, "status");
      const run = await withProgress(io, "looking at rotations…", () =>
        verifyRotations(rt, {
          write: false,
          invocationId,
          ...scope,
          only: { ...(cmd.vault ? { vault: cmd.vault } : {}), ...(cmd.objectName ? { objectName: cmd.objectName } : {}) },
        }),
      );
      io.stdout.write(
        c.output === "json"
          ? JSON.stringify({ clusters: run.report.clusters, rotations: run.rotations }, null, 2) + "\n"
          : formatStatus(run.rotations, run.report.clusters) + "\n",
      );
      return run.report.clusters.some((k) => !k.ok) ? EXIT_FAILED : EXIT_OK;
    }
    case "expiring": {
      const r = await withProgress(io, "reading expiry attributes…", () =>
        listExpiring(rt, { withinMs: cmd.withinMs, invocationId, ...scope }),
      );
      logJson(sink(io, c.verbose), "info", "expiring summary", {
        invocationId,
        counts: r.counts,
        listings: r.listings,
        clusters: r.clusters,
      });
      io.stdout.write(
        c.output === "json" ? JSON.stringify(r, null, 2) + "\n" : formatExpiring(r, Math.round(cmd.withinMs / 86_400_000)) + "\n",
      );
      return r.retry || r.clusters.some((k) => !k.ok) ? EXIT_FAILED : EXIT_OK;
    }
    case "drift": {
      const dryRun = !cmd.apply || rt.config.dryRun;
      const r = await withProgress(io, `checking drift${dryRun ? "" : " and pushing"}…`, () =>
        reconcile(rt, { dryRun, invocationId, ...scope }),
      );
      return printReport(io, cmd, r);
    }
    case "event": {
      let text: string;
      try {
        text = cmd.file === "-" ? await io.readStdin() : await readFile(cmd.file, "utf8");
      } catch (e) {
        throw new UsageError(
          `cannot read ${cmd.file === "-" ? "stdin" : `"${cmd.file}"`}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
          "event",
        );
      }
      const receivedAt = new Date();
      const entries = parseDelivery(text, { vaults: rt.config.vaults, receivedAt });
      let report: Report | undefined;
      try {
        const out = await withProgress(io, `processing ${entries.length} event(s)…`, () =>
          handleParsedDelivery(rt, entries, {
            invocationId,
            log: sink(io, c.verbose),
            receivedAt,
            ...(cmd.dryRun ? { dryRun: true } : {}),
          }),
        );
        report = out.report;
      } catch (e) {
        if (e instanceof ExpiryRedeliveryNeeded) {
          io.stderr.write(`${PROGRAM}: ${e.message}\n`);
          return EXIT_FAILED;
        }
        if (!(e instanceof RedeliveryNeeded)) throw e;
        report = e.report;
      }
      if (c.output === "json")
        io.stdout.write(JSON.stringify({ events: entries.map(entrySummary), report: report ?? null }, null, 2) + "\n");
      else io.stdout.write(eventTable(entries) + (report ? "\n\n" + formatTable(report) : "\n\nnothing to push") + "\n");
      const rejected = entries.filter((e) => e.kind === "rejected").length;
      if (rejected) io.stderr.write(`${PROGRAM}: ${rejected} event(s) rejected (see above)\n`);
      if (report && reportFailed(report))
        io.stderr.write(`${PROGRAM}: ${outcomeWords(report, "Event Grid would redeliver")}\n${vaultFailureLines(report)}`);
      return rejected || (report && reportFailed(report)) ? EXIT_FAILED : EXIT_OK;
    }
  }
}

/** `push --wait`: the push's table, then a progress line per cluster until it is verified, failed or timed out. */
async function pushAndWait(io: CliIo, cmd: Extract<RunCommand, { command: "push" | "plan" }>, rt: Runtime, r: Report): Promise<number> {
  const json = cmd.common.output === "json";
  logReportSummary(r, sink(io, cmd.common.verbose));
  if (!json) io.stdout.write(formatTable(r) + "\n\n" + `Verifying (timeout ${Math.round(cmd.timeoutMs / 1000)} s)…\n`);
  if (reportFailed(r)) {
    if (json) io.stdout.write(JSON.stringify({ report: r, verification: null }, null, 2) + "\n");
    io.stderr.write(
      `${PROGRAM}: the push itself failed (${failureSummary(r) || `${r.counts.failed} action(s) failed`}); nothing to follow\n`,
    );
    return EXIT_FAILED;
  }
  const t0 = Date.now();
  const f = await follow(rt, r, {
    timeoutMs: cmd.timeoutMs,
    ...(cmd.common.clusters.length ? { clusters: cmd.common.clusters } : {}),
    progress: (line) => {
      if (!json) io.stdout.write(`  [${((Date.now() - t0) / 1000).toFixed(1).padStart(5)} s] ${line}\n`);
    },
  });
  const verdict =
    f.result === "verified"
      ? "RotationVerified on every cluster it reached"
      : f.result === "failed"
        ? "RotationFailed (see above; Warning Events on the workloads)"
        : f.result === "timeout"
          ? `not verified within ${Math.round(cmd.timeoutMs / 1000)} s (still in flight: \`${PROGRAM} status\` follows it)`
          : "nothing to verify: no workload mounts the object or reads its synced Secrets";
  if (json) io.stdout.write(JSON.stringify({ report: r, verification: { result: f.result, rotations: f.rotations } }, null, 2) + "\n");
  else io.stdout.write(`\n${verdict}\n`);
  if (f.result === "failed" || f.result === "timeout") {
    io.stderr.write(`${PROGRAM}: ${verdict}\n`);
    return EXIT_FAILED;
  }
  return EXIT_OK;
}

/** Builds the configuration and runtime, runs the command; returns the exit code. Never throws. */
export async function runCommand(cmd: RunCommand, io: CliIo): Promise<number> {
  try {
    const config = cliConfig(cmd, io.env);
    const rt = io.runtime ? io.runtime(config) : cliRuntime(config, io.env);
    return await execute(cmd, rt, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`${PROGRAM}: ${e.message}\nRun '${PROGRAM} ${cmd.command} --help' for usage.\n`);
      return EXIT_USAGE;
    }
    if (e instanceof ConfigError) {
      io.stderr.write(`${PROGRAM}: ${e.message}\n`);
      return EXIT_USAGE;
    }
    // Unexpected: one value-free line (describeError() keeps the first line of the message; no stack trace).
    io.stderr.write(`${PROGRAM}: failed: ${describeError(e)}\n`);
    return EXIT_FAILED;
  }
}
