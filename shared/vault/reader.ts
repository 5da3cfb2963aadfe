// Key Vault reads: the latest version of each object, once per invocation, shared by every cluster and Secret.
import type { TokenCredential } from "@azure/core-auth";
import { CertificateClient } from "@azure/keyvault-certificates";
import { KeyClient } from "@azure/keyvault-keys";
import { SecretClient } from "@azure/keyvault-secrets";
import {
  ClassifiedError,
  type ObjectRead,
  type ProviderObjectType,
  type VaultConfig,
  type VaultObjectData,
  type VersionInfo,
} from "../model/index.js";

export type ReadResult = ObjectRead;
type SpcObject = { objectType: ProviderObjectType };

function statusOf(err: unknown): number | undefined {
  const e = err as { statusCode?: unknown };
  return typeof e?.statusCode === "number" ? e.statusCode : undefined;
}

function describe(err: unknown): string {
  const s = statusOf(err);
  const e = err as { message?: string; code?: unknown };
  const msg = ((e?.message ?? String(err)).split("\n")[0] ?? "").slice(0, 200);
  return [s !== undefined ? `HTTP ${s}` : undefined, typeof e?.code === "string" ? e.code : undefined, msg].filter(Boolean).join(" ");
}

const isTransient = (e: unknown) => {
  const s = statusOf(e);
  return s === undefined || s === 408 || s === 429 || s >= 500;
};

type ServiceVersion = NonNullable<ConstructorParameters<typeof SecretClient>[2]>["serviceVersion"];

export interface VaultClientOptions {
  /** Pin the Key Vault API version (an emulator may not know the SDK's newest). */
  serviceVersion?: string;
  /** Extra SDK client options (tests: TLS trust for the emulator's CA, shorter retries). */
  clientOptions?: Record<string, unknown>;
  /** Deadline of one object read, SDK retries included (default DEFAULT_READ_TIMEOUT_MS). */
  readTimeoutMs?: number;
}

/**
 * The SDK retries 429/503 after the server's Retry-After, however long, and waits on a stalled response forever:
 * a read that takes longer than this is aborted and fails as transient (Event Grid redelivers) instead of using up
 * the invocation's time budget.
 */
export const DEFAULT_READ_TIMEOUT_MS = 30_000;

interface Clients {
  secrets: SecretClient;
  keys: KeyClient;
  certs: CertificateClient;
}

/** SDK clients per vault, kept for the life of the instance (they hold the token cache and keep-alive sockets). */
export class VaultClients {
  private readonly clients = new Map<string, Clients>();
  constructor(
    private readonly credential: TokenCredential,
    private readonly opts: VaultClientOptions = {},
  ) {}

  get readTimeoutMs(): number {
    return this.opts.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS;
  }

  for(vault: VaultConfig): Clients {
    let c = this.clients.get(vault.name);
    if (!c) {
      const o = {
        ...(this.opts.serviceVersion ? { serviceVersion: this.opts.serviceVersion as ServiceVersion } : {}),
        ...this.opts.clientOptions,
      };
      c = {
        secrets: new SecretClient(vault.url, this.credential, o),
        keys: new KeyClient(vault.url, this.credential, o as never),
        certs: new CertificateClient(vault.url, this.credential, o as never),
      };
      this.clients.set(vault.name, c);
    }
    return c;
  }
}

/** Per-invocation memo: one read per (vault, endpoint, object), however many SPCs, Secrets or clusters need it. */
export class VaultReader {
  private readonly memo = new Map<string, Promise<ReadResult>>();
  /** Successful and failed reads issued (the benchmark's "Key Vault reads"). */
  reads = 0;
  /** Epoch ms when the last read finished (the report's receipt → Key Vault read timing). */
  lastReadDoneAt: number | undefined;
  constructor(private readonly clients: VaultClients) {}

  /** Reads of older versions and version listings (the trust proofs' cost). */
  versionReads = 0;
  private readonly listings = new Map<string, Promise<VersionInfo[]>>();

  /** The latest enabled version (no `version`) or one version, memoized per invocation. */
  read(vault: VaultConfig, type: SpcObject["objectType"], name: string, version?: string): Promise<ReadResult> {
    const k = `${vault.name}|${type}|${name}|${version ?? ""}`;
    let p = this.memo.get(k);
    if (!p) {
      p = this.fetch(vault, type, name, version);
      this.memo.set(k, p);
    }
    return p;
  }

  readVersion(vault: VaultConfig, type: SpcObject["objectType"], name: string, version: string): Promise<ReadResult> {
    return this.read(vault, type, name, version);
  }

