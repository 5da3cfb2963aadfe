// The Kubernetes calls the pusher makes — and only these (infra/k8s/rbac.yaml grants exactly them).
import {
  WORKLOAD_KINDS,
  workloadKind,
  type LabelSelector,
  type PodObservation,
  type SecretState,
  type Spc,
  type SpcpsState,
  type Workload,
  type WorkloadKind,
} from "../model/index.js";
import {
  CORE_EVENTS,
  CORE_PODS,
  CORE_SECRETS,
  basePath,
  lazyBackend,
  restBackend,
  type Backend,
  type Resource,
  type WatchHandle,
} from "./backend.js";
import type { KubeconfigClient, KubeconfigSource } from "./kubeconfig-client.js";
import { statusOf } from "./errors.js";
import { RequestStats } from "./request-stats.js";
import { JsonRest } from "./rest.js";
import {
  CSI_DRIVER_NAME,
  selectorString,
  toPod,
  toSecretState,
  toSpc,
  toSpcps,
  toWorkload,
  type RawPod,
  type RawSecret,
  type RawSpc,
  type RawSpcps,
} from "./translate.js";
import { tokenTransport } from "./transport.js";
import { watchStream } from "./watch-stream.js";

export const SPC_GROUP = "secrets-store.csi.x-k8s.io";
export const SPC_VERSION = "v1";

export type { WatchHandle } from "./backend.js";

export type Outcome = "patched" | "gone";

/** A Kubernetes Event about one object (value-free: the callers say what changed, never a value). */
export interface EventSpec {
  namespace: string;
  kind: string;
  apiVersion: string;
  name: string;
  reason: string;
  message: string;
  type?: "Normal" | "Warning";
}

export type { Resource } from "./backend.js";
export const SPCS: Resource = { group: SPC_GROUP, version: SPC_VERSION, plural: "secretproviderclasses" };
export const SPCPS: Resource = { group: SPC_GROUP, version: SPC_VERSION, plural: "secretproviderclasspodstatuses" };
export const CSIDRIVERS: Resource = { group: "storage.k8s.io", version: "v1", plural: "csidrivers" };

export interface ListOptions {
  /** One namespace, or cluster-wide. */
  namespace?: string;
  /** Page size; 0 = one unpaginated answer (the API server serves it from its watch cache, consistent since 1.31). */
  pageSize?: number;
  fieldSelector?: string;
  labelSelector?: string;
}

/** A raw watch event: `object` is the API object (or a Status for ERROR). */
export type RawWatchEvent = (type: string, object: unknown) => void;

/** Per-request deadline on token-authenticated clients (requests are small; a list page answers in well under this). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 20_000;
/** List page size: bounded memory per page, few round trips. */
const PAGE = 500;

export class ClusterApi {
  readonly stats = new RequestStats();
  /** Deadline of each request (not of watches), for withToken clients. */
  requestTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS;
  private readonly optionalKinds = new Map<WorkloadKind, Promise<boolean>>();
  private closers: (() => void)[] = [];

  private constructor(
    readonly name: string,
    private readonly backend: Backend,
    private readonly watcher: KubeconfigClient["watch"],
  ) {}

  /**
   * For a server URL + CA + a token source (static token or Entra ID via @azure/identity): plain JSON on a keep-alive
   * agent (rest.ts says why).
   */
  static withToken(name: string, server: string, caPem: string | undefined, token: () => Promise<string>): ClusterApi {
    const t = tokenTransport(caPem);
    const api: ClusterApi = new ClusterApi(
      name,
      restBackend(new JsonRest(server, t.requests, token, () => api.requestTimeoutMs)),
      (path, query, onEvent, onDone) => watchStream({ server, agent: t.watches, token, path, query }, onEvent, onDone),
    );
    api.stats.bytesRead = t.bytesRead;
    api.stats.watchBytesRead = t.watchBytesRead;
    api.closers = [() => t.requests.destroy(), () => t.watches.destroy()];
    return api;
  }

