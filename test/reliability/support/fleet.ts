// A fleet of namespaces that all consume one rotating Key Vault secret: per namespace an SPC whose synced Secret has
// two keys from that object (so a half-written Secret would show) plus a static key, a mounted pod, an env-consuming
// Deployment. Used by the fault suites to make applies large enough to interrupt.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import forge from "node-forge";
import { inject } from "vitest";
import { AppsV1Api, CoreV1Api, CustomObjectsApi, StorageV1Api } from "@kubernetes/client-node";
import { templateKey } from "../../../shared/lib/annotations.js";
import { newTokens, startApiServer, startEtcd, type ApiServer, type Etcd } from "../../env/control-plane.js";
import { kubeConfigFor, prepareCluster } from "../../env/environment.js";
import { issueServerCert } from "../../env/tls.js";
import {
  createNamespace,
  createSpc,
  createWorkload,
  generation,
  stopRolloutCounters,
  type ClusterHandles,
  type TestDriver,
} from "../../support/world.js";

export interface Fleet {
  namespaces: string[];
  object: string;
  staticValue: string;
  /** Generation of each namespace's Deployment "env" when seeded. */
  generations: Map<string, number>;
}

/** Seeds `size` new namespaces, or the given ones (e.g. created first so a v1.6 stand-in can watch them). */
export async function seedFleet(
  c: ClusterHandles,
  d: Pick<TestDriver, "mount">,
  opts: { prefix: string; size: number; object: string; staticObject: string; staticValue: string; namespaces?: string[] },
): Promise<Fleet> {
  const namespaces: string[] = [];
  const generations = new Map<string, number>();
  const given = [...(opts.namespaces ?? [])];
  const one = async () => {
    const ns = given.shift() ?? (await createNamespace(c, opts.prefix));
    await createSpc(c, ns, {
      name: "app",
      vault: "kv-alpha",
      objects: [
        { objectName: opts.object, objectType: "secret" },
        { objectName: opts.staticObject, objectType: "secret", objectAlias: "static" },
      ],
      secretObjects: [
        {
          secretName: "creds",
          type: "Opaque",
          data: [
            { objectName: opts.object, key: "password" },
            { objectName: opts.object, key: "password-again" },
            { objectName: "static", key: "static" },
          ],
        },
      ],
    });
    await d.mount(ns, "app-0", "app");
    await createWorkload(c, ns, "Deployment", "env", { env: ["creds"] });
    generations.set(ns, await generation(c, ns, "Deployment", "env"));
    namespaces.push(ns);
  };
  const queue = Array.from({ length: opts.namespaces?.length ?? opts.size }, (_, i) => i);
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (queue.shift() !== undefined) await one();
    }),
  );
  return { namespaces, object: opts.object, staticValue: opts.staticValue, generations };
}

export interface FleetState {
  /** Namespaces whose Secret holds the new value in both keys. */
  fresh: string[];
  /** Namespaces whose Secret still holds the old value in both keys. */
  old: string[];
  /** Secrets with one key old and one new, a lost static key, or anything else. */
  broken: string[];
  /** Deployments that rolled out although their Secret is not fresh (rollout before the bytes). */
  rolledEarly: string[];
  /** Deployments with the new version on their template. */
  rolled: string[];
  /** Rollouts beyond one per namespace. */
  extraRollouts: number;
}

export async function fleetState(
  c: ClusterHandles,
  fleet: Fleet,
  values: { old: string; fresh: string; version: string },
): Promise<FleetState> {
  const st: FleetState = { fresh: [], old: [], broken: [], rolledEarly: [], rolled: [], extraRollouts: 0 };
  for (const ns of fleet.namespaces) {
    const data = Object.fromEntries(
      Object.entries((await c.core.readNamespacedSecret({ namespace: ns, name: "creds" })).data ?? {}).map(([k, v]) => [
        k,
        Buffer.from(v, "base64").toString("utf8"),
      ]),
    );
    const keys = Object.keys(data).sort().join(",");
    let fresh = false;
    if (keys !== "password,password-again,static" || data.static !== fleet.staticValue) st.broken.push(ns);
    else if (data.password === values.fresh && data["password-again"] === values.fresh) {
      st.fresh.push(ns);
      fresh = true;
    } else if (data.password === values.old && data["password-again"] === values.old) st.old.push(ns);
    else st.broken.push(ns);
    const dep = await c.apps.readNamespacedDeployment({ namespace: ns, name: "env" });
    const rolled =
      dep.spec?.template?.metadata?.annotations?.[templateKey("kv-alpha", fleet.object)] === `kv-alpha/${fleet.object}@${values.version}`;
    if (rolled) st.rolled.push(ns);
    if (rolled && !fresh) st.rolledEarly.push(ns);
    st.extraRollouts += Math.max(0, (await generation(c, ns, "Deployment", "env")) - (fleet.generations.get(ns) ?? 0) - 1);
  }
  return st;
}

export interface DedicatedCluster {
  handles: ClusterHandles;
  etcd: Etcd;
  server: ApiServer;
  stop(): Promise<void>;
}

/** A kube-apiserver on its own etcd (the shared etcd serves every other test, so it is never restarted). */
export async function startDedicatedCluster(name: string): Promise<DedicatedCluster> {
  const env = inject("kubeEnv");
  const dir = mkdtempSync(join(tmpdir(), `kvrp-${name}-`));
  const etcd = await startEtcd(env.binDir, join(dir, "etcd"));
  const ca = {
    ...env.ca,
    cert: forge.pki.certificateFromPem(env.ca.certPem),
    key: forge.pki.privateKeyFromPem(env.ca.keyPem) as forge.pki.rsa.PrivateKey,
  };
  const t = issueServerCert(ca as never, { dnsNames: ["localhost"], ips: ["127.0.0.1"] });
  const server = await startApiServer({
    name,
    binDir: env.binDir,
    dir: join(dir, "apiserver"),
    etcdUrl: etcd.url,
    tls: { caPem: env.ca.certPem, certPem: t.certPem, keyPem: t.keyPem },
    tokens: newTokens(),
  });
  await prepareCluster(server);
  const info = { name, url: server.url, caPem: server.caPem, tokens: server.tokens };
  const admin = kubeConfigFor(info, info.tokens.admin, "admin");
  const handles: ClusterHandles = {
    info,
    admin,
    core: admin.makeApiClient(CoreV1Api),
    apps: admin.makeApiClient(AppsV1Api),
    custom: admin.makeApiClient(CustomObjectsApi),
    storage: admin.makeApiClient(StorageV1Api),
  };
  return {
    handles,
    etcd,
    server,
    async stop() {
      await stopRolloutCounters({ clusters: [handles] });
      await server.stop();
      await etcd.stop();
    },
  };
}

/** Resolves once `f` returns true (polled every `everyMs`), or rejects after `timeoutMs`. */
export async function until(f: () => boolean, timeoutMs: number, everyMs = 2): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!f()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
