// Inventory: what one cluster holds that the signalled objects can affect. Reads only; no decisions beyond matching.
import pLimit from "p-limit";
import type { ClusterApi } from "../kube/cluster-api.js";
import { collectSecretSyncs, foundSources } from "./secretsync.js";
import { fileName, nsName, type ClusterInventory, type SecretState, type Spc, type SpcpsState, type Workload } from "../model/index.js";

/** Secrets named by the SPC's secretObjects that are fed by the given object names' files. */
function secretNamesFor(spc: Spc, objectName: string): string[] {
  const files = new Set(spc.objects.filter((o) => o.objectName === objectName).map(fileName));
  return spc.secretObjects
    .filter((so) => so.secretName && so.data.some((d) => files.has(d.objectName) || files.has(d.objectName.split("/")[0] ?? "")))
    .map((so) => so.secretName);
}

type Limit = ReturnType<typeof pLimit>;

/** The synced Secrets the SPCs' secretObjects name for these objects (by namespace/name; null = not synced) and the driver's mode. */
export async function collectSecrets(
  api: ClusterApi,
  spcs: Spc[],
  objectNames: string[],
  limit: Limit,
): Promise<Pick<ClusterInventory, "driverRepublish" | "secrets">> {
  const refs = new Set<string>();
  for (const spc of spcs) for (const n of objectNames) for (const s of secretNamesFor(spc, n)) refs.add(nsName(spc.namespace, s));
  const secrets = new Map<string, SecretState | null>();
  const [driverRepublish] = await Promise.all([
    api.driverRequiresRepublish(),
    ...[...refs].map((k) =>
      limit(async () => {
        const [ns, name] = k.split("/") as [string, string];
        secrets.set(k, await api.getSecret(ns, name));
      }),
    ),
  ]);
  return { driverRepublish, secrets };
}

/** The pods mounting the SPCs (SPCPS) and the workloads of the SPCs' namespaces (one list each per namespace). */
export async function collectMounts(api: ClusterApi, spcs: Spc[], limit: Limit): Promise<Pick<ClusterInventory, "spcps" | "workloads">> {
  const namespaces = [...new Set(spcs.map((s) => s.namespace))];
  const spcNames = new Set(spcs.map((s) => nsName(s.namespace, s.name)));
  const spcps: SpcpsState[] = [];
  const workloads: Workload[] = [];
  await Promise.all(
    namespaces.map((ns) =>
      limit(async () => {
        const [pods, ws] = await Promise.all([api.listSpcps(ns), api.listWorkloads(ns)]);
        for (const p of pods) if (spcNames.has(nsName(p.namespace, p.spcName))) spcps.push(p);
        workloads.push(...ws);
      }),
    ),
  );
  return { spcps, workloads };
}

/**
 * Collects, for the SPCs that reference the signalled objects: their synced Secrets, the pods that mount them
 * (SPCPS), the workloads of those namespaces and the driver's mode. SPCs out of scope (policy, vault bindings) are
 * kept for the plan to report but nothing of theirs is read.
 */
export async function collectInventory(
  api: ClusterApi,
  spcs: Spc[],
  objectNames: string[],
  inScope: (spc: Spc) => boolean,
  concurrency: number,
): Promise<ClusterInventory> {
  const limit = pLimit(concurrency);
  const scoped = spcs.filter(inScope);
  const [secrets, mounts, sync] = await Promise.all([
    collectSecrets(api, scoped, objectNames, limit),
    collectMounts(api, scoped, limit),
    collectSecretSyncs(api, scoped, limit),
  ]);
  for (const [k, s] of sync.secrets) secrets.secrets.set(k, s);
  return {
    cluster: api.name,
    spcs,
    ...secrets,
    ...mounts,
    ...(sync.secretSyncs ? { secretSyncs: sync.secretSyncs } : {}),
    found: foundSources(secrets, sync.syncController),
  };
}
