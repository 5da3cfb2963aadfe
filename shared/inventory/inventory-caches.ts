// What the pipeline reads besides SPCs and Secrets, kept warm per cluster like the SPC index: the pods' mounts (SPCPS,
// by the SPC they mount), the workloads of every kind in the table (by namespace), the driver's CSIDriver, and the
// SecretSyncs (by namespace) where the sync controller's API is served. Each is a reflector (reflector.ts): it answers
// only while its watch is live; until then — and whenever it falls behind, fails or is forbidden — callers list fresh
// per namespace, exactly as without a cache, and the cache seeds itself in the background. Writes made from cached
// state stay conditional on the cached resourceVersion.
import type { ClusterApi } from "../kube/cluster-api.js";
import { csiDriverCollection, secretSyncCollection, spcpsCollection, workloadCollection } from "../kube/collections.js";
import { servesSecretSync } from "../kube/secretsync-api.js";
import {
  WORKLOAD_KINDS,
  nsName,
  type DriverRepublish,
  type SecretSyncState,
  type SpcpsState,
  type Workload,
  type WorkloadKind,
} from "../model/index.js";
import { GroupedStore } from "./grouped-store.js";
import { Reflector, type ReflectorOptions, type ReflectorStatus } from "./reflector.js";

class ClusterMounts {
  readonly spcps: Reflector<SpcpsState>;
  readonly driver: Reflector<{ requiresRepublish: boolean }>;
  readonly kinds = new Map<WorkloadKind, Reflector<Workload>>();
  /** Where the sync controller's API is served (discovery decides). */
  syncs: Reflector<SecretSyncState> | undefined;
  syncsKnown: Promise<void> | undefined;
  /** Resolves once every kind the cluster serves has its reflector (optional kinds need discovery first). */
  kindsKnown: Promise<void> | undefined;
  kindsReady = false;
  closed = false;

  constructor(
    readonly api: ClusterApi,
    private readonly opts: ReflectorOptions,
  ) {
    this.spcps = new Reflector(spcpsCollection(api), new GroupedStore((p) => nsName(p.namespace, p.spcName)), opts);
    this.driver = new Reflector(csiDriverCollection(api), new GroupedStore(() => ""), opts);
  }

  all(): Reflector<unknown>[] {
    return [this.spcps, this.driver, ...this.kinds.values(), ...(this.syncs ? [this.syncs] : [])] as Reflector<unknown>[];
  }

  start(): void {
    this.spcps.start();
    this.driver.start();
    this.kindsKnown ??= Promise.all(
      WORKLOAD_KINDS.map(async (k) => {
        if (k.optional && !(await this.api.serves(k.kind))) return;
        if (this.closed) return;
        const r = new Reflector(workloadCollection(this.api, k.kind), new GroupedStore((w) => w.namespace), this.opts);
        this.kinds.set(k.kind, r);
        r.start();
      }),
    ).then(
      () => {
        this.kindsReady = true;
      },
      () => {
        this.kindsKnown = undefined; // discovery failed: try again on the next start
      },
    );
    for (const r of this.kinds.values()) r.start();
    this.syncsKnown ??= servesSecretSync(this.api).then(
      (served) => {
        if (served && !this.closed)
          this.syncs ??= new Reflector(secretSyncCollection(this.api), new GroupedStore((s) => s.namespace), this.opts);
        this.syncs?.start();
      },
      () => {
        this.syncsKnown = undefined; // discovery failed: try again on the next start
      },
    );
    this.syncs?.start();
  }

  close(): void {
    this.closed = true;
    for (const r of this.all()) r.close();
  }
}

export type InventoryCachesStatus = Record<string, ReflectorStatus>;

export class InventoryCaches {
  private readonly clusters = new Map<ClusterApi, ClusterMounts>();
  private closed = false;

  constructor(private readonly opts: ReflectorOptions = {}) {}

