// Inventory: what one cluster holds that a signal can affect. Reads only; no decisions beyond matching.
import pLimit from "p-limit";
import type { Policy } from "../config/config.js";
import type { ClusterApi, SecretState, SpcpsState } from "../kube/cluster-api.js";
import type { ClusterInventory } from "../plan/plan.js";
import { namespaceInScope, secretKey } from "../plan/plan.js";
import type { RotationSignal } from "../types.js";
import { fileName, matchingObjects, type Spc } from "./spc.js";
import type { Workload } from "./workload.js";

/** Source of SecretProviderClasses: a fresh paged list, or an instance-level cache kept current by a watch. */
export interface SpcSource {
  list(api: ClusterApi): Promise<Spc[]>;
  /** Per signal, the SPCs that reference its object (sources with an index answer in O(affected)); default: filter list(). */
  forSignals?(api: ClusterApi, signals: Pick<RotationSignal, "vault" | "objectType" | "objectName">[]): Promise<Spc[][]>;
  /** Stops background work (watches). */
  close?(): void;
}

export const freshSpcs: SpcSource = { list: (api) => api.listSpcs() };

/** Objects (vault, name) a signal can concern in an SPC. */
export function spcsForSignal(spcs: Spc[], signal: Pick<RotationSignal, "vault" | "objectType" | "objectName">): Spc[] {
  return spcs.filter((s) => matchingObjects(s, signal).length > 0);
}

/** The SPCs each signal concerns, through the source's index when it has one. */
export async function spcsForSignals(
  src: SpcSource,
  api: ClusterApi,
  signals: Pick<RotationSignal, "vault" | "objectType" | "objectName">[],
): Promise<Spc[][]> {
  if (src.forSignals) return src.forSignals(api, signals);
  const all = await src.list(api);
  return signals.map((s) => spcsForSignal(all, s));
}

/** Secrets named by the SPC's secretObjects that are fed by the given object names' files. */
function secretNamesFor(spc: Spc, objectName: string): string[] {
  const files = new Set(spc.objects.filter((o) => o.objectName === objectName).map(fileName));
  return spc.secretObjects
    .filter((so) => so.secretName && so.data.some((d) => files.has(d.objectName) || files.has(d.objectName.split("/")[0] ?? "")))
    .map((so) => so.secretName);
}

/** The synced Secrets the SPCs' secretObjects name for these objects (by namespace/name; null = not synced) and the driver's mode. */
export async function collectSecrets(
  api: ClusterApi,
  spcs: Spc[],
  objectNames: string[],
  policy: Policy,
  limit: ReturnType<typeof pLimit>,
): Promise<Pick<ClusterInventory, "driverRepublish" | "secrets">> {
  const inScope = spcs.filter((s) => namespaceInScope(s.namespace, policy));
  const secretRefs = new Set<string>();
  for (const spc of inScope)
    for (const n of objectNames) for (const s of secretNamesFor(spc, n)) secretRefs.add(secretKey(spc.namespace, s));
  const secrets = new Map<string, SecretState | null>();
  const [driverRepublish] = await Promise.all([
    api.driverRequiresRepublish(),
    ...[...secretRefs].map((k) =>
      limit(async () => {
        const [ns, name] = k.split("/") as [string, string];
        secrets.set(k, await api.getSecret(ns, name));
      }),
    ),
  ]);
  return { driverRepublish, secrets };
}

/** The pods mounting the SPCs (SPCPS) and the workloads of the SPCs' namespaces (one list each per namespace). */
export async function collectMounts(
  api: ClusterApi,
  spcs: Spc[],
  policy: Policy,
  limit: ReturnType<typeof pLimit>,
): Promise<Pick<ClusterInventory, "spcps" | "workloads">> {
  const inScope = spcs.filter((s) => namespaceInScope(s.namespace, policy));
  const namespaces = [...new Set(inScope.map((s) => s.namespace))];
  const spcNames = new Set(inScope.map((s) => `${s.namespace}/${s.name}`));
  const spcps: SpcpsState[] = [];
  const workloads: Workload[] = [];
  await Promise.all(
    namespaces.map((ns) =>
      limit(async () => {
        const [pods, ws] = await Promise.all([api.listSpcps(ns), api.listWorkloads(ns)]);
        for (const p of pods) if (spcNames.has(`${p.namespace}/${p.spcName}`)) spcps.push(p);
        workloads.push(...ws);
      }),
    ),
  );
  return { spcps, workloads };
}

/**
 * Collects, for the SPCs that reference the signalled object: their synced Secrets, the pods that mount them
 * (SPCPS), the workloads of those namespaces and the driver's mode. Namespaces out of policy scope are not read.
 */
export async function collectInventory(
  api: ClusterApi,
  spcs: Spc[],
  objectNames: string[],
  policy: Policy,
  concurrency: number,
): Promise<ClusterInventory> {
  const limit = pLimit(concurrency);
  const [secrets, mounts] = await Promise.all([
    collectSecrets(api, spcs, objectNames, policy, limit),
    collectMounts(api, spcs, policy, limit),
  ]);
  return { cluster: api.name, spcs, ...secrets, ...mounts };
}
