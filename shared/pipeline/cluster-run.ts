// One cluster's pass, shared by every trigger: inventory → (Key Vault) → Secrets planned, proven and applied →
// mounts and restarts planned from what really happened → applied → Events. Failures become the cluster's report.
import { applyActions, type ActionResult } from "../apply/apply.js";
import { eventFor, noProofEvent, recordEvents } from "../apply/events.js";
import { collectInventory } from "../inventory/collect.js";
import type { ClusterApi } from "../kube/cluster-api.js";
import { describeError, kubeFailure } from "../kube/errors.js";
import { nsName, type Action, type ClusterInventory, type ClusterReport, type Spc } from "../model/index.js";
import {
  analyzeSecrets,
  inScope,
  planMounts,
  planRestarts,
  planSecrets,
  scopeSkips,
  type HeldSecret,
  type PlanContext,
  type PlannedObject,
  type SecretTarget,
  planSecretSyncs,
  withHeld,
} from "../plan/plan.js";
import { toReportAction } from "../report/report.js";
import { readHistories } from "./objects.js";
import { findProofs, rememberLatest } from "./prove.js";
import type { Runtime } from "./runtime.js";
import { awaitSecretSyncs, DEFAULT_SECRETSYNC_WAIT_SECONDS } from "./secretsync-wait.js";
import type { VaultReader } from "../vault/reader.js";
import { startVerification } from "./verify-start.js";

export interface ClusterPass {
  spcs: Spc[];
  objectNames: string[];
  /** The objects' Key Vault state, read after the inventory (an event) or already read (the timer). */
  objects: (inv: ClusterInventory) => Promise<PlannedObject[]>;
  ctx: Omit<PlanContext, "render" | "vaults">;
  dryRun: boolean;
  receivedAt: number;
  reader: VaultReader;
  /** Drift runs report only what is behind or blocked ("up-to-date" skips are the normal case). */
  quietUpToDate?: boolean;
}

export interface ClusterPassResult {
  report: ClusterReport;
  /** Objects (`vault|name`) found behind: a Secret lagging or a mount holding an older version. */
  behind: Set<string>;
}

/** Secrets whose patch did not land (failed, not run, gone) do not hold the new version: nothing restarts for them. */
function landed(held: Map<string, HeldSecret>, results: ActionResult[]): Map<string, HeldSecret> {
  const failed = new Set(
    results
      .filter((r) => r.action.type === "patchSecret" && r.status !== "applied" && r.status !== "planned")
      .map((r) => nsName(r.action.namespace!, (r.action as { name: string }).name)),
  );
  return new Map([...held].filter(([k, h]) => !(h.patched && failed.has(k))));
}

/** Inventory, Key Vault state, the Secrets analysis and its proofs: everything decided before the first write. */
async function prepare(rt: Runtime, api: ClusterApi, pass: ClusterPass, behind: Set<string>) {
  const ctx: PlanContext = { ...pass.ctx, vaults: rt.config.vaults, render: rt.render };
  const inv = await collectInventory(api, pass.spcs, pass.objectNames, inScope(ctx), rt.config.concurrency);
  const objects = await pass.objects(inv);
  await readHistories(pass.reader, rt.config.vaults, objects, inv.spcs.filter(inScope(ctx)), rt.render);
  const reads = new Map(
    objects.flatMap((o) => Object.entries(o.state.byType).map(([t, r]) => [`${o.state.vault}|${t}|${o.state.objectName}`, r])),
  );
  const latestCreated = (t: SecretTarget) => {
    const r = reads.get(`${t.vault}|${t.spcObject.objectType}|${t.spcObject.objectName}`);
    return r && "created" in r ? r.created : undefined;
  };
  const analysis = analyzeSecrets(objects, inv, ctx);
  rememberLatest([...analysis.current, ...analysis.behind], latestCreated, rt.instance.known);
  for (const t of analysis.behind) behind.add(`${t.vault}|${t.spcObject.objectName}`);
  const proofs = await findProofs(analysis.behind, latestCreated, {
    reader: pass.reader,
    vaults: rt.config.vaults,
    render: rt.render,
    known: rt.instance.known,
    window: rt.config.proofVersions,
  });
  const digest = rt.instance.digest.shown
    ? (d: Record<string, string>) => rt.instance.digest.of(...Object.entries(d).sort().flat())
    : undefined;
  const secrets = planSecrets(analysis, proofs, digest);
  const mounts = planMounts(objects, inv, ctx);
  for (const k of mounts.staleObjects) behind.add(k);
  const sync = planSecretSyncs(objects, inv, ctx);
  for (const k of sync.behind) behind.add(k);
  return { ctx, inv, objects, secrets, mounts, sync, scope: scopeSkips(objects, inv, ctx) };
}

