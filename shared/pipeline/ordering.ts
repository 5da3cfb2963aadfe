// Orders the versions found on objects (Secrets' proven content, pod-template annotations) against the versions this
// invocation read as latest (plan/version-order.ts), so an older read never moves anything back. What the instance
// does not know yet it looks up, bounded per object and invocation: one version listing (creation times), and, when
// creation times are equal (Key Vault's one-second resolution), one fresh read of the latest version.
import { isAvailable, type ObjectVersion, type ProviderObjectType, type VaultConfig } from "../model/index.js";
import { compareCreated, type OrderOf, type PlannedObject, type VersionOrder } from "../plan/plan.js";
import { VaultReader, type VaultClients } from "../vault/reader.js";
import { listed } from "./objects.js";
import type { VersionAges } from "./version-ages.js";

export interface OrderingDeps {
  reader: VaultReader;
  clients: VaultClients;
  vaults: ReadonlyMap<string, VaultConfig>;
  ages: VersionAges;
}

const objKey = (o: { vault: string; objectName: string }) => `${o.vault.toLowerCase()}|${o.objectName}`;

export class Ordering {
  private readonly ties = new Map<string, "ours-latest" | "ours-stale">();
  /** `object|version` pairs the listing does not have: not a version of the object (made up, or purged). */
  private readonly absent = new Set<string>();
  private readonly listed = new Set<string>();
  constructor(private readonly deps: OrderingDeps) {}

  /** Remembers the creation times of the latest versions just read. */
  noteReads(objects: PlannedObject[]): void {
    for (const o of objects)
      for (const r of Object.values(o.state.byType))
        if (isAvailable(r)) this.deps.ages.note(o.state.vault, o.state.objectName, r.data.version, r.created);
  }

  readonly order: OrderOf = (ours, held): VersionOrder => {
    const { ages } = this.deps;
    const k = objKey(ours);
    const ord = compareCreated(
      { version: held, created: ages.get(ours.vault, ours.objectName, held) },
      { version: ours.version, created: ages.get(ours.vault, ours.objectName, ours.version) },
      this.ties.get(`${k}|${ours.version}`),
    );
    if (ord === "unknown" && this.absent.has(`${k}|${held}`)) return "older";
    return ord;
  };

  /** Looks up what `order` could not decide; afterwards it decides every pair given. */
  async resolve(pairs: { ours: ObjectVersion; held: string; type: ProviderObjectType }[]): Promise<void> {
    const byObject = new Map<string, typeof pairs>();
    for (const p of pairs) byObject.set(objKey(p.ours), [...(byObject.get(objKey(p.ours)) ?? []), p]);
    await Promise.all(
      [...byObject.values()].map(async (ps) => {
        const { ours, type } = ps[0]!;
        const vault = this.deps.vaults.get(ours.vault);
        if (!vault) return;
        const k = objKey(ours);
        const { ages } = this.deps;
        if (!this.listed.has(k) && ps.some((p) => ages.get(ours.vault, ours.objectName, p.held) === undefined)) {
          this.listed.add(k);
          const listing = listed(await this.deps.reader.listVersions(vault, type, ours.objectName));
          for (const v of listing) ages.note(ours.vault, ours.objectName, v.version, v.createdOn);
          const have = new Set(listing.map((v) => v.version));
          for (const p of ps) if (!have.has(p.held)) this.absent.add(`${k}|${p.held}`);
        }
        const tied = ps.some((p) => this.order(p.ours, p.held) === "unknown" && !this.absent.has(`${k}|${p.held}`));
        if (tied && !this.ties.has(`${k}|${ours.version}`)) {
          // Equal creation times: is ours still the latest? Then it is the newer one (the other existed before it).
          const fresh = await this.freshLatest(vault, type, ours.objectName);
          if (isAvailable(fresh)) ages.note(ours.vault, ours.objectName, fresh.data.version, fresh.created);
          const still = isAvailable(fresh) && fresh.data.version === ours.version;
          this.ties.set(`${k}|${ours.version}`, still ? "ours-latest" : "ours-stale");
        }
      }),
    );
  }

  /** The latest version read again, past the invocation's memo (counted as a proof read). */
  private async freshLatest(vault: VaultConfig, type: ProviderObjectType, name: string) {
    const r = await new VaultReader(this.deps.clients).read(vault, type, name);
    this.deps.reader.reads++;
    this.deps.reader.readsBy.version++;
    return r;
  }
}

/** The provider type an object was read through (listings and re-reads use the same endpoint). */
export function readType(objects: PlannedObject[], o: { vault: string; objectName: string }): ProviderObjectType | undefined {
  const p = objects.find((x) => x.state.vault === o.vault && x.state.objectName === o.objectName);
  return p ? (Object.keys(p.state.byType) as ProviderObjectType[]).find((t) => isAvailable(p.state.byType[t])) : undefined;
}
