// A reflector's store that answers by group: SPCPS by the SPC they mount, workloads by namespace.
import type { Keyed } from "../kube/collections.js";
import type { Store } from "./reflector.js";

export class GroupedStore<T> implements Store<T> {
  private readonly byKey = new Map<string, T>();
  private readonly groups = new Map<string, Map<string, T>>();

  constructor(private readonly groupOf: (item: T) => string) {}

  get size(): number {
    return this.byKey.size;
  }

  /** The group's objects (in no particular order). */
  group(g: string): T[] {
    const m = this.groups.get(g);
    return m ? [...m.values()] : [];
  }

  replace(items: Keyed<T>[]): void {
    this.clear();
    for (const { key, item } of items) this.upsert(key, item);
  }

  clear(): void {
    this.byKey.clear();
    this.groups.clear();
  }

  upsert(key: string, item: T): void {
    this.remove(key);
    this.byKey.set(key, item);
    const g = this.groupOf(item);
    let m = this.groups.get(g);
    if (!m) this.groups.set(g, (m = new Map()));
    m.set(key, item);
  }

  remove(key: string): void {
    const prev = this.byKey.get(key);
    if (prev === undefined) return;
    this.byKey.delete(key);
    const g = this.groupOf(prev);
    const m = this.groups.get(g);
    m?.delete(key);
    if (m && m.size === 0) this.groups.delete(g);
  }
}
