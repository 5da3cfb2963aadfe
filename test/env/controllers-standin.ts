// Plays the controllers that do not run on the test control plane (no kube-controller-manager, no kubelet): it writes
// what the Deployment / StatefulSet / DaemonSet controllers and kubelet would write after a template change — new pods
// from the template (its labels and annotations), their mounts through the driver stand-in, their container statuses
// (Ready, or a crash loop / an image pull error as kubelet reports them), the old pods removed, and the workload's
// status (observedGeneration, replicas, updatedReplicas, readyReplicas, availableReplicas, conditions). Writes go
// through the status subresources as admin, as the controllers' own writes do. Works with the driver stand-in and with
// the real driver (pods bound to its node, mounted by its kubelet stand-in). No test-runner imports (the demo uses it).
import {
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type V1ContainerStatus,
} from "@kubernetes/client-node";
import { templateKey, templateValue } from "../../shared/lib/annotations.js";
import type { DriverStandIn } from "./driver-standin.js";
import type { RealDriver } from "./real-driver/test-driver.js";

/** How a new pod gets its CSI mount: kubelet (stand-in) and the real driver on their node, or the driver stand-in. */
export interface PodMounts {
  /** What a pod needs for kubelet to mount it (bound to the node, the ServiceAccount whose token it requests). */
  binding?: { nodeName: string; serviceAccountName: string };
  /** Resolves once the pod's CSI volume is mounted and its SPCPS written. */
  mounted(ns: string, pod: string, spc: string): Promise<void>;
}

export function mountsOf(d: DriverStandIn | RealDriver, kc: KubeConfig): PodMounts {
  if ("kind" in d && d.kind === "real") {
    const core = kc.makeApiClient(CoreV1Api);
    const custom = kc.makeApiClient(CustomObjectsApi);
    return {
      binding: { nodeName: d.node.nodeName, serviceAccountName: "default" },
      async mounted(ns, pod, spc) {
        await d.node.kubelet.whenMounted(ns, pod);
        // The driver's controller creates the synced Secrets after the SPCPS appears (asynchronously).
        const so = (
          (await custom.getNamespacedCustomObject({
            group: "secrets-store.csi.x-k8s.io",
            version: "v1",
            namespace: ns,
            plural: "secretproviderclasses",
            name: spc,
          })) as {
            spec: { secretObjects?: { secretName: string }[] };
          }
        ).spec.secretObjects;
        const until = Date.now() + 30_000;
        for (const { secretName } of so ?? [])
          for (;;) {
            const s = await core.readNamespacedSecret({ namespace: ns, name: secretName }).catch(() => undefined);
            if (s?.metadata?.labels?.["secrets-store.csi.k8s.io/managed"] === "true") break;
            if (Date.now() > until)
              throw new Error(
                `the driver did not sync Secret ${ns}/${secretName} for pod ${pod} within 30 s. Driver log:\n${d.node
                  .driverLog()
                  .split("\n")
                  .filter((l) => /error|fail|secret|spcps|podstatus/i.test(l) && !/^\s*>/.test(l))
                  .slice(-12)
                  .join("\n")}`,
              );
            await new Promise((r) => setTimeout(r, 100));
          }
      },
    };
  }
  const standIn = d as DriverStandIn;
  return { mounted: (ns, pod, spc) => standIn.mount(ns, pod, spc, { createPod: false }) };
}

export type Kind = "Deployment" | "StatefulSet" | "DaemonSet";
/** How the new pods come up: ready, crash-looping (exit 1), stuck on an image pull, or never ready (a mount error). */
export type PodFate = "ready" | "crash" | "image" | "mount-error";

const PLURAL: Record<Kind, string> = { Deployment: "deployments", StatefulSet: "statefulsets", DaemonSet: "daemonsets" };
const merge = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

interface RawWorkload {
  metadata: { name: string; generation: number };
  spec: {
    replicas?: number;
    template: {
      metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
      spec: {
        containers: { name: string; image: string }[];
        volumes?: { csi?: { volumeAttributes?: Record<string, string> } }[];
      } & Record<string, unknown>;
    };
  };
}

/** The template's pod spec with every volume used by its first container (kubelet mounts only the volumes in use). */
function withMountedVolumes(spec: RawWorkload["spec"]["template"]["spec"]): object {
  const [first, ...rest] = spec.containers as ({ volumeMounts?: { name: string }[] } & Record<string, unknown>)[];
  if (!first) return spec;
  const used = new Set((first.volumeMounts ?? []).map((m) => m.name));
  const missing = ((spec.volumes ?? []) as { name?: string }[]).filter((v) => v.name && !used.has(v.name));
  const volumeMounts = [
    ...(first.volumeMounts ?? []),
    ...missing.map((v) => ({ name: v.name!, mountPath: `/mnt/${v.name}`, readOnly: true })),
  ];
  return { ...spec, containers: [{ ...first, volumeMounts }, ...rest] };
}