  /** From a kubeconfig (local use: any auth the kubeconfig has — certs, exec plugins, tokens), loaded on first use. */
  static fromKubeConfig(name: string, src: KubeconfigSource): ClusterApi {
    let client: Promise<KubeconfigClient> | undefined;
    const load = () => (client ??= import("./kubeconfig-client.js").then((m) => m.kubeconfigClient(src)));
    return new ClusterApi(
      name,
      lazyBackend(async () => (await load()).backend),
      async (path, query, onEvent, onDone) => (await load()).watch(path, query, onEvent, onDone),
    );
  }

  /** Closes keep-alive sockets (request and watch agents). The instance must not be used afterwards. */
  close(): void {
    for (const c of this.closers) c();
  }

  /**
   * Counted calls on optional resources for their adapters (kube/secretsync-api.ts), with the same paging,
   * merge-patch and 404 handling as the calls below.
   */
  readonly customResources = {
    list: async (r: Resource, namespace: string) => this.listRaw(r, { namespace }),
    patch: (r: Resource, namespace: string, name: string, body: object) => this.patch(r, namespace, name, body),
    discover: (group: string, version: string) => this.call("get", "discovery", () => this.backend.apiResources(group, version)),
  };

  private async call<T>(verb: string, resource: string, f: () => Promise<T>): Promise<T> {
    this.stats.add(verb, resource);
    return f();
  }

  /**
   * Watches a resource cluster-wide from `resourceVersion` (bookmarks on). Counted in stats.watches, not as a
   * request. `onDone` is called once when the stream ends (server timeout: null) or fails (the error; HTTP status in
   * `statusCode`). The returned promise resolves once the server answered (200, or the failure was reported).
   */
  async watch(
    r: Resource,
    resourceVersion: string,
    onEvent: RawWatchEvent,
    onDone: (err: unknown) => void,
    opts: { timeoutSeconds?: number; fieldSelector?: string } = {},
  ): Promise<WatchHandle> {
    this.stats.watchOpened(r.plural);
    return this.watcher(
      `${basePath(r)}/${r.plural}`,
      {
        resourceVersion,
        allowWatchBookmarks: "true",
        timeoutSeconds: String(opts.timeoutSeconds ?? 600),
        ...(opts.fieldSelector ? { fieldSelector: opts.fieldSelector } : {}),
      },
      (type, obj) => {
        this.stats.watchEvents++;
        onEvent(type, obj);
      },
      onDone,
    );
  }

  watchSpcs(resourceVersion: string, onEvent: RawWatchEvent, onDone: (err: unknown) => void, opts: { timeoutSeconds?: number } = {}) {
    return this.watch(SPCS, resourceVersion, onEvent, onDone, opts);
  }

  /**
   * Every object of a resource (in one namespace or cluster-wide) as plain JSON, paged unless `pageSize` is 0, and the
   * snapshot's resourceVersion (where a watch continues from).
   */
  async listRaw(r: Resource, o: ListOptions = {}): Promise<{ items: unknown[]; resourceVersion: string }> {
    const pageSize = o.pageSize ?? PAGE;
    const items: unknown[] = [];
    let resourceVersion = "";
    let cont: string | undefined;
    do {
      const q = {
        ...(o.namespace ? { namespace: o.namespace } : {}),
        ...(pageSize > 0 ? { limit: pageSize } : {}),
        ...(cont ? { continue: cont } : {}),
        ...(o.fieldSelector ? { fieldSelector: o.fieldSelector } : {}),
        ...(o.labelSelector ? { labelSelector: o.labelSelector } : {}),
      };
      const page = await this.call("list", r.plural, () => this.backend.list(r, q));
      for (const i of page.items) items.push(i);
      resourceVersion ||= page.metadata?.resourceVersion ?? "";
      cont = page.metadata?.continue || undefined;
    } while (cont);
    return { items, resourceVersion };
  }

  /** All SecretProviderClasses, paged. */
  async listSpcs(namespace?: string): Promise<Spc[]> {
    return (await this.listSpcsVersioned(namespace)).items;
  }

