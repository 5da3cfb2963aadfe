// The SecretSync calls the pusher makes — list per namespace and a merge patch of spec.forceSynchronization, nothing
// else (infra/k8s/rbac.yaml grants exactly these) — and whether the cluster serves the API at all.
import { SECRETSYNC_GROUP, SECRETSYNC_PLURAL, SECRETSYNC_VERSION, type SecretSyncState } from "../model/index.js";
import type { ClusterApi, Outcome, Resource } from "./cluster-api.js";
import { statusOf } from "./errors.js";
import { toSecretSync, type RawSecretSync } from "./secretsync-translate.js";

const SECRETSYNCS: Resource = { group: SECRETSYNC_GROUP, version: SECRETSYNC_VERSION, plural: SECRETSYNC_PLURAL };

const served = new WeakMap<ClusterApi, Promise<boolean>>();

/**
 * Whether the SecretSync API is served (API discovery, readable by every authenticated user). Cached per ClusterApi,
 * i.e. per warm instance; a failed discovery is retried on the next call.
 */
export function servesSecretSync(api: ClusterApi): Promise<boolean> {
  let p = served.get(api);
  if (!p) {
    p = api.customResources.discover(SECRETSYNC_GROUP, SECRETSYNC_VERSION).then(
      (r) => r.resources.some((x) => x.name === SECRETSYNC_PLURAL),
      (e: unknown) => {
        if (statusOf(e) === 404) return false;
        served.delete(api);
        throw e;
      },
    );
    served.set(api, p);
  }
  return p;
}

export async function listSecretSyncs(api: ClusterApi, namespace: string): Promise<SecretSyncState[]> {
  const { items } = await api.customResources.list(SECRETSYNCS, namespace);
  return items.map((i) => toSecretSync(i as RawSecretSync));
}

/** Merge patch of spec.forceSynchronization only, conditional on the inventoried resourceVersion (409 otherwise). */
export function patchForceSynchronization(
  api: ClusterApi,
  namespace: string,
  name: string,
  value: string,
  resourceVersion?: string,
): Promise<Outcome> {
  const body = { ...(resourceVersion ? { metadata: { resourceVersion } } : {}), spec: { forceSynchronization: value } };
  return api.customResources.patch(SECRETSYNCS, namespace, name, body);
}
