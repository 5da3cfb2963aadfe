// Cluster-wide collections for the inventory's watch caches: one resource listed and watched, every object translated
// into the model as it arrives, so a cache holds the model's small parsed state and never a raw API object.
import {
  SECRETSYNC_GROUP,
  SECRETSYNC_PLURAL,
  SECRETSYNC_VERSION,
  WORKLOAD_KINDS,
  type SecretSyncState,
  type Spc,
  type SpcpsState,
  type Workload,
  type WorkloadKind,
} from "../model/index.js";
import { CSIDRIVERS, SPCPS, SPCS, type ClusterApi, type ListOptions, type Resource, type WatchHandle } from "./cluster-api.js";
import { statusOf } from "./errors.js";
import { toSecretSync, type RawSecretSync } from "./secretsync-translate.js";
import { CSI_DRIVER_NAME, toSpc, toSpcps, toWorkload, type RawSpc, type RawSpcps } from "./translate.js";

export type CollectionEventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";

export interface CollectionEvent<T> {
  type: CollectionEventType;
  /** `namespace/name` (`name` for cluster-scoped objects); empty for BOOKMARK and ERROR. */
  key: string;
  /** The translated object (ADDED, MODIFIED). */
  item?: T;
  resourceVersion?: string;
  /** HTTP code of an ERROR event's Status (410: the resourceVersion is gone). */
  code?: number;
}

export interface Keyed<T> {
  key: string;
  item: T;
}

export interface Collection<T> {
  /** The resource's plural (logs, request stats). */
  readonly resource: string;
  /** A consistent list of every object and the snapshot's resourceVersion. */
  list(): Promise<{ items: Keyed<T>[]; resourceVersion: string }>;
  /** Changes since `resourceVersion` until the server ends the stream (`onDone(null)`) or it fails (`onDone(err)`). */
  watch(
    resourceVersion: string,
    onEvent: (e: CollectionEvent<T>) => void,
    onDone: (err: unknown) => void,
    opts?: { timeoutSeconds?: number },
  ): Promise<WatchHandle>;
}

interface RawMeta {
  metadata?: { namespace?: string; name?: string; resourceVersion?: string };
  code?: number;
}

const keyOf = (o: RawMeta | undefined) => {
  const m = o?.metadata;
  return m?.namespace ? `${m.namespace}/${m.name ?? ""}` : (m?.name ?? "");
};

function collection<T>(api: ClusterApi, r: Resource, parse: (raw: unknown) => T, list: ListOptions = {}): Collection<T> {
  return {
    resource: r.plural,
    async list() {
      const { items, resourceVersion } = await api.listRaw(r, list).catch((e: unknown) => {
        // 429 while the API server's watch cache (re)initializes (after a restart): the paged list is served by etcd.
        if (list.pageSize === 0 && statusOf(e) === 429) return api.listRaw(r, { ...list, pageSize: undefined });
        throw e;
      });
      return { items: items.map((o) => ({ key: keyOf(o as RawMeta), item: parse(o) })), resourceVersion };
    },
    watch(resourceVersion, onEvent, onDone, opts = {}) {
      return api.watch(
        r,
        resourceVersion,
        (type, obj) => {
          const o = obj as RawMeta | undefined;
          const t = type as CollectionEventType;
          const e: CollectionEvent<T> = { type: t, key: t === "ERROR" || t === "BOOKMARK" ? "" : keyOf(o) };
          if (t === "ADDED" || t === "MODIFIED") e.item = parse(obj);
          if (o?.metadata?.resourceVersion) e.resourceVersion = o.metadata.resourceVersion;
          if (t === "ERROR" && typeof o?.code === "number") e.code = o.code;
          onEvent(e);
        },
        onDone,
        { ...opts, ...(list.fieldSelector ? { fieldSelector: list.fieldSelector } : {}) },
      );
    },
  };
}

/**
 * SecretProviderClasses. The list is one unpaginated answer: a cold instance's first event waits for it, and the API
 * server serves it from its watch cache (consistent reads from cache since Kubernetes 1.31) instead of 20 round trips.
 */
export const spcCollection = (api: ClusterApi, opts: { pageSize?: number } = {}): Collection<Spc> =>
  collection(api, SPCS, (o) => toSpc(o as RawSpc), { pageSize: opts.pageSize ?? 0 });

/** SecretProviderClassPodStatuses (pages: a cache seeds in the background with bounded memory). */
export const spcpsCollection = (api: ClusterApi): Collection<SpcpsState> => collection(api, SPCPS, (o) => toSpcps(o as RawSpcps));

/** One workload kind of the table. */
export const workloadCollection = (api: ClusterApi, kind: WorkloadKind): Collection<Workload> =>
  collection(
    api,
    WORKLOAD_KINDS.find((k) => k.kind === kind)!,
    (o) => toWorkload(kind, o),
  );

/** The driver's CSIDriver object only (RBAC grants list/watch on that one name, through the field selector). */
export const csiDriverCollection = (api: ClusterApi): Collection<{ requiresRepublish: boolean }> =>
  collection(
    api,
    CSIDRIVERS,
    (o) => ({ requiresRepublish: (o as { spec?: { requiresRepublish?: boolean } }).spec?.requiresRepublish === true }),
    {
      fieldSelector: `metadata.name=${CSI_DRIVER_NAME}`,
      pageSize: 0,
    },
  );

/** SecretSyncs (the sync controller's targets), where the API is served. */
export const secretSyncCollection = (api: ClusterApi): Collection<SecretSyncState> =>
  collection(api, { group: SECRETSYNC_GROUP, version: SECRETSYNC_VERSION, plural: SECRETSYNC_PLURAL }, (o) =>
    toSecretSync(o as RawSecretSync),
  );
