// One test "node" running the real Secrets Store CSI driver and Azure provider against a local API server:
//   mount namespace (private /etc/hosts, private tmpfs mounts) ─┬─ provider  (unix socket, managed identity → identity-endpoint.ts,
//                                                               │             Key Vault names → vault-network.ts → emulator)
//                                                               └─ driver    (CSI socket, node server + Secret sync controller,
//                                                                             ServiceAccount token bound to its own ClusterRoles)
//   kubelet stand-in (kubelet.ts) ── CSI gRPC ──▶ driver
// Every process is supervised: its log is kept in the node directory, it is stopped at the end, and a failed start
// throws with the log tail.
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CoreV1Api, type KubeConfig, type KubernetesObject } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { applyObjects, kubeConfigFor } from "../environment.js";
import { freePort } from "../ports.js";
import { waitUntil, type ManagedProcess } from "../process.js";
import { csiAssets } from "./assets.js";
import { csiClient, type CsiClient } from "./csi-client.js";
import { startIdentityEndpoint, type IdentityEndpoint } from "./identity-endpoint.js";
import { startKubelet, type KubeletStandIn } from "./kubelet.js";
import { startMountNamespace, type MountNamespace } from "./mount-namespace.js";
import { startVaultNetwork, type VaultNetwork } from "./vault-network.js";

export const DRIVER_NAME = "secrets-store.csi.k8s.io";
/** Where the driver runs in a real cluster (its Helm chart's namespace); its ServiceAccount lives here. */
const DRIVER_NAMESPACE = "kube-system";
const DRIVER_SA = "secrets-store-csi-driver";

export interface CsiNodeOptions {
  cluster: { name: string; url: string; caPem: string; adminToken: string };
  /** Vault name → the emulator listener that serves it. */
  vaults: Record<string, { host: string; port: number }>;
  /** CA of the emulator's certificate (which must name <vault>.vault.azure.net); the provider trusts it via SSL_CERT_FILE. */
  vaultCaPem: string;
  /**
   * "v1.6" (default): the current driver, refreshed by kubelet's republish. "v1.5": the legacy driver (rotation
   * reconciler polling every --rotation-poll-interval, no republish: set the CSIDriver's requiresRepublish false).
   */
  driver?: "v1.6" | "v1.5";
  /** The driver's --rotation-poll-interval (Go duration); absent = the driver's default (2m). */
  rotationPollInterval?: string;
  /** The kubelet stand-in's --sync-frequency in ms (kubelet default 60 s). */
  syncFrequencyMs?: number;
  nodeName?: string;
}

export interface CsiNode {
  nodeName: string;
  dir: string;
  /** Versions of the driver this node runs and of the provider. */
  versions: { driver: string; provider: string };
  kubelet: KubeletStandIn;
  identity: IdentityEndpoint;
  network: VaultNetwork;
  readonly driver: ManagedProcess;
  readonly provider: ManagedProcess;
  /** The files of a pod's volume as the pod sees them (keys relative to the mount, `..` entries skipped). */
  files(podUid: string, volume: string): Record<string, Buffer>;
  /** mtime of the volume's target directory (the driver's refetch gate compares it with --rotation-poll-interval). */
  targetMtimeMs(podUid: string, volume: string): number;
  /** The driver's log from `since` (a length from logSize()). */
  driverLog(since?: number): string;
  driverLogSize(): number;
  /**
   * Restarts the driver process (mounts stay: the namespace holder keeps them). Its controller then reconciles
   * every SPCPS of the node once, as at its 5-minute requeue; resolves when each listed SPCPS was reconciled.
   */
  restartDriver(spcps?: { namespace: string; name: string }[]): Promise<void>;
  stop(): Promise<void>;
}

function tail(file: string, lines = 40): () => Promise<string> {
  return async () => {
    await sleep(300); // a process that just died: let its last lines reach the log
    try {
      return readFileSync(file, "utf8").split("\n").slice(-lines).join("\n");
    } catch {
      return "(no log)";
    }
  };
}

/**
 * The driver runs as its own ServiceAccount, bound to the ClusterRoles published with its version (the legacy
 * driver's under a suffix, so the two never share rules).
 */
