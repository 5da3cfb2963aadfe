// Plays the Secrets Store CSI driver + Azure provider for tests (no kubelet runs here):
// - mount(): what a first NodePublishVolume does: fetch every object from Key Vault, write the "files",
//   create the SPCPS, create the synced Secrets (the driver's Create);
// - v1.6 mode: a pod annotation change = kubelet republish → re-fetch, SPCPS versions updated, and every synced
//   Secret rebuilt by PUT from this pod's mounted files (also reverting foreign edits when the mount is stale);
// - v1.5 mode: nudges are ignored; poll() is the rotation reconciler's tick.
// File names and bytes come from the product's renderer (shared/render), the code the differential oracle
// (test/oracle) checks against the pinned upstream provider and driver, so any disagreement between what we push
// and what the driver writes would show up here as a flip-back.
import { CoreV1Api, CustomObjectsApi, KubeConfig, Watch } from "@kubernetes/client-node";
import { parseObjects } from "../../shared/kube/spc-objects.js";
import { spcpsId } from "../../shared/model/index.js";
import {
  objectFileName,
  renderFileContent,
  renderHistoryFiles,
  secretDataForKey,
  selectHistoryVersions,
} from "../../shared/render/index.js";
import type { SpcObject, VaultConfig, VaultObjectData } from "../../shared/model/index.js";
import type { VaultReader } from "../../shared/vault/reader.js";

interface Mount {
  namespace: string;
  pod: string;
  spc: string;
  files: Map<string, Uint8Array>;
  versions: Record<string, string>;
  lastAnnotations: string;
  /** The pod worker's current republish (kubelet: one worker per pod; updates that arrive meanwhile coalesce). */
  busy?: Promise<void>;
  dirty?: boolean;
}

export interface DriverStandIn {
  mode: "v1.6" | "v1.5";
  mount(namespace: string, pod: string, spc: string, opts?: { createPod?: boolean }): Promise<void>;
  /** v1.5 reconciler tick / v1.6 5-minute requeue: refresh (v1.5) or just re-sync Secrets from mounts (v1.6). */
  poll(): Promise<void>;
  /** Resolves when every pending republish has been handled. */
  idle(): Promise<void>;
  republishes: number;
  stop(): void;
}

