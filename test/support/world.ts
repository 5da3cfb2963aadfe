// Per-test-file world on the real environment: admin + restricted clients per cluster, the Key Vault emulator with
// two vaults, SDK clients that write to it, the pusher's runtime (restricted token), and helpers to seed objects.
import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import { AppsV1Api, CoreV1Api, CustomObjectsApi, StorageV1Api, type KubeConfig } from "@kubernetes/client-node";
import { SecretClient } from "@azure/keyvault-secrets";
import { CertificateClient } from "@azure/keyvault-certificates";
import { KeyClient } from "@azure/keyvault-keys";
import type { Policy } from "../../shared/config/config.js";
import type { Runtime } from "../../shared/pipeline/runtime.js";
import type { VaultConfig } from "../../shared/model/index.js";
import { VaultReader } from "../../shared/vault/reader.js";
import { mkdtempSync } from "node:fs";
import forge from "node-forge";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { kubeConfigFor, prepareCluster, type ClusterInfo } from "../env/environment.js";
import { newTokens, startApiServer, type ApiServer } from "../env/control-plane.js";
import { startKeyVaultEmulator, staticCredential, vaultClientOptions, type KeyVaultEmulator } from "../env/keyvault-emulator.js";
import { createCa, issueServerCert } from "../env/tls.js";
import { startRealDriver, type RealDriver } from "../env/real-driver/test-driver.js";
import { vaultHostname } from "../env/real-driver/vault-network.js";
import { objectsYaml, podTemplate, type Consumption } from "./fixtures.js";
import { localConfig, localRuntime } from "./local-runtime.js";
import { RolloutCounter } from "./rollouts.js";

export { objectsYaml, podTemplate, type Consumption };

export const VAULTS = ["kv-alpha", "kv-beta"] as const;
export const SUB = "00000000-0000-0000-0000-000000000001";
export const resourceId = (vault: string) => `/subscriptions/${SUB}/resourceGroups/rg-kvrp/providers/Microsoft.KeyVault/vaults/${vault}`;

export interface ClusterHandles {
  info: ClusterInfo;
  admin: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  custom: CustomObjectsApi;
  storage: StorageV1Api;
}

export interface World {
  clusters: ClusterHandles[];
  emulator: KeyVaultEmulator;
  vaults: Map<string, VaultConfig>;
  /** CA of the Key Vault emulator's TLS certificate. */
  caPem: string;
  secrets(vault: string): SecretClient;
  certs(vault: string): CertificateClient;
  keys(vault: string): KeyClient;
  runtime(policy?: Partial<Policy>, clusters?: string[], extra?: ClusterInfo[]): Runtime;
  /** A second, dedicated API server (on the shared etcd) that a test may stop and start. */
  startExtraCluster(name: string): Promise<{ handles: ClusterHandles; server: ApiServer }>;
  reader(): VaultReader;
  /**
   * A node of cluster c running the real Secrets Store CSI driver and Azure provider (with the kubelet stand-in),
   * reading this world's emulator; stopped with the world at the latest.
   */
  realDriver(c: ClusterHandles, opts?: DriverOptions): Promise<RealDriver>;
  stop(): Promise<void>;
}

