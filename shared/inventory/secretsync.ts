// Inventory of SecretSync targets: the SecretSyncs whose class is one of the affected SecretProviderClasses (one list
// per namespace) and the Secret each manages (named after it). Nothing is read where the API is not served.
import type { ClusterApi } from "../kube/cluster-api.js";
import { listSecretSyncs, servesSecretSync } from "../kube/secretsync-api.js";
import { nsName, type ClusterInventory, type SecretState, type SecretSyncState, type Spc } from "../model/index.js";
import type { InventoryCaches } from "./inventory-caches.js";

type Limit = <T>(f: () => Promise<T>) => Promise<T>;

export async function collectSecretSyncs(
  api: ClusterApi,
  spcs: Spc[],
  limit: Limit,
  caches?: InventoryCaches,
): Promise<{ secretSyncs?: SecretSyncState[]; secrets: Map<string, SecretState | null>; syncController: boolean }> {
  const secrets = new Map<string, SecretState | null>();
  const syncController = spcs.length > 0 ? await servesSecretSync(api) : await served(api);
  if (!syncController || spcs.length === 0) return { secrets, syncController };
  const classes = new Set(spcs.map((s) => nsName(s.namespace, s.name)));
  const namespaces = [...new Set(spcs.map((s) => s.namespace))];
  const secretSyncs: SecretSyncState[] = [];
  // A warm instance's cache answers without a list; otherwise one list per namespace.
  const cached = caches?.secretSyncsNow(api, namespaces);
  if (cached) secretSyncs.push(...cached.filter((ss) => classes.has(nsName(ss.namespace, ss.spcName))));
  else
    await Promise.all(
      namespaces.map((ns) =>
        limit(async () => {
          for (const ss of await listSecretSyncs(api, ns)) if (classes.has(nsName(ss.namespace, ss.spcName))) secretSyncs.push(ss);
        }),
      ),
    );
  await Promise.all(
    secretSyncs.map((ss) =>
      limit(async () => {
        secrets.set(nsName(ss.namespace, ss.name), await api.getSecret(ss.namespace, ss.name));
      }),
    ),
  );
  secretSyncs.sort((a, b) => nsName(a.namespace, a.name).localeCompare(nsName(b.namespace, b.name)));
  return { secretSyncs, secrets, syncController: true };
}

/** Discovery answer without failing the pass over it (it only labels the report when there is nothing to collect). */
async function served(api: ClusterApi): Promise<boolean> {
  try {
    return await servesSecretSync(api);
  } catch {
    return false;
  }
}

/** The cluster's two mechanisms, as found by this inventory. */
export function foundSources(
  inv: Pick<ClusterInventory, "driverRepublish">,
  syncController: boolean,
): NonNullable<ClusterInventory["found"]> {
  return { csiDriver: inv.driverRepublish !== null, syncController };
}
