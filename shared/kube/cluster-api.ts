// The Kubernetes calls the pusher makes — and only these (infra/k8s/rbac.yaml grants exactly them).
import {
  ApiException,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  StorageV1Api,
  Watch,
  createConfiguration,
  ServerConfiguration,
  setHeaderOptions,
} from "@kubernetes/client-node";
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
import { statusOf } from "./errors.js";
import { RequestStats } from "./request-stats.js";
import {
  CSI_DRIVER_NAME,
  selectorString,
  toPod,
  toSecretState,
  toSpc,
  toSpcps,
  toWorkload,
  type RawPod,
  type RawSpc,
  type RawSpcps,
} from "./translate.js";
import { TokenAuth, tokenTransport } from "./transport.js";

export const SPC_GROUP = "secrets-store.csi.x-k8s.io";
export const SPC_VERSION = "v1";

export interface WatchHandle {
  abort(): void;
}

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

/** A resource addressed the generic way (custom objects API paths work for every group, apps included). */
export interface Resource {
  group: string;
  version: string;
  plural: string;
}
const SPCS: Resource = { group: SPC_GROUP, version: SPC_VERSION, plural: "secretproviderclasses" };
const SPCPS: Resource = { group: SPC_GROUP, version: SPC_VERSION, plural: "secretproviderclasspodstatuses" };

const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

/** Per-request deadline on token-authenticated clients (requests are small; a list page answers in well under this). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 20_000;
/** List page size: bounded memory per page, few round trips. */
const PAGE = 500;

export class ClusterApi {
  readonly stats = new RequestStats();
  /** Deadline of each request (not of watches), for withToken clients. */
  requestTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS;
  private readonly core: CoreV1Api;
  private readonly custom: CustomObjectsApi;
  private readonly storage: StorageV1Api;
  private readonly optionalKinds = new Map<WorkloadKind, Promise<boolean>>();
  private watchConfig: () => KubeConfig = () => {
    throw new Error("this ClusterApi cannot watch");
  };
  private closers: (() => void)[] = [];

  private constructor(
    readonly name: string,
    make: <T>(c: new (cfg: ReturnType<typeof createConfiguration>) => T) => T,
  ) {
    this.core = make(CoreV1Api);
    this.custom = make(CustomObjectsApi);
    this.storage = make(StorageV1Api);
  }

  /** For a server URL + CA + a token source (static token or Entra ID via @azure/identity). */
  static withToken(name: string, server: string, caPem: string | undefined, token: () => Promise<string>): ClusterApi {
    const t = tokenTransport(server, caPem, token);
    const auth = new TokenAuth(t.requests, token, () => api.requestTimeoutMs);
    const api: ClusterApi = new ClusterApi(
      name,
      (C) => new C(createConfiguration({ baseServer: new ServerConfiguration(server, {}), authMethods: { default: auth } })),
    );
    api.stats.bytesRead = t.bytesRead;
    api.stats.watchBytesRead = t.watchBytesRead;
    api.closers = [() => t.requests.destroy(), () => t.watches.destroy()];
    api.watchConfig = () => t.watchConfig;
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
    for (const c of this.closers) c();
  }

  /**
   * Counted calls on the generic custom-objects client for adapters of optional resources (kube/secretsync-api.ts),
   * with the same paging, merge-patch and 404 handling as the calls above.
   */
  readonly customResources = {
    list: (r: Resource, namespace: string) => this.listAll(r, namespace),
    patch: (r: Resource, namespace: string, name: string, body: object) =>
      this.patch(r.plural, () => this.custom.patchNamespacedCustomObject({ ...r, namespace, name, body }, mergePatch)),
    discover: (group: string, version: string) => this.call("get", "discovery", () => this.custom.getAPIResources({ group, version })),
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
    onEvent: (type: string, obj: unknown) => void,
    onDone: (err: unknown) => void,
    opts: { timeoutSeconds?: number } = {},
  ): Promise<WatchHandle> {
    this.stats.watches++;
    const base = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
    const controller = await new Watch(this.watchConfig()).watch(
      `${base}/${r.plural}`,
      { resourceVersion, allowWatchBookmarks: true, timeoutSeconds: opts.timeoutSeconds ?? 600 },
      (type, obj) => {
        this.stats.watchEvents++;
        onEvent(type, obj);
      },
      onDone,
    );
    return { abort: () => controller.abort() };
  }

