// A stand-in for the Secrets Store Sync Controller (kubernetes-sigs/secrets-store-sync-controller v0.0.4,
// internal/controller/secretsync_controller.go), used because the Go module proxy refuses that module (see
// build-sync.sh). It does the controller's part only, as its code does it, and talks to the REAL provider:
//   - triggers: every SecretSync once at start (informer list), on create and on a metadata.generation change (a spec
//     change such as forceSynchronization; status updates do not trigger), and every rotation poll interval;
//     reconciles run one at a time (controller-runtime's single worker), failed ones are requeued with backoff;
//   - Reconcile: reserved label/annotation check; a TokenRequest per audience for the SecretSync's service account
//     (600 s); the SecretProviderClass; Mount on the provider's socket `<provider-volume>/<provider>.sock` with the
//     class's parameters + csi.storage.k8s.io/pod.* and the tokens; data by sourcePath → targetKey (tls keys through
//     the same key rules as the driver's); a hash of data + SPC uid/generation + SecretSync uid/generation +
//     forceSynchronization; no change and no failed condition → Update=UpdateNoValueChangeSucceeded only; else the
//     Secret server-side applied (field manager secrets-store-sync-controller, reserved label and annotation, owner
//     reference) and status (lastSuccessfulSyncTime, syncHash, Create/Update conditions) updated;
//   - failures set the condition v0.0.4 sets (ProviderError, ControllerSPCError, UserInputValidationFailed,
//     UnknownError, …) and leave lastSuccessfulSyncTime and the Secret unchanged.
// It runs as its own ServiceAccount bound to the controller's ClusterRole (rbac.ts), so the API server enforces the
// controller's permissions on it.
import { createHmac } from "node:crypto";
import { appendFileSync } from "node:fs";
import { join } from "node:path";
import { CoreV1Api, CustomObjectsApi, PatchStrategy, Watch, setHeaderOptions, type KubeConfig } from "@kubernetes/client-node";
import { secretDataForKey, TLS_SECRET_TYPE } from "../../../shared/render/secret-data.js";
import { providerClient, ProviderError, type ProviderClient } from "./provider-client.js";

const GROUP = "secret-sync.x-k8s.io";
const VERSION = "v1alpha1";
const PLURAL = "secretsyncs";
const RESERVED = "secrets-store.sync.x-k8s.io";
// `Version + "-secrets-store-sync-controller"` in v0.0.4 (Version "v1"); main has dropped the prefix.
const FIELD_MANAGER = "v1-secrets-store-sync-controller";
/** Reasons after which the next reconcile retries even without a hash change (FailedConditionsTriggeringRetry). */
const RETRY_REASONS = new Set([
  "ControllerSPCError",
  "InvalidClusterSecretAnnotationError",
  "InvalidClusterSecretLabelError",
  "ProviderError",
  "UnknownError",
  "ValidatingAdmissionPolicyCheckFailed",
  "UserInputValidationFailed",
]);
const STATUS_OF: Record<string, "True" | "False" | "Unknown"> = {
  CreateSucceeded: "True",
  UpdateNoValueChangeSucceeded: "True",
  UpdateValueChangeOrForceUpdateSucceeded: "True",
  ValidatingAdmissionPolicyCheckFailed: "False",
  InvalidClusterSecretAnnotationError: "False",
  ProviderError: "False",
  InvalidClusterSecretLabelError: "False",
  UnknownError: "Unknown",
  UserInputValidationFailed: "False",
  ControllerSPCError: "False",
  ControllerInternalError: "Unknown",
};

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
  lastTransitionTime: string;
}
interface SecretSync {
  metadata: { name: string; namespace: string; uid: string; generation: number; resourceVersion: string };
  spec: {
    secretProviderClassName: string;
    serviceAccountName: string;
    forceSynchronization?: string;
    secretObject: {
      type?: string;
      data: { sourcePath: string; targetKey: string }[];
      labels?: Record<string, string>;
      annotations?: Record<string, string>;
    };
  };
  status?: { syncHash?: string; lastSuccessfulSyncTime?: string; conditions?: Condition[] };
}

