// A Secrets Store Sync Controller for the end-to-end tests, calling the real Azure provider of a test node over its
// socket: the real controller when build-sync.sh could provide one, else the stand-in (standin.ts). Either runs as its
// own ServiceAccount bound to the controller's ClusterRole, written from v0.0.4's kubebuilder RBAC markers.
import { randomBytes, randomUUID } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CoreV1Api, type KubernetesObject } from "@kubernetes/client-node";
import { applyObjects, kubeConfigFor } from "../environment.js";
import { freePort } from "../ports.js";
import { startProcess, waitUntil, type ManagedProcess } from "../process.js";
import { syncAssets } from "./assets.js";
import { startStandIn, type StandIn } from "./standin.js";

const NAMESPACE = "kube-system";
const SA = "secrets-store-sync-controller";

/** The controller's permissions (internal/controller/secretsync_controller.go +kubebuilder:rbac markers, v0.0.4). */
export const CONTROLLER_RULES = [
  { apiGroups: ["secret-sync.x-k8s.io"], resources: ["secretsyncs"], verbs: ["get", "list", "watch"] },
  { apiGroups: ["secret-sync.x-k8s.io"], resources: ["secretsyncs/status"], verbs: ["get", "update", "patch"] },
  { apiGroups: [""], resources: ["secrets"], verbs: ["create", "patch"] },
  { apiGroups: [""], resources: ["serviceaccounts/token"], verbs: ["create"] },
  { apiGroups: ["events.k8s.io"], resources: ["events"], verbs: ["create", "patch"] },
  { apiGroups: ["secrets-store.csi.x-k8s.io"], resources: ["secretproviderclasses"], verbs: ["get", "list", "watch"] },
];

export interface SyncControllerOptions {
  cluster: { name: string; url: string; caPem: string; adminToken: string };
  /** The node directory that holds the provider's socket (`<provider>.sock`). */
  providerDir: string;
  /** Where logs go. */
  dir: string;
  /** --rotation-poll-interval in ms (the extension's default is 1 h); 0 = none. */
  pollIntervalMs?: number;
  /** --token-request-audience (empty: no token is requested, as in the controller). */
  audiences?: string[];
}

export interface SyncController {
  kind: "real" | "standin";
  /** Why the stand-in runs (the real controller could not be had), or the real binary's path. */
  source: string;
  logFile: string;
  /** Resolves when the controller has nothing in flight (stand-in: its queue; real: its log quiet for 500 ms). */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

async function credentials(o: SyncControllerOptions): Promise<string> {
  const admin = kubeConfigFor(o.cluster, o.cluster.adminToken, "admin");
  const name = "kvrp-test-secrets-store-sync-controller";
  await applyObjects(admin, [
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: SA, namespace: NAMESPACE } },
    { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name }, rules: CONTROLLER_RULES },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name },
      subjects: [{ kind: "ServiceAccount", name: SA, namespace: NAMESPACE }],
    },
  ] as KubernetesObject[]);
  const tr = await admin.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
    name: SA,
    namespace: NAMESPACE,
    body: { spec: { audiences: [], expirationSeconds: 86_400 } },
  });
  return tr.status!.token;
}

const goDuration = (ms: number) => `${ms}ms`;

export async function startSyncController(o: SyncControllerOptions): Promise<SyncController> {
  const assets = await syncAssets();
  const token = await credentials(o);
  const kc = kubeConfigFor(o.cluster, token, SA);
  const logFile = join(o.dir, `sync-controller-${randomBytes(3).toString("hex")}.log`);
  writeFileSync(logFile, "");
  const pod = { name: "secrets-store-sync-controller-0", uid: randomUUID() };
  const pollIntervalMs = o.pollIntervalMs ?? 3_600_000;
  const audiences = o.audiences ?? [];
  if (assets.controller.kind === "standin") {
    const s: StandIn = startStandIn({
      kc,
      providerDir: o.providerDir,
      providerProto: assets.providerProto,
      pollIntervalMs,
      audiences,
      logFile,
      pod,
    });
    return {
      kind: "standin",
      source: assets.controller.why,
      logFile,
      idle: () => s.idle(),
      stop: async () => s.stop(),
    };
  }
  const kubeconfig = join(o.dir, "sync-controller.kubeconfig");
  writeFileSync(kubeconfig, kc.exportConfig(), { mode: 0o600 });
  const probe = await freePort();
  const p: ManagedProcess = startProcess(
    "secrets-store-sync-controller",
    assets.controller.bin,
    [
      `--provider-volume=${o.providerDir}`,
      `--rotation-poll-interval=${goDuration(pollIntervalMs)}`,
      `--token-request-audience=${audiences.join(",")}`,
      "--metrics-bind-address=0",
      `--health-probe-bind-address=127.0.0.1:${probe}`,
    ],
    {
      logFile,
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: o.dir,
        KUBECONFIG: kubeconfig,
        SYNC_CONTROLLER_POD_NAME: pod.name,
        SYNC_CONTROLLER_POD_UID: pod.uid,
      },
    },
  );
  const tail = async () => (existsSync(logFile) ? readFileSync(logFile, "utf8").split("\n").slice(-30).join("\n") : "(no log)");
  await waitUntil(p, "readyz", async () => (await fetch(`http://127.0.0.1:${probe}/readyz`)).ok, 30_000, tail);
  return {
    kind: "real",
    source: assets.controller.bin,
    logFile,
    async idle() {
      for (;;) {
        const size = readFileSync(logFile).length;
        await sleep(500);
        if (readFileSync(logFile).length === size) return;
      }
    },
    stop: () => p.stop(),
  };
}