function containerStatus(name: string, image: string, fate: PodFate): V1ContainerStatus {
  const base = { name, image, imageID: "", ready: fate === "ready", restartCount: 0 };
  if (fate === "ready") return { ...base, started: true, state: { running: { startedAt: new Date() } } };
  if (fate === "crash")
    return {
      ...base,
      restartCount: 4,
      state: { waiting: { reason: "CrashLoopBackOff", message: `back-off 1m20s restarting failed container=${name}` } },
      lastState: { terminated: { exitCode: 1, reason: "Error", startedAt: new Date(), finishedAt: new Date() } },
    };
  if (fate === "image")
    return { ...base, state: { waiting: { reason: "ImagePullBackOff", message: `Back-off pulling image "${image}"` } } };
  return { ...base, state: { waiting: { reason: "ContainerCreating" } } };
}

export interface ControllersStandIn {
  /** The first rollout of a new workload: `replicas` ready pods, mounted, and the workload's status. */
  settle(ns: string, kind: Kind, name: string, replicas?: number): Promise<string[]>;
  /**
   * The rollout of the workload's current template: new pods (fate), and for ready ones the old pods removed; the
   * status a controller would then write. Returns the new pods' names.
   */
  rollOut(ns: string, kind: Kind, name: string, fate?: PodFate): Promise<string[]>;
  /** Waits until the pusher restarted the workload for `vault/object@version` (its pod template records it). */
  restartedFor(ns: string, kind: Kind, name: string, vault: string, objectName: string, version: string, timeoutMs?: number): Promise<void>;
  /** The workload's pods as listed by its `app` label. */
  pods(ns: string, name: string): Promise<string[]>;
}