  watchSpcs(
    resourceVersion: string,
    onEvent: (type: string, obj: unknown) => void,
    onDone: (err: unknown) => void,
    opts: { timeoutSeconds?: number } = {},
  ): Promise<WatchHandle> {
    return this.watch(SPCS, resourceVersion, onEvent, onDone, opts);
  }

  /** Every object of a resource (in one namespace or cluster-wide), paged; and the first page's resourceVersion. */
  private async listAll(
    r: Resource,
    namespace?: string,
    pageSize = PAGE,
    labelSelector?: string,
  ): Promise<{ items: unknown[]; resourceVersion: string }> {
    const items: unknown[] = [];
    let resourceVersion = "";
    let cont: string | undefined;
    do {
      const common = {
        group: r.group,
        version: r.version,
        plural: r.plural,
        limit: pageSize,
        _continue: cont,
        ...(labelSelector ? { labelSelector } : {}),
      };
      const page = (await this.call("list", r.plural, () =>
        namespace ? this.custom.listNamespacedCustomObject({ ...common, namespace }) : this.custom.listClusterCustomObject(common),
      )) as { items: unknown[]; metadata?: { continue?: string; resourceVersion?: string } };
      items.push(...page.items);
      resourceVersion ||= page.metadata?.resourceVersion ?? "";
      cont = page.metadata?.continue || undefined;
    } while (cont);
    return { items, resourceVersion };
  }

  /** All SecretProviderClasses, paged. */
  async listSpcs(namespace?: string): Promise<Spc[]> {
    return (await this.listSpcsVersioned(namespace)).items;
  }

  /** The paged list and its snapshot's resourceVersion (where a watch continues from). */
  async listSpcsVersioned(namespace?: string, pageSize = PAGE): Promise<{ items: Spc[]; resourceVersion: string }> {
    const { items, resourceVersion } = await this.listAll(SPCS, namespace, pageSize);
    return { items: items.map((i) => toSpc(i as RawSpc)), resourceVersion };
  }

  async listSpcps(namespace: string): Promise<SpcpsState[]> {
    try {
      return (await this.listAll(SPCPS, namespace)).items.map((s) => toSpcps(s as RawSpcps));
    } catch (e) {
      // A cluster with the sync controller but no CSI driver serves SecretProviderClasses only: no pod mounts them.
      if (statusOf(e) === 404) return [];
      throw e;
    }
  }