  /** Starts the cluster's caches in the background (no-op while they run). */
  start(api: ClusterApi): void {
    this.of(api)?.start();
  }

  /** Waits up to `ms` for every cache of the cluster to be live (the timer reads everything; worth the wait). */
  async ready(api: ClusterApi, ms: number): Promise<boolean> {
    const c = this.of(api);
    if (!c) return false;
    c.start();
    const deadline = Date.now() + ms;
    await Promise.race([Promise.all([c.kindsKnown, c.syncsKnown]), new Promise((r) => setTimeout(r, ms).unref())]);
    const left = () => Math.max(0, deadline - Date.now());
    const ok = await Promise.all(c.all().map((r) => r.ready(left())));
    return ok.every(Boolean) && c.kindsReady;
  }

  /** The cached mounts of these SPCs (`namespace/name`) without waiting, or undefined while the cache is not live. */
  spcpsNow(api: ClusterApi, spcs: Iterable<string>): SpcpsState[] | undefined {
    const c = this.of(api);
    if (!c?.spcps.isLive()) return undefined;
    const store = c.spcps.store as GroupedStore<SpcpsState>;
    return [...spcs].flatMap((k) => store.group(k));
  }

  /** The cached mounts of these SPCs, waiting for a watch that is connecting; undefined when not live. */
  async spcps(api: ClusterApi, spcs: Iterable<string>): Promise<SpcpsState[] | undefined> {
    const c = this.of(api);
    if (!c || !(await c.spcps.warm())) return undefined;
    return this.spcpsNow(api, spcs);
  }

  /** The cached workloads of these namespaces (every kind), or undefined unless every kind's cache is live. */
  async workloads(api: ClusterApi, namespaces: Iterable<string>): Promise<Workload[] | undefined> {
    const c = this.of(api);
    if (!c?.kindsReady) return undefined;
    const kinds = [...c.kinds.values()];
    if (!(await Promise.all(kinds.map((r) => r.warm()))).every(Boolean)) return undefined;
    const ns = [...namespaces];
    return kinds.flatMap((r) => ns.flatMap((n) => (r.store as GroupedStore<Workload>).group(n)));
  }

  /** The cached SecretSyncs of these namespaces without waiting, or undefined while that cache is not live. */
  secretSyncsNow(api: ClusterApi, namespaces: Iterable<string>): SecretSyncState[] | undefined {
    const c = this.of(api);
    if (!c?.syncs?.isLive()) return undefined;
    const store = c.syncs.store as GroupedStore<SecretSyncState>;
    return [...namespaces].flatMap((n) => store.group(n));
  }

  /** The driver's mode from the cache, or undefined when not live. */
  async driverRepublish(api: ClusterApi): Promise<DriverRepublish | undefined> {
    const c = this.of(api);
    if (!c || !(await c.driver.warm())) return undefined;
    const d = (c.driver.store as GroupedStore<{ requiresRepublish: boolean }>).group("")[0];
    return d ? d.requiresRepublish : null;
  }

  status(api: ClusterApi): InventoryCachesStatus {
    const c = this.of(api);
    if (!c) return {};
    return Object.fromEntries([
      ["secretproviderclasspodstatuses", c.spcps.status()],
      ["csidrivers", c.driver.status()],
      ...[...c.kinds].map(([k, r]) => [k, r.status()] as const),
      ...(c.syncs ? [["secretsyncs", c.syncs.status()] as const] : []),
    ]);
  }

  close(): void {
    this.closed = true;
    for (const c of this.clusters.values()) c.close();
    this.clusters.clear();
  }

  private of(api: ClusterApi): ClusterMounts | undefined {
    if (this.closed) return undefined;
    let c = this.clusters.get(api);
    if (!c) {
      const log = this.opts.log;
      c = new ClusterMounts(api, { ...this.opts, ...(log ? { log: (msg, fields) => log(msg, { cluster: api.name, ...fields }) } : {}) });
      this.clusters.set(api, c);
    }
    return c;
  }
}