  /** Every version of an object (enabled or not, with creation times), memoized per invocation. */
  listVersions(vault: VaultConfig, type: SpcObject["objectType"], name: string): Promise<VersionInfo[]> {
    const k = `${vault.name}|${type}|${name}`;
    let p = this.listings.get(k);
    if (!p) {
      p = this.list(vault, type, name);
      this.listings.set(k, p);
    }
    return p;
  }

  private async list(vault: VaultConfig, type: SpcObject["objectType"], name: string): Promise<VersionInfo[]> {
    const c = this.clients.for(vault);
    this.reads++;
    this.versionReads++;
    const o = { abortSignal: AbortSignal.timeout(this.clients.readTimeoutMs) };
    const out: VersionInfo[] = [];
    const pages =
      type === "secret"
        ? c.secrets.listPropertiesOfSecretVersions(name, o)
        : type === "key"
          ? c.keys.listPropertiesOfKeyVersions(name, o)
          : c.certs.listPropertiesOfCertificateVersions(name, o);
    try {
      for await (const v of pages)
        out.push({ version: v.version ?? "", enabled: v.enabled !== false, ...(v.createdOn ? { createdOn: v.createdOn } : {}) });
    } catch (e) {
      if (statusOf(e) === 404) return [];
      throw new ClassifiedError(
        {
          kind: isTransient(e) ? "transient" : "access",
          message: `Key Vault ${vault.name}: list versions of ${type} ${name} failed: ${describe(e)}`,
        },
        { cause: e },
      );
    }
    return out;
  }

  private async fetch(vault: VaultConfig, type: SpcObject["objectType"], name: string, version?: string): Promise<ReadResult> {
    try {
      return await this.fetchOnce(vault, type, name, version);
    } finally {
      this.lastReadDoneAt = Date.now();
    }
  }

  private async fetchOnce(vault: VaultConfig, type: SpcObject["objectType"], name: string, version?: string): Promise<ReadResult> {
    const c = this.clients.for(vault);
    this.reads++;
    if (version) this.versionReads++;
    const deadline = AbortSignal.timeout(this.clients.readTimeoutMs);
    const o = { abortSignal: deadline, ...(version ? { version } : {}) };
    try {
      if (type === "secret") {
        const s = await c.secrets.getSecret(name, o);
        const data: VaultObjectData = { kind: "secret", name, version: s.properties.version ?? "", value: s.value ?? "" };
        if (s.properties.id) data.id = s.properties.id;
        if (s.properties.contentType) data.contentType = s.properties.contentType;
        if (s.properties.certificateKeyId) data.kid = s.properties.certificateKeyId;
        return withCreated(data, s.properties.createdOn);
      }
      if (type === "key") {
        const k = await c.keys.getKey(name, o);
        const jwk = k.key ?? {};
        const data: VaultObjectData = {
          kind: "key",
          name,
          version: k.properties.version ?? "",
          jwk: {
            kty: String(jwk.kty ?? ""),
            ...(jwk.n ? { n: jwk.n } : {}),
            ...(jwk.e ? { e: jwk.e } : {}),
            ...(jwk.crv ? { crv: String(jwk.crv) } : {}),
            ...(jwk.x ? { x: jwk.x } : {}),
            ...(jwk.y ? { y: jwk.y } : {}),
          },
        };
        return withCreated(data, k.properties.createdOn);
      }
      const cert = version ? await c.certs.getCertificateVersion(name, version, o) : await c.certs.getCertificate(name, o);
      if (!cert.cer) return { unavailable: "object-unusable", detail: `certificate ${name} has no cer (pending or failed issuance)` };
      return withCreated({ kind: "cert", name, version: cert.properties.version ?? "", cer: cert.cer }, cert.properties.createdOn);
    } catch (e) {
      const what = `Key Vault ${vault.name}: read ${type} ${name}`;
      if (deadline.aborted)
        throw new ClassifiedError(
          { kind: "transient", message: `${what} failed: no answer within ${this.clients.readTimeoutMs} ms (retries included)` },
          { cause: e },
        );
      const s = statusOf(e);
      if (s === 404) return { unavailable: "object-not-found", detail: `${what}: not found (deleted, or never created)` };
      // The newest version is disabled: Key Vault refuses the unversioned get, and so would the provider.
      if (s === 403 && /disabled/i.test(describe(e)))
        return { unavailable: "object-disabled", detail: `${what}: the newest version is disabled; the driver cannot mount it either` };
      if (isTransient(e) || s === 401 || s === 403)
        // 401/403 are misconfiguration more often than not: fail so the event is redelivered (and dead-lettered) rather than lost.
        throw new ClassifiedError({ kind: "transient", message: `${what} failed: ${describe(e)}` }, { cause: e });
      return { unavailable: "object-unusable", detail: `${what} failed: ${describe(e)}` };
    }
  }
}

function withCreated(data: VaultObjectData, created: Date | undefined): ReadResult {
  return created ? { data, created } : { data };
}
