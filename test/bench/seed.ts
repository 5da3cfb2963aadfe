// Seeds one benchmark cluster through the API server (admin token), batched with bounded concurrency and a progress
// bar: namespaces first, then every SPC's objects (SPC, synced Secret, Deployment, StatefulSet, pods, SPCPS).
import { objectsYaml, podTemplate } from "../support/fixtures.js";
import { pool, type RawKube } from "./http.js";
import { VAULT, type ClusterModel, type SpcModel } from "./workload.js";

const SSCSI = "/apis/secrets-store.csi.x-k8s.io/v1/namespaces";

export interface SeedResult {
  objects: number;
  seconds: number;
  perSecond: number;
}

type Task = { spc: number; kind: "spc" | "secret" | "deployment" | "statefulset" | "pod" | "spcps"; n?: number };

export class ProgressBar {
  private done = 0;
  private last = 0;
  private readonly t0 = Date.now();
  private lastPct = -1;
  constructor(
    private readonly label: string,
    private readonly total: number,
  ) {}
  tick(n = 1): void {
    this.done += n;
    const now = Date.now();
    if (now - this.last < 200 && this.done < this.total) return;
    this.last = now;
    const pct = Math.floor((100 * this.done) / this.total);
    const rate = this.done / Math.max(0.001, (now - this.t0) / 1000);
    if (process.stderr.isTTY) {
      const w = 30;
      const fill = Math.round((w * this.done) / this.total);
      process.stderr.write(
        `\r\x1b[K  ${this.label} [${"#".repeat(fill)}${".".repeat(w - fill)}] ${pct}% ${this.done}/${this.total} ${rate.toFixed(0)}/s`,
      );
      if (this.done >= this.total) process.stderr.write("\n");
    } else if (Math.floor(pct / 10) !== Math.floor(this.lastPct / 10) || this.done >= this.total) {
      process.stderr.write(`  ${this.label} ${pct}% ${this.done}/${this.total} ${rate.toFixed(0)}/s\n`);
    }
    this.lastPct = pct;
  }
}

function b64(s: string): string {
  return Buffer.from(s, "utf8").toString("base64");
}

function body(t: Task, s: SpcModel, values: Map<string, { value: string; version: string }>): { path: string; body: unknown } {
  const ns = s.namespace;
  switch (t.kind) {
    case "spc":
      return {
        path: `${SSCSI}/${ns}/secretproviderclasses`,
        body: {
          apiVersion: "secrets-store.csi.x-k8s.io/v1",
          kind: "SecretProviderClass",
          metadata: { name: s.name, namespace: ns },
          spec: {
            provider: "azure",
            parameters: {
              keyvaultName: VAULT,
              tenantID: "00000000-0000-0000-0000-0000000000aa",
              useVMManagedIdentity: "true",
              userAssignedIdentityID: "11111111-1111-1111-1111-111111111111",
              objects: objectsYaml(s.objects.map((o) => ({ objectName: o, objectType: "secret" }))),
            },
            secretObjects: [
              { secretName: s.secretName, type: "Opaque", data: Object.entries(s.keys).map(([key, objectName]) => ({ objectName, key })) },
            ],
          },
        },
      };
    case "secret":
      return {
        path: `/api/v1/namespaces/${ns}/secrets`,
        body: {
          metadata: { name: s.secretName, namespace: ns, labels: { "secrets-store.csi.k8s.io/managed": "true" } },
          type: "Opaque",
          data: Object.fromEntries(Object.entries(s.keys).map(([k, o]) => [k, b64(values.get(o)!.value)])),
        },
      };
    case "deployment":
      return {
        path: `/apis/apps/v1/namespaces/${ns}/deployments`,
        body: {
          metadata: { name: s.deployment, namespace: ns },
          spec: {
            replicas: 2,
            selector: { matchLabels: { app: s.deployment } },
            template: podTemplate(s.deployment, { env: [s.secretName], spc: s.name }),
          },
        },
      };
    case "statefulset":
      return {
        path: `/apis/apps/v1/namespaces/${ns}/statefulsets`,
        body: {
          metadata: { name: s.statefulSet, namespace: ns },
          spec: {
            replicas: 1,
            serviceName: s.statefulSet,
            selector: { matchLabels: { app: s.statefulSet } },
            template: podTemplate(s.statefulSet!, { secretVolume: s.secretName, spc: s.name }),
          },
        },
      };
    case "pod": {
      const pod = s.pods[t.n!]!;
      const owner = pod.startsWith(s.deployment + "-") ? s.deployment : s.statefulSet!;
      const tpl = pod.startsWith(s.deployment + "-")
        ? podTemplate(owner, { env: [s.secretName], spc: s.name })
        : podTemplate(owner, { secretVolume: s.secretName, spc: s.name });
      return {
        path: `/api/v1/namespaces/${ns}/pods`,
        body: { metadata: { name: pod, namespace: ns, labels: { app: owner } }, spec: { ...tpl.spec, nodeName: "node-1" } },
      };
    }
    case "spcps": {
      const pod = s.pods[t.n!]!;
      return {
        path: `${SSCSI}/${ns}/secretproviderclasspodstatuses`,
        body: {
          apiVersion: "secrets-store.csi.x-k8s.io/v1",
          kind: "SecretProviderClassPodStatus",
          metadata: { name: `${pod}-${ns}-${s.name}`, namespace: ns, labels: { "internal.secrets-store.csi.k8s.io/node-name": "node-1" } },
          status: {
            podName: pod,
            secretProviderClassName: s.name,
            mounted: true,
            targetPath: `/var/lib/kubelet/pods/${pod}/volumes/kubernetes.io~csi/secrets-store-inline/mount`,
            objects: s.objects.map((o) => ({ id: `secret/${o}`, version: values.get(o)!.version })),
          },
        },
      };
    }
  }
}

export async function seedCluster(
  kube: RawKube,
  model: ClusterModel,
  values: Map<string, { value: string; version: string }>,
  concurrency: number,
): Promise<SeedResult> {
  const t0 = Date.now();
  const tasks: Task[] = [];
  for (let i = 0; i < model.scale; i++) {
    const s = model.spc(i);
    tasks.push({ spc: i, kind: "spc" }, { spc: i, kind: "secret" }, { spc: i, kind: "deployment" });
    if (s.statefulSet) tasks.push({ spc: i, kind: "statefulset" });
    for (let n = 0; n < s.pods.length; n++) tasks.push({ spc: i, kind: "pod", n }, { spc: i, kind: "spcps", n });
  }
  const bar = new ProgressBar(`seeding ${model.scale.toLocaleString("en-US")} SPCs`, model.namespaces.length + tasks.length);
  await pool(
    model.namespaces,
    concurrency,
    (ns) => kube.create("/api/v1/namespaces", { metadata: { name: ns } }),
    () => bar.tick(),
  );
  await pool(
    tasks,
    concurrency,
    (t) => {
      const b = body(t, model.spc(t.spc), values);
      return kube.create(b.path, b.body);
    },
    () => bar.tick(),
  );
  const seconds = (Date.now() - t0) / 1000;
  const objects = model.namespaces.length + tasks.length;
  return { objects, seconds, perSecond: objects / seconds };
}
