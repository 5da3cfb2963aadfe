// What the end-to-end tests hold: a real CSI node (driver + provider + kubelet stand-in) with the helpers the tests
// need — create a pod on the node and wait for its mount and synced Secrets, read its mounted files, wait for
// quiet, and force the driver's requeue.
import { setTimeout as sleep } from "node:timers/promises";
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import { DRIVER_NAME, startCsiNode, type CsiNode, type CsiNodeOptions } from "./node.js";

export interface MountedPod {
  namespace: string;
  name: string;
  uid: string;
  spc: string;
}

export interface RealDriver {
  kind: "real";
  node: CsiNode;
  /**
   * Creates a pod on the node with the class mounted at volume "secrets" (as kubelet would see it: bound to the
   * node, ServiceAccount "default") and waits until kubelet's NodePublishVolume succeeded and the driver synced the
   * class's secretObjects.
   */
  mount(namespace: string, pod: string, spc: string): Promise<MountedPod>;
  /** The pod's mounted files. */
  files(namespace: string, pod: string): Record<string, string>;
  /** Pod-update remounts kubelet made (NodePublishVolume on a published volume after a pod update). */
  readonly republishes: number;
  /** The driver's --rotation-poll-interval in ms. */
  readonly rotationPollIntervalMs: number;
  /**
   * Waits until the driver's refetch gate is open for every mounted pod: it skips a republish while
   * now < mtime(target) + --rotation-poll-interval (pkg/secrets-store/nodeserver.go NodePublishVolume).
   */
  gateOpen(): Promise<void>;
  /** Waits until the driver's patcher (every 5 s) made each mounted pod's SPCPS an owner of its synced Secrets. */
  ownersSettled(): Promise<void>;
  /** kubelet idle and the driver's log quiet for `quietMs` (its controller logs every reconcile). */
  idle(quietMs?: number): Promise<void>;
  /** The driver controller's requeue (5 min in production), forced by a driver restart: Secrets rebuilt from mounts. */
  requeue(): Promise<void>;
  stop(): Promise<void>;
}

/** A Go duration as the driver's flags take it ("2s", "1m30s", "500ms"). */
export function goDurationMs(d: string): number {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  const rest = d.replace(/(\d+(?:\.\d+)?)(ms|s|m|h)/g, (_, n: string, u: string) => {
    total += Number(n) * units[u]!;
    return "";
  });
  if (rest !== "" || d === "") throw new Error(`not a Go duration: ${d}`);
  return total;
}

export async function startRealDriver(admin: KubeConfig, opts: CsiNodeOptions): Promise<RealDriver> {
  const node = await startCsiNode(opts);
  const core = admin.makeApiClient(CoreV1Api);
  const custom = admin.makeApiClient(CustomObjectsApi);
  const pods = new Map<string, MountedPod>();
  let stopped = false;

  const spcpsOfNode = async () => {
    const list = (await custom.listClusterCustomObject({
      group: "secrets-store.csi.x-k8s.io",
      version: "v1",
      plural: "secretproviderclasspodstatuses",
      labelSelector: `internal.secrets-store.csi.k8s.io/node-name=${node.nodeName}`,
    })) as { items: { metadata: { namespace: string; name: string } }[] };
    return list.items.map((i) => ({ namespace: i.metadata.namespace, name: i.metadata.name }));
  };

  const rotationPollIntervalMs = goDurationMs(opts.rotationPollInterval ?? "2m");
  const secretNames = async (namespace: string, spc: string) =>
    (
      (await custom.getNamespacedCustomObject({
        group: "secrets-store.csi.x-k8s.io",
        version: "v1",
        namespace,
        plural: "secretproviderclasses",
        name: spc,
      })) as { spec: { secretObjects?: { secretName: string }[] } }
    ).spec.secretObjects?.map((so) => so.secretName) ?? [];

  return {
    kind: "real",
    node,
    rotationPollIntervalMs,
    async gateOpen() {
      for (const p of pods.values()) {
        let mtime: number;
        try {
          mtime = node.targetMtimeMs(p.uid, "secrets");
        } catch {
          continue; // unmounted
        }
        const wait = mtime + rotationPollIntervalMs + 100 - Date.now();
        if (wait > 0) await sleep(wait);
      }
    },
    async ownersSettled() {
      const deadline = Date.now() + 20_000;
      for (const p of pods.values()) {
        const spcpsName = `${p.name}-${p.namespace}-${p.spc}`;
        for (const secret of await secretNames(p.namespace, p.spc)) {
          for (;;) {
            const s = await core.readNamespacedSecret({ namespace: p.namespace, name: secret });
            if ((s.metadata?.ownerReferences ?? []).some((o) => o.name === spcpsName)) break;
            if (Date.now() > deadline) throw new Error(`driver's patcher did not add ${spcpsName} as owner of ${p.namespace}/${secret}`);
            await sleep(200);
          }
        }
      }
    },
    async mount(namespace, name, spc) {
      // The ServiceAccount controller's part: every namespace has "default" (kubelet requests its token).
      await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: "default" } } }).catch((e: { code?: number }) => {
        if (e.code !== 409) throw e;
      });
      const created = await core.createNamespacedPod({
        namespace,
        body: {
          metadata: { name, namespace },
          spec: {
            nodeName: node.nodeName,
            serviceAccountName: "default",
            containers: [
              {
                name: "app",
                image: "registry.local/app:1",
                volumeMounts: [{ name: "secrets", mountPath: "/mnt/secrets", readOnly: true }],
              },
            ],
            volumes: [{ name: "secrets", csi: { driver: DRIVER_NAME, readOnly: true, volumeAttributes: { secretProviderClass: spc } } }],
          },
        },
      });
      const pod = { namespace, name, uid: created.metadata!.uid!, spc };
      pods.set(`${namespace}/${name}`, pod);
      await node.kubelet.whenMounted(namespace, name);
      // The driver's controller creates the synced Secrets after the SPCPS appears (asynchronously; its client is
      // rate-limited and shares a busy 2-core machine, so this can take tens of seconds under load).
      const deadline = Date.now() + 90_000;
      for (const secretName of await secretNames(namespace, spc)) {
        for (;;) {
          const s = await core.readNamespacedSecret({ namespace, name: secretName }).catch(() => undefined);
          if (s?.metadata?.labels?.["secrets-store.csi.k8s.io/managed"] === "true") break;
          if (Date.now() > deadline)
            throw new Error(
              `driver did not sync Secret ${namespace}/${secretName} for pod ${name} within 90 s. Driver log:\n${node.driverLog().split("\n").slice(-20).join("\n")}`,
            );
          await sleep(100);
        }
      }
      return pod;
    },
    files(namespace, name) {
      const pod = pods.get(`${namespace}/${name}`);
      if (!pod) throw new Error(`no pod ${namespace}/${name} was mounted through this driver`);
      return Object.fromEntries(Object.entries(node.files(pod.uid, "secrets")).map(([k, v]) => [k, v.toString("utf8")]));
    },
    get republishes() {
      return node.kubelet.totals.republishes;
    },
    async idle(quietMs = 500) {
      for (;;) {
        await node.kubelet.idle();
        const size = node.driverLogSize();
        await sleep(quietMs);
        if (node.driverLogSize() === size) {
          await node.kubelet.idle();
          return;
        }
      }
    },
    async requeue() {
      await node.restartDriver(await spcpsOfNode());
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await node.stop();
    },
  };
}
