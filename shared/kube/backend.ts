// The few raw calls ClusterApi makes, two ways: plain JSON on the pusher's own keep-alive agent (token-authenticated
// clusters: the function app, here) or through client-node's generated APIs (kubeconfig: kubeconfig-client.ts).
import type { JsonRest } from "./rest.js";

export interface WatchHandle {
  abort(): void;
}

/** A resource addressed the generic way: `group` "" is the core group. */
export interface Resource {
  group: string;
  version: string;
  plural: string;
}

export const CORE_SECRETS: Resource = { group: "", version: "v1", plural: "secrets" };
export const CORE_PODS: Resource = { group: "", version: "v1", plural: "pods" };
export const CORE_EVENTS: Resource = { group: "", version: "v1", plural: "events" };

export interface ListQuery {
  namespace?: string;
  limit?: number;
  continue?: string;
  fieldSelector?: string;
  labelSelector?: string;
}

export interface ListPage {
  items: unknown[];
  metadata?: { continue?: string; resourceVersion?: string };
}

/** A core/v1 Event as the pusher creates it. */
export interface EventBody {
  metadata: { generateName: string; namespace: string };
  involvedObject: { kind: string; apiVersion: string; name: string; namespace: string };
  reason: string;
  message: string;
  type: "Normal" | "Warning";
  source: { component: string };
  reportingComponent: string;
  reportingInstance: string;
  action: string;
  firstTimestamp: Date;
  lastTimestamp: Date;
  count: number;
}

export interface Backend {
  /** A Secret; `cached`: as the API server's watch cache holds it, where the backend can ask for that (restBackend). */
  getSecret(namespace: string, name: string, cached: boolean): Promise<unknown>;
  /** JSON merge patch. */
  patch(r: Resource, namespace: string, name: string, body: object): Promise<void>;
  list(r: Resource, q: ListQuery): Promise<ListPage>;
  getCsiDriver(name: string): Promise<{ spec?: { requiresRepublish?: boolean } }>;
  createEvent(namespace: string, body: EventBody): Promise<void>;
  apiResources(group: string, version: string): Promise<{ resources: { name: string }[] }>;
}

/** `/apis/<group>/<version>`, or `/api/v1` for the core group. */
export const basePath = (r: Pick<Resource, "group" | "version">): string =>
  r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;

const seg = encodeURIComponent;

export function restBackend(rest: JsonRest): Backend {
  const MERGE = { contentType: "application/merge-patch+json", statusOnly: true };
  return {
    // resourceVersion=0: served from the API server's watch cache instead of a quorum read from etcd (half the cost
    // on the benchmark machine: 5,000 GETs 1.2–1.6 s instead of 2.2–3.3 s). It may lag by milliseconds; every patch
    // made from it is conditional on the resourceVersion it returned, so a lag costs a 409 (redelivery), never a write
    // over something newer.
    getSecret: (ns, name, cached) =>
      rest.send("GET", `/api/v1/namespaces/${seg(ns)}/secrets/${seg(name)}${cached ? "?resourceVersion=0" : ""}`),
    async patch(r, ns, name, body) {
      await rest.send("PATCH", `${basePath(r)}/namespaces/${seg(ns)}/${r.plural}/${seg(name)}`, body, MERGE);
    },
    list(r, q) {
      const qs = new URLSearchParams();
      if (q.limit) qs.set("limit", String(q.limit));
      if (q.continue) qs.set("continue", q.continue);
      if (q.fieldSelector) qs.set("fieldSelector", q.fieldSelector);
      if (q.labelSelector) qs.set("labelSelector", q.labelSelector);
      const where = q.namespace ? `/namespaces/${seg(q.namespace)}` : "";
      const query = qs.size ? `?${qs}` : "";
      return rest.send("GET", `${basePath(r)}${where}/${r.plural}${query}`, undefined, { gzip: true });
    },
    getCsiDriver: (name) => rest.send("GET", `/apis/storage.k8s.io/v1/csidrivers/${seg(name)}`),
    async createEvent(ns, body) {
      await rest.send("POST", `/api/v1/namespaces/${seg(ns)}/events`, body, { statusOnly: true });
    },
    apiResources: (group, version) => rest.send("GET", `/apis/${group}/${version}`),
  };
}

/** A backend made on first use (kubeconfig clusters load client-node only when a call is made). */
export function lazyBackend(load: () => Promise<Backend>): Backend {
  return {
    getSecret: async (ns, name, cached) => (await load()).getSecret(ns, name, cached),
    patch: async (r, ns, name, body) => (await load()).patch(r, ns, name, body),
    list: async (r, q) => (await load()).list(r, q),
    getCsiDriver: async (name) => (await load()).getCsiDriver(name),
    createEvent: async (ns, body) => (await load()).createEvent(ns, body),
    apiResources: async (group, version) => (await load()).apiResources(group, version),
  };
}
