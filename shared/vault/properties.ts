// Key Vault attributes without values: the properties listings (GET /secrets, /keys, /certificates and their
// /versions), which return ids, enabled, created and expiry times — never a secret's value, nor a key or certificate.
// `expiring` reads only these.
import { ClassifiedError, type ProviderObjectType, type VaultConfig } from "../model/index.js";
import type { VaultClients } from "./reader.js";

export interface ObjectProperties {
  name: string;
  version?: string;
  enabled: boolean;
  expiresOn?: Date;
}

type Listing = AsyncIterable<{ name: string; version?: string; enabled?: boolean; expiresOn?: Date }>;

/** Per-run memo: one listing per (vault, kind), one version listing per pinned object. */
export class VaultProperties {
  private readonly current = new Map<string, Promise<Map<string, ObjectProperties>>>();
  private readonly versionLists = new Map<string, Promise<ObjectProperties[]>>();
  /** Listing calls made (pages counted once per listing). */
  listings = 0;
  constructor(private readonly clients: VaultClients) {}

  private async collect(vault: VaultConfig, what: string, pages: () => Listing): Promise<ObjectProperties[]> {
    this.listings++;
    const out: ObjectProperties[] = [];
    try {
      for await (const p of pages())
        out.push({
          name: p.name,
          enabled: p.enabled !== false,
          ...(p.version ? { version: p.version } : {}),
          ...(p.expiresOn ? { expiresOn: p.expiresOn } : {}),
        });
    } catch (e) {
      const s = (e as { statusCode?: number }).statusCode;
      if (s === 404) return [];
      throw new ClassifiedError(
        {
          kind: s === undefined || s === 429 || s >= 500 ? "transient" : "access",
          message: `Key Vault ${vault.name}: ${what} failed: ${s !== undefined ? `HTTP ${s} ` : ""}${((e as Error).message ?? "").split("\n")[0]!.slice(0, 200)}`,
          ...(s === 403 ? { fix: "the identity needs the List permission on secrets, keys and certificates" } : {}),
        },
        { cause: e },
      );
    }
    return out;
  }

  /** The current version's properties of every object of one kind in the vault, by lower-cased name. */
  currentOf(vault: VaultConfig, kind: ProviderObjectType): Promise<Map<string, ObjectProperties>> {
    const k = `${vault.name}|${kind}`;
    let p = this.current.get(k);
    if (!p) {
      const c = this.clients.for(vault);
      const o = { abortSignal: AbortSignal.timeout(this.clients.readTimeoutMs) };
      const pages =
        kind === "secret"
          ? () => c.secrets.listPropertiesOfSecrets(o)
          : kind === "key"
            ? () => c.keys.listPropertiesOfKeys(o)
            : () => c.certs.listPropertiesOfCertificates(o);
      p = this.collect(vault, `list ${kind} properties`, pages as () => Listing).then(
        (l) => new Map(l.map((x) => [x.name.toLowerCase(), x])),
      );
      this.current.set(k, p);
    }
    return p;
  }

  /** Every version's properties of one object (for SPC objects pinned to a version). */
  versionsOf(vault: VaultConfig, kind: ProviderObjectType, name: string): Promise<ObjectProperties[]> {
    const k = `${vault.name}|${kind}|${name}`;
    let p = this.versionLists.get(k);
    if (!p) {
      const c = this.clients.for(vault);
      const o = { abortSignal: AbortSignal.timeout(this.clients.readTimeoutMs) };
      const pages =
        kind === "secret"
          ? () => c.secrets.listPropertiesOfSecretVersions(name, o)
          : kind === "key"
            ? () => c.keys.listPropertiesOfKeyVersions(name, o)
            : () => c.certs.listPropertiesOfCertificateVersions(name, o);
      p = this.collect(vault, `list versions of ${kind} ${name}`, pages as () => Listing);
      this.versionLists.set(k, p);
    }
    return p;
  }
}
