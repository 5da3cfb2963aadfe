// The report as a terminal table (CLI): one line per action, grouped by cluster.
import type { Report, SecretSources } from "../model/index.js";

/** Which mechanisms the cluster runs, in words. */
export function foundLabel(f: SecretSources): string {
  if (f.csiDriver && f.syncController) return "CSI driver and sync controller found";
  if (f.csiDriver) return "CSI driver found (no SecretSync API)";
  if (f.syncController) return "sync controller found (no CSI driver)";
  return "neither the CSI driver nor the sync controller found";
}

/** A terminal table: one line per action, grouped by cluster. */
export function formatTable(rep: Report): string {
  const lines: string[] = [];
  const sig = rep.signals
    .map((s) => `${s.vault}/${s.objectType}/${s.objectName}${s.version ? "@" + s.version.slice(0, 8) : ""}`)
    .join(", ");
  lines.push(
    `${rep.dryRun ? "PLAN (dry run)" : "PUSH"} ${sig || "(no signal)"} — ${rep.durationMs} ms, ${rep.vaultReads} Key Vault read(s)${rep.proofReads ? ` (${rep.proofReads} for proofs)` : ""}`,
  );
  for (const c of rep.clusters) {
    lines.push("");
    lines.push(
      `cluster ${c.cluster}: ${c.ok ? "ok" : "FAILED: " + (c.failure?.message ?? "")} (${c.durationMs} ms)${c.found ? ` — ${foundLabel(c.found)}` : ""}`,
    );
    if (!c.ok && c.failure?.fix) lines.push(`  fix: ${c.failure.fix}`);
    const rows = c.actions.map((a) => [
      a.status.toUpperCase(),
      a.type,
      a.target,
      a.atMs !== undefined ? `${a.atMs} ms` : "",
      `${a.reason.code}: ${a.reason.detail}${a.error ? ` — ${a.error}` : ""}`,
    ]);
    if (rows.length === 0) lines.push("  (nothing references this object)");
    if (c.verifying) lines.push(`  verifying on ${c.verifying} workload(s): \`kv-rotation-pusher status\` (or push --wait) follows it`);
    if (c.verifyError) lines.push(`  ${c.verifyError}`);
    const w = [0, 1, 2, 3].map((i) => Math.min(60, Math.max(...rows.map((r) => (r[i] ?? "").length), 0)));
    for (const r of rows)
      lines.push(
        "  " +
          r
            .slice(0, 4)
            .map((v, i) => (v ?? "").padEnd(w[i] ?? 0))
            .join("  ") +
          "  " +
          (r[4] ?? ""),
      );
  }
  const k = rep.counts;
  lines.push("");
  lines.push(
    `secrets patched ${k.secretsPatched}, pods nudged ${k.podsNudged}, ${k.secretSyncsNudged ? `SecretSyncs nudged ${k.secretSyncsNudged}, ` : ""}workloads restarted ${k.workloadsRestarted}, planned ${k.planned}, skipped ${k.skipped}, failed ${k.failed}${rep.retry ? " — will be retried" : ""}`,
  );
  if (rep.drift)
    lines.push(
      `drift: ${rep.drift.objectsChecked} objects checked, ${rep.drift.driftFound} drifted${rep.drift.oldestDriftSeconds !== undefined ? `, oldest ${rep.drift.oldestDriftSeconds} s` : ""}`,
    );
  if (rep.vaultFailure)
    lines.push(`Key Vault: ${rep.vaultFailure.message}${rep.vaultFailure.fix ? ` — fix: ${rep.vaultFailure.fix}` : ""}`);
  for (const o of rep.overBudget ?? [])
    lines.push(`namespace ${o.namespace}: over its read budget (${o.objects} objects referenced, ${o.budget} read per run)`);
  return lines.join("\n");
}
