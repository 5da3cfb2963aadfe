// API objects → the domain model. Pure; the only place that knows the raw shapes.
import {
  workloadKind,
  type RawWorkload,
  type SecretState,
  type Spc,
  type SpcObject,
  type SpcpsState,
  type Workload,
  type WorkloadKind,
} from "../model/index.js";
import { goTrimSpace } from "../lib/go-strings.js";
import { parseObjects } from "./spc-objects.js";

export const CSI_DRIVER_NAME = "secrets-store.csi.k8s.io";

export interface RawSpc {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
  spec?: {
    provider?: string;
    parameters?: Record<string, string>;
    secretObjects?: { secretName?: string; type?: string; data?: { objectName?: string; key?: string }[] }[];
  };
}

export function toSpc(raw: RawSpc): Spc {
  const params = raw.spec?.parameters ?? {};
  let objects: SpcObject[] = [];
  let objectsError: string | undefined;
  try {
    objects = parseObjects(params.objects);
  } catch (e) {
    objectsError = (e as Error).message;
  }
  const spc: Spc = {
    namespace: raw.metadata?.namespace ?? "",
    name: raw.metadata?.name ?? "",
    provider: (raw.spec?.provider ?? "").trim(),
    // The provider trims with Go's strings.TrimSpace; vault names are case-insensitive.
    keyvaultName: goTrimSpace(params.keyvaultName ?? "").toLowerCase(),
    objects,
    secretObjects: (raw.spec?.secretObjects ?? []).map((s) => ({
      secretName: s.secretName ?? "",
      type: s.type ?? "",
      data: (s.data ?? []).map((d) => ({ objectName: d.objectName ?? "", key: d.key ?? "" })),
    })),
  };
  if (objectsError) spc.objectsError = objectsError;
  if (raw.metadata?.resourceVersion) spc.resourceVersion = raw.metadata.resourceVersion;
  return spc;
}

export interface RawSpcps {
  metadata?: { name?: string; namespace?: string };
  status?: { podName?: string; secretProviderClassName?: string; objects?: { id?: string; version?: string }[] };
}

export function toSpcps(s: RawSpcps): SpcpsState {
  const versions: Record<string, string> = {};
  for (const o of s.status?.objects ?? []) if (o.id) versions[o.id] = o.version ?? "";
  return {
    namespace: s.metadata?.namespace ?? "",
    name: s.metadata?.name ?? "",
    podName: s.status?.podName ?? "",
    spcName: s.status?.secretProviderClassName ?? "",
    versions,
  };
}

export interface RawSecret {
  type?: string;
  data?: Record<string, string>;
  metadata?: { annotations?: Record<string, string>; resourceVersion?: string };
}

export function toSecretState(namespace: string, name: string, s: RawSecret): SecretState {
  return {
    namespace,
    name,
    type: s.type ?? "Opaque",
    data: s.data ?? {},
    annotations: s.metadata?.annotations ?? {},
    resourceVersion: s.metadata?.resourceVersion ?? "",
  };
}

export function toWorkload(kind: WorkloadKind, raw: unknown): Workload {
  const w = raw as RawWorkload;
  const spec = workloadKind(kind);
  const template = spec.template(w);
  const podSpec = template?.spec ?? {};
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
    templateAnnotations: template?.metadata?.annotations ?? {},
    paused: spec.paused(w),
    envSecrets,
    volumeSecrets,
    spcVolumes,
  };
}
