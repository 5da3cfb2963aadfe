// Where SecretProviderClasses come from: a fresh paged list, or an instance-level cache kept current by a watch.
import type { ClusterApi } from "../kube/cluster-api.js";
import { matchingObjects, type ObjectRef, type Spc } from "../model/index.js";

export interface SpcSource {
  list(api: ClusterApi): Promise<Spc[]>;
  /** Per signal, the SPCs that reference its object (sources with an index answer in O(affected)); default: filter list(). */
  forSignals?(api: ClusterApi, signals: ObjectRef[]): Promise<Spc[][]>;
  /** Stops background work (watches). */
  close?(): void;
  /** Whether `forSignals` answers now from memory (no list). */
  isWarm?(api: ClusterApi): boolean;
}

export const freshSpcs: SpcSource = { list: (api) => api.listSpcs() };

/** The SPCs that reference the object. */
export function spcsForSignal(spcs: Spc[], signal: ObjectRef): Spc[] {
  return spcs.filter((s) => matchingObjects(s, signal).length > 0);
}

/** The SPCs each signal concerns, through the source's index when it has one. */
export async function spcsForSignals(src: SpcSource, api: ClusterApi, signals: ObjectRef[]): Promise<Spc[][]> {
  if (src.forSignals) return src.forSignals(api, signals);
  const all = await src.list(api);
  return signals.map((s) => spcsForSignal(all, s));
}
