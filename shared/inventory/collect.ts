// Inventory: what one cluster holds that the signalled objects can affect. Reads only; no decisions beyond matching.
// Two parts, read at different times: the synced Secrets (always fresh: a patch is conditional on what was read),
// then what the mount and restart stages need (warm caches, or fresh per-namespace lists).
import pLimit from "p-limit";
import type { ClusterApi } from "../kube/cluster-api.js";
import { fileName, nsName, type ClusterInventory, type SecretState, type Spc, type SpcpsState, type Workload } from "../model/index.js";
import type { InventoryCaches } from "./inventory-caches.js";
import { collectSecretSyncs, foundSources } from "./secretsync.js";

/** Secrets named by the SPC's secretObjects that are fed by the given object names' files. */
function secretNamesFor(spc: Spc, objectName: string): string[] {
  const files = new Set(spc.objects.filter((o) => o.objectName === objectName).map(fileName));
  return spc.secretObjects
    .filter((so) => so.secretName && so.data.some((d) => files.has(d.objectName) || files.has(d.objectName.split("/")[0] ?? "")))
    .map((so) => so.secretName);
}

type Limit = ReturnType<typeof pLimit>;

/** The synced Secrets the SPCs' secretObjects name for these objects, read fresh (by namespace/name; null = not synced). */
export async function collectSecrets(
  api: ClusterApi,
  spcs: Spc[],
  objectNames: string[],
  limit: Limit,
): Promise<ClusterInventory["secrets"]> {
  const refs = new Set<string>();
  const wanted = new Set(objectNames);
  // Per SPC only the objects it names (a drift run passes every referenced object: never SPCs × objects).
  for (const spc of spcs)
    for (const n of new Set(spc.objects.map((o) => o.objectName).filter((n) => wanted.has(n))))
      for (const s of secretNamesFor(spc, n)) refs.add(nsName(spc.namespace, s));
  const secrets = new Map<string, SecretState | null>();
  await Promise.all(
    [...refs].map((k) =>
      limit(async () => {
        const [ns, name] = k.split("/") as [string, string];
        secrets.set(k, await api.getSecret(ns, name));
      }),
    ),
  );
  return secrets;
}

/** Fresh per-namespace lists: the pods mounting the SPCs (SPCPS) and the namespaces' workloads. */
async function listMounts(api: ClusterApi, spcs: Spc[], limit: Limit, need: { spcps: boolean; workloads: boolean }) {
  const namespaces = [...new Set(spcs.map((s) => s.namespace))];
  const spcNames = new Set(spcs.map((s) => nsName(s.namespace, s.name)));
  const spcps: SpcpsState[] = [];
  const workloads: Workload[] = [];
  await Promise.all(
    namespaces.map((ns) =>
      limit(async () => {
        const [pods, ws] = await Promise.all([
          need.spcps ? api.listSpcps(ns) : Promise.resolve([]),
          need.workloads ? api.listWorkloads(ns) : Promise.resolve([]),
        ]);
        for (const p of pods) if (spcNames.has(nsName(p.namespace, p.spcName))) spcps.push(p);
        workloads.push(...ws);
      }),
    ),
  );
  return { spcps, workloads };
}

/**
 * The pods mounting the SPCs (SPCPS), the workloads of their namespaces and the driver's mode: from the warm caches
 * when live (no request), else fresh (one list each per namespace, and a CSIDriver GET). Starting cold caches is the
 * caller's choice (after its writes: their seeding lists must not compete with them).
 */
export async function collectMounts(
  api: ClusterApi,
  spcs: Spc[],
  limit: Limit,
  caches?: InventoryCaches,
): Promise<Pick<ClusterInventory, "driverRepublish" | "spcps" | "workloads">> {
  const namespaces = new Set(spcs.map((s) => s.namespace));
  const spcKeys = new Set(spcs.map((s) => nsName(s.namespace, s.name)));
  const [cachedSpcps, cachedWorkloads, cachedDriver] = caches
    ? await Promise.all([caches.spcps(api, spcKeys), caches.workloads(api, namespaces), caches.driverRepublish(api)])
    : [undefined, undefined, undefined];
  const [fresh, driverRepublish] = await Promise.all([
    listMounts(api, spcs, limit, { spcps: !cachedSpcps, workloads: !cachedWorkloads }),
    cachedDriver !== undefined ? cachedDriver : api.driverRequiresRepublish(),
  ]);
  return { driverRepublish, spcps: cachedSpcps ?? fresh.spcps, workloads: cachedWorkloads ?? fresh.workloads };
}

/** The pods' mounts of these SPCs from a live cache without waiting (proof hints for the Secrets stage), else none. */
export function spcpsHints(api: ClusterApi, spcs: Spc[], caches?: InventoryCaches): SpcpsState[] {
  return caches?.spcpsNow(api, new Set(spcs.map((s) => nsName(s.namespace, s.name)))) ?? [];
}

/**
 * The whole inventory at once (the verify timer): the synced Secrets and SecretSync targets with the mounts,
 * workloads and the driver's mode. SPCs out of scope are kept for the plan to report but nothing of theirs is read.
 */
export async function collectInventory(
  api: ClusterApi,
  spcs: Spc[],
  objectNames: string[],
  inScope: (spc: Spc) => boolean,
  concurrency: number,
  caches?: InventoryCaches,
): Promise<ClusterInventory> {
  const limit = pLimit(concurrency);
  const scoped = spcs.filter(inScope);
  const [secrets, mounts, sync] = await Promise.all([
    collectSecrets(api, scoped, objectNames, limit),
    collectMounts(api, scoped, limit, caches),
    collectSecretSyncs(api, scoped, limit, caches),
  ]);
  for (const [k, s] of sync.secrets) secrets.set(k, s);
  return {
    cluster: api.name,
    spcs,
    secrets,
    ...mounts,
    ...(sync.secretSyncs ? { secretSyncs: sync.secretSyncs } : {}),
    found: foundSources(mounts, sync.syncController),
  };
}
