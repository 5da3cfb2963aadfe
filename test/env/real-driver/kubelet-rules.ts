// kubelet's rules for CSI ephemeral volumes, as pure functions (no I/O), each following the named function in
// kubernetes/kubernetes v1.36.3 (read from the k8s.io/kubernetes module the suite builds kube-apiserver from).
import { createHash } from "node:crypto";
import { join } from "node:path";

/** The parts of a Pod (API JSON) the rules read. */
export interface PodJson {
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    deletionTimestamp?: string;
    deletionGracePeriodSeconds?: number;
    resourceVersion?: string;
  };
  spec: {
    nodeName?: string;
    serviceAccountName?: string;
    containers: { volumeMounts?: { name: string }[]; volumeDevices?: { name: string }[] }[];
    initContainers?: { volumeMounts?: { name: string }[]; volumeDevices?: { name: string }[] }[];
    volumes?: {
      name: string;
      csi?: {
        driver: string;
        readOnly?: boolean;
        fsType?: string;
        volumeAttributes?: Record<string, string>;
        nodePublishSecretRef?: { name: string };
      };
    }[];
  };
}

/** The CSIDriver fields kubelet consults when mounting. */
export interface CsiDriverSpec {
  podInfoOnMount?: boolean;
  requiresRepublish?: boolean;
  tokenRequests?: { audience: string; expirationSeconds?: number }[];
  serviceAccountTokenInSecrets?: boolean;
}

/** pkg/util/strings EscapeQualifiedName: "kubernetes.io/csi" → "kubernetes.io~csi". */
export function escapeQualifiedName(name: string): string {
  return name.replaceAll("/", "~");
}

/**
 * pkg/volume/csi/csi_mounter.go getTargetPath + GetCSIMounterPath: <root>/pods/<uid>/volumes/kubernetes.io~csi/<vol>/mount
 * (the driver checks this layout with a regex against the Pod's uid and volume name).
 */
export function targetPath(rootDir: string, podUid: string, volumeName: string): string {
  return join(rootDir, "pods", podUid, "volumes", escapeQualifiedName("kubernetes.io/csi"), escapeQualifiedName(volumeName), "mount");
}

/** pkg/volume/csi/csi_mounter.go makeVolumeHandle: csi-<sha256(podUID + volume name)>. */
export function volumeHandle(podUid: string, volumeName: string): string {
  return `csi-${createHash("sha256").update(`${podUid}${volumeName}`).digest("hex")}`;
}

/**
 * pkg/volume/util GetPodVolumeNames + populator processPodVolumes ("Skipping unused volume"): kubelet mounts only
 * the volumes a container mounts; here, those of the given CSI driver.
 */
export function csiVolumesToMount(pod: PodJson, driver: string): NonNullable<PodJson["spec"]["volumes"]> {
  const used = new Set<string>();
  for (const c of [...(pod.spec.initContainers ?? []), ...pod.spec.containers])
    for (const m of [...(c.volumeMounts ?? []), ...(c.volumeDevices ?? [])]) used.add(m.name);
  return (pod.spec.volumes ?? []).filter((v) => v.csi?.driver === driver && used.has(v.name));
}

/** pkg/volume/csi/csi_util.go getPodInfoAttrs (added when the CSIDriver has podInfoOnMount). */
export function podInfoAttrs(pod: PodJson): Record<string, string> {
  return {
    "csi.storage.k8s.io/pod.name": pod.metadata.name,
    "csi.storage.k8s.io/pod.namespace": pod.metadata.namespace,
    "csi.storage.k8s.io/pod.uid": pod.metadata.uid,
    "csi.storage.k8s.io/serviceAccount.name": pod.spec.serviceAccountName ?? "",
    "csi.storage.k8s.io/ephemeral": "true",
  };
}

/** metav1.Time as Go marshals it: RFC 3339 in UTC, whole seconds. */
export function goTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * pkg/volume/csi/csi_mounter.go SetUpAt + podServiceAccountTokenAttrs: the volume context of NodePublishVolume —
 * the volume's attributes, the pod info, and `csi.storage.k8s.io/serviceAccount.tokens` (JSON map audience →
 * {token, expirationTimestamp}) unless the CSIDriver moves tokens to the secrets field.
 */
export function publishContext(
  pod: PodJson,
  volume: NonNullable<PodJson["spec"]["volumes"]>[number],
  driver: CsiDriverSpec,
  tokens: Record<string, { token: string; expirationTimestamp: string }> | undefined,
  nodePublishSecrets: Record<string, string>,
): { volumeContext: Record<string, string>; secrets: Record<string, string> } {
  const volumeContext: Record<string, string> = { ...(volume.csi?.volumeAttributes ?? {}) };
  if (driver.podInfoOnMount) Object.assign(volumeContext, podInfoAttrs(pod));
  const secrets = { ...nodePublishSecrets };
  if (tokens) {
    const attr = { "csi.storage.k8s.io/serviceAccount.tokens": JSON.stringify(tokens) };
    Object.assign(driver.serviceAccountTokenInSecrets ? secrets : volumeContext, attr);
  }
  return { volumeContext, secrets };
}

/** pkg/kubelet/config/config.go isLocalAnnotationKey: kubelet's own bookkeeping annotations. */
const LOCAL_ANNOTATIONS = new Set(["kubernetes.io/config.source", "kubernetes.io/config.mirror", "kubernetes.io/config.seen"]);

function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(",")}]`;
  if (v && typeof v === "object")
    return `{${Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, x]) => `${JSON.stringify(k)}:${stable(x)}`)
      .join(",")}}`;
  return JSON.stringify(v);
}

/**
 * pkg/kubelet/config/config.go podsDifferSemantically (via checkAndUpdatePod): a change of spec, labels,
 * annotations (other than kubelet's own) or the deletion fields is an UPDATE that syncs the pod; a status-only
 * change is a RECONCILE that does not.
 */
export function podsDifferSemantically(a: PodJson, b: PodJson): boolean {
  const view = (p: PodJson) =>
    stable({
      spec: p.spec,
      labels: p.metadata.labels ?? {},
      annotations: Object.fromEntries(Object.entries(p.metadata.annotations ?? {}).filter(([k]) => !LOCAL_ANNOTATIONS.has(k))),
      deletionTimestamp: p.metadata.deletionTimestamp ?? null,
      deletionGracePeriodSeconds: p.metadata.deletionGracePeriodSeconds ?? null,
    });
  return view(a) !== view(b);
}

/** pkg/kubelet/pod_workers.go: the next periodic sync comes wait.Jitter(syncFrequency, 0.5) after a sync ends. */
export function nextResyncMs(syncFrequencyMs: number, random: number): number {
  return syncFrequencyMs * (1 + 0.5 * random);
}

/**
 * pkg/volume/util/nestedpendingoperations with pkg/util/goroutinemap/exponentialbackoff: a failed mount is retried after
 * 500 ms, doubling on each failure up to 2 min 2 s.
 */
export function retryDelayMs(failures: number): number {
  return Math.min(500 * 2 ** Math.max(0, failures - 1), 122_000);
}
