// The real local environment: etcd + one kube-apiserver per cluster (RBAC on, token users), the CSI driver's CRDs
// and CSIDriver object, the pusher's RBAC from infra/k8s, and the Key Vault emulator. Used by e2e tests, the demo,
// the benchmark and `npm run env:up`.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { KubeConfig, KubernetesObjectApi, type KubernetesObject } from "@kubernetes/client-node";
import { binaries, loadManifests, newTokens, startApiServer, startEtcd, type ApiServer, type Etcd, type Tokens } from "./control-plane.js";
import { createCa, issueServerCert, type CertificateAuthority } from "./tls.js";

const repoRoot = new URL(".", import.meta.url).pathname.replace(/\/(dist\/)?test\/env\/?$/, "");

export interface ClusterInfo {
  name: string;
  url: string;
  caPem: string;
  tokens: Tokens;
}

export interface KubeEnvInfo {
  dir: string;
  binDir: string;
  etcdUrl: string;
  ca: { certPem: string; keyPem: string };
  clusters: ClusterInfo[];
  versions: { kubeApiserver: string; etcd: string };
  timings: { binariesSeconds: number; startSeconds: number };
}

export interface KubeEnv {
  info: KubeEnvInfo;
  etcd: Etcd;
  servers: ApiServer[];
  stop(): Promise<void>;
}

export function kubeConfigFor(c: Pick<ClusterInfo, "name" | "url" | "caPem">, token: string, user = "user"): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: c.name, server: c.url, caData: Buffer.from(c.caPem).toString("base64"), skipTLSVerify: false }],
    users: [{ name: user, token }],
    contexts: [{ name: `${c.name}-${user}`, cluster: c.name, user }],
    currentContext: `${c.name}-${user}`,
  });
  return kc;
}

/** The pusher's RBAC exactly as shipped (infra/k8s/rbac.yaml), bound to the test's restricted token user. */
export function pusherRbac(): KubernetesObject[] {
  const text = readFileSync(join(repoRoot, "infra/k8s/rbac.yaml"), "utf8").replaceAll("${KVRP_PRINCIPAL_OBJECT_ID}", "kv-rotation-pusher");
  return loadManifestsText(text);
}

function loadManifestsText(text: string): KubernetesObject[] {
  return text
    .split(/^---$/m)
    .map((d) => d.trim())
    .filter(Boolean)
    .map((d) => parseYaml(d) as KubernetesObject)
    .filter((o) => o && o.kind);
}

export async function applyObjects(kc: KubeConfig, objs: KubernetesObject[]): Promise<void> {
  const api = KubernetesObjectApi.makeApiClient(kc);
  for (const o of objs) {
    try {
      await api.create(o);
    } catch (e) {
      if ((e as { code?: number }).code !== 409) throw new Error(`cannot create ${o.kind} ${o.metadata?.name}: ${(e as Error).message}`);
    }
  }
}

/** Waits until the CRDs serve (a list answers 200). */
async function waitForCrds(kc: KubeConfig): Promise<void> {
  const api = KubernetesObjectApi.makeApiClient(kc);
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await api.list("secrets-store.csi.x-k8s.io/v1", "SecretProviderClass");
      await api.list("secrets-store.csi.x-k8s.io/v1", "SecretProviderClassPodStatus");
      await api.list("secret-sync.x-k8s.io/v1alpha1", "SecretSync");
      return;
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`CRDs not served after 30 s: ${(e as Error).message}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** Installs what a cluster with the CSI driver, the sync controller's SecretSync API and the pusher's RBAC has. */
export async function prepareCluster(server: Pick<ApiServer, "name" | "url" | "caPem" | "tokens">): Promise<void> {
  const kc = kubeConfigFor(server, server.tokens.admin, "admin");
  await applyObjects(kc, [
    ...(loadManifests("crd-secretproviderclasses.yaml") as unknown as KubernetesObject[]),
    ...(loadManifests("crd-secretproviderclasspodstatuses.yaml") as unknown as KubernetesObject[]),
    ...(loadManifests("crd-secretsyncs.yaml") as unknown as KubernetesObject[]),
    ...(loadManifests("csidriver.yaml") as unknown as KubernetesObject[]),
    ...pusherRbac(),
  ]);
  await waitForCrds(kc);
}

export async function startKubeEnv(
  opts: { clusters?: string[]; dir?: string; apiServer?: { extraArgs?: string[]; env?: NodeJS.ProcessEnv } } = {},
): Promise<KubeEnv> {
  const names = opts.clusters ?? ["c1"];
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), "kvrp-env-"));
  mkdirSync(dir, { recursive: true });
  const bin = await binaries();
  const t0 = Date.now();
  const ca: CertificateAuthority = createCa({ commonName: "kv-rotation-pusher-test-ca" });
  const etcd = await startEtcd(bin.dir, join(dir, "etcd"));
  const servers: ApiServer[] = [];
  const stopAll = async () => {
    await Promise.allSettled(servers.map((s) => s.stop()));
    await etcd.stop();
  };
  try {
    for (const name of names) {
      const tls = issueServerCert(ca, { dnsNames: ["localhost"], ips: ["127.0.0.1"] });
      const server = await startApiServer({
        name,
        binDir: bin.dir,
        dir: join(dir, name),
        etcdUrl: etcd.url,
        tls: { caPem: ca.certPem, certPem: tls.certPem, keyPem: tls.keyPem },
        tokens: newTokens(),
        ...opts.apiServer,
      });
      servers.push(server);
      await prepareCluster(server);
    }
  } catch (e) {
    await stopAll();
    throw e;
  }
  const info: KubeEnvInfo = {
    dir,
    binDir: bin.dir,
    etcdUrl: etcd.url,
    ca: { certPem: ca.certPem, keyPem: ca.keyPem },
    clusters: servers.map((s) => ({ name: s.name, url: s.url, caPem: s.caPem, tokens: s.tokens })),
    versions: await versions(servers[0]!, bin.dir),
    timings: { binariesSeconds: bin.seconds, startSeconds: (Date.now() - t0) / 1000 },
  };
  return {
    info,
    etcd,
    servers,
    async stop() {
      await stopAll();
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function versions(s: ApiServer, binDir: string): Promise<KubeEnvInfo["versions"]> {
  const { httpsGet } = await import("./control-plane.js");
  const v = JSON.parse((await httpsGet(`${s.url}/version`, s.caPem, s.tokens.admin)).body) as { gitVersion?: string };
  const { execFileSync } = await import("node:child_process");
  const etcdV =
    execFileSync(join(binDir, "etcd"), ["--version"], { encoding: "utf8" }).split("\n")[0]?.replace("etcd Version: ", "") ?? "?";
  return { kubeApiserver: v.gitVersion ?? "?", etcd: etcdV };
}