/** The whole plan of one pass without writing anything, every Secret patch assumed to land (tests step in between). */
export async function planPass(rt: Runtime, api: ClusterApi, pass: ClusterPass): Promise<Action[]> {
  const p = await prepare(rt, api, pass, new Set());
  return [
    ...p.scope,
    ...p.secrets.actions,
    ...p.sync.actions,
    ...p.mounts.actions,
    ...planRestarts(p.objects, p.inv, withHeld(p.secrets.held, p.sync.held), p.mounts.unrefreshable, p.ctx),
  ];
}

export async function runClusterPass(rt: Runtime, api: ClusterApi, pass: ClusterPass): Promise<ClusterPassResult> {
  const t0 = Date.now();
  const report: ClusterReport = { cluster: api.name, ok: true, durationMs: 0, actions: [] };
  const behind = new Set<string>();
  const opts = { concurrency: rt.config.concurrency, dryRun: pass.dryRun, receivedAt: pass.receivedAt };
  const results: ActionResult[] = [];
  try {
    const { ctx, inv, objects, secrets, mounts, sync, scope } = await prepare(rt, api, pass, behind);
    report.found = inv.found;
    const secretOut = await applyActions(api, [...scope, ...sync.actions, ...secrets.actions], opts);
    results.push(...secretOut.results);
    // SecretSync: the controller writes its Secret asynchronously; restarts follow what it wrote within the wait.
    const synced = pass.dryRun
      ? { held: sync.held, skips: [], events: [] }
      : await awaitSecretSyncs(api, inv, objects, ctx, sync.held, secretOut.results, {
          waitMs: (rt.config.secretSyncWaitSeconds ?? DEFAULT_SECRETSYNC_WAIT_SECONDS) * 1000,
          receivedAt: pass.receivedAt,
          concurrency: rt.config.concurrency,
        });
    results.push(...synced.skips.map((action) => ({ action, status: "skipped" as const })));
    // Restarts follow only Secrets that really hold the new version (patched now, or already current).
    const held = withHeld(landed(secrets.held, secretOut.results), synced.held);
    const restarts = planRestarts(objects, inv, held, mounts.unrefreshable, ctx);
    const rest = await applyActions(api, [...mounts.actions, ...restarts], opts, secretOut);
    results.push(...rest.results);
    // A retryable failure fails the cluster (redelivery finishes it); permanent ones stay failed actions in the report.
    if (rest.retryable) {
      report.ok = false;
      report.failure = rest.retryable;
    }
    // Events after the changes themselves: they are not on the critical path of any write.
    if (!pass.dryRun)
      await recordEvents(
        api,
        [...secretOut.touched, ...rest.touched]
          .map(eventFor)
          .concat(secrets.refused.map((s) => noProofEvent(s.namespace, s.name)))
          .concat(synced.events),
        rt.config.concurrency,
      );
    // Then the records that let any instance follow the rotation to its end (bookkeeping: its failure is reported,
    // it does not fail the push).
    if (!pass.dryRun)
      try {
        const verifying = await startVerification(rt, api, {
          objects,
          inv,
          inScope: inScope(ctx),
          results,
          trigger: ctx.trigger,
          now: new Date(),
        });
        if (verifying) report.verifying = verifying;
      } catch (e) {
        report.verifyError = `verification records not written: ${describeError(e)}`;
      }
  } catch (e) {
    report.ok = false;
    report.failure = kubeFailure(e);
  }
  report.actions = results
    .filter((r) => !(pass.quietUpToDate && r.action.type === "skip" && r.action.reason.code === "up-to-date"))
    .map((r) => toReportAction(r, rt.instance.digest.shown));
  report.durationMs = Date.now() - t0;
  return { report, behind };
}
