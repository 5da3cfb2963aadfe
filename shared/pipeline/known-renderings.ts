// What a warm instance remembers between invocations to prove Secrets without re-reading Key Vault: per rendering
// variant (object, provider type, format, encoding, Secret type, keys), the keyed digests of the renderings of the
// few newest versions it read. Digests only — never a value — under a per-process key when none is configured.
import type { KeyedDigest } from "../lib/digest.js";
import type { SecretTarget } from "../plan/plan.js";

interface Entry {
  version: string;
  /** When Key Vault created the version (orders the window). */
  created: number;
  /** When this instance rendered it (bounds how long it is trusted). */
  seen: number;
  digest: string;
}

export class KnownRenderings {
  private readonly variants = new Map<string, Entry[]>();
  constructor(
    private readonly digest: KeyedDigest,
    /** Versions kept per variant: the proof window (KVRP_PROOF_VERSIONS). */
    private readonly perVariant: number,
    /** Variants kept (least recently used dropped first): bounds the instance's memory. */
    private readonly maxVariants = 20_000,
    /** Entries seen longer ago are not trusted as proof: the version may no longer be among the newest. */
    private readonly ttlMs = 3_600_000,
  ) {}

  static variantKey(t: Pick<SecretTarget, "vault" | "spcObject" | "secretType" | "keys">): string {
    const o = t.spcObject;
    return [t.vault, o.objectType, o.objectName, o.objectFormat ?? "", o.objectEncoding ?? "", t.secretType, t.keys.join(",")].join("|");
  }

  /** Keyed digest of a tuple of values (the keys' base64 values in key order). */
  valuesDigest(variant: string, keys: string[], values: Record<string, string | undefined>): string {
    return this.digest.of(variant, ...keys.map((k) => `${k}=${values[k] ?? ""}`));
  }

  remember(variant: string, version: string, created: Date | undefined, digest: string, now = Date.now()): void {
    const list = (this.variants.get(variant) ?? []).filter((e) => e.version !== version && now - e.seen < this.ttlMs);
    list.push({ version, created: created?.getTime() ?? now, seen: now, digest });
    list.sort((a, b) => b.created - a.created);
    this.variants.delete(variant);
    this.variants.set(variant, list.slice(0, this.perVariant));
    if (this.variants.size > this.maxVariants) this.variants.delete(this.variants.keys().next().value!);
  }

  /** The remembered version whose rendering has this digest, with its creation time. */
  find(variant: string, digest: string, now = Date.now()): { version: string; created: number } | undefined {
    const e = this.variants.get(variant)?.find((x) => x.digest === digest && now - x.seen < this.ttlMs);
    return e ? { version: e.version, created: e.created } : undefined;
  }

  get size(): number {
    return this.variants.size;
  }
}
