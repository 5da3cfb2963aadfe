// The Kubernetes calls the pusher makes — and only these (infra/k8s/rbac.yaml grants exactly them).
import { Agent } from "node:https";
import type { Socket } from "node:net";
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  StorageV1Api,
  Watch,
  createConfiguration,
  ServerConfiguration,
  setHeaderOptions,
  type RequestContext,
  type SecurityAuthentication,
} from "@kubernetes/client-node";
import { toSpc, type Spc } from "../inventory/spc.js";
import { toWorkload, type Workload, type WorkloadKind } from "../inventory/workload.js";
import { statusOf } from "./errors.js";

export const SPC_GROUP = "secrets-store.csi.x-k8s.io";
export const SPC_VERSION = "v1";
export const ROLLOUT_GROUP = "argoproj.io";

export interface SecretState {
  namespace: string;
  name: string;
  type: string;
  /** base64 values, as the API returns them */
  data: Record<string, string>;
  annotations: Record<string, string>;
  resourceVersion: string;
}

export interface SpcpsState {
  namespace: string;
  name: string;
  podName: string;
  spcName: string;
  /** SPCPS objects[].id → version */
  versions: Record<string, string>;
}

/** Counts requests by "verb resource" at the client: the benchmark's and the tests' source of truth. */
export class RequestStats {
  readonly counts = new Map<string, number>();
  /** Watch connections opened (the SPC cache's; long-lived, not per-event requests, so not in `counts`). */
  watches = 0;
  /** Watch events received (ADDED/MODIFIED/DELETED/BOOKMARK/ERROR). */
  watchEvents = 0;
  /** Wire bytes read (TLS records, headers included) on request sockets / watch sockets; undefined when unknown (kubeconfig auth). */
  bytesRead: () => number | undefined = () => undefined;
  watchBytesRead: () => number | undefined = () => undefined;
  add(verb: string, resource: string): void {
    const k = `${verb} ${resource}`;
    this.counts.set(k, (this.counts.get(k) ?? 0) + 1);
  }
  total(): number {
    let n = 0;
    for (const v of this.counts.values()) n += v;
    return n;
  }
  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.counts.entries()].sort());
  }
  reset(): void {
    this.counts.clear();
  }
}

/** Wire bytes read on every socket an agent opens (closed sockets included). */
function countBytes(agent: Agent, opts: { unref?: boolean } = {}): () => number {
  let closed = 0;
  const live = new Set<Socket>();
  const create = agent.createConnection.bind(agent) as (...a: unknown[]) => Socket;
  (agent as unknown as { createConnection: (...a: unknown[]) => Socket }).createConnection = (...args: unknown[]) => {
    const s = create(...args);
    if (s) {
      live.add(s);
      // A watch socket never keeps the process alive (the CLI, tests and scripts exit when their work is done).
      if (opts.unref) s.unref();
      s.once("close", () => {
        closed += s.bytesRead;
        live.delete(s);
      });
    }
    return s;
  };
  return () => {
    let n = closed;
    for (const s of live) n += s.bytesRead;
    return n;
  };
}

/** KubeConfig for client-node's Watch with the same bearer token as TokenAuth, on a dedicated agent. */
class TokenWatchConfig extends KubeConfig {
  constructor(
    private readonly server: string,
    private readonly agent: Agent,
    private readonly token: () => Promise<string>,
  ) {
    super();
  }
  override getCurrentCluster() {
    return { name: "pusher", server: this.server, skipTLSVerify: false };
  }
  override async applyToFetchOptions(): Promise<never> {
    return { agent: this.agent, headers: { Authorization: `Bearer ${await this.token()}` } } as never;
  }
}

export interface WatchHandle {
  abort(): void;
}

/** Bearer-token auth on a keep-alive agent (client-node would build a new agent, and TLS session, per request). */
class TokenAuth implements SecurityAuthentication {
  constructor(
    private readonly agent: Agent,
    private readonly token: () => Promise<string>,
    private readonly timeoutMs: () => number,
  ) {}
  getName(): string {
    return "kv-rotation-pusher-token";
  }
  async applySecurityAuthentication(ctx: RequestContext): Promise<void> {
    ctx.setHeaderParam("Authorization", `Bearer ${await this.token()}`);
    ctx.setAgent(this.agent);
    // An API server that accepts the connection but never answers (frozen, partitioned) must fail this request —
    // a transient error, so the event is redelivered — instead of holding the invocation until the host's timeout.
    ctx.setSignal(AbortSignal.timeout(this.timeoutMs()));
  }
}

