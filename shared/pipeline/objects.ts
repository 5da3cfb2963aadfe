// Key Vault reads for the objects being pushed: the latest version once per (object, provider endpoint) per
// invocation, shared by every cluster, SPC and Secret (the reader memoizes).
import {
  matchingObjects,
  type ObjectState,
  type ProviderObjectType,
  type RotationSignal,
  type Spc,
  type VaultConfig,
} from "../model/index.js";
import type { PlannedObject } from "../plan/plan.js";
import type { VaultReader } from "../vault/reader.js";

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
