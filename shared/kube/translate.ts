// API objects → the domain model. Pure; the only place that knows the raw shapes.
import {
  workloadKind,
  type Condition,
  type ContainerObservation,
  type LabelSelector,
  type PodObservation,
  type RawWorkload,
  type RolloutObservation,
  type SecretState,
  type Spc,
  type SpcObject,
  type SpcpsState,
  type Workload,
  type WorkloadKind,
} from "../model/index.js";
import { workloadAnnotations } from "../lib/annotations.js";
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
    annotations: workloadAnnotations(w.metadata?.annotations),
    labels: w.metadata?.labels ?? {},
    templateAnnotations: workloadAnnotations(template?.metadata?.annotations),
    paused: spec.paused(w),
    envSecrets,
    volumeSecrets,
    spcVolumes,
    ...(w.spec?.selector ? { selector: w.spec.selector } : {}),
    rollout: toRollout(w),
  };
}

const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/** The rollout fields of any workload kind (absent fields stay absent: the rules treat them as Go's zero values). */
export function toRollout(w: RawWorkload): RolloutObservation {
  const st = w.status ?? {};
  // Argo Rollouts keeps observedGeneration as a string (numeric since v0.10).
  const og =
    typeof st.observedGeneration === "string" && /^\d+$/.test(st.observedGeneration)
      ? Number(st.observedGeneration)
      : num(st.observedGeneration);
  const conditions: Condition[] = (Array.isArray(st.conditions) ? st.conditions : []).map((c: Record<string, unknown>) => ({
    type: str(c.type) ?? "",
    status: str(c.status) ?? "",
    ...(str(c.reason) ? { reason: str(c.reason)! } : {}),
    ...(str(c.message) ? { message: str(c.message)! } : {}),
  }));
  const status: RolloutObservation["status"] = { conditions };
  for (const k of [
    "replicas",
    "updatedReplicas",
    "readyReplicas",
    "availableReplicas",
    "currentReplicas",
    "desiredNumberScheduled",
    "updatedNumberScheduled",
    "numberAvailable",
  ] as const) {
    const v = num(st[k]);
    if (v !== undefined) status[k] = v;
  }
  for (const k of ["currentRevision", "updateRevision", "phase", "message"] as const) {
    const v = str(st[k]);
    if (v !== undefined) status[k] = v;
  }
  if (og !== undefined) status.observedGeneration = og;
  if (st.controllerPause === true) status.controllerPause = true;
  if (Array.isArray(st.pauseConditions)) status.pauseConditions = st.pauseConditions.length;
  const out: RolloutObservation = { generation: w.metadata?.generation ?? 0, status };
  if (num(w.spec?.replicas) !== undefined) out.replicas = w.spec!.replicas!;
  if (num(w.spec?.progressDeadlineSeconds) !== undefined) out.progressDeadlineSeconds = w.spec!.progressDeadlineSeconds!;
  if (w.spec?.updateStrategy?.type) out.updateStrategy = w.spec.updateStrategy.type;
  if (w.spec?.updateStrategy?.rollingUpdate) {
    out.rollingUpdate = true;
    if (num(w.spec.updateStrategy.rollingUpdate.partition) !== undefined) out.partition = w.spec.updateStrategy.rollingUpdate.partition!;
  }
  return out;
}

export interface RawContainerStatus {
  name?: string;
  ready?: boolean;
  restartCount?: number;
  state?: { waiting?: { reason?: string; message?: string }; terminated?: { reason?: string; exitCode?: number } };
  lastState?: { terminated?: { reason?: string; exitCode?: number; finishedAt?: string | Date } };
}

export interface RawPod {
  metadata?: { name?: string; namespace?: string; annotations?: Record<string, string>; deletionTimestamp?: unknown };
  status?: {
    phase?: string;
    conditions?: { type?: string; status?: string }[];
    containerStatuses?: RawContainerStatus[];
    initContainerStatuses?: RawContainerStatus[];
  };
}

function toContainer(c: RawContainerStatus): ContainerObservation {
  const out: ContainerObservation = { name: c.name ?? "", ready: c.ready === true, restartCount: c.restartCount ?? 0 };
  const w = c.state?.waiting;
  if (w) out.waiting = { reason: w.reason ?? "Waiting", ...(w.message ? { message: w.message } : {}) };
  const t = c.state?.terminated;
  if (t) out.terminated = { reason: t.reason ?? "Terminated", exitCode: t.exitCode ?? 0 };
  const l = c.lastState?.terminated;
  if (l) {
    const at = l.finishedAt instanceof Date ? l.finishedAt.toISOString() : l.finishedAt;
    out.lastTerminated = { reason: l.reason ?? "Terminated", exitCode: l.exitCode ?? 0, ...(at ? { finishedAt: at } : {}) };
  }
  return out;
}

/** A LabelSelector as the selector string the API server parses (the server does the matching). */
export function selectorString(sel: LabelSelector): string {
  const parts = Object.entries(sel.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of sel.matchExpressions ?? []) {
    const values = `(${(e.values ?? []).join(",")})`;
    if (e.operator === "In") parts.push(`${e.key} in ${values}`);
    else if (e.operator === "NotIn") parts.push(`${e.key} notin ${values}`);
    else if (e.operator === "Exists") parts.push(e.key);
    else if (e.operator === "DoesNotExist") parts.push(`!${e.key}`);
    else throw new Error(`label selector operator "${e.operator}" is not one of In, NotIn, Exists, DoesNotExist`);
  }
  return parts.join(",");
}

export function toPod(p: RawPod): PodObservation {
  return {
    namespace: p.metadata?.namespace ?? "",
    name: p.metadata?.name ?? "",
    phase: p.status?.phase ?? "Pending",
    terminating: !!p.metadata?.deletionTimestamp,
    annotations: p.metadata?.annotations ?? {},
    ready: (p.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True"),
    containers: (p.status?.containerStatuses ?? []).map(toContainer),
    initContainers: (p.status?.initContainerStatuses ?? []).map(toContainer),
  };
}