export async function startDriverStandIn(opts: {
  kc: KubeConfig;
  namespaces: string[];
  vaults: Map<string, VaultConfig>;
  reader: () => VaultReader;
  mode: "v1.6" | "v1.5";
}): Promise<DriverStandIn> {
  const core = opts.kc.makeApiClient(CoreV1Api);
  const custom = opts.kc.makeApiClient(CustomObjectsApi);
  const mounts = new Map<string, Mount>();
  const aborts: AbortController[] = [];
  const failures: unknown[] = [];

  async function getSpc(ns: string, name: string) {
    return (await custom.getNamespacedCustomObject({
      group: "secrets-store.csi.x-k8s.io",
      version: "v1",
      namespace: ns,
      plural: "secretproviderclasses",
      name,
    })) as {
      spec: {
        parameters: Record<string, string>;
        secretObjects?: {
          secretName: string;
          type: string;
          labels?: Record<string, string>;
          annotations?: Record<string, string>;
          data: { objectName: string; key: string }[];
        }[];
      };
    };
  }

  async function fetchFiles(m: Mount): Promise<void> {
    const spc = await getSpc(m.namespace, m.spc);
    const vault = opts.vaults.get((spc.spec.parameters.keyvaultName ?? "").toLowerCase());
    if (!vault) throw new Error(`stand-in: vault ${spc.spec.parameters.keyvaultName} unknown`);
    const reader = opts.reader();
    const objects: SpcObject[] = parseObjects(spc.spec.parameters.objects);
    for (const o of objects) {
      if ((o.objectVersionHistory ?? 0) > 1) {
        // The provider's versioned files <file>/<i>, selected and rendered by the same checked code as single files.
        const listed = await reader.listVersions(vault, o.objectType, o.objectName);
        if ("unavailable" in listed) throw new Error(`stand-in: ${listed.detail}`);
        const entries = listed.versions.map((v) => ({
          version: v.version,
          attributes: { enabled: v.enabled, ...(v.createdOn ? { created: v.createdOn } : {}) },
        }));
        const selected = selectHistoryVersions(o, entries);
        const data = new Map<string, VaultObjectData>();
        for (const s of selected) {
          const r = await reader.readVersion(vault, o.objectType, o.objectName, s.version);
          if ("unavailable" in r) throw new Error(`stand-in: ${r.detail}`);
          data.set(s.version, r.data);
        }
        for (const f of renderHistoryFiles(o, selected, (v) => data.get(v)!)) {
          m.files.set(f.fileName, f.bytes);
          m.versions[f.objectUid] = f.version;
        }
        continue;
      }
      const r = await reader.read(vault, o.objectType, o.objectName);
      if ("unavailable" in r) throw new Error(`stand-in: ${r.detail}`);
      m.files.set(objectFileName(o), renderFileContent(o, r.data));
      m.versions[spcpsId(o)] = r.data.version;
    }
  }

  async function writeSpcps(m: Mount): Promise<void> {
    const name = `${m.pod}-${m.namespace}-${m.spc}`;
    const body = {
      apiVersion: "secrets-store.csi.x-k8s.io/v1",
      kind: "SecretProviderClassPodStatus",
      metadata: { name, namespace: m.namespace, labels: { "internal.secrets-store.csi.k8s.io/node-name": "node-1" } },
      status: {
        podName: m.pod,
        secretProviderClassName: m.spc,
        mounted: true,
        targetPath: `/var/lib/kubelet/pods/uid/volumes/kubernetes.io~csi/secrets/mount`,
        objects: Object.entries(m.versions)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([id, version]) => ({ id, version })),
      },
    };
    const args = { group: "secrets-store.csi.x-k8s.io", version: "v1", namespace: m.namespace, plural: "secretproviderclasspodstatuses" };
    try {
      await custom.createNamespacedCustomObject({ ...args, body });
    } catch (e) {
      if ((e as { code?: number }).code !== 409) throw e;
      const cur = (await custom.getNamespacedCustomObject({ ...args, name })) as { metadata: { resourceVersion: string } };
      await custom.replaceNamespacedCustomObject({
        ...args,
        name,
        body: { ...body, metadata: { ...body.metadata, resourceVersion: cur.metadata.resourceVersion } },
      });
    }
  }

  /** v1.6 createOrUpdateK8sSecret: Create, and on AlreadyExists an unconditional PUT of a freshly built object. */
  async function syncSecrets(m: Mount, createOnly: boolean): Promise<void> {
    const spc = await getSpc(m.namespace, m.spc);
    for (const so of spc.spec.secretObjects ?? []) {
      const data: Record<string, string> = {};
      for (const d of so.data) {
        const f = m.files.get(d.objectName);
        if (!f) throw new Error(`file matching objectName ${d.objectName} not found in the pod`);
        data[d.key] = Buffer.from(secretDataForKey(so.type, d.key, f)).toString("base64");
      }
      const body = {
        metadata: {
          name: so.secretName,
          namespace: m.namespace,
          labels: { ...so.labels, "secrets-store.csi.k8s.io/managed": "true" },
          annotations: so.annotations ?? {},
        },
        type: so.type,
        data,
      };
      try {
        await core.createNamespacedSecret({ namespace: m.namespace, body });
      } catch (e) {
        if ((e as { code?: number }).code !== 409) throw e;
        if (createOnly) continue;
        await core.replaceNamespacedSecret({ namespace: m.namespace, name: so.secretName, body });
      }
    }
  }

  const standIn: DriverStandIn = {
    mode: opts.mode,
    republishes: 0,
    async mount(namespace, pod, spc, o = {}) {
      if (o.createPod !== false) {
        await core
          .createNamespacedPod({
            namespace,
            body: {
              metadata: { name: pod, namespace },
              spec: {
                containers: [
                  {
                    name: "app",
                    image: "registry.local/app:1",
                    volumeMounts: [{ name: "secrets", mountPath: "/mnt/secrets", readOnly: true }],
                  },
                ],
                volumes: [
                  {
                    name: "secrets",
                    csi: { driver: "secrets-store.csi.k8s.io", readOnly: true, volumeAttributes: { secretProviderClass: spc } },
                  },
                ],
              },
            },
          })
          .catch((e: { code?: number }) => {
            if (e.code !== 409) throw e;
          });
      }
      const m: Mount = { namespace, pod, spc, files: new Map(), versions: {}, lastAnnotations: "" };
      await fetchFiles(m);
      mounts.set(`${namespace}/${pod}/${spc}`, m);
      await writeSpcps(m);
      await syncSecrets(m, opts.mode === "v1.5");
    },
    async poll() {
      for (const m of mounts.values()) {
        if (opts.mode === "v1.5") {
          await fetchFiles(m);
          await writeSpcps(m);
        }
        await syncSecrets(m, false);
      }
    },
    async idle() {
      await new Promise((r) => setTimeout(r, 50));
      for (let busy = [...mounts.values()].filter((m) => m.busy); busy.length; busy = [...mounts.values()].filter((m) => m.busy))
        await Promise.all(busy.map((m) => m.busy));
      if (failures.length) throw failures.splice(0)[0];
    },
    stop() {
      for (const a of aborts) a.abort();
    },
  };

  /**
   * kubelet: pod UPDATE → remount → NodePublishVolume → provider fetch → SPCPS update → Secret PUT. Pods are
   * republished in parallel (one worker per pod); updates arriving while a pod's republish runs coalesce into one
   * more republish, which fetches whatever Key Vault holds by then.
   */
  function republish(m: Mount): void {
    if (m.busy) {
      m.dirty = true;
      return;
    }
    m.busy = (async () => {
      do {
        m.dirty = false;
        standIn.republishes++;
        try {
          await fetchFiles(m);
          await writeSpcps(m);
          await syncSecrets(m, false);
        } catch (e) {
          failures.push(e);
        }
      } while (m.dirty);
    })().finally(() => (m.busy = undefined));
  }

  if (opts.mode === "v1.6") {
    const watch = new Watch(opts.kc);
    for (const ns of opts.namespaces) {
      const req = await watch.watch(
        `/api/v1/namespaces/${ns}/pods`,
        {},
        (type: string, pod: { metadata?: { name?: string; annotations?: Record<string, string> } }) => {
          if (type !== "MODIFIED") return;
          const name = pod.metadata?.name ?? "";
          const ann = JSON.stringify(pod.metadata?.annotations ?? {});
          for (const m of mounts.values()) {
            if (m.namespace !== ns || m.pod !== name || m.lastAnnotations === ann) continue;
            m.lastAnnotations = ann;
            republish(m);
          }
        },
        () => undefined,
      );
      aborts.push(req);
    }
  }
  return standIn;
}