export interface StandInOptions {
  kc: KubeConfig;
  providerDir: string;
  providerProto: string;
  /** --rotation-poll-interval (ms); 0 = no polling. */
  pollIntervalMs: number;
  /** --token-request-audience */
  audiences: string[];
  logFile: string;
  /** The controller's own pod (SYNC_CONTROLLER_POD_NAME/UID), passed to the provider as the CSI driver would. */
  pod: { name: string; uid: string };
}

export interface StandIn {
  readonly reconciles: number;
  /** Provider Mount calls made (one per reconcile that got that far). */
  readonly fetches: number;
  /** Resolves when no reconcile is queued or running. */
  idle(): Promise<void>;
  stop(): void;
}

/** setStatusCondition: keep lastTransitionTime unless the status changes. */
function setCondition(list: Condition[], type: string, reason: string, message: string): void {
  const status = STATUS_OF[reason] ?? "Unknown";
  const i = list.findIndex((c) => c.type === type);
  const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  if (i < 0) list.push({ type, status, reason, message, lastTransitionTime: now });
  else list[i] = { type, status, reason, message, lastTransitionTime: list[i]!.status === status ? list[i]!.lastTransitionTime : now };
}
const removeCondition = (list: Condition[], type: string) => {
  const i = list.findIndex((c) => c.type === type);
  if (i >= 0) list.splice(i, 1);
};

