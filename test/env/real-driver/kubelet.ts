// A kubelet stand-in that does exactly kubelet's part for the CSI ephemeral volumes of the pods bound to its node
// (spec.nodeName), against the real driver's CSI socket — no containers are run:
// - pods come from a list+watch filtered on spec.nodeName (pkg/kubelet/config/apiserver.go NewSourceApiserver);
// - a new pod's CSI volumes get NodePublishVolume (pkg/volume/csi/csi_mounter.go SetUpAt, rules in
//   kubelet-rules.ts), failures retried with kubelet's backoff;
// - a pod UPDATE (spec/labels/annotations/deletion fields, not status: config.go checkAndUpdatePod) and every
//   periodic sync (pod_workers.go, syncFrequency with 0.5 jitter) run SyncPod → WaitForAttachAndMount →
//   populator ReprocessPod → processPodVolumes → MarkRemountRequired, which marks the volume for another
//   NodePublishVolume only when the CSIDriver has requiresRepublish (csi_plugin.go RequiresRemount);
// - updates arriving while a pod's sync runs coalesce into one more sync (one worker per pod, pod_workers.go);
// - a terminating or deleted pod gets NodeUnpublishVolume (csi_mounter.go TearDownAt) and its volume directories
//   removed (removeMountDir), then the terminating pod object is deleted with grace 0 and a UID precondition
//   (pkg/kubelet/status/status_manager.go syncPod);
// - service account tokens for the CSIDriver's tokenRequests come from TokenRequest, bound to the pod, reused
//   until 80% of their lifetime (pkg/kubelet/token/token_manager.go).
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CoreV1Api, StorageV1Api, Watch, type KubeConfig } from "@kubernetes/client-node";
import type { AccessMode, CsiClient } from "./csi-client.js";
import {
  csiVolumesToMount,
  goTime,
  nextResyncMs,
  publishContext,
  podsDifferSemantically,
  retryDelayMs,
  targetPath,
  volumeHandle,
  type CsiDriverSpec,
  type PodJson,
} from "./kubelet-rules.js";

export interface KubeletOptions {
  /** kubelet's credentials (the node's; here an admin kubeconfig). */
  kc: KubeConfig;
  nodeName: string;
  /** --root-dir: target paths are <rootDir>/pods/<uid>/volumes/kubernetes.io~csi/<volume>/mount. */
  rootDir: string;
  csi: CsiClient;
  driverName?: string;
  /** --sync-frequency (kubelet default 1 min); each pod re-syncs after 1–1.5× this. */
  syncFrequencyMs?: number;
  log?: (line: string) => void;
}

export interface PodCounts {
  /** First NodePublishVolume calls that succeeded. */
  publishes: number;
  /** Remount calls (NodePublishVolume on a published volume) caused by a pod update. */
  republishes: number;
  /** Remount calls caused by the periodic sync. */
  resyncs: number;
  unpublishes: number;
}

export interface KubeletStandIn {
  readonly totals: PodCounts & { failures: string[] };
  counts(namespace: string, name: string): PodCounts;
  /** Resolves with the pod once each of its CSI volumes was published; fails with the last error after the timeout. */
  whenMounted(namespace: string, name: string, timeoutMs?: number): Promise<PodJson>;
  /** Resolves when no pod has a sync running, queued, or a failed mount waiting for its retry. */
  idle(timeoutMs?: number): Promise<void>;
  targetPath(podUid: string, volume: string): string;
  stop(): Promise<void>;
}

type Want = "create" | "update" | "resync" | "retry" | "kill";

interface VolumeState {
  mounted: boolean;
  /** Set by MarkRemountRequired; the cause decides which counter a remount adds to. */
  remount?: "update" | "resync";
  failures: number;
  notBefore: number;
  lastError?: string;
}

interface PodWork {
  pod: PodJson;
  volumes: Map<string, VolumeState>;
  wants: Set<Want>;
  running?: Promise<void>;
  resyncTimer?: NodeJS.Timeout;
  retryTimer?: NodeJS.Timeout;
  gone: boolean;
  terminated: boolean;
  counts: PodCounts;
}