  async getSecret(namespace: string, name: string): Promise<SecretState | null> {
    try {
      const s = await this.call("get", "secrets", () => this.core.readNamespacedSecret({ namespace, name }));
      return toSecretState(namespace, name, s);
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

  /**
   * Every workload of the namespace, of every kind in the table (optional kinds only where their API is served).
   * Listed as plain JSON (same URLs, same RBAC): skipping client-node's typed deserialisation of every pod template is
   * most of this call's CPU in a large fan-out.
   */
  async listWorkloads(namespace: string): Promise<Workload[]> {
    const perKind = await Promise.all(
      WORKLOAD_KINDS.map(async (k) => {
        if (k.optional && !(await this.serves(k.kind))) return [];
        return (await this.listAll(k, namespace)).items.map((w) => toWorkload(k.kind, w));
      }),
    );
    return perKind.flat();
  }

  /**
   * Workloads of every kind carrying a label (cluster-wide): the ones with rotations being verified. The API server
   * filters by label, so an idle cluster costs one small answer per kind.
   */
  async listLabelledWorkloads(labelSelector: string): Promise<Workload[]> {
    const perKind = await Promise.all(
      WORKLOAD_KINDS.map(async (k) => {
        if (k.optional && !(await this.serves(k.kind))) return [];
        return (await this.listAll(k, undefined, PAGE, labelSelector)).items.map((w) => toWorkload(k.kind, w));
      }),
    );
    return perKind.flat();
  }

  /** A workload's own pods: listed with its selector (the API server matches it), with their container statuses. */
  async listPods(namespace: string, selector: LabelSelector): Promise<PodObservation[]> {
    const labelSelector = selectorString(selector);
    // An empty selector would select every pod of the namespace; apps/v1 refuses one, so it never names a workload's pods.
    if (!labelSelector) return [];
    const out: PodObservation[] = [];
    let cont: string | undefined;
    do {
      const page = await this.call("list", "pods", () =>
        this.core.listNamespacedPod({ namespace, labelSelector, limit: PAGE, ...(cont ? { _continue: cont } : {}) }),
      );
      out.push(...page.items.map((p) => toPod(p as RawPod)));
      cont = page.metadata?._continue || undefined;
    } while (cont);
    return out;
  }

  /** Warning Events on one pod (newest last), as `reason: message`: why it is not ready (FailedMount, image pulls). */
  async podWarnings(namespace: string, pod: string, max = 3): Promise<string[]> {
    const list = await this.call("list", "events", () =>
      this.core.listNamespacedEvent({
        namespace,
        fieldSelector: `involvedObject.kind=Pod,involvedObject.name=${pod},type=Warning`,
        limit: 50,
      }),
    );
    const time = (e: (typeof list.items)[number]) =>
      new Date(e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp ?? 0).getTime();
    return list.items
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
    const body = { metadata: { ...meta, ...(resourceVersion ? { resourceVersion } : {}) } };
    return this.patch(k.plural, () =>
      this.custom.patchNamespacedCustomObject({ group: k.group, version: k.version, namespace, plural: k.plural, name, body }, mergePatch),
    );
  }

  /** One workload as it is now (a list by name: the same `list` right the inventory uses), or null when gone. */
  async getWorkload(kind: WorkloadKind, namespace: string, name: string): Promise<Workload | null> {
    const k = workloadKind(kind);
    const page = (await this.call("list", k.plural, () =>
      this.custom.listNamespacedCustomObject({
        group: k.group,
        version: k.version,
        namespace,
        plural: k.plural,
        fieldSelector: `metadata.name=${name}`,
      }),
    )) as { items: unknown[] };
    return page.items[0] ? toWorkload(kind, page.items[0]) : null;
  }

  /** Whether Argo Rollouts is installed (API discovery, readable by every authenticated user). Cached per instance. */
  hasRollouts(): Promise<boolean> {
    return this.serves("Rollout");
  }

  /** Whether an optional workload kind's API is served (discovery; cached per instance, retried after failures). */
  private serves(kind: WorkloadKind): Promise<boolean> {
    let p = this.optionalKinds.get(kind);
    if (!p) {
      const k = workloadKind(kind);
      p = this.call("get", "discovery", async () => {
        try {
          const r = await this.custom.getAPIResources({ group: k.group, version: k.version });
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
    const body = k.restartPatch(annotations, resourceVersion);
    return this.patch(k.plural, () =>
      this.custom.patchNamespacedCustomObject({ group: k.group, version: k.version, namespace, plural: k.plural, name, body }, mergePatch),
    );
  }

  /** The driver's mode: true on v1.6+ with rotation (kubelet republishes on pod updates), false otherwise, null if absent. */
  async driverRequiresRepublish(): Promise<boolean | null> {
    try {
      const d = await this.call("get", "csidrivers", () => this.storage.readCSIDriver({ name: CSI_DRIVER_NAME }));
      return d.spec?.requiresRepublish === true;
    } catch (e) {
      if (statusOf(e) === 404) return null;
      throw e;
    }
  }

  async recordEvent(ev: EventSpec): Promise<void> {
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

export { ApiException };
