// Which objects a drift run reads: every distinct (vault, object) that in-scope SPCs reference, but at most a budget
// of distinct objects per namespace (a tenant's SPCs must not drive Key Vault reads without bound), least recently
// read first so a large legitimate namespace is still covered over successive runs.
import { isPinned, type ProviderObjectType, type Report, type Spc } from "../model/index.js";

export interface Referenced {
  vault: string;
  objectName: string;
  types: Set<ProviderObjectType>;
  namespaces: Set<string>;
}

export const objectKey = (vault: string, objectName: string) => `${vault}|${objectName}`;

/** Distinct (vault, object) pairs referenced, unpinned, by in-scope SPCs of allow-listed vaults. */
export function referencedObjects(
  spcsByCluster: Spc[][],
  inScope: (spc: Spc) => boolean,
  allowed: (vault: string) => boolean,
): Referenced[] {
  const m = new Map<string, Referenced>();
  for (const spcs of spcsByCluster)
    for (const spc of spcs) {
      if (spc.provider !== "azure" || !allowed(spc.keyvaultName) || !inScope(spc)) continue;
      for (const o of spc.objects) {
        if (isPinned(o)) continue;
        const k = objectKey(spc.keyvaultName, o.objectName);
        const r = m.get(k) ?? { vault: spc.keyvaultName, objectName: o.objectName, types: new Set(), namespaces: new Set() };
        r.types.add(o.objectType);
        r.namespaces.add(spc.namespace);
        m.set(k, r);
      }
    }
  return [...m.values()];
}

/** Admits, per namespace, its `budget` least recently read objects; an object any namespace admits is read. */
export function withinBudget(
  refs: Referenced[],
  budget: number,
  lastRead: (key: string) => number,
): { admitted: Referenced[]; overBudget: NonNullable<Report["overBudget"]> } {
  const byNs = new Map<string, Referenced[]>();
  for (const r of refs) for (const ns of r.namespaces) byNs.set(ns, [...(byNs.get(ns) ?? []), r]);
  const admitted = new Set<Referenced>();
  const overBudget: NonNullable<Report["overBudget"]> = [];
  for (const [ns, list] of [...byNs].sort(([a], [b]) => a.localeCompare(b))) {
    if (list.length > budget) overBudget.push({ namespace: ns, objects: list.length, budget });
    const order = list
      .map((r) => ({ r, k: objectKey(r.vault, r.objectName) }))
      .sort((a, b) => lastRead(a.k) - lastRead(b.k) || a.k.localeCompare(b.k));
    for (const { r } of order.slice(0, budget)) admitted.add(r);
  }
  return { admitted: refs.filter((r) => admitted.has(r)), overBudget };
}