/** GET of raw API JSON (watch events are raw JSON too, so a pod compares equal to itself across list and watch). */
async function rawGet<T>(kc: KubeConfig, path: string): Promise<T> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error("kubelet stand-in: kubeconfig has no current cluster");
  const opts: Parameters<typeof request>[1] = { method: "GET" };
  await kc.applyToHTTPSOptions(opts);
  return new Promise((resolve, reject) => {
    const req = request(new URL(cluster.server + path), opts, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () =>
        res.statusCode === 200 ? resolve(JSON.parse(body) as T) : reject(new Error(`GET ${path}: ${res.statusCode} ${body.slice(0, 300)}`)),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

export async function startKubelet(opts: KubeletOptions): Promise<KubeletStandIn> {
  const driverName = opts.driverName ?? "secrets-store.csi.k8s.io";
  const syncFrequencyMs = opts.syncFrequencyMs ?? 60_000;
  const log = opts.log ?? (() => undefined);
  const core = opts.kc.makeApiClient(CoreV1Api);
  const storage = opts.kc.makeApiClient(StorageV1Api);
  const pods = new Map<string, PodWork>(); // by uid
  const totals = { publishes: 0, republishes: 0, resyncs: 0, unpublishes: 0, failures: [] as string[] };
  const tokenCache = new Map<string, { status: { token: string; expirationTimestamp: string }; refreshAt: number }>();
  let stopped = false;
  let watchAbort: AbortController | undefined;

  // csi_client.go getNodeV1AccessModeMapper: ReadWriteOnce → SINGLE_NODE_MULTI_WRITER only for drivers that
  // announce it, else SINGLE_NODE_WRITER.
  const accessMode: AccessMode = (await opts.csi.nodeCapabilities()).includes("SINGLE_NODE_MULTI_WRITER")
    ? "SINGLE_NODE_MULTI_WRITER"
    : "SINGLE_NODE_WRITER";

  async function csiDriver(): Promise<CsiDriverSpec | undefined> {
    try {
      return (await storage.readCSIDriver({ name: driverName })).spec as CsiDriverSpec;
    } catch (e) {
      if ((e as { code?: number }).code === 404) return undefined;
      throw e;
    }
  }

  async function tokensFor(pod: PodJson, requests: NonNullable<CsiDriverSpec["tokenRequests"]>) {
    const out: Record<string, { token: string; expirationTimestamp: string }> = {};
    const sa = pod.spec.serviceAccountName ?? "";
    for (const r of requests) {
      const k = `${pod.metadata.namespace}/${sa}/${r.audience}/${r.expirationSeconds ?? ""}/${pod.metadata.uid}`;
      const hit = tokenCache.get(k);
      if (hit && Date.now() < hit.refreshAt) {
        out[r.audience] = hit.status;
        continue;
      }
      const issued = Date.now();
      const tr = await core.createNamespacedServiceAccountToken({
        name: sa,
        namespace: pod.metadata.namespace,
        body: {
          spec: {
            audiences: r.audience ? [r.audience] : [],
            ...(r.expirationSeconds ? { expirationSeconds: r.expirationSeconds } : {}),
            boundObjectRef: { apiVersion: "v1", kind: "Pod", name: pod.metadata.name, uid: pod.metadata.uid },
          },
        },
      });
      const exp = new Date(tr.status!.expirationTimestamp as unknown as string);
      const status = { token: tr.status!.token, expirationTimestamp: goTime(exp) };
      tokenCache.set(k, { status, refreshAt: issued + 0.8 * (exp.getTime() - issued) });
      out[r.audience] = status;
    }
    return out;
  }

  async function nodePublishSecrets(pod: PodJson, ref: { name: string } | undefined): Promise<Record<string, string>> {
    if (!ref) return {};
    const s = await core.readNamespacedSecret({ namespace: pod.metadata.namespace, name: ref.name });
    return Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]));
  }

  async function publish(w: PodWork, volume: ReturnType<typeof csiVolumesToMount>[number], driver: CsiDriverSpec) {
    const pod = w.pod;
    const dir = targetPath(opts.rootDir, pod.metadata.uid, volume.name);
    const handle = volumeHandle(pod.metadata.uid, volume.name);
    // SetUpAt: the parent of the target path and its vol_data.json come from kubelet; the driver makes the target.
    mkdirSync(dirname(dir), { recursive: true, mode: 0o750 });
    writeFileSync(
      join(dirname(dir), "vol_data.json"),
      JSON.stringify({
        specVolID: volume.name,
        volumeHandle: handle,
        driverName,
        nodeName: opts.nodeName,
        volumeLifecycleMode: "Ephemeral",
        attachmentID: "",
      }),
    );
    const tokens = driver.tokenRequests?.length ? await tokensFor(pod, driver.tokenRequests) : undefined;
    const ctx = publishContext(pod, volume, driver, tokens, await nodePublishSecrets(pod, volume.csi?.nodePublishSecretRef));
    await opts.csi.nodePublishVolume({
      volumeId: handle,
      publishContext: {},
      targetPath: dir,
      volumeCapability: { mount: { fsType: volume.csi?.fsType ?? "", mountFlags: [] }, accessMode: { mode: accessMode } },
      readonly: volume.csi?.readOnly ?? false,
      secrets: ctx.secrets,
      volumeContext: ctx.volumeContext,
    });
  }

  async function teardown(w: PodWork): Promise<void> {
    const pod = w.pod;
    for (const [name, v] of w.volumes) {
      if (!v.mounted) continue;
      const dir = targetPath(opts.rootDir, pod.metadata.uid, name);
      await opts.csi.nodeUnpublishVolume({ volumeId: volumeHandle(pod.metadata.uid, name), targetPath: dir });
      v.mounted = false;
      w.counts.unpublishes++;
      totals.unpublishes++;
      log(`unpublished ${pod.metadata.namespace}/${pod.metadata.name} volume ${name}`);
    }
    rmSync(join(opts.rootDir, "pods", pod.metadata.uid), { recursive: true, force: true });
    if (!w.gone) {
      await core
        .deleteNamespacedPod({
          namespace: pod.metadata.namespace,
          name: pod.metadata.name,
          body: { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } },
        })
        .catch((e: { code?: number }) => {
          if (e.code !== 404 && e.code !== 409) throw e;
        });
    }
  }

  async function syncPod(w: PodWork, wants: Set<Want>): Promise<void> {
    if (wants.has("kill") || w.gone || w.pod.metadata.deletionTimestamp) {
      await teardown(w);
      w.terminated = true;
      return;
    }
    const driver = (await csiDriver()) ?? {};
    if (driver.requiresRepublish && (wants.has("update") || wants.has("resync"))) {
      for (const v of w.volumes.values()) if (v.mounted) v.remount = wants.has("update") ? "update" : (v.remount ?? "resync");
    }
    for (const volume of csiVolumesToMount(w.pod, driverName)) {
      let st = w.volumes.get(volume.name);
      if (!st) w.volumes.set(volume.name, (st = { mounted: false, failures: 0, notBefore: 0 }));
      if (st.mounted && !st.remount) continue;
      if (Date.now() < st.notBefore) continue; // in backoff: the retry timer comes back
      const cause = st.mounted ? st.remount : "create";
      try {
        await publish(w, volume, driver);
        if (cause === "create") {
          w.counts.publishes++;
          totals.publishes++;
        } else if (cause === "update") {
          w.counts.republishes++;
          totals.republishes++;
        } else {
          w.counts.resyncs++;
          totals.resyncs++;
        }
        st.mounted = true;
        st.remount = undefined;
        st.failures = 0;
        st.lastError = undefined;
        log(`NodePublishVolume ok (${cause}) ${w.pod.metadata.namespace}/${w.pod.metadata.name} volume ${volume.name}`);
      } catch (e) {
        st.failures++;
        st.lastError = (e as Error).message;
        const delay = retryDelayMs(st.failures);
        st.notBefore = Date.now() + delay;
        totals.failures.push(`${w.pod.metadata.namespace}/${w.pod.metadata.name} ${volume.name}: ${st.lastError}`);
        log(
          `NodePublishVolume failed (${cause}) ${w.pod.metadata.namespace}/${w.pod.metadata.name}: ${st.lastError}; retry in ${delay} ms`,
        );
        clearTimeout(w.retryTimer);
        w.retryTimer = setTimeout(() => {
          w.retryTimer = undefined;
          schedule(w, "retry");
        }, delay);
      }
    }
  }

  function schedule(w: PodWork, want: Want): void {
    if (w.terminated || stopped) return;
    w.wants.add(want);
    if (w.running) return; // coalesces into the running worker's next round
    clearTimeout(w.resyncTimer);
    w.running = (async () => {
      while (w.wants.size && !stopped && !w.terminated) {
        const wants = new Set(w.wants);
        w.wants.clear();
        try {
          await syncPod(w, wants);
        } catch (e) {
          totals.failures.push(`${w.pod.metadata.namespace}/${w.pod.metadata.name} sync: ${(e as Error).message}`);
          log(`sync failed ${w.pod.metadata.namespace}/${w.pod.metadata.name}: ${(e as Error).message}`);
          if (!w.retryTimer)
            w.retryTimer = setTimeout(() => {
              w.retryTimer = undefined;
              schedule(w, "retry");
            }, 1000);
        }
      }
    })().finally(() => {
      w.running = undefined;
      if (w.terminated || stopped) return;
      const late = w.wants.values().next(); // arrived between the last round and now
      if (!late.done) {
        w.wants.delete(late.value);
        schedule(w, late.value);
      } else w.resyncTimer = setTimeout(() => schedule(w, "resync"), nextResyncMs(syncFrequencyMs, Math.random()));
    });
  }

  function onPod(pod: PodJson): void {
    let w = pods.get(pod.metadata.uid);
    if (!w) {
      w = {
        pod,
        volumes: new Map(),
        wants: new Set(),
        gone: false,
        terminated: false,
        counts: { publishes: 0, republishes: 0, resyncs: 0, unpublishes: 0 },
      };
      pods.set(pod.metadata.uid, w);
      schedule(w, pod.metadata.deletionTimestamp ? "kill" : "create");
      return;
    }
    const differ = podsDifferSemantically(w.pod, pod);
    w.pod = pod;
    if (differ) schedule(w, pod.metadata.deletionTimestamp ? "kill" : "update");
  }

  function onGone(pod: PodJson): void {
    const w = pods.get(pod.metadata.uid);
    if (!w) return;
    w.gone = true;
    schedule(w, "kill");
  }

  // list + watch, resuming from the last resourceVersion; a 410 (expired) relists and treats missing pods as gone.
  const fieldSelector = `spec.nodeName=${opts.nodeName}`;
  let rv = "";
  const watch = new Watch(opts.kc);
  const loop = (async () => {
    while (!stopped) {
      try {
        if (!rv) {
          const list = await rawGet<{ items: PodJson[]; metadata: { resourceVersion: string } }>(
            opts.kc,
            `/api/v1/pods?fieldSelector=${encodeURIComponent(fieldSelector)}`,
          );
          const seen = new Set(list.items.map((p) => p.metadata.uid));
          for (const p of list.items) onPod(p);
          for (const w of pods.values()) if (!seen.has(w.pod.metadata.uid) && !w.gone) onGone(w.pod);
          rv = list.metadata.resourceVersion;
        }
        await new Promise<void>((resolve) => {
          void watch
            .watch(
              "/api/v1/pods",
              { fieldSelector, resourceVersion: rv, allowWatchBookmarks: true },
              (type: string, obj: PodJson & { code?: number }) => {
                if (type === "ERROR") {
                  if (obj.code === 410) rv = "";
                  return;
                }
                rv = obj.metadata?.resourceVersion ?? rv;
                if (type === "BOOKMARK") return;
                if (type === "DELETED") onGone(obj);
                else onPod(obj);
              },
              (err: { statusCode?: number; code?: number } | null) => {
                if (err && (err.statusCode === 410 || err.code === 410)) rv = "";
                resolve();
              },
            )
            .then(
              (ac) => {
                watchAbort = ac;
                if (stopped) ac.abort();
              },
              () => resolve(),
            );
        });
      } catch (e) {
        log(`pod list/watch: ${(e as Error).message}`);
        rv = "";
      }
      if (!stopped) await sleep(200);
    }
  })();

  const byName = (ns: string, name: string) =>
    [...pods.values()].filter((w) => w.pod.metadata.namespace === ns && w.pod.metadata.name === name).pop();

  return {
    totals,
    counts(ns, name) {
      return { ...(byName(ns, name)?.counts ?? { publishes: 0, republishes: 0, resyncs: 0, unpublishes: 0 }) };
    },
    async whenMounted(ns, name, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const w = byName(ns, name);
        if (w && !w.terminated) {
          const wanted = csiVolumesToMount(w.pod, driverName);
          if (wanted.every((v) => w.volumes.get(v.name)?.mounted)) return w.pod;
        }
        if (Date.now() > deadline) {
          const errors = w
            ? [...w.volumes.entries()].map(([n, v]) => `${n}: ${v.lastError ?? (v.mounted ? "mounted" : "not yet tried")}`)
            : [];
          throw new Error(
            `kubelet stand-in: pod ${ns}/${name} not mounted within ${timeoutMs} ms (${w ? errors.join("; ") || "no CSI volume in use" : `no pod with spec.nodeName=${opts.nodeName} seen`})`,
          );
        }
        await sleep(50);
      }
    },
    async idle(timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const busy = [...pods.values()].filter((w) => w.running || w.wants.size || w.retryTimer);
        if (!busy.length) return;
        if (Date.now() > deadline)
          throw new Error(
            `kubelet stand-in: still busy after ${timeoutMs} ms: ${busy.map((w) => `${w.pod.metadata.namespace}/${w.pod.metadata.name}`).join(", ")}; last failures: ${totals.failures.slice(-3).join(" | ")}`,
          );
        await sleep(50);
      }
    },
    targetPath: (uid, volume) => targetPath(opts.rootDir, uid, volume),
    async stop() {
      stopped = true;
      watchAbort?.abort();
      for (const w of pods.values()) {
        clearTimeout(w.resyncTimer);
        clearTimeout(w.retryTimer);
      }
      await Promise.allSettled([...pods.values()].map((w) => w.running));
      await Promise.race([loop, sleep(2000)]);
    },
  };
}