export function startStandIn(o: StandInOptions): StandIn {
  const core = o.kc.makeApiClient(CoreV1Api);
  const custom = o.kc.makeApiClient(CustomObjectsApi);
  const log = (msg: string) => appendFileSync(o.logFile, `${new Date().toISOString()} ${msg}\n`);
  const providers = new Map<string, ProviderClient>();
  const provider = (name: string) => {
    let p = providers.get(name);
    if (!p) providers.set(name, (p = providerClient(o.providerProto, join(o.providerDir, `${name}.sock`))));
    return p;
  };
  const queue: string[] = [];
  const queued = new Set<string>();
  const backoff = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();
  let running: Promise<void> | undefined;
  let stopped = false;
  let reconciles = 0;
  let fetches = 0;
  const generations = new Map<string, number>();

  const enqueue = (key: string) => {
    if (stopped || queued.has(key)) return;
    queued.add(key);
    queue.push(key);
    running ??= drain().finally(() => (running = undefined));
  };
  const requeueLater = (key: string) => {
    const d = Math.min(30_000, (backoff.get(key) ?? 50) * 2);
    backoff.set(key, d);
    const t = setTimeout(() => {
      timers.delete(t);
      enqueue(key);
    }, d);
    timers.add(t);
  };
  async function drain(): Promise<void> {
    while (queue.length > 0 && !stopped) {
      const key = queue.shift()!;
      queued.delete(key);
      reconciles++;
      try {
        await reconcile(key);
        backoff.delete(key);
      } catch (e) {
        log(`reconcile ${key} failed: ${(e as Error).message.split("\n")[0]}; requeued`);
        requeueLater(key);
      }
    }
  }

  const updateStatus = (ss: SecretSync) =>
    custom.replaceNamespacedCustomObjectStatus({
      group: GROUP,
      version: VERSION,
      plural: PLURAL,
      namespace: ss.metadata.namespace,
      name: ss.metadata.name,
      body: ss,
    });

  /** Sets a failed condition and saves the status; the error makes the work queue retry (with backoff). */
  async function fail(ss: SecretSync, type: string, reason: string, err: Error): Promise<never> {
    const conditions = ss.status!.conditions!;
    removeCondition(conditions, "Unknown");
    setCondition(conditions, type, reason, reason);
    await updateStatus(ss).catch((e: Error) => log(`status update failed: ${e.message.split("\n")[0]}`));
    throw err;
  }

  async function reconcile(key: string): Promise<void> {
    const [namespace, name] = key.split("/") as [string, string];
    let ss: SecretSync;
    try {
      ss = (await custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, namespace, name })) as SecretSync;
    } catch (e) {
      if ((e as { code?: number }).code === 404) return;
      throw e;
    }
    log(`Reconciling SecretSync ${key} generation ${ss.metadata.generation}`);
    ss.status ??= {};
    ss.status.conditions ??= [];
    setCondition(ss.status.conditions, "Unknown", "Unknown", "Unknown");
    const type = ss.status.syncHash ? "Update" : "Create";
    const obj = ss.spec.secretObject;
    if (obj.labels?.[RESERVED]) return fail(ss, type, "InvalidClusterSecretLabelError", new Error(`label ${RESERVED} is reserved`));
    if (obj.annotations?.[RESERVED])
      return fail(ss, type, "InvalidClusterSecretAnnotationError", new Error(`annotation ${RESERVED} is reserved`));

    const tokens: Record<string, { token: string; expirationTimestamp: string }> = {};
    try {
      for (const aud of o.audiences) {
        const tr = await core.createNamespacedServiceAccountToken({
          namespace,
          name: ss.spec.serviceAccountName,
          body: { spec: { audiences: [aud], expirationSeconds: 600 } },
        });
        tokens[aud] = { token: tr.status!.token, expirationTimestamp: new Date(tr.status!.expirationTimestamp).toISOString() };
      }
    } catch (e) {
      return fail(ss, type, "UnknownError", e as Error);
    }

    let spc: { metadata: { uid: string; generation: number }; spec: { provider: string; parameters?: Record<string, string> } };
    try {
      spc = (await custom.getNamespacedCustomObject({
        group: "secrets-store.csi.x-k8s.io",
        version: "v1",
        plural: "secretproviderclasses",
        namespace,
        name: ss.spec.secretProviderClassName,
      })) as typeof spc;
    } catch (e) {
      return fail(ss, type, "ControllerSPCError", e as Error);
    }
    const params: Record<string, string> = {
      ...(spc.spec.parameters ?? {}),
      "csi.storage.k8s.io/pod.name": o.pod.name,
      "csi.storage.k8s.io/pod.uid": o.pod.uid,
      "csi.storage.k8s.io/pod.namespace": namespace,
      "csi.storage.k8s.io/serviceAccount.name": ss.spec.serviceAccountName,
      ...(o.audiences.length ? { "csi.storage.k8s.io/serviceAccount.tokens": JSON.stringify(tokens) } : {}),
    };
    let files: Record<string, Buffer>;
    try {
      fetches++;
      files = (await provider(spc.spec.provider).mount(params)).files;
    } catch (e) {
      // A gRPC failure (no socket: the provider client cannot be had) and a provider error code alike.
      return fail(
        ss,
        type,
        e instanceof ProviderError || (e as { code?: number }).code !== undefined ? "ProviderError" : "ControllerSPCError",
        e as Error,
      );
    }
    const secretType = (obj.type ?? "").trim() || "Opaque";
    const data: Record<string, string> = {};
    try {
      for (const d of obj.data) {
        const file = files[d.sourcePath.trim()];
        if (!file) throw new Error(`file matching sourcePath ${d.sourcePath} not found in the pod`);
        const key = d.targetKey.trim();
        data[key] = Buffer.from(secretType === TLS_SECRET_TYPE ? secretDataForKey(secretType, key, file) : file).toString("base64");
      }
    } catch (e) {
      return fail(ss, type, "UserInputValidationFailed", e as Error);
    }
    const hash = createHmac("sha256", ss.metadata.uid)
      .update(JSON.stringify(Object.entries(data).sort()))
      .update(
        `|${spc.metadata.uid}|${spc.metadata.generation}|${ss.metadata.uid}|${ss.metadata.generation}|${ss.spec.forceSynchronization ?? ""}`,
      )
      .digest("hex");
    const conditions = ss.status.conditions;
    const failed = conditions.find((c) => RETRY_REASONS.has(c.reason));
    const changed = hash !== ss.status.syncHash;
    removeCondition(conditions, "Unknown");
    if (!failed && !changed) {
      setCondition(
        conditions,
        type,
        "UpdateNoValueChangeSucceeded",
        "The secret was updated successfully at the end of the poll interval and no value change was detected.",
      );
      await updateStatus(ss);
      return;
    }
    if (type === "Create") setCondition(conditions, type, "CreateSucceeded", "Secret created successfully.");
    else if (changed)
      setCondition(
        conditions,
        type,
        "UpdateValueChangeOrForceUpdateSucceeded",
        "The secret was updated successfully: a value change or a force update was detected.",
      );
    if (failed) removeCondition(conditions, failed.type);
    try {
      await core.patchNamespacedSecret(
        {
          namespace,
          name,
          fieldManager: FIELD_MANAGER,
          body: {
            apiVersion: "v1",
            kind: "Secret",
            metadata: {
              name,
              namespace,
              labels: { ...(obj.labels ?? {}), [RESERVED]: "" },
              annotations: { ...(obj.annotations ?? {}), [RESERVED]: "" },
              ownerReferences: [{ apiVersion: `${GROUP}/${VERSION}`, kind: "SecretSync", name, uid: ss.metadata.uid }],
            },
            data,
            type: secretType,
          },
        },
        setHeaderOptions("Content-Type", PatchStrategy.ServerSideApply),
      );
    } catch (e) {
      removeCondition(conditions, "Create");
      removeCondition(conditions, "Update");
      return fail(ss, type, "UnknownError", e as Error);
    }
    for (const c of [...conditions]) if (RETRY_REASONS.has(c.reason)) removeCondition(conditions, c.type);
    ss.status.lastSuccessfulSyncTime = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    ss.status.syncHash = hash;
    await updateStatus(ss);
    log(`synced Secret ${key} (${Object.keys(data).sort().join(", ")})`);
  }

  // Informer: list + watch; create and generation changes enqueue, status-only updates do not.
  let abort: (() => void) | undefined;
  const watch = async (resourceVersion: string) => {
    const ctl = await new Watch(o.kc).watch(
      `/apis/${GROUP}/${VERSION}/${PLURAL}`,
      { resourceVersion, allowWatchBookmarks: true },
      (type, obj: SecretSync) => {
        const key = `${obj.metadata.namespace}/${obj.metadata.name}`;
        if (type === "DELETED") {
          generations.delete(key);
          return;
        }
        if (type !== "ADDED" && type !== "MODIFIED") return;
        const prev = generations.get(key);
        generations.set(key, obj.metadata.generation);
        if (prev === undefined || prev !== obj.metadata.generation) enqueue(key);
      },
      (err) => {
        if (stopped) return;
        log(`watch ended (${err ? (err as Error).message : "timeout"}); re-listing`);
        void start();
      },
    );
    abort = () => ctl.abort();
  };
  const start = async () => {
    try {
      const list = (await custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL })) as {
        items: SecretSync[];
        metadata: { resourceVersion: string };
      };
      for (const s of list.items) {
        const key = `${s.metadata.namespace}/${s.metadata.name}`;
        if (generations.get(key) !== s.metadata.generation) enqueue(key);
        generations.set(key, s.metadata.generation);
      }
      await watch(list.metadata.resourceVersion);
    } catch (e) {
      log(`list failed: ${(e as Error).message.split("\n")[0]}`);
      const t = setTimeout(() => {
        timers.delete(t);
        void start();
      }, 500);
      timers.add(t);
    }
  };
  void start();
  const poll =
    o.pollIntervalMs > 0
      ? setInterval(() => {
          for (const key of generations.keys()) enqueue(key);
        }, o.pollIntervalMs)
      : undefined;

  return {
    get reconciles() {
      return reconciles;
    },
    get fetches() {
      return fetches;
    },
    async idle() {
      while (running) await running;
    },
    stop() {
      stopped = true;
      abort?.();
      if (poll) clearInterval(poll);
      for (const t of timers) clearTimeout(t);
      for (const p of providers.values()) p.close();
    },
  };
}
