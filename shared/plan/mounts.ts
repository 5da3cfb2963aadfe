// Mounts: pods whose SecretProviderClassPodStatus holds an older version get a nudge (kubelet republishes the CSI
// volume at once when the CSIDriver has requiresRepublish); where the driver cannot republish, the SPC is reported.
import { nameDigest } from "../lib/digest.js";
import { POD_REFRESH } from "../lib/annotations.js";
import {
  isAvailable,
  isPinned,
  nsName,
  shortVersion,
  spcpsId,
  type Action,
  type ClusterInventory,
  type Spc,
  type SpcpsState,
} from "../model/index.js";
import { skip, spcMatches, type PlanContext, type PlannedObject } from "./context.js";
import type { OrderOf } from "./version-order.js";

interface Stale {
  pod: SpcpsState;
  spcs: Map<string, Spc>;
  /** `spc:id@version` the nudge asks for (sorted into the annotation value). */
  wants: Set<string>;
  held: Set<string>;
  /** `vault|object` of what it lags on. */
  objects: Set<string>;
  /** Seconds the newest wanted version has existed (the drift grace counts from creation). */
  ageS: number;
}

/**
 * Event: one value per version set, so duplicate deliveries patch nothing new. Drift: the value also carries the
 * grace window, so a republish the driver suppressed (content changed within its poll interval) is asked again
 * once per window, never more.
 */
export function nudgeValue(refresh: string, ctx: Pick<PlanContext, "trigger" | "now" | "driftGraceSeconds">): string {
  if (ctx.trigger === "event") return refresh;
  const window = Math.max(60, ctx.driftGraceSeconds ?? 0) * 1000;
  return `${refresh}.${Math.floor(ctx.now.getTime() / window)}`;
}

/** SPCPS of one SPC, in inventory order; indexed once per inventory. */
const spcpsIndex = new WeakMap<SpcpsState[], { length: number; bySpc: Map<string, SpcpsState[]> }>();
export function spcpsOf(all: SpcpsState[], spc: Pick<Spc, "namespace" | "name">): SpcpsState[] {
  let idx = spcpsIndex.get(all);
  if (!idx || idx.length !== all.length) {
    idx = { length: all.length, bySpc: new Map() };
    for (const p of all) {
      const k = nsName(p.namespace, p.spcName);
      const list = idx.bySpc.get(k);
      if (list) list.push(p);
      else idx.bySpc.set(k, [p]);
    }
    spcpsIndex.set(all, idx);
  }
  return idx.bySpc.get(nsName(spc.namespace, spc.name)) ?? [];
}

/**
 * Pure: nudges for stale mounts (one per pod, whatever the number of objects and classes), skips with reasons. With
 * `order`, a mount known to hold a newer version than this read is not stale (an older read nudges nothing).
 */
export function planMounts(
  objects: PlannedObject[],
  inv: ClusterInventory,
  ctx: PlanContext,
  order?: OrderOf,
): { actions: Action[]; unrefreshable: Map<string, Spc>; staleObjects: Set<string> } {
  const actions: Action[] = [];
  const staleObjects = new Set<string>();
  const unrefreshable = new Map<string, Spc>();
  const stale = new Map<string, Stale>();
  for (const { spc, object, spcObject: obj } of spcMatches(inv.spcs, objects, ctx).matches) {
    if (isPinned(obj)) continue;
    const read = object.state.byType[obj.objectType];
    if (!isAvailable(read)) continue;
    const version = read.data.version;
    const id = (obj.objectVersionHistory ?? 0) > 1 ? `${spcpsId(obj)}/0` : spcpsId(obj);
    const ageS = read.created ? (ctx.now.getTime() - read.created.getTime()) / 1000 : Infinity;
    for (const pod of spcpsOf(inv.spcps, spc)) {
      const holds = pod.versions[id];
      if (holds === undefined || holds === version) continue;
      if (order?.({ vault: spc.keyvaultName, objectName: obj.objectName, version }, holds) === "newer") continue;
      const k = nsName(pod.namespace, pod.podName);
      const s = stale.get(k) ?? { pod, spcs: new Map(), wants: new Set(), held: new Set(), objects: new Set(), ageS: Infinity };
      s.objects.add(`${spc.keyvaultName}|${obj.objectName}`);
      s.spcs.set(spc.name, spc);
      s.wants.add(`${spc.name}:${id}@${version}`);
      s.held.add(`${id}@${shortVersion(holds)}`);
      s.ageS = Math.min(s.ageS, ageS);
      stale.set(k, s);
    }
  }
  for (const s of stale.values()) {
    const label = `Pod ${nsName(s.pod.namespace, s.pod.podName)}`;
    const ns = s.pod.namespace;
    if (ctx.policy.mountRefresh === "off") {
      actions.push(
        skip(label, "mount-refresh-off", "mount refresh is off (KVRP_MOUNT_REFRESH=off); the driver's poll will refresh it", ns),
      );
      continue;
    }
    if (ctx.trigger === "drift" && s.ageS < (ctx.driftGraceSeconds ?? 0)) {
      actions.push(
        skip(label, "within-grace", `mount ${Math.round(s.ageS)} s behind, within the ${ctx.driftGraceSeconds} s grace period`, ns),
      );
      continue;
    }
    for (const o of s.objects) staleObjects.add(o);
    if (inv.driverRepublish !== true) {
      const why =
        inv.driverRepublish === null
          ? "no CSIDriver secrets-store.csi.k8s.io found"
          : "CSIDriver has no requiresRepublish (driver < v1.6 or rotation off)";
      actions.push(skip(label, "driver-no-republish", `mount waits for the driver's rotation poll: ${why}`, ns));
      if (ctx.policy.mountRefresh === "restart") for (const spc of s.spcs.values()) unrefreshable.set(nsName(spc.namespace, spc.name), spc);
      continue;
    }
    actions.push({
      type: "nudgePod",
      namespace: ns,
      name: s.pod.podName,
      spc: [...s.spcs.keys()].sort().join(","),
      annotations: { [POD_REFRESH]: nudgeValue(nameDigest([...s.wants].sort().join(",")), ctx) },
      reason: { code: "mount-behind", detail: `mount holds ${[...s.held].sort().join(", ")}` },
    });
  }
  return { actions, unrefreshable, staleObjects };
}
