// What a cluster holds that a rotation can affect, as the pipeline sees it.
import type { SecretSources, SecretSyncState } from "./secretsync.js";
import type { Spc } from "./spc.js";
import type { Workload } from "./workload.js";

export interface SecretState {
  namespace: string;
  name: string;
  type: string;
  /** base64 values, as the API returns them */
  data: Record<string, string>;
  annotations: Record<string, string>;
  resourceVersion: string;
}

/** A SecretProviderClassPodStatus: one pod's mount of one class and the versions it holds. */
export interface SpcpsState {
  namespace: string;
  name: string;
  podName: string;
  spcName: string;
  /** SPCPS objects[].id → version */
  versions: Record<string, string>;
}

/** CSIDriver requiresRepublish: true (v1.6 + rotation: kubelet republishes on pod updates), false, or null (absent). */
export type DriverRepublish = boolean | null;

export interface ClusterInventory {
  cluster: string;
  driverRepublish: DriverRepublish;
  spcs: Spc[];
  /** Synced Secrets named by the SPCs' secretObjects, by `namespace/name`; null = does not exist (not synced yet). */
  secrets: Map<string, SecretState | null>;
  spcps: SpcpsState[];
  workloads: Workload[];
  /**
   * SecretSyncs whose class is one of `spcs` (in scope); their managed Secrets are in `secrets` under the SecretSync's
   * name. Absent when the cluster does not serve the SecretSync API.
   */
  secretSyncs?: SecretSyncState[];
  found?: SecretSources;
}
