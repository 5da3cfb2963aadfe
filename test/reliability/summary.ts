// Global setup of the reliability project: provides the directory where each test file writes its figures, and at
// teardown (after every file) adds them up into ONE summary, printed last and written to results/latest.md.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import type { Figures } from "./support/ledger.js";

const resultsDir = join(new URL(".", import.meta.url).pathname, "results");
let dir = "";
let t0 = 0;

export function setup(project: TestProject): void {
  t0 = Date.now();
  dir = mkdtempSync(join(tmpdir(), "kvrp-reliability-"));
  project.provide("reliabilityDir", dir);
}

const sum = (parts: Figures[], k: keyof Figures) => parts.reduce((n, p) => n + (typeof p[k] === "number" ? (p[k] as number) : 0), 0);

function merge(parts: Figures[], k: "faults" | "payloadsFuzzed" | "rejections"): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of parts) for (const [kind, n] of Object.entries(p[k])) out[kind] = (out[kind] ?? 0) + n;
  return out;
}

const total = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
const byKind = (r: Record<string, number>) =>
  Object.entries(r)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => `${k} ${n}`)
    .join(", ") || "none";

export function summarize(parts: Figures[], wallSeconds: number): { text: string; failures: string[] } {
  const faults = merge(parts, "faults");
  const fuzzed = merge(parts, "payloadsFuzzed");
  const rejections = merge(parts, "rejections");
  const must0 = {
    "lost rotations": sum(parts, "lostRotations"),
    "duplicate rollouts": sum(parts, "duplicateRollouts"),
    "leaked values": sum(parts, "leakedValues"),
    crashes: sum(parts, "crashes"),
    "unhandled rejections": sum(parts, "unhandledRejections"),
    "Secrets created": sum(parts, "secretsCreated"),
    "Secrets deleted": sum(parts, "secretsDeleted"),
  };
  const rows: [string, string][] = [
    ["suites", parts.map((p) => `${p.suite} (${(p.durationMs / 1000).toFixed(1)} s)`).join(", ")],
    ["events delivered", String(sum(parts, "eventsDelivered"))],
    ["duplicates (extra copies)", String(sum(parts, "duplicates"))],
    ["reorders (older after newer)", String(sum(parts, "reorders"))],
    ["redeliveries (failed invocations retried)", String(sum(parts, "redeliveries"))],
    ["simulated instances (max)", String(Math.max(0, ...parts.map((p) => p.instances)))],
    ["faults injected", `${total(faults)}: ${byKind(faults)}`],
    ["payloads fuzzed", `${total(fuzzed)}: ${byKind(fuzzed)}`],
    ["rejections (each with its reason)", `${total(rejections)}: ${byKind(rejections)}`],
    ["forged events rejected", String(sum(parts, "forgedRejected"))],
    ["requests denied to the pusher identity", String(sum(parts, "deniedRequests"))],
    ["rollouts observed", String(sum(parts, "rollouts"))],
    ["synced Secrets checked", String(sum(parts, "secretsChecked"))],
    [
      "secret values checked for leaks",
      `${sum(parts, "valuesChecked")} values × their base64, in ${sum(parts, "charsScanned")} captured chars`,
    ],
    ...Object.entries(must0).map(([k, v]) => [`${k} (must be 0)`, String(v)] as [string, string]),
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  const lines = [
    `## Reliability summary (${new Date().toISOString()}, ${cpus().length} CPU, Node ${process.version}, ${wallSeconds.toFixed(0)} s since the run started)`,
    "",
    "```",
    ...rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`),
    "```",
    ...parts.flatMap((p) => p.notes.map((n) => `- ${p.suite}: ${n}`)),
  ];
  const failures = Object.entries(must0)
    .filter(([, v]) => v !== 0)
    .map(([k, v]) => `${k}: ${v}`);
  return { text: lines.join("\n") + "\n", failures };
}

export function teardown(): void {
  if (!dir) return;
  const parts = readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), "utf8")) as Figures);
  rmSync(dir, { recursive: true, force: true });
  if (parts.length === 0) return;
  const { text, failures } = summarize(parts, (Date.now() - t0) / 1000);
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, "latest.md"), `# kv-rotation-pusher reliability run\n\n${text}`);
  console.log(`\n${text}`);
  // Never throw here (the suites' own assertions fail the run); just make the broken invariants impossible to miss.
  if (failures.length) {
    console.error(`RELIABILITY INVARIANTS BROKEN: ${failures.join("; ")}`);
    process.exitCode = 1;
  }
}
