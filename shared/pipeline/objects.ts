// Key Vault reads for the objects being pushed: the latest version once per (object, provider endpoint) per
// invocation, shared by every cluster, SPC and Secret (the reader memoizes).
import {
  isPinned,
  matchingObjects,
  type ObjectState,
  type ProviderObjectType,
  type RotationSignal,
  type Spc,
  type VaultConfig,
  type VersionInfo,
} from "../model/index.js";
import type { PlannedObject, Renderer } from "../plan/plan.js";
import type { VaultReader, VersionsResult } from "../vault/reader.js";

/** The versions of a listing (an object Key Vault does not know has none). */
export const listed = (r: VersionsResult): VersionInfo[] => ("versions" in r ? r.versions : []);

/** Reads what the matched SPC objects need for this signal (provider types they use), in parallel. */
export async function readObject(
  reader: VaultReader,
  vaults: ReadonlyMap<string, VaultConfig>,
  signal: RotationSignal,
  types: Iterable<ProviderObjectType>,
): Promise<PlannedObject> {
  const state: ObjectState = { vault: signal.vault, objectName: signal.objectName, byType: {} };
  const vault = vaults.get(signal.vault);
  if (vault)
    await Promise.all(
      [...new Set(types)].map(async (t) => {
        state.byType[t] = await reader.read(vault, t, signal.objectName);
      }),
    );
  return { signal, state };
}

/** Provider types the SPCs use for the signalled object (only those are read). */
export function typesUsed(spcs: Spc[], signal: RotationSignal): ProviderObjectType[] {
  return [...new Set(spcs.flatMap((s) => matchingObjects(s, signal).map((o) => o.objectType)))];
}

/**
 * objectVersionHistory > 1: lists the versions of each object an SPC mounts that way and reads the versions the
 * provider would mount (memoized per invocation, so shared by every SPC, Secret and cluster).
 */
export async function readHistories(
  reader: VaultReader,
  vaults: ReadonlyMap<string, VaultConfig>,
  objects: PlannedObject[],
  spcs: Spc[],
  render: Renderer,
): Promise<void> {
  await Promise.all(
    objects.flatMap((o) => {
      const vault = vaults.get(o.signal.vault);
      const history = spcs.flatMap((s) => matchingObjects(s, o.signal)).filter((so) => (so.objectVersionHistory ?? 0) > 1 && !isPinned(so));
      if (!vault || history.length === 0) return [];
      return [...new Set(history.map((so) => so.objectType))].map(async (type) => {
        const listing = listed(await reader.listVersions(vault, type, o.signal.objectName));
        const wanted = new Set(
          history.filter((so) => so.objectType === type).flatMap((so) => render.history(so, listing).map((v) => v.version)),
        );
        const versions = new Map(
          await Promise.all([...wanted].map(async (v) => [v, await reader.readVersion(vault, type, o.signal.objectName, v)] as const)),
        );
        o.state.history = { ...o.state.history, [type]: { listing, versions } };
      });
    }),
  );
}
