// One cluster's pass, shared by every trigger. The Secrets come first and alone on the critical path: their fresh
// GETs run alongside the Key Vault read, proofs follow (warm: from memory), then the conditional patches. Only then
// the mounts and workloads are inventoried (warm caches, or fresh lists), nudges and restarts planned from what
// really happened and applied; Kubernetes Events go to the background recorder. Failures become the cluster's report.
//
// Why an older read can never move anything back, although Key Vault is read while the Secrets are: a Secret patch
// is conditional on the resourceVersion read (a write after our GET fails it: 409 → redelivery); a Secret already
// holding a version newer than our read — or not provably older — is left alone (prove.ts, ordering.ts); a restart
// is conditional on the workload's resourceVersion and never replaces a template annotation of a newer version
// (plan/restarts.ts), re-planned from the workload as it is now when the precondition fails.
import pLimit from "p-limit";
import { applyActions, type ActionResult, type ApplyOptions } from "../apply/apply.js";
import { aggregateEvents, eventFor, noProofEvent, recordEvents } from "../apply/events.js";
import { collectMounts, collectSecrets, spcpsHints } from "../inventory/collect.js";
import { collectSecretSyncs, foundSources } from "../inventory/secretsync.js";
import type { ClusterApi } from "../kube/cluster-api.js";
import { describeError, kubeFailure } from "../kube/errors.js";
import {
  nsName,
  type Action,
  type ClusterInventory,
  type ClusterReport,
  type ObjectVersion,
  type ProviderObjectType,
  type RestartWorkload,
  type Spc,
} from "../model/index.js";
import {
  analyzeSecrets,
  inScope,
  planMounts,
  planSecretSyncs,
  planSecrets,
  restartPlan,
  scopeSkips,
  skip,
  withHeld,
  type HeldSecret,
  type OrderOf,
  type PlanContext,
  type PlannedObject,
  type SecretTarget,
} from "../plan/plan.js";
import { toReportAction } from "../report/report.js";
import type { VaultReader } from "../vault/reader.js";
import { readHistories } from "./objects.js";
import { Ordering, readType } from "./ordering.js";
import { findProofs, rememberLatest } from "./prove.js";
import type { Runtime } from "./runtime.js";
import { awaitSecretSyncs, DEFAULT_SECRETSYNC_WAIT_SECONDS } from "./secretsync-wait.js";
import { startVerification } from "./verify-start.js";