export async function startWorld(): Promise<World> {
  const env = inject("kubeEnv");
  const ca = createCa({ commonName: "kvrp-test-vault-ca" });
  // The real Azure provider reaches vaults as https://<vault>.vault.azure.net (see real-driver/vault-network.ts).
  const tls = issueServerCert(ca, { dnsNames: ["localhost", ...VAULTS.map(vaultHostname)], ips: ["127.0.0.1"] });
  const emulator = await startKeyVaultEmulator({ vaults: [...VAULTS], tls: { cert: tls.certPem, key: tls.keyPem } });
  const opts = vaultClientOptions(ca.certPem);
  const vaults = new Map<string, VaultConfig>(VAULTS.map((v) => [v, { name: v, resourceId: resourceId(v), url: emulator.urlFor(v) }]));
  const handlesFor = (info: ClusterInfo): ClusterHandles => {
    const admin = kubeConfigFor(info, info.tokens.admin, "admin");
    return {
      info,
      admin,
      core: admin.makeApiClient(CoreV1Api),
      apps: admin.makeApiClient(AppsV1Api),
      custom: admin.makeApiClient(CustomObjectsApi),
      storage: admin.makeApiClient(StorageV1Api),
    };
  };
  const clusters = env.clusters.map(handlesFor);
  const extras: ApiServer[] = [];
  const realDrivers: RealDriver[] = [];
  const cache = new Map<string, unknown>();
  const client = <T>(kind: string, vault: string, make: () => T): T => {
    const k = `${kind}/${vault}`;
    if (!cache.has(k)) cache.set(k, make());
    return cache.get(k) as T;
  };
  const url = (v: string) => vaults.get(v)!.url;
  const cred = staticCredential();
  const runtimeFor = (policy: Partial<Policy> = {}, only?: string[], extra: ClusterInfo[] = []): Runtime =>
    localRuntime(
      localConfig(
        [...env.clusters, ...extra].filter((c) => !only || only.includes(c.name)),
        vaults,
        policy,
      ),
      ca.certPem,
    );
  const standinRuntime = runtimeFor();
  return {
    clusters,
    emulator,
    vaults,
    caPem: ca.certPem,
    secrets: (v) => client("s", v, () => new SecretClient(url(v), cred, opts as never)),
    certs: (v) => client("c", v, () => new CertificateClient(url(v), cred, opts as never)),
    keys: (v) => client("k", v, () => new KeyClient(url(v), cred, opts as never)),
    runtime: runtimeFor,
    reader: () => new VaultReader(standinRuntime.vaults),
    async realDriver(c, o = {}) {
      const d = await startRealDriver(c.admin, {
        cluster: { name: c.info.name, url: c.info.url, caPem: c.info.caPem, adminToken: c.info.tokens.admin },
        vaults: Object.fromEntries(VAULTS.map((v) => [v, { host: "127.0.0.1", port: emulator.ports[v]! }])),
        vaultCaPem: ca.certPem,
        ...o,
      });
      realDrivers.push(d);
      return d;
    },
    async startExtraCluster(name) {
      const caObj = {
        ...env.ca,
        cert: forge.pki.certificateFromPem(env.ca.certPem),
        key: forge.pki.privateKeyFromPem(env.ca.keyPem) as forge.pki.rsa.PrivateKey,
      };
      const t = issueServerCert(caObj, { dnsNames: ["localhost"], ips: ["127.0.0.1"] });
      const server = await startApiServer({
        name,
        binDir: env.binDir,
        dir: mkdtempSync(join(tmpdir(), `kvrp-${name}-`)),
        etcdUrl: env.etcdUrl,
        tls: { caPem: env.ca.certPem, certPem: t.certPem, keyPem: t.keyPem },
        tokens: newTokens(),
      });
      extras.push(server);
      await prepareCluster(server);
      return { handles: handlesFor({ name, url: server.url, caPem: server.caPem, tokens: server.tokens }), server };
    },
    async stop() {
      await stopRolloutCounters({ clusters });
      await Promise.allSettled(realDrivers.map((d) => d.stop()));
      await Promise.allSettled(extras.map((s) => s.stop()));
      await emulator.close();
    },
  };
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString("hex")}`;
}

export async function createNamespace(c: ClusterHandles, prefix: string): Promise<string> {
  const name = uniqueName(prefix);
  await c.core.createNamespace({ body: { metadata: { name } } });
  return name;
}

export interface SpcSpec {
  name: string;
  vault: string;
  objects: Record<string, string | number>[];
  secretObjects?: { secretName: string; type: string; data: { objectName: string; key: string }[]; annotations?: Record<string, string> }[];
}

export async function createSpc(c: ClusterHandles, ns: string, spec: SpcSpec): Promise<void> {
  await c.custom.createNamespacedCustomObject({
    group: "secrets-store.csi.x-k8s.io",
    version: "v1",
    namespace: ns,
    plural: "secretproviderclasses",
    body: {
      apiVersion: "secrets-store.csi.x-k8s.io/v1",
      kind: "SecretProviderClass",
      metadata: { name: spec.name, namespace: ns },
      spec: {
        provider: "azure",
        parameters: {
          keyvaultName: spec.vault,
          tenantID: "00000000-0000-0000-0000-0000000000aa",
          useVMManagedIdentity: "true",
          objects: objectsYaml(spec.objects),
        },
        ...(spec.secretObjects ? { secretObjects: spec.secretObjects } : {}),
      },
    },
  });
}

export async function createWorkload(
  c: ClusterHandles,
  ns: string,
  kind: "Deployment" | "StatefulSet" | "DaemonSet",
  name: string,
  use: Consumption,
  opts: { annotations?: Record<string, string>; paused?: boolean } = {},
): Promise<void> {
  const metadata = { name, namespace: ns, ...(opts.annotations ? { annotations: opts.annotations } : {}) };
  const selector = { matchLabels: { app: name } };
  const template = podTemplate(name, use);
  if (kind === "Deployment")
    await c.apps.createNamespacedDeployment({
      namespace: ns,
      body: { metadata, spec: { selector, template, ...(opts.paused ? { paused: true } : {}) } },
    });
  if (kind === "StatefulSet")
    await c.apps.createNamespacedStatefulSet({ namespace: ns, body: { metadata, spec: { selector, template, serviceName: name } } });
  if (kind === "DaemonSet") await c.apps.createNamespacedDaemonSet({ namespace: ns, body: { metadata, spec: { selector, template } } });
}

const rolloutCounters = new WeakMap<ClusterHandles, RolloutCounter>();

/**
 * How many rollouts the workload had: its pod template's changes (test/support/rollouts.ts counts them; a Deployment's
 * metadata.generation also moves when its annotations change, where the pusher keeps verification records).
 */
export async function generation(
  c: ClusterHandles,
  ns: string,
  kind: "Deployment" | "StatefulSet" | "DaemonSet",
  name: string,
): Promise<number> {
  let counter = rolloutCounters.get(c);
  if (!counter) rolloutCounters.set(c, (counter = new RolloutCounter(c.admin)));
  return counter.rollouts(ns, kind, name);
}

/** Stops the rollout counters' watches of a world's clusters. */
export async function stopRolloutCounters(w: Pick<World, "clusters">): Promise<void> {
  for (const c of w.clusters) await rolloutCounters.get(c)?.stop();
}

export async function secretData(c: ClusterHandles, ns: string, name: string): Promise<Record<string, string>> {
  const s = await c.core.readNamespacedSecret({ namespace: ns, name });
  return Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]));
}

export async function setRequiresRepublish(c: ClusterHandles, value: boolean): Promise<void> {
  await c.storage.patchCSIDriver(
    { name: "secrets-store.csi.k8s.io", body: { spec: { requiresRepublish: value } } },
    (await import("@kubernetes/client-node")).setHeaderOptions("Content-Type", "application/merge-patch+json"),
  );
}

export type { RealDriver };

export interface DriverOptions {
  /** "v1.5": the legacy driver (v1.5.x: rotation reconciler, no republish). Default "v1.6". */
  driver?: "v1.6" | "v1.5";
  /** The driver's --rotation-poll-interval (Go duration); absent = its default, 2m. */
  rotationPollInterval?: string;
  /** kubelet stand-in's --sync-frequency in ms (default 60 s). */
  syncFrequencyMs?: number;
}

/** What every driver a test holds offers (the real one and the stand-in). */
export interface TestDriver {
  mount(namespace: string, pod: string, spc: string): Promise<unknown>;
  idle(): Promise<void>;
  readonly republishes: number;
  stop(): void | Promise<void>;
}

/**
 * The real Secrets Store CSI driver and Azure provider on a node of cluster c (kubelet stand-in; pods are bound to
 * the node by mount(), so `namespaces` is not needed).
 * - "v1.6": the current driver, refreshed by kubelet's republish; --rotation-poll-interval 2s unless given.
 * - "v1.5": the legacy driver (no republish; its rotation reconciler polls every --rotation-poll-interval, left at
 *   the default 2m so it does not tick within a test); set the CSIDriver's requiresRepublish false with it.
 */
export async function driver(
  w: World,
  c: ClusterHandles,
  _namespaces: string[],
  mode: "v1.6" | "v1.5",
  opts: Omit<DriverOptions, "driver"> = {},
): Promise<RealDriver> {
  return w.realDriver(c, mode === "v1.6" ? { rotationPollInterval: "2s", ...opts } : { driver: "v1.5", ...opts });
}

/** Key Vault's own Event Grid event (schema per MicrosoftDocs event-schema-key-vault). */
export function keyVaultEvent(
  w: World,
  vault: string,
  type: "Secret" | "Certificate" | "Key",
  name: string,
  version: string,
  time = new Date(),
) {
  const collection = type === "Secret" ? "secrets" : type === "Key" ? "keys" : "certificates";
  return {
    id: `evt-${randomBytes(8).toString("hex")}`,
    topic: resourceId(vault),
    subject: name,
    eventType: `Microsoft.KeyVault.${type}NewVersionCreated`,
    eventTime: time.toISOString(),
    data: {
      Id: `https://${vault}.vault.azure.net/${collection}/${name}/${version}`,
      VaultName: vault,
      ObjectType: type,
      ObjectName: name,
      Version: version,
      NBF: null,
      EXP: null,
    },
    dataVersion: "1",
    metadataVersion: "1",
  };
}