async function driverCredentials(admin: KubeConfig, rbacFiles: string[], suffix = ""): Promise<string> {
  const sa = `${DRIVER_SA}${suffix}`;
  const roles = rbacFiles.flatMap((f) =>
    parseAllDocuments(readFileSync(f, "utf8"))
      .map((d) => d.toJS() as KubernetesObject | null)
      .filter((d): d is KubernetesObject => !!d && d.kind === "ClusterRole")
      .map((r) => ({ ...r, metadata: { ...r.metadata, name: `${r.metadata!.name}${suffix}` } })),
  );
  await applyObjects(admin, [
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: sa, namespace: DRIVER_NAMESPACE } },
    ...roles,
    ...roles.map((r) => ({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: `kvrp-test-${r.metadata!.name}` },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: r.metadata!.name },
      subjects: [{ kind: "ServiceAccount", name: sa, namespace: DRIVER_NAMESPACE }],
    })),
  ] as KubernetesObject[]);
  const tr = await admin.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
    name: sa,
    namespace: DRIVER_NAMESPACE,
    body: { spec: { audiences: [], expirationSeconds: 86_400 } },
  });
  return tr.status!.token;
}

export async function startCsiNode(opts: CsiNodeOptions): Promise<CsiNode> {
  if (process.getuid?.() !== 0)
    throw new Error(
      "the real CSI driver needs root: a private mount namespace (unshare), tmpfs mounts and port 443 on loopback addresses. Run the tests as root (CI does).",
    );
  const assets = await csiAssets();
  const nodeName = opts.nodeName ?? `kvrp-node-${randomBytes(3).toString("hex")}`;
  const dir = mkdtempSync(join(tmpdir(), "kvrp-node-"));
  const rootDir = join(dir, "kubelet");
  const providerDir = join(dir, "providers");
  const pluginDir = join(dir, "plugins", DRIVER_NAME);
  for (const d of [rootDir, providerDir, pluginDir]) mkdirSync(d, { recursive: true });
  const csiSocket = join(pluginDir, "csi.sock");
  const logs = { driver: join(dir, "driver.log"), provider: join(dir, "provider.log"), kubelet: join(dir, "kubelet.log") };
  const admin = kubeConfigFor(opts.cluster, opts.cluster.adminToken, "admin");

  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  const cleanup = async () => {
    for (const c of cleanups.splice(0).reverse()) await Promise.resolve(c()).catch(() => undefined);
  };
  try {
    const identity = await startIdentityEndpoint();
    cleanups.push(() => identity.close());
    const network = await startVaultNetwork(opts.vaults);
    cleanups.push(() => network.close());
    const ns: MountNamespace = await startMountNamespace({ dir, hosts: network.hosts });
    cleanups.push(() => ns.stop());

    // The provider: only loopback, the identity endpoint and the node's hosts file; no proxy or Azure settings leak in.
    writeFileSync(join(dir, "vault-ca.pem"), opts.vaultCaPem);
    const healthz = await freePort();
    const providerEnv = {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: dir,
      IDENTITY_ENDPOINT: identity.url,
      IDENTITY_HEADER: identity.header,
      SSL_CERT_FILE: join(dir, "vault-ca.pem"),
    };
    const providerArgs = [
      `--endpoint=unix://${join(providerDir, "azure.sock")}`,
      `--healthz-port=${healthz}`,
      `--prometheus-port=${await freePort()}`,
    ];
    const provider = ns.spawn("azure provider", assets.providerBin, providerArgs, { logFile: logs.provider, env: providerEnv });
    cleanups.push(() => provider.stop());
    await waitUntil(
      provider,
      "healthz",
      async () => existsSync(join(providerDir, "azure.sock")) && (await fetch(`http://127.0.0.1:${healthz}/healthz`)).ok,
      30_000,
      tail(logs.provider),
    );

    // The driver's node server + Secret sync controller, as its own ServiceAccount.
    const kubeconfig = join(dir, "driver.kubeconfig");
    const legacy = opts.driver === "v1.5";
    const driverBin = legacy ? assets.legacyDriverBin : assets.driverBin;
    const token = legacy
      ? await driverCredentials(admin, assets.legacyRbacFiles, "-v1-5")
      : await driverCredentials(admin, assets.rbacFiles);
    writeFileSync(kubeconfig, kubeConfigFor(opts.cluster, token, DRIVER_SA).exportConfig(), {
      mode: 0o600,
    });
    const driverArgs = [
      `--endpoint=unix://${csiSocket}`,
      `--nodeid=${nodeName}`,
      `--provider-volume=${providerDir}`,
      `--additional-provider-volume-paths=${providerDir}`,
      "--enable-secret-rotation=true",
      ...(opts.rotationPollInterval ? [`--rotation-poll-interval=${opts.rotationPollInterval}`] : []),
      "--metrics-addr=0",
      `--kubeconfig=${kubeconfig}`,
    ];
    // KUBECONFIG too: the legacy driver's rotation reconciler builds its own client from it (else in-cluster config).
    const driverEnv = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, KUBECONFIG: kubeconfig };
    // grpc-js reconnects to the same socket path by itself, also across driver restarts.
    const csi: CsiClient = csiClient(assets.csiProto, csiSocket);
    cleanups.push(() => csi.close());
    const startDriver = async () => {
      rmSync(csiSocket, { force: true });
      const p = ns.spawn("secrets-store-csi-driver", driverBin, driverArgs, { logFile: logs.driver, env: driverEnv });
      await waitUntil(
        p,
        "CSI Probe",
        async () => {
          if (!existsSync(csiSocket)) return false;
          await csi.probe();
          return true;
        },
        60_000,
        tail(logs.driver),
      );
      return p;
    };
    let driver = await startDriver();
    cleanups.push(() => driver.stop());
    const pluginName = await csi.pluginName();
    if (pluginName !== DRIVER_NAME) throw new Error(`the CSI socket answers as ${pluginName}, not ${DRIVER_NAME}`);

    const kubelet = await startKubelet({
      kc: admin,
      nodeName,
      rootDir,
      csi,
      driverName: DRIVER_NAME,
      syncFrequencyMs: opts.syncFrequencyMs,
      log: (line) => appendFileSync(logs.kubelet, `${new Date().toISOString()} ${line}\n`),
    });
    cleanups.push(() => kubelet.stop());

    const readTree = (root: string, prefix = ""): Record<string, Buffer> => {
      const out: Record<string, Buffer> = {};
      for (const name of readdirSync(root)) {
        if (name.startsWith("..")) continue; // the atomic writer's ..data and timestamped directories
        const p = join(root, name);
        if (statSync(p).isDirectory()) Object.assign(out, readTree(p, `${prefix}${name}/`));
        else out[`${prefix}${name}`] = readFileSync(p);
      }
      return out;
    };
    const logSize = () => (existsSync(logs.driver) ? statSync(logs.driver).size : 0);
    return {
      nodeName,
      dir,
      versions: { driver: legacy ? assets.versions.legacyDriver : assets.versions.driver, provider: assets.versions.provider },
      kubelet,
      identity,
      network,
      get driver() {
        return driver;
      },
      get provider() {
        return provider;
      },
      files: (uid, volume) => readTree(ns.view(kubelet.targetPath(uid, volume))),
      targetMtimeMs: (uid, volume) => statSync(ns.view(kubelet.targetPath(uid, volume))).mtimeMs,
      driverLog: (since = 0) => readFileSync(logs.driver).subarray(since).toString("utf8"),
      driverLogSize: logSize,
      async restartDriver(spcps = []) {
        await driver.stop();
        const since = logSize();
        driver = await startDriver();
        await waitUntil(
          driver,
          `reconcile of ${spcps.length} SPCPS after restart`,
          async () => {
            const text = readFileSync(logs.driver).subarray(since).toString("utf8");
            return spcps.every((s) => text.includes(`"reconcile complete"`) && text.includes(`spcps="${s.namespace}/${s.name}"`));
          },
          60_000,
          tail(logs.driver),
        );
      },
      async stop() {
        await cleanup();
        if (!process.env.KVRP_KEEP_NODE_DIR) rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await cleanup();
    throw e;
  }
}
