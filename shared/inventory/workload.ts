// What a workload's pod template consumes (pure).

export type WorkloadKind = "Deployment" | "StatefulSet" | "DaemonSet" | "Rollout";

export interface Workload {
  kind: WorkloadKind;
  namespace: string;
  name: string;
  /** As listed: restarts are conditional on it, so a plan never overwrites a newer template (409 → redelivery). */
  resourceVersion?: string;
  annotations: Record<string, string>;
  templateAnnotations: Record<string, string>;
  paused: boolean;
  /** Secrets read through env[].valueFrom.secretKeyRef or envFrom[].secretRef (containers and init containers). */
  envSecrets: Set<string>;
  /** Secrets mounted as `secret` volumes. */
  volumeSecrets: Set<string>;
  /** SecretProviderClasses mounted through the CSI driver. */
  spcVolumes: Set<string>;
}

interface RawContainer {
  env?: { valueFrom?: { secretKeyRef?: { name?: string } } }[];
  envFrom?: { secretRef?: { name?: string } }[];
}
interface RawWorkload {
  metadata?: { name?: string; namespace?: string; annotations?: Record<string, string>; resourceVersion?: string };
  spec?: {
    paused?: boolean;
    template?: {
      metadata?: { annotations?: Record<string, string> };
      spec?: {
        containers?: RawContainer[];
        initContainers?: RawContainer[];
        volumes?: {
          secret?: { secretName?: string };
          csi?: { driver?: string; volumeAttributes?: Record<string, string> };
        }[];
      };
    };
  };
}

export const CSI_DRIVER_NAME = "secrets-store.csi.k8s.io";

export function toWorkload(kind: WorkloadKind, raw: unknown): Workload {
  const w = raw as RawWorkload;
  const podSpec = w.spec?.template?.spec ?? {};
  const envSecrets = new Set<string>();
  for (const c of [...(podSpec.containers ?? []), ...(podSpec.initContainers ?? [])]) {
    for (const e of c.env ?? []) if (e.valueFrom?.secretKeyRef?.name) envSecrets.add(e.valueFrom.secretKeyRef.name);
    for (const e of c.envFrom ?? []) if (e.secretRef?.name) envSecrets.add(e.secretRef.name);
  }
  const volumeSecrets = new Set<string>();
  const spcVolumes = new Set<string>();
  for (const v of podSpec.volumes ?? []) {
    if (v.secret?.secretName) volumeSecrets.add(v.secret.secretName);
    const spc = v.csi?.volumeAttributes?.secretProviderClass;
    if (v.csi?.driver === CSI_DRIVER_NAME && spc) spcVolumes.add(spc);
  }
  return {
    kind,
    namespace: w.metadata?.namespace ?? "",
    name: w.metadata?.name ?? "",
    ...(w.metadata?.resourceVersion ? { resourceVersion: w.metadata.resourceVersion } : {}),
    annotations: w.metadata?.annotations ?? {},
    templateAnnotations: w.spec?.template?.metadata?.annotations ?? {},
    paused: w.spec?.paused === true,
    envSecrets,
    volumeSecrets,
    spcVolumes,
  };
}