export interface ClusterPass {
  spcs: Spc[];
  objectNames: string[];
  /** The objects' Key Vault state: read while the Secrets are fetched (an event) or already read (the timer). */
  objects: () => Promise<PlannedObject[]>;
  ctx: Omit<PlanContext, "render" | "vaults">;
  dryRun: boolean;
  receivedAt: number;
  reader: VaultReader;
  /** Shared by the invocation's clusters (one lookup per object); a pass of its own by default. */
  ordering?: Ordering;
  /** Drift runs report only what is behind or blocked ("up-to-date" skips are the normal case). */
  quietUpToDate?: boolean;
  /** Drift runs read everything: the mount stage waits this long for the caches to be live before listing fresh. */
  waitForCachesMs?: number;
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

type SecretsStage = Awaited<ReturnType<typeof prepareSecrets>>;

/** The Secrets stage: fresh Secrets and Key Vault together, proofs (hints from a warm SPCPS cache), the patches planned. */
async function prepareSecrets(rt: Runtime, api: ClusterApi, pass: ClusterPass, ordering: Ordering, behind: Set<string>) {
  const ctx: PlanContext = { ...pass.ctx, vaults: rt.config.vaults, render: rt.render };
  const scoped = pass.spcs.filter(inScope(ctx));
  const limit = pLimit(rt.config.concurrency);
  // Where to look first for proof: the versions the pods report, if a live cache has them (no request); a cold
  // instance goes to the version listing instead (correct, one Key Vault call slower).
  const spcps = spcpsHints(api, scoped, rt.caches);
  // SecretSync targets (the sync controller, where it is served) are Secrets too: found and nudged in this stage.
  const [secrets, sync0, objects] = await Promise.all([
    collectSecrets(api, scoped, pass.objectNames, limit),
    collectSecretSyncs(api, scoped, limit, rt.caches),
    pass.objects(),
  ]);
  for (const [k, v] of sync0.secrets) secrets.set(k, v);
  await readHistories(pass.reader, rt.config.vaults, objects, scoped, rt.render);
  ordering.noteReads(objects);
  const inv: ClusterInventory = {
    cluster: api.name,
    spcs: pass.spcs,
    secrets,
    spcps,
    workloads: [],
    driverRepublish: null,
    ...(sync0.secretSyncs ? { secretSyncs: sync0.secretSyncs } : {}),
  };
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
  const proofs = await findProofs(analysis.behind, {
    reader: pass.reader,
    vaults: rt.config.vaults,
    render: rt.render,
    known: rt.instance.known,
    window: rt.config.proofVersions,
    ages: rt.instance.ages,
    ordering,
  });
  const digest = rt.instance.digest.shown
    ? (d: Record<string, string>) => rt.instance.digest.of(...Object.entries(d).sort().flat())
    : undefined;
  const planned = planSecrets(analysis, proofs, digest);
  const sync = planSecretSyncs(objects, inv, ctx);
  for (const k of sync.behind) behind.add(k);
  const syncController = sync0.syncController;
  return { ctx, scoped, limit, inv, objects, secrets: planned, sync, syncController, scope: scopeSkips(objects, inv, ctx) };
}

/** The mount stage: its inventory (warm caches, else fresh lists), read once the Secrets are done, and the nudges. */
async function prepareMounts(rt: Runtime, api: ClusterApi, pass: ClusterPass, ordering: Ordering, s: SecretsStage, behind: Set<string>) {
  if (pass.waitForCachesMs) await rt.caches?.ready(api, pass.waitForCachesMs);
  const inv: ClusterInventory = { ...s.inv, ...(await collectMounts(api, s.scoped, s.limit, rt.caches)) };
  // Versions the mounts hold that this instance cannot place yet are looked up first (a tie, a version it never saw):
  // a mount holding a newer version than this read is not nudged.
  const unordered: { ours: ObjectVersion; held: string; type: ProviderObjectType }[] = [];
  planMounts(s.objects, inv, s.ctx, (ours, held) => {
    const o = ordering.order(ours, held);
    const type = readType(s.objects, ours);
    if (o === "unknown" && type) unordered.push({ ours, held, type });
    return o;
  });
  if (unordered.length) await ordering.resolve(unordered);
  const mounts = planMounts(s.objects, inv, s.ctx, ordering.order);
  for (const k of mounts.staleObjects) behind.add(k);
  return { inv, mounts };
}

/** Restarts, with every version a template holds ordered against ours first (looked up when not known yet). */
async function planRestartsOrdered(
  ordering: Ordering,
  s: SecretsStage,
  inv: Pick<ClusterInventory, "workloads">,
  held: ReadonlyMap<string, HeldSecret>,
  unrefreshable: ReadonlyMap<string, Spc>,
): Promise<Action[]> {
  const first = restartPlan(s.objects, inv, held, unrefreshable, s.ctx, ordering.order);
  if (first.unordered.length === 0) return first.actions;
  await ordering.resolve(
    first.unordered.flatMap((u) => {
      const type = readType(s.objects, u.ours);
      return type ? [{ ...u, type }] : [];
    }),
  );
  // Still undecided after the lookups (no creation time anywhere): keep what the template holds.
  const settled: OrderOf = (ours, h) => {
    const o = ordering.order(ours, h);
    return o === "unknown" ? "newer" : o;
  };
  return restartPlan(s.objects, inv, held, unrefreshable, s.ctx, settled).actions;
}

/** A restart that met a newer workload (409): re-planned from the workload as it is now. */
function replanner(
  api: ClusterApi,
  ordering: Ordering,
  s: SecretsStage,
  held: ReadonlyMap<string, HeldSecret>,
  unrefreshable: ReadonlyMap<string, Spc>,
) {
  return async (a: RestartWorkload): Promise<Action | null> => {
    const fresh = await api.getWorkload(a.kind, a.namespace, a.name);
    if (!fresh) return null;
    const actions = await planRestartsOrdered(ordering, s, { workloads: [fresh] }, held, unrefreshable);
    return (
      actions[0] ??
      skip(`${a.kind} ${nsName(a.namespace, a.name)}`, "already-restarted", "changed meanwhile; nothing left to restart", a.namespace)
    );
  };
}

/** The whole plan of one pass without writing anything, every Secret patch assumed to land (tests step in between). */
export async function planPass(rt: Runtime, api: ClusterApi, pass: ClusterPass): Promise<Action[]> {
  const ordering = pass.ordering ?? orderingFor(rt, pass.reader);
  const s = await prepareSecrets(rt, api, pass, ordering, new Set());
  const m = await prepareMounts(rt, api, pass, ordering, s, new Set());
  const held = withHeld(s.secrets.held, s.sync.held);
  const restarts = await planRestartsOrdered(ordering, s, m.inv, held, m.mounts.unrefreshable);
  return [...s.scope, ...s.secrets.actions, ...s.sync.actions, ...m.mounts.actions, ...restarts];
}

export function orderingFor(rt: Runtime, reader: VaultReader): Ordering {
  return new Ordering({ reader, clients: rt.vaults, vaults: rt.config.vaults, ages: rt.instance.ages });
}

export async function runClusterPass(rt: Runtime, api: ClusterApi, pass: ClusterPass): Promise<ClusterPassResult> {
  const t0 = Date.now();
  const report: ClusterReport = { cluster: api.name, ok: true, durationMs: 0, actions: [] };
  const behind = new Set<string>();
  const ordering = pass.ordering ?? orderingFor(rt, pass.reader);
  const opts: ApplyOptions = { concurrency: rt.config.concurrency, dryRun: pass.dryRun, receivedAt: pass.receivedAt };
  const results: ActionResult[] = [];
  try {
    const s = await prepareSecrets(rt, api, pass, ordering, behind);
    const secretOut = await applyActions(api, [...s.scope, ...s.sync.actions, ...s.secrets.actions], opts);
    results.push(...secretOut.results);
    // SecretSync: the controller writes its Secret asynchronously; restarts follow what it wrote within the wait.
    const synced = pass.dryRun
      ? { held: s.sync.held, skips: [], events: [] }
      : await awaitSecretSyncs(api, s.inv, s.objects, s.ctx, s.sync.held, secretOut.results, {
          waitMs: (rt.config.secretSyncWaitSeconds ?? DEFAULT_SECRETSYNC_WAIT_SECONDS) * 1000,
          receivedAt: pass.receivedAt,
          concurrency: rt.config.concurrency,
        });
    results.push(...synced.skips.map((action) => ({ action, status: "skipped" as const })));
    const m = await prepareMounts(rt, api, pass, ordering, s, behind);
    report.found = foundSources(m.inv, s.syncController);
    // Restarts follow only Secrets that really hold the new version (patched now, or already current).
    const held = withHeld(landed(s.secrets.held, secretOut.results), synced.held);
    const restarts = await planRestartsOrdered(ordering, s, m.inv, held, m.mounts.unrefreshable);
    const replanRestart = replanner(api, ordering, s, held, m.mounts.unrefreshable);
    const rest = await applyActions(api, [...m.mounts.actions, ...restarts], { ...opts, replanRestart }, secretOut);
    results.push(...rest.results);
    // A retryable failure fails the cluster (redelivery finishes it); permanent ones stay failed actions in the report.
    if (rest.retryable) {
      report.ok = false;
      report.failure = rest.retryable;
    }
    // Cold caches seed once this invocation is done (their lists must not compete with its writes; no-op while running).
    if (rt.caches) setTimeout(() => rt.caches?.start(api), 0).unref();
    if (!pass.dryRun) {
      const events = [...secretOut.touched, ...rest.touched]
        .map(eventFor)
        .concat(s.secrets.refused.map((x) => noProofEvent(x.namespace, x.name)))
        .concat(synced.events);
      if (rt.events) rt.events.record(api, events);
      else await recordEvents(api, aggregateEvents(events), rt.config.concurrency);
    }
    // Then the records that let any instance follow the rotation to its end (after every write of the pass;
    // bookkeeping: its failure is reported, it does not fail the push).
    if (!pass.dryRun)
      try {
        const verifying = await startVerification(rt, api, {
          objects: s.objects,
          inv: m.inv,
          inScope: inScope(s.ctx),
          results,
          trigger: s.ctx.trigger,
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