export function controllersStandIn(kc: KubeConfig, driver: DriverStandIn | RealDriver): ControllersStandIn {
  const mounts = mountsOf(driver, kc);
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const read = async (ns: string, kind: Kind, name: string) =>
    (await custom.getNamespacedCustomObject({ group: "apps", version: "v1", namespace: ns, plural: PLURAL[kind], name })) as RawWorkload;
  let serial = 0;

  async function podsOf(ns: string, name: string): Promise<string[]> {
    const list = await core.listNamespacedPod({ namespace: ns, labelSelector: `app=${name}` });
    return list.items.map((p) => p.metadata!.name!);
  }

  async function createPods(ns: string, kind: Kind, w: RawWorkload, count: number, fate: PodFate): Promise<string[]> {
    const t = w.spec.template;
    const spc = t.spec.volumes?.find((v) => v.csi?.volumeAttributes?.secretProviderClass)?.csi?.volumeAttributes?.secretProviderClass;
    const names: string[] = [];
    for (let i = 0; i < count; i++) {
      const name =
        kind === "StatefulSet" ? `${w.metadata.name}-${i}` : `${w.metadata.name}-g${w.metadata.generation}-${(++serial).toString(36)}${i}`;
      if (kind === "StatefulSet") await core.deleteNamespacedPod({ namespace: ns, name, gracePeriodSeconds: 0 }).catch(() => undefined);
      // A pod whose mount never succeeds is one kubelet never got to (not bound): no mount, no SPCPS.
      const bind = fate === "mount-error" ? undefined : mounts.binding;
      if (bind)
        await core
          .createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: bind.serviceAccountName } } })
          .catch((e: { code?: number }) => {
            if (e.code !== 409) throw e;
          });
      await core.createNamespacedPod({
        namespace: ns,
        body: {
          metadata: { name, namespace: ns, labels: t.metadata?.labels ?? {}, annotations: t.metadata?.annotations ?? {} },
          spec: { ...withMountedVolumes(t.spec), ...(bind ?? {}) } as never,
        },
      });
      // kubelet: the CSI volume is mounted before the containers start (the driver writes the pod's SPCPS).
      if (spc && fate !== "mount-error") await mounts.mounted(ns, name, spc);
      const statuses = t.spec.containers.map((c) => containerStatus(c.name, c.image, fate));
      await core.patchNamespacedPodStatus(
        {
          namespace: ns,
          name,
          body: {
            status: {
              phase: fate === "ready" || fate === "crash" ? "Running" : "Pending",
              conditions: [{ type: "Ready", status: fate === "ready" ? "True" : "False", lastTransitionTime: new Date() }],
              containerStatuses: statuses,
            },
          },
        },
        merge,
      );
      if (fate === "mount-error")
        await core.createNamespacedEvent({
          namespace: ns,
          body: {
            metadata: { generateName: `${name}.` },
            involvedObject: { kind: "Pod", name, namespace: ns, apiVersion: "v1" },
            reason: "FailedMount",
            message: `MountVolume.SetUp failed for volume "csi" : rpc error: code = Unknown desc = failed to mount secrets store objects for pod ${ns}/${name}`,
            type: "Warning",
            source: { component: "kubelet" },
            firstTimestamp: new Date(),
            lastTimestamp: new Date(),
            count: 1,
          },
        });
      names.push(name);
    }
    return names;
  }

  async function removePods(ns: string, names: string[]): Promise<void> {
    for (const name of names) {
      await core.deleteNamespacedPod({ namespace: ns, name, gracePeriodSeconds: 0 }).catch(() => undefined);
      // The driver removes a pod's SPCPS when it unmounts the volume.
      const list = (await custom.listNamespacedCustomObject({
        group: "secrets-store.csi.x-k8s.io",
        version: "v1",
        namespace: ns,
        plural: "secretproviderclasspodstatuses",
      })) as { items: { metadata: { name: string }; status?: { podName?: string } }[] };
      for (const s of list.items.filter((x) => x.status?.podName === name))
        await custom.deleteNamespacedCustomObject({
          group: "secrets-store.csi.x-k8s.io",
          version: "v1",
          namespace: ns,
          plural: "secretproviderclasspodstatuses",
          name: s.metadata.name,
        });
    }
  }

  async function writeStatus(
    ns: string,
    kind: Kind,
    name: string,
    gen: number,
    s: { total: number; updated: number; ready: number; progressing?: string },
  ) {
    const status =
      kind === "DaemonSet"
        ? {
            observedGeneration: gen,
            desiredNumberScheduled: s.updated,
            currentNumberScheduled: s.total,
            numberMisscheduled: 0,
            updatedNumberScheduled: s.updated,
            numberReady: s.ready,
            numberAvailable: s.ready,
          }
        : {
            observedGeneration: gen,
            replicas: s.total,
            updatedReplicas: s.updated,
            readyReplicas: s.ready,
            availableReplicas: s.ready,
            ...(kind === "StatefulSet"
              ? { currentReplicas: s.ready, currentRevision: `${name}-${gen}`, updateRevision: `${name}-${gen}` }
              : {}),
            ...(kind === "Deployment"
              ? {
                  conditions: [
                    { type: "Available", status: s.ready >= s.updated ? "True" : "False", reason: "MinimumReplicasAvailable" },
                    {
                      type: "Progressing",
                      status: s.progressing === "ProgressDeadlineExceeded" ? "False" : "True",
                      reason: s.progressing ?? "NewReplicaSetAvailable",
                    },
                  ],
                }
              : {}),
          };
    await custom.patchNamespacedCustomObjectStatus(
      { group: "apps", version: "v1", namespace: ns, plural: PLURAL[kind], name, body: { status } },
      merge,
    );
  }

  const self: ControllersStandIn = {
    async settle(ns, kind, name, replicas = 1) {
      const w = await read(ns, kind, name);
      const pods = await createPods(ns, kind, w, replicas, "ready");
      await writeStatus(ns, kind, name, w.metadata.generation, { total: replicas, updated: replicas, ready: replicas });
      return pods;
    },
    async rollOut(ns, kind, name, fate = "ready") {
      const w = await read(ns, kind, name);
      const n = w.spec.replicas ?? 1;
      const old = await podsOf(ns, name);
      const fresh = await createPods(ns, kind, w, n, fate);
      if (fate === "ready") {
        await removePods(
          ns,
          old.filter((p) => !fresh.includes(p)),
        );
        await writeStatus(ns, kind, name, w.metadata.generation, { total: n, updated: n, ready: n });
      } else await writeStatus(ns, kind, name, w.metadata.generation, { total: n + old.length, updated: n, ready: old.length });
      return fresh;
    },
    async restartedFor(ns, kind, name, vault, objectName, version, timeoutMs = 60_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const a = (await read(ns, kind, name)).spec.template.metadata?.annotations ?? {};
        if (a[templateKey(vault, objectName)] === templateValue(vault, objectName, version)) return;
        if (Date.now() > until)
          throw new Error(`${kind} ${ns}/${name} was not restarted for ${objectName}@${version} within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    pods: podsOf,
  };
  return self;
}
