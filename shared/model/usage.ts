// Who uses a Key Vault object in a cluster: the SecretProviderClasses that name it, the synced Secrets its files feed,
// and the workloads that mount those classes or read those Secrets. Pure; shared by verification and expiry warnings.
import type { ObjectRef } from "./signal.js";
import { fileName, isPinned, matchingObjects, type Spc } from "./spc.js";
import type { Workload } from "./workload.js";

/** Names of the synced Secrets (secretObjects) of an SPC fed by the files of these SPC object names. */
export function secretsFedBy(spc: Spc, objectName: string): string[] {
  const files = new Set(spc.objects.filter((o) => o.objectName === objectName).map(fileName));
  // `data[].objectName` may name a file inside a directory object (`<file>/<sub>`): its first segment is the file.
  return spc.secretObjects
    .filter((so) => so.secretName && so.data.some((d) => files.has(d.objectName) || files.has(d.objectName.split("/")[0] ?? "")))
    .map((so) => so.secretName);
}

/** How one workload takes an object: the classes it mounts that name it, the synced Secrets of them it reads. */
export interface ObjectUse {
  workload: Workload;
  /** SPC names (same namespace) that name the object and that the workload mounts. */
  mounts: string[];
  /** Synced Secret names fed by the object that the workload reads as env. */
  env: string[];
  /** … or mounts as a `secret` volume. */
  volume: string[];
}

/**
 * The workloads of `workloads` that use the object through `spcs` (which must be the in-scope SPCs). `version`: an SPC
 * object pinned to another version does not take this one (pinned to it, or unpinned, it does).
 */
export function objectUsers(spcs: Spc[], workloads: Workload[], ref: ObjectRef, version?: string): ObjectUse[] {
  const byNs = new Map<string, { spcs: Set<string>; secrets: Set<string> }>();
  for (const spc of spcs) {
    const objs = matchingObjects(spc, ref).filter((o) => !isPinned(o) || (version !== undefined && o.objectVersion === version));
    if (objs.length === 0) continue;
    const ns = byNs.get(spc.namespace) ?? { spcs: new Set(), secrets: new Set() };
    ns.spcs.add(spc.name);
    for (const s of secretsFedBy({ ...spc, objects: objs }, ref.objectName)) ns.secrets.add(s);
    byNs.set(spc.namespace, ns);
  }
  const out: ObjectUse[] = [];
  for (const w of workloads) {
    const ns = byNs.get(w.namespace);
    if (!ns) continue;
    const use: ObjectUse = {
      workload: w,
      mounts: [...ns.spcs].filter((s) => w.spcVolumes.has(s)).sort(),
      env: [...ns.secrets].filter((s) => w.envSecrets.has(s)).sort(),
      volume: [...ns.secrets].filter((s) => w.volumeSecrets.has(s)).sort(),
    };
    if (use.mounts.length || use.env.length || use.volume.length) out.push(use);
  }
  return out;
}

/** `Kind namespace/name`, as reports, Events and the CLI name a workload. */
export const workloadLabel = (w: Pick<Workload, "kind" | "namespace" | "name">): string => `${w.kind} ${w.namespace}/${w.name}`;