  /** The list and its snapshot's resourceVersion (where a watch continues from); `pageSize` 0 = one unpaginated answer. */
  async listSpcsVersioned(namespace?: string, pageSize = PAGE): Promise<{ items: Spc[]; resourceVersion: string }> {
    const { items, resourceVersion } = await this.listRaw(SPCS, { ...(namespace ? { namespace } : {}), pageSize });
    return { items: items.map((i) => toSpc(i as RawSpc)), resourceVersion };
  }

  async listSpcps(namespace: string): Promise<SpcpsState[]> {
    try {
      return (await this.listRaw(SPCPS, { namespace })).items.map((s) => toSpcps(s as RawSpcps));
    } catch (e) {
      // A cluster with the sync controller but no CSI driver serves SecretProviderClasses only: no pod mounts them.
      if (statusOf(e) === 404) return [];
      throw e;
    }
  }

  /**
   * A Secret by name (null: it does not exist), from the API server's watch cache where the backend can ask for that
   * (backend.ts says why that is safe); a miss is confirmed with a consistent read.
   */
  async getSecret(namespace: string, name: string): Promise<SecretState | null> {
    try {
      const s = await this.call("get", "secrets", () => this.backend.getSecret(namespace, name, true));
      return toSecretState(namespace, name, s as RawSecret);
    } catch (e) {
      if (statusOf(e) !== 404) throw e;
    }
    // Not in the watch cache: make sure (a Secret created a moment ago may not have reached it yet).
    try {
      const s = await this.call("get", "secrets", () => this.backend.getSecret(namespace, name, false));
      return toSecretState(namespace, name, s as RawSecret);
    } catch (e) {
      if (statusOf(e) === 404) return null;
      throw e;
    }
  }

  /** JSON merge patch of the given data keys only. A Secret deleted meanwhile stays deleted (merge patch never creates). */
  async patchSecretData(namespace: string, name: string, data: Record<string, string>, resourceVersion?: string): Promise<Outcome> {
    // With resourceVersion the patch applies only to the Secret as it was read (else 409 Conflict).
    const body = resourceVersion ? { metadata: { resourceVersion }, data } : { data };
    return this.patch(CORE_SECRETS, namespace, name, body);
  }

  async patchPodAnnotations(namespace: string, name: string, annotations: Record<string, string>): Promise<Outcome> {
    return this.patch(CORE_PODS, namespace, name, { metadata: { annotations } });
  }

  /**
   * Every workload of the namespace, of every kind in the table (optional kinds only where their API is served).
   * Listed as plain JSON (same URLs, same RBAC): skipping client-node's typed deserialisation of every pod template is
   * most of this call's CPU in a large fan-out.
   */
  async listWorkloads(namespace: string): Promise<Workload[]> {
    const perKind = await Promise.all(
      WORKLOAD_KINDS.map(async (k) => {
        if (k.optional && !(await this.serves(k.kind))) return [];
        return (await this.listRaw(k, { namespace })).items.map((w) => toWorkload(k.kind, w));
      }),
    );
    return perKind.flat();
  }

  /** Whether Argo Rollouts is installed (API discovery, readable by every authenticated user). Cached per instance. */
  hasRollouts(): Promise<boolean> {
    return this.serves("Rollout");
  }

  /**
   * Workloads of every kind carrying a label (cluster-wide): the ones with rotations being verified. The API server
   * filters by label, so an idle cluster costs one small answer per kind.
   */
  async listLabelledWorkloads(labelSelector: string): Promise<Workload[]> {
    const perKind = await Promise.all(
      WORKLOAD_KINDS.map(async (k) => {
        if (k.optional && !(await this.serves(k.kind))) return [];
        return (await this.listRaw(k, { labelSelector })).items.map((w) => toWorkload(k.kind, w));
      }),
    );
    return perKind.flat();
  }

  /** A workload's own pods: listed with its selector (the API server matches it), with their container statuses. */
  async listPods(namespace: string, selector: LabelSelector): Promise<PodObservation[]> {
    const labelSelector = selectorString(selector);
    // An empty selector would select every pod of the namespace; apps/v1 refuses one, so it never names a workload's pods.
    if (!labelSelector) return [];
    return (await this.listRaw(CORE_PODS, { namespace, labelSelector })).items.map((p) => toPod(p as RawPod));
  }

