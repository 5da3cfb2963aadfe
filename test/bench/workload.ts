// The benchmark's cluster, as a pure function of its size: which namespaces, SecretProviderClasses, synced Secrets,
// workloads, pods and SPCPS exist, and which Key Vault objects each SPC references. Seeding, event selection and the
// driver baselines all read this one model.

export const VAULT = "bench-kv";
export const SOLO_OBJECTS = 50;
export const FAN_POOL = 250;
export const SPCS_PER_NAMESPACE = 10;
export const PODS_PER_SPC = 3;

export interface SpcModel {
  index: number;
  namespace: string;
  name: string;
  /** Key Vault object names (all objectType secret), first one feeds two keys. */
  objects: string[];
  secretName: string;
  /** keys of the synced Secret → object name */
  keys: Record<string, string>;
  deployment: string;
  /** volume-only consumer (CSI + secret volume), every other SPC */
  statefulSet?: string;
  pods: string[];
}

export interface ClusterModel {
  scale: number;
  namespaces: string[];
  /** fan-out objects actually referenced at this scale */
  fanObjects: number;
  spc(i: number): SpcModel;
  /** Every vault object (referenced or not): the vault holds all of them at every scale. */
  vaultObjects: string[];
  /** object → SPC indexes referencing it */
  referrers: Map<string, number[]>;
  totals: {
    namespaces: number;
    spcs: number;
    secrets: number;
    deployments: number;
    statefulSets: number;
    pods: number;
    spcps: number;
    mountedObjects: number;
    distinctObjects: number;
  };
}

export const solo = (i: number) => `solo-${String(i).padStart(3, "0")}`;
export const fan = (i: number) => `fan-${String(i).padStart(3, "0")}`;

export function clusterModel(scale: number, opts: { fanObjects?: number } = {}): ClusterModel {
  // Shared objects in use grow with the cluster until the vault's pool is exhausted: ~10 SPCs per fan-out object at
  // 100 and 1,000 SPCs, ~120 at 10,000. (fanObjects: diagnostics only.)
  const F = opts.fanObjects ?? Math.max(25, Math.min(FAN_POOL, Math.floor(scale / 4)));
  const nsCount = Math.min(1000, Math.ceil(scale / SPCS_PER_NAMESPACE));
  const namespaces = Array.from({ length: nsCount }, (_, i) => `bench-${String(i).padStart(4, "0")}`);
  const spc = (i: number): SpcModel => {
    const namespace = namespaces[Math.floor(i / SPCS_PER_NAMESPACE) % nsCount]!;
    const objects = [i < SOLO_OBJECTS ? solo(i) : fan((i + Math.floor((2 * F) / 3)) % F), fan(i % F), fan((i + Math.floor(F / 3)) % F)];
    const name = `spc-${i}`;
    const deployment = `app-${i}`;
    const statefulSet = i % 2 === 0 ? `db-${i}` : undefined;
    const pods = [
      `${deployment}-6f7d9c-a${i}`,
      `${deployment}-6f7d9c-b${i}`,
      statefulSet ? `${statefulSet}-0` : `${deployment}-6f7d9c-c${i}`,
    ];
    return {
      index: i,
      namespace,
      name,
      objects,
      secretName: `${name}-synced`,
      keys: { password: objects[0]!, DB_PASSWORD: objects[0]!, "api-key": objects[1]!, "shared-token": objects[2]! },
      deployment,
      ...(statefulSet ? { statefulSet } : {}),
      pods,
    };
  };
  const referrers = new Map<string, number[]>();
  let mounted = 0;
  for (let i = 0; i < scale; i++) {
    const s = spc(i);
    mounted += s.pods.length * s.objects.length;
    for (const o of s.objects) {
      const r = referrers.get(o) ?? [];
      r.push(i);
      referrers.set(o, r);
    }
  }
  const vaultObjects = [...Array.from({ length: SOLO_OBJECTS }, (_, i) => solo(i)), ...Array.from({ length: FAN_POOL }, (_, i) => fan(i))];
  const statefulSets = Math.ceil(scale / 2);
  return {
    scale,
    namespaces,
    fanObjects: F,
    spc,
    vaultObjects,
    referrers,
    totals: {
      namespaces: nsCount,
      spcs: scale,
      secrets: scale,
      deployments: scale,
      statefulSets,
      pods: scale * PODS_PER_SPC,
      spcps: scale * PODS_PER_SPC,
      mountedObjects: mounted,
      distinctObjects: referrers.size,
    },
  };
}