export type Outcome = "patched" | "gone";

const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

/** Per-request deadline on token-authenticated clients (requests are small; a list page answers in well under this). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 20_000;

export class ClusterApi {
  readonly stats = new RequestStats();
  /** Deadline of each request (not of watches), for withToken clients. */
  requestTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS;
  private readonly core: CoreV1Api;
  private readonly apps: AppsV1Api;
  private readonly custom: CustomObjectsApi;
  private readonly storage: StorageV1Api;
  private rolloutsKnown: Promise<boolean> | undefined;
  private watchConfig: () => KubeConfig = () => {
    throw new Error("this ClusterApi cannot watch");
  };
  private agents: Agent[] = [];

  private constructor(
    readonly name: string,
    make: <T>(c: new (cfg: ReturnType<typeof createConfiguration>) => T) => T,
  ) {
    this.core = make(CoreV1Api);
    this.apps = make(AppsV1Api);
    this.custom = make(CustomObjectsApi);
    this.storage = make(StorageV1Api);
  }

  /** For a server URL + CA + a token source (static token or Entra ID via @azure/identity). */
  static withToken(name: string, server: string, caPem: string | undefined, token: () => Promise<string>): ClusterApi {
    const agent = new Agent({ keepAlive: true, maxSockets: 64, ...(caPem ? { ca: caPem } : {}) });
    const auth = new TokenAuth(agent, token, () => api.requestTimeoutMs);
    const api: ClusterApi = new ClusterApi(
      name,
      (C) => new C(createConfiguration({ baseServer: new ServerConfiguration(server, {}), authMethods: { default: auth } })),
    );
    // Watches get their own agent: a long-lived stream must not hold one of the request pool's sockets.
    const watchAgent = new Agent({ keepAlive: true, maxSockets: 4, ...(caPem ? { ca: caPem } : {}) });
    api.stats.bytesRead = countBytes(agent);
    api.stats.watchBytesRead = countBytes(watchAgent, { unref: true });
    api.agents = [agent, watchAgent];
    const watchConfig = new TokenWatchConfig(server.replace(/\/+$/, ""), watchAgent, token);
    api.watchConfig = () => watchConfig;
    return api;
  }

  /** From a kubeconfig (local use: any auth the kubeconfig has — certs, exec plugins, tokens). */
  static fromKubeConfig(name: string, kc: KubeConfig): ClusterApi {
    const api = new ClusterApi(name, (C) => kc.makeApiClient(C as never) as never);
    api.watchConfig = () => kc;
    return api;
  }

  /** Closes keep-alive sockets (request and watch agents). The instance must not be used afterwards. */
  close(): void {
    for (const a of this.agents) a.destroy();
  }

  /**
   * Watches all SecretProviderClasses from `resourceVersion` (bookmarks on). Counted in stats.watches, not as a
   * request. `onDone` is called once when the stream ends (server timeout: null) or fails (the error; HTTP status in
   * `statusCode`). The returned promise resolves once the server answered (200, or the failure was reported).
   */
  async watchSpcs(
    resourceVersion: string,
    onEvent: (type: string, obj: unknown) => void,
    onDone: (err: unknown) => void,
    opts: { timeoutSeconds?: number } = {},
  ): Promise<WatchHandle> {
    this.stats.watches++;
    const controller = await new Watch(this.watchConfig()).watch(
      `/apis/${SPC_GROUP}/${SPC_VERSION}/secretproviderclasses`,
      { resourceVersion, allowWatchBookmarks: true, timeoutSeconds: opts.timeoutSeconds ?? 600 },
      (type, obj) => {
        this.stats.watchEvents++;
        onEvent(type, obj);
      },
      onDone,
    );
    return { abort: () => controller.abort() };
  }

  private async call<T>(verb: string, resource: string, f: () => Promise<T>): Promise<T> {
    this.stats.add(verb, resource);
    return f();
  }

  /** All azure SecretProviderClasses, paged (one list call per 500). */
  async listSpcs(namespace?: string): Promise<Spc[]> {
    return (await this.listSpcsVersioned(namespace)).items;
  }

  /** The paged list and its snapshot's resourceVersion (where a watch continues from). */
  async listSpcsVersioned(namespace?: string, pageSize = 500): Promise<{ items: Spc[]; resourceVersion: string }> {
    const out: Spc[] = [];
    let resourceVersion = "";
    let cont: string | undefined;
    do {
      const page = (await this.call("list", "secretproviderclasses", () =>
        namespace
          ? this.custom.listNamespacedCustomObject({
              group: SPC_GROUP,
              version: SPC_VERSION,
              namespace,
              plural: "secretproviderclasses",
              limit: pageSize,
              _continue: cont,
            })
          : this.custom.listClusterCustomObject({
              group: SPC_GROUP,
              version: SPC_VERSION,
              plural: "secretproviderclasses",
              limit: pageSize,
              _continue: cont,
            }),
      )) as { items: unknown[]; metadata?: { continue?: string; resourceVersion?: string } };
      for (const item of page.items) out.push(toSpc(item as Parameters<typeof toSpc>[0]));
      resourceVersion ||= page.metadata?.resourceVersion ?? "";
      cont = page.metadata?.continue || undefined;
    } while (cont);
    return { items: out, resourceVersion };
  }

  async listSpcps(namespace: string): Promise<SpcpsState[]> {
    const out: SpcpsState[] = [];
    let cont: string | undefined;
    do {
      const page = (await this.call("list", "secretproviderclasspodstatuses", () =>
        this.custom.listNamespacedCustomObject({
          group: SPC_GROUP,
          version: SPC_VERSION,
          namespace,
          plural: "secretproviderclasspodstatuses",
          limit: 1000,
          _continue: cont,
        }),
      )) as { items: RawSpcps[]; metadata?: { continue?: string } };
      for (const s of page.items) out.push(toSpcps(s));
      cont = page.metadata?.continue || undefined;
    } while (cont);
    return out;
  }

  async getSecret(namespace: string, name: string): Promise<SecretState | null> {
    try {
      const s = await this.call("get", "secrets", () => this.core.readNamespacedSecret({ namespace, name }));
      return {
        namespace,
        name,
        type: s.type ?? "Opaque",
        data: s.data ?? {},
        annotations: s.metadata?.annotations ?? {},
        resourceVersion: s.metadata?.resourceVersion ?? "",
      };
    } catch (e) {
      if (statusOf(e) === 404) return null;
      throw e;
    }
  }

  /** JSON merge patch of the given data keys only. A Secret deleted meanwhile stays deleted (merge patch never creates). */
  async patchSecretData(namespace: string, name: string, data: Record<string, string>, resourceVersion?: string): Promise<Outcome> {
    // With resourceVersion the patch applies only to the Secret as it was read (else 409 Conflict).
    const body = resourceVersion ? { metadata: { resourceVersion }, data } : { data };
    return this.patch("secrets", () => this.core.patchNamespacedSecret({ namespace, name, body }, mergePatch));
  }

  async patchPodAnnotations(namespace: string, name: string, annotations: Record<string, string>): Promise<Outcome> {
    return this.patch("pods", () => this.core.patchNamespacedPod({ namespace, name, body: { metadata: { annotations } } }, mergePatch));
  }

  async listWorkloads(namespace: string): Promise<Workload[]> {
    // As plain JSON (same URLs, same RBAC): toWorkload reads the raw shape, and skipping client-node's typed
    // deserialisation of every pod template is most of this call's CPU in a large fan-out.
    const raw = (plural: string) => async () =>
      (await this.custom.listNamespacedCustomObject({ group: "apps", version: "v1", namespace, plural })) as { items: unknown[] };
    const [d, s, ds, ro] = await Promise.all([
      this.call("list", "deployments", raw("deployments")),
      this.call("list", "statefulsets", raw("statefulsets")),
      this.call("list", "daemonsets", raw("daemonsets")),
      this.listRollouts(namespace),
    ]);
    return [
      ...d.items.map((w) => toWorkload("Deployment", w)),
      ...s.items.map((w) => toWorkload("StatefulSet", w)),
      ...ds.items.map((w) => toWorkload("DaemonSet", w)),
      ...ro.map((w) => toWorkload("Rollout", w)),
    ];
  }

  private async listRollouts(namespace: string): Promise<unknown[]> {
    if (!(await this.hasRollouts())) return [];
    const r = (await this.call("list", "rollouts", () =>
      this.custom.listNamespacedCustomObject({ group: ROLLOUT_GROUP, version: "v1alpha1", namespace, plural: "rollouts" }),
    )) as { items: unknown[] };
    return r.items;
  }

  /** Whether Argo Rollouts is installed (API discovery, readable by every authenticated user). Cached per instance. */
  hasRollouts(): Promise<boolean> {
    this.rolloutsKnown ??= this.call("get", "discovery", async () => {
      try {
        const r = await this.custom.getAPIResources({ group: ROLLOUT_GROUP, version: "v1alpha1" });
        return r.resources.some((x) => x.name === "rollouts");
      } catch (e) {
        if (statusOf(e) === 404) return false;
        this.rolloutsKnown = undefined;
        throw e;
      }
    });
    return this.rolloutsKnown;
  }

  async patchWorkloadTemplateAnnotations(
    kind: WorkloadKind,
    namespace: string,
    name: string,
    annotations: Record<string, string>,
    resourceVersion?: string,
  ): Promise<Outcome> {
    const body = { ...(resourceVersion ? { metadata: { resourceVersion } } : {}), spec: { template: { metadata: { annotations } } } };
    switch (kind) {
      case "Deployment":
        return this.patch("deployments", () => this.apps.patchNamespacedDeployment({ namespace, name, body }, mergePatch));
      case "StatefulSet":
        return this.patch("statefulsets", () => this.apps.patchNamespacedStatefulSet({ namespace, name, body }, mergePatch));
      case "DaemonSet":
        return this.patch("daemonsets", () => this.apps.patchNamespacedDaemonSet({ namespace, name, body }, mergePatch));
      case "Rollout":
        return this.patch("rollouts", () =>
          this.custom.patchNamespacedCustomObject(
            { group: ROLLOUT_GROUP, version: "v1alpha1", namespace, plural: "rollouts", name, body },
            mergePatch,
          ),
        );
    }
  }

  /** The driver's mode: true on v1.6+ with rotation (kubelet republishes on pod updates), false otherwise, null if absent. */
  async driverRequiresRepublish(): Promise<boolean | null> {
    try {
      const d = await this.call("get", "csidrivers", () => this.storage.readCSIDriver({ name: "secrets-store.csi.k8s.io" }));
      return d.spec?.requiresRepublish === true;
    } catch (e) {
      if (statusOf(e) === 404) return null;
      throw e;
    }
  }

  async recordEvent(ev: {
    namespace: string;
    kind: string;
    apiVersion: string;
    name: string;
    reason: string;
    message: string;
    type?: "Normal" | "Warning";
  }): Promise<void> {
    const now = new Date();
    await this.call("create", "events", () =>
      this.core.createNamespacedEvent({
        namespace: ev.namespace,
        body: {
          metadata: { generateName: `${ev.name.slice(0, 200)}.`, namespace: ev.namespace },
          involvedObject: { kind: ev.kind, apiVersion: ev.apiVersion, name: ev.name, namespace: ev.namespace },
          reason: ev.reason,
          message: ev.message.slice(0, 1024),
          type: ev.type ?? "Normal",
          source: { component: "kv-rotation-pusher" },
          reportingComponent: "kv-rotation-pusher",
          reportingInstance: "kv-rotation-pusher",
          action: ev.reason,
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      }),
    );
  }

  private async patch(resource: string, f: () => Promise<unknown>): Promise<Outcome> {
    try {
      await this.call("patch", resource, f);
      return "patched";
    } catch (e) {
      if (statusOf(e) === 404) return "gone";
      throw e;
    }
  }
}

interface RawSpcps {
  metadata?: { name?: string; namespace?: string };
  status?: { podName?: string; secretProviderClassName?: string; objects?: { id?: string; version?: string }[] };
}

function toSpcps(s: RawSpcps): SpcpsState {
  const versions: Record<string, string> = {};
  for (const o of s.status?.objects ?? []) if (o.id) versions[o.id] = o.version ?? "";
  return {
    namespace: s.metadata?.namespace ?? "",
    name: s.metadata?.name ?? "",
    podName: s.status?.podName ?? "",
    spcName: s.status?.secretProviderClassName ?? "",
    versions,
  };
}

export { ApiException };
