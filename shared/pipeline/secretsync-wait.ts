// After SecretSync nudges: the sync controller fetches and writes the Secret asynchronously. The pass waits for it a
// bounded time (one list per namespace per tick; a failed list is just a tick without news, the nudges are already
// written), then plans again from what the controller wrote, so env consumers
// restart in the same invocation when it was quick. What is still pending is reported `sync-pending`; the next pass
// (a redelivered or new event, or the timer's drift run) restarts them once the Secret holds the version — the
// forceSynchronization value left in the SecretSync is the record that a push asked for it.
import { setTimeout as sleep } from "node:timers/promises";
import { syncFailedEvent, type EventSpec } from "../apply/events.js";
import type { ClusterApi } from "../kube/cluster-api.js";
import { listSecretSyncs } from "../kube/secretsync-api.js";
import { nsName, syncStatus, type ActionResult, type ClusterInventory, type SecretSyncState, type Skip } from "../model/index.js";
import { planSecretSyncs, type PlanContext, type PlannedObject, type HeldSecret } from "../plan/plan.js";

/** Default bound of the wait (seconds): the controller's fetch is one provider call per SecretSync. */
export const DEFAULT_SECRETSYNC_WAIT_SECONDS = 15;

export interface SyncWaitResult {
  /** Managed Secrets holding the new versions after the wait (those current before included). */
  held: Map<string, HeldSecret>;
  /** `sync-pending` / `sync-failed` lines for nudged SecretSyncs the controller did not finish. */
  skips: Skip[];
  events: EventSpec[];
}

/** The controller answered: it wrote (syncHash or lastSuccessfulSyncTime moved) or reported a failure it had not reported before. */
export function settled(before: SecretSyncState, now: SecretSyncState, value: string): boolean {
  if (now.forceSynchronization !== value) return true; // someone else changed it meanwhile: stop waiting for ours
  if (now.syncHash !== before.syncHash) return true;
  if ((now.lastSuccessfulSyncTime?.getTime() ?? 0) !== (before.lastSuccessfulSyncTime?.getTime() ?? 0)) return true;
  const s = syncStatus(now);
  if (s.state !== "failed") return false;
  const b = syncStatus(before);
  const stamp = (x: SecretSyncState) => x.conditions.map((c) => `${c.type}/${c.reason}/${c.lastTransitionTime ?? ""}`).join(",");
  return b.state !== "failed" || stamp(before) !== stamp(now);
}

export async function awaitSecretSyncs(
  api: ClusterApi,
  inv: ClusterInventory,
  objects: PlannedObject[],
  ctx: PlanContext,
  held: Map<string, HeldSecret>,
  results: ActionResult[],
  opts: { waitMs: number; receivedAt: number; concurrency: number },
): Promise<SyncWaitResult> {
  const nudged = new Map<string, { value: string; result: ActionResult }>();
  for (const r of results)
    if (r.action.type === "nudgeSecretSync" && r.status === "applied")
      nudged.set(nsName(r.action.namespace, r.action.name), { value: r.action.value, result: r });
  if (nudged.size === 0) return { held, skips: [], events: [] };
  const before = new Map((inv.secretSyncs ?? []).map((s) => [nsName(s.namespace, s.name), s]));
  const latest = new Map<string, SecretSyncState>();
  const open = new Set(nudged.keys());
  const namespaces = () => [...new Set([...open].map((k) => k.split("/")[0]!))];
  const deadline = Date.now() + opts.waitMs;
  for (let delay = 50; open.size > 0 && Date.now() < deadline; delay = Math.min(2_000, Math.round(delay * 1.5))) {
    await sleep(Math.min(delay, Math.max(0, deadline - Date.now())));
    for (const ns of namespaces())
      for (const s of await listSecretSyncs(api, ns).catch(() => [])) {
        const k = nsName(s.namespace, s.name);
        const n = nudged.get(k);
        if (!n || !open.has(k)) continue;
        latest.set(k, s);
        if (settled(before.get(k) ?? s, s, n.value)) {
          open.delete(k);
          n.result.syncedAtMs = Date.now() - opts.receivedAt;
        }
      }
  }
  // Plan again over what the controller wrote (fresh Secrets for the SecretSyncs that moved).
  const secrets = new Map(inv.secrets);
  await Promise.all(
    [...latest.keys()]
      .filter((k) => !open.has(k))
      .map(async (k) => {
        const [ns, name] = k.split("/") as [string, string];
        // A failed read leaves the Secret as inventoried: the SecretSync then stays pending (a later pass restarts).
        const s = await api.getSecret(ns, name).catch(() => undefined);
        if (s !== undefined) secrets.set(k, s);
      }),
  );
  const again = planSecretSyncs(
    objects,
    {
      ...inv,
      secrets,
      // Not seen since: as inventoried, with the value this pass wrote.
      secretSyncs: (inv.secretSyncs ?? []).map((s) => {
        const k = nsName(s.namespace, s.name);
        const n = nudged.get(k);
        return latest.get(k) ?? (n ? { ...s, forceSynchronization: n.value } : s);
      }),
    },
    ctx,
  );
  const skips: Skip[] = [];
  const events: EventSpec[] = [];
  for (const a of again.actions) {
    if (a.type !== "skip" || !a.namespace) continue;
    const k = a.target.replace(/^SecretSync /, "");
    if (!nudged.has(k) || (a.reason.code !== "sync-pending" && a.reason.code !== "sync-failed")) continue;
    if (a.reason.code === "sync-failed") events.push(syncFailedEvent(a.namespace, k.split("/")[1]!, a.reason.detail));
    delete nudged.get(k)!.result.syncedAtMs;
    skips.push(a);
  }
  return { held: new Map([...held, ...again.held]), skips, events };
}
