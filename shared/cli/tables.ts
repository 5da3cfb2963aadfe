// Terminal tables for `status` and `expiring`: one block per rotation (or expiring object), value-free.
import { expiryPhrase, shortVersion, type ExpiryReport, type RotationOutcome, type VerifyReport } from "../model/index.js";

const secs = (ms: number | undefined) => (ms === undefined ? "" : `${(ms / 1000).toFixed(1)} s`);

function age(iso: string, now: Date): string {
  const s = Math.max(0, Math.round((now.getTime() - Date.parse(iso)) / 1000));
  return s < 120
    ? `${s} s`
    : s < 7200
      ? `${Math.round(s / 60)} min`
      : s < 172_800
        ? `${Math.round(s / 3600)} h`
        : `${Math.round(s / 86_400)} d`;
}

const STATE = { verified: "RotationVerified", failed: "RotationFailed", pending: "in flight" } as const;

/** `status`: rotations in flight first, then the last outcome of each, per cluster. */
export function formatStatus(rotations: RotationOutcome[], clusters: VerifyReport["clusters"], now = new Date()): string {
  const lines: string[] = [];
  const inFlight = rotations.filter((r) => r.state === "pending");
  lines.push(
    `ROTATIONS ${rotations.length}: ${inFlight.length} in flight, ${rotations.filter((r) => r.state === "verified").length} verified, ${rotations.filter((r) => r.state === "failed").length} failed`,
  );
  for (const c of clusters.filter((x) => !x.ok)) lines.push(`cluster ${c.cluster}: FAILED: ${c.failure?.message ?? ""}`);
  for (const r of [...inFlight, ...rotations.filter((x) => x.state !== "pending")]) {
    lines.push("");
    const when = r.state === "pending" ? `event ${age(r.eventTime, now)} ago` : `${secs(r.eventToDoneMs)} after the Key Vault event`;
    lines.push(`${r.cluster}  ${r.vault}/${r.objectName}@${shortVersion(r.version)}  ${STATE[r.state]}  (${when})`);
    for (const w of r.workloads) {
      lines.push(`  ${w.state.toUpperCase().padEnd(8)}  ${w.target}`);
      for (const p of w.problems.slice(0, 5)) lines.push(`            ${p.detail}`);
    }
  }
  if (rotations.length === 0) lines.push("", "(no rotation being verified, and no verification recorded on any workload in scope)");
  return lines.join("\n");
}

/** `expiring`: one block per object and cluster, soonest first, with the workloads that use it. */
export function formatExpiring(r: ExpiryReport, withinDays: number, now = new Date()): string {
  const lines = [`EXPIRING within ${withinDays} day(s): ${r.notices.length} object(s) in use, ${r.counts.workloads} workload(s)`];
  for (const c of r.clusters.filter((x) => !x.ok)) lines.push(`cluster ${c.cluster}: FAILED: ${c.failure?.message ?? ""}`);
  for (const u of r.uses) {
    lines.push("");
    lines.push(
      `${u.cluster}  ${u.vault}/${u.objectName}${u.version ? `@${shortVersion(u.version)} (pinned)` : ""}  ${u.objectType}  ${expiryPhrase(u, now)}`,
    );
    lines.push(`  namespace ${u.namespace}: SecretProviderClass ${u.spcs.join(", ")}`);
    for (const w of u.workloads) lines.push(`    ${w}`);
    if (u.workloads.length === 0) lines.push("    (no workload mounts it or reads its Secrets now)");
  }
  if (r.uses.length === 0) lines.push("", "nothing in use expires in that window");
  return lines.join("\n");
}
