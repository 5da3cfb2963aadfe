// Workloads that roll out pods, as one table: adding a kind touches this file only.

export type WorkloadKind = "Deployment" | "StatefulSet" | "DaemonSet" | "Rollout";

export interface Workload {
  kind: WorkloadKind;
  namespace: string;
  name: string;
  /** As listed: restarts are conditional on it, so a plan never overwrites a newer template (409 → redelivery). */
  resourceVersion?: string;
  annotations: Record<string, string>;
  labels: Record<string, string>;
  templateAnnotations: Record<string, string>;
  paused: boolean;
  /** Secrets read through env[].valueFrom.secretKeyRef or envFrom[].secretRef (containers and init containers). */
  envSecrets: Set<string>;
  /** Secrets mounted as `secret` volumes. */
  volumeSecrets: Set<string>;
  /** SecretProviderClasses mounted through the CSI driver. */
  spcVolumes: Set<string>;
  /** spec.selector: which pods are its own (verification lists them with it). */
  selector?: LabelSelector;
  /** What its spec and status say about its latest rollout (verification). */
  rollout: RolloutObservation;
}

/** A workload object as the API serves it (the fields we read). */
export interface RawWorkload {
  metadata?: {
    name?: string;
    namespace?: string;
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
    resourceVersion?: string;
    generation?: number;
  };
  spec?: {
    paused?: boolean;
    template?: RawPodTemplate;
    replicas?: number;
    selector?: LabelSelector;
    progressDeadlineSeconds?: number;
    updateStrategy?: { type?: string; rollingUpdate?: { partition?: number } };
  };
  status?: Record<string, unknown>;
}

export interface RawContainer {
  env?: { valueFrom?: { secretKeyRef?: { name?: string } } }[];
  envFrom?: { secretRef?: { name?: string } }[];
}

export interface RawPodTemplate {
  metadata?: { annotations?: Record<string, string> };
  spec?: {
    containers?: RawContainer[];
    initContainers?: RawContainer[];
    volumes?: { secret?: { secretName?: string }; csi?: { driver?: string; volumeAttributes?: Record<string, string> } }[];
  };
}

export interface WorkloadKindSpec {
  kind: WorkloadKind;
  group: string;
  version: string;
  plural: string;
  /** Installed with the cluster (apps/v1) or only where its CRD is served (discovery decides). */
  optional: boolean;
  /** Where the pod template is. */
  template(raw: RawWorkload): RawPodTemplate | undefined;
  /** Whether a template change would roll out now. */
  paused(raw: RawWorkload): boolean;
  /** What to tell the operator about a paused workload. */
  pausedHint: string;
  /** The merge patch that restarts it: annotations on the pod template, conditional on resourceVersion. */
  restartPatch(annotations: Record<string, string>, resourceVersion?: string): object;
}

const templateAnnotationPatch = (annotations: Record<string, string>, resourceVersion?: string) => ({
  ...(resourceVersion ? { metadata: { resourceVersion } } : {}),
  spec: { template: { metadata: { annotations } } },
});
const specTemplate = (raw: RawWorkload) => raw.spec?.template;
const specPaused = (raw: RawWorkload) => raw.spec?.paused === true;
const never = () => false;

export const WORKLOAD_KINDS: readonly WorkloadKindSpec[] = [
  {
    kind: "Deployment",
    group: "apps",
    version: "v1",
    plural: "deployments",
    optional: false,
    template: specTemplate,
    paused: specPaused,
    pausedHint: "Deployment is paused (spec.paused); `kubectl rollout resume` it to roll out the new value",
    restartPatch: templateAnnotationPatch,
  },
  {
    kind: "StatefulSet",
    group: "apps",
    version: "v1",
    plural: "statefulsets",
    optional: false,
    template: specTemplate,
    paused: never,
    pausedHint: "",
    restartPatch: templateAnnotationPatch,
  },
  {
    kind: "DaemonSet",
    group: "apps",
    version: "v1",
    plural: "daemonsets",
    optional: false,
    template: specTemplate,
    paused: never,
    pausedHint: "",
    restartPatch: templateAnnotationPatch,
  },
  {
    kind: "Rollout",
    group: "argoproj.io",
    version: "v1alpha1",
    plural: "rollouts",
    optional: true,
    template: specTemplate,
    paused: specPaused,
    pausedHint: "Argo Rollout is paused (spec.paused); resume it (`kubectl argo rollouts resume`) to roll out the new value",
    restartPatch: templateAnnotationPatch,
  },
];

export function workloadKind(kind: WorkloadKind): WorkloadKindSpec {
  return WORKLOAD_KINDS.find((k) => k.kind === kind)!;
}

export const apiVersionOf = (k: WorkloadKindSpec): string => (k.group ? `${k.group}/${k.version}` : k.version);

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/** The spec and status fields of a workload that say whether its latest template rolled out (kubectl rollout status). */
export interface RolloutObservation {
  generation: number;
  /** spec.replicas (absent on DaemonSets; the API server defaults it to 1 elsewhere). */
  replicas?: number;
  /** Deployment / Rollout spec.progressDeadlineSeconds. */
  progressDeadlineSeconds?: number;
  /** StatefulSet / DaemonSet spec.updateStrategy.type, and a StatefulSet's rollingUpdate (partition). */
  updateStrategy?: string;
  rollingUpdate?: boolean;
  partition?: number;
  status: {
    /** Numeric (apps/v1), or the Argo Rollout's string form parsed when it is numeric. */
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    currentReplicas?: number;
    currentRevision?: string;
    updateRevision?: string;
    desiredNumberScheduled?: number;
    updatedNumberScheduled?: number;
    numberAvailable?: number;
    /** Argo Rollouts (1.0+): phase and message computed by its controller. */
    phase?: string;
    message?: string;
    controllerPause?: boolean;
    pauseConditions?: number;
    conditions: Condition[];
  };
}

/** A label selector as the API serves it (the server does the matching: it is sent as a selector string). */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}
