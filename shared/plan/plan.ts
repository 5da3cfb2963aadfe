// The plan: pure functions from (objects, inventory, renderings, proofs, policy) to actions with typed reasons.
// The pipeline runs the steps with the Secrets stage applied before restarts are planned; a dry run runs them as one.
import type { Action, ClusterInventory } from "../model/index.js";
import { spcMatches, type PlanContext, type PlannedObject } from "./context.js";
import { planMounts } from "./mounts.js";
import { planRestarts } from "./restarts.js";
import { analyzeSecrets, planSecrets, type HeldSecret, type Proof } from "./secrets.js";
import { planSecretSyncs } from "./secretsync.js";

export * from "./context.js";
export { nudgeValue, planMounts } from "./mounts.js";
export { planRestarts, restartPlan, restartWhy, type UnorderedVersion } from "./restarts.js";
export { annotatedVersion, compareCreated, type OrderOf, type VersionOrder } from "./version-order.js";
export { FORCE_SYNC_PREFIX, forceSyncValue, isOurNudge, nudgeLabel, planSecretSyncs, type SecretSyncPlan } from "./secretsync.js";
export {
  analyzeSecrets,
  holdsRendering,
  planSecrets,
  renderValues,
  unprovable,
  type HeldSecret,
  type Proof,
  type SecretTarget,
  type SecretsAnalysis,
} from "./secrets.js";

/** SPCs that reference the objects but are out of scope (namespace policy, vault bindings, unreadable objects). */
export function scopeSkips(objects: PlannedObject[], inv: Pick<ClusterInventory, "spcs">, ctx: PlanContext): Action[] {
  return spcMatches(inv.spcs, objects, ctx).skips;
}

/** Every decision for one cluster at once, assuming every planned Secret patch succeeds (dry runs, tests). */
export function planCluster(
  objects: PlannedObject[],
  inv: ClusterInventory,
  ctx: PlanContext,
  proofs: ReadonlyMap<string, Proof> = new Map(),
): Action[] {
  const secrets = planSecrets(analyzeSecrets(objects, inv, ctx), proofs);
  const mounts = planMounts(objects, inv, ctx);
  const sync = planSecretSyncs(objects, inv, ctx);
  const restarts = planRestarts(objects, inv, withHeld(secrets.held, sync.held), mounts.unrefreshable, ctx);
  return [...scopeSkips(objects, inv, ctx), ...secrets.actions, ...sync.actions, ...mounts.actions, ...restarts];
}

/** Secrets holding the new versions from both mechanisms (synced by the driver, managed by a SecretSync). */
export function withHeld(a: ReadonlyMap<string, HeldSecret>, b: ReadonlyMap<string, HeldSecret>): Map<string, HeldSecret> {
  return new Map([...a, ...b]);
}
