// SecretProviderClasses kept warm between invocations: per ClusterApi one list when cold (unpaginated, from the API
// server's watch cache), then a watch keeps an index by (vault, object name) current, so an event costs O(affected
// SPCs), not one list of the whole cluster. While the watch is not live (cold, connecting, failed, 410 Gone,
// forbidden, over its bound) every call lists fresh — which reseeds the index and restarts the watch — so answers are
// never stale (reflector.ts). The timer's reconcile still re-reads everything it acts on.
import type { ClusterApi } from "../kube/cluster-api.js";
import { spcCollection, type Keyed } from "../kube/collections.js";
import { matchingObjects, type ObjectRef, type Spc } from "../model/index.js";
import { Reflector, type ReflectorOptions, type ReflectorStatus, type Store } from "./reflector.js";
import type { SpcSource } from "./source.js";

export type SpcCacheOptions = ReflectorOptions;
export type SpcCacheStatus = ReflectorStatus;

const indexKey = (vault: string, objectName: string) => `${vault.toLowerCase()}|${objectName.toLowerCase()}`;
const spcKey = (s: { namespace: string; name: string }) => `${s.namespace}/${s.name}`;

/** SPCs by `namespace/name`, indexed by the (vault, object name) pairs they reference. */
export class SpcIndex implements Store<Spc> {
  private readonly byKey = new Map<string, Spc>();
  private readonly byObject = new Map<string, Set<string>>();

  get size(): number {
    return this.byKey.size;
  }

  all(): Spc[] {
    return [...this.byKey.values()];
  }

  replace(items: Keyed<Spc>[]): void {
    this.clear();
    for (const { key, item } of items) this.upsert(key, item);
  }

  clear(): void {
    this.byKey.clear();
    this.byObject.clear();
  }

  upsert(key: string, s: Spc): void {
    this.remove(key);
    this.byKey.set(key, s);
    for (const o of s.objects) {
      const ik = indexKey(s.keyvaultName, o.objectName);
      let set = this.byObject.get(ik);
      if (!set) this.byObject.set(ik, (set = new Set()));
      set.add(key);
    }
  }

  remove(key: string): void {
    const prev = this.byKey.get(key);
    if (!prev) return;
    for (const o of prev.objects) {
      const ik = indexKey(prev.keyvaultName, o.objectName);
      const set = this.byObject.get(ik);
      set?.delete(key);
      if (set && set.size === 0) this.byObject.delete(ik);
    }
    this.byKey.delete(key);
  }

  forSignal(sig: ObjectRef): Spc[] {
    const keys = this.byObject.get(indexKey(sig.vault, sig.objectName));
    if (!keys) return [];
    const out: Spc[] = [];
    for (const k of keys) {
      const s = this.byKey.get(k);
      if (s && matchingObjects(s, sig).length > 0) out.push(s);
    }
    return out.sort((a, b) => spcKey(a).localeCompare(spcKey(b)));
  }
}

export class SpcCache implements SpcSource {
  private readonly states = new Map<ClusterApi, Reflector<Spc>>();
  private closed = false;

  constructor(private readonly opts: SpcCacheOptions = {}) {}

  /** Every SPC of the cluster (the timer's scan). */
  async list(api: ClusterApi): Promise<Spc[]> {
    const r = this.of(api);
    if (await r.warm()) return (r.store as SpcIndex).all();
    return r.relist();
  }

  /** For each signal, the SPCs that reference its object: an index lookup while warm. */
  async forSignals(api: ClusterApi, signals: ObjectRef[]): Promise<Spc[][]> {
    const r = this.of(api);
    if (await r.warm()) return signals.map((s) => (r.store as SpcIndex).forSignal(s));
    const fresh = await r.relist();
    return signals.map((sig) => fresh.filter((s) => matchingObjects(s, sig).length > 0));
  }

  isWarm(api: ClusterApi): boolean {
    return this.of(api).isLive();
  }

  status(api: ClusterApi): SpcCacheStatus {
    return this.of(api).status();
  }

  /** Stops every watch and timer (the index is dropped). */
  close(): void {
    this.closed = true;
    for (const r of this.states.values()) r.close();
    this.states.clear();
  }

  private of(api: ClusterApi): Reflector<Spc> {
    let r = this.states.get(api);
    if (!r) {
      const log = this.opts.log;
      r = new Reflector(spcCollection(api), new SpcIndex(), {
        ...this.opts,
        ...(log ? { log: (msg, fields) => log(msg, { cluster: api.name, ...fields }) } : {}),
      });
      if (this.closed) r.close();
      else this.states.set(api, r);
    }
    return r;
  }
}