  /** Warning Events on one pod (newest last), as `reason: message`: why it is not ready (FailedMount, image pulls). */
  async podWarnings(namespace: string, pod: string, max = 3): Promise<string[]> {
    type RawEvent = {
      reason?: string;
      message?: string;
      lastTimestamp?: string;
      eventTime?: string;
      metadata?: { creationTimestamp?: string };
    };
    const page = await this.call("list", "events", () =>
      this.backend.list(CORE_EVENTS, {
        namespace,
        fieldSelector: `involvedObject.kind=Pod,involvedObject.name=${pod},type=Warning`,
        limit: 50,
      }),
    );
    const items = page.items as RawEvent[];
    const time = (e: RawEvent) => new Date(e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp ?? 0).getTime();
    return items
      .sort((a, b) => time(a) - time(b))
      .slice(-max)
      .map((e) => `${e.reason ?? "Warning"}: ${(e.message ?? "").replace(/\s+/g, " ").slice(0, 300)}`);
  }

  /** Merge patch of a workload's own labels and annotations (not its template: nothing rolls out). */
  async patchWorkloadMetadata(
    kind: WorkloadKind,
    namespace: string,
    name: string,
    meta: { labels?: Record<string, string | null>; annotations?: Record<string, string | null> },
    resourceVersion?: string,
  ): Promise<Outcome> {
    const k = workloadKind(kind);
    // Counted apart ("patch <kind> metadata"): bookkeeping after a push's writes, not one of them.
    return this.patch(
      k,
      namespace,
      name,
      { metadata: { ...meta, ...(resourceVersion ? { resourceVersion } : {}) } },
      `${k.plural} metadata`,
    );
  }

  /** One workload as it is now (a list by name: the same `list` right the inventory uses), or null when gone. */
  async getWorkload(kind: WorkloadKind, namespace: string, name: string): Promise<Workload | null> {
    const k = workloadKind(kind);
    const { items } = await this.listRaw(k, { namespace, fieldSelector: `metadata.name=${name}`, pageSize: 0 });
    return items.length ? toWorkload(kind, items[0]) : null;
  }

  /** Whether an optional workload kind's API is served (discovery; cached per instance, retried after failures). */
  serves(kind: WorkloadKind): Promise<boolean> {
    let p = this.optionalKinds.get(kind);
    if (!p) {
      const k = workloadKind(kind);
      p = this.call("get", "discovery", async () => {
        try {
          const r = await this.backend.apiResources(k.group, k.version);
          return r.resources.some((x) => x.name === k.plural);
        } catch (e) {
          if (statusOf(e) === 404) return false;
          this.optionalKinds.delete(kind);
          throw e;
        }
      });
      this.optionalKinds.set(kind, p);
    }
    return p;
  }

  async patchWorkloadTemplateAnnotations(
    kind: WorkloadKind,
    namespace: string,
    name: string,
    annotations: Record<string, string>,
    resourceVersion?: string,
  ): Promise<Outcome> {
    const k = workloadKind(kind);
    return this.patch(k, namespace, name, k.restartPatch(annotations, resourceVersion));
  }

  /** The driver's mode: true on v1.6+ with rotation (kubelet republishes on pod updates), false otherwise, null if absent. */
  async driverRequiresRepublish(): Promise<boolean | null> {
    try {
      const d = await this.call("get", "csidrivers", () => this.backend.getCsiDriver(CSI_DRIVER_NAME));
      return d.spec?.requiresRepublish === true;
    } catch (e) {
      if (statusOf(e) === 404) return null;
      throw e;
    }
  }

  async recordEvent(ev: EventSpec): Promise<void> {
    const now = new Date();
    await this.call("create", "events", () =>
      this.backend.createEvent(ev.namespace, {
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
      }),
    );
  }

  private async patch(r: Resource, namespace: string, name: string, body: object, counted = r.plural): Promise<Outcome> {
    try {
      await this.call("patch", counted, () => this.backend.patch(r, namespace, name, body));
      return "patched";
    } catch (e) {
      if (statusOf(e) === 404) return "gone";
      throw e;
    }
  }
}
