// Key Vault reads: the latest version of each object, once per invocation, shared by every cluster and Secret.
import type { TokenCredential } from "@azure/core-auth";
import { CertificateClient } from "@azure/keyvault-certificates";
import { KeyClient } from "@azure/keyvault-keys";
import { SecretClient } from "@azure/keyvault-secrets";
import { describe, isTransient, statusOf, TransientError } from "../kube/errors.js";
import type { SpcObject, VaultConfig, VaultObjectData } from "../types.js";

export type ReadResult = { data: VaultObjectData; created?: Date } | { error: string };

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

  read(vault: VaultConfig, type: SpcObject["objectType"], name: string): Promise<ReadResult> {
    const k = `${vault.name}|${type}|${name}`;
    let p = this.memo.get(k);
    if (!p) {
      p = this.fetch(vault, type, name);
      this.memo.set(k, p);
    }
    return p;
  }

  private async fetch(vault: VaultConfig, type: SpcObject["objectType"], name: string): Promise<ReadResult> {
    try {
      return await this.fetchOnce(vault, type, name);
    } finally {
      this.lastReadDoneAt = Date.now();
    }
  }

  private async fetchOnce(vault: VaultConfig, type: SpcObject["objectType"], name: string): Promise<ReadResult> {
    const c = this.clients.for(vault);
    this.reads++;
    const deadline = AbortSignal.timeout(this.clients.readTimeoutMs);
    const o = { abortSignal: deadline };
    try {
      if (type === "secret") {
        const s = await c.secrets.getSecret(name, o);
        const data: VaultObjectData = { kind: "secret", name, version: s.properties.version ?? "", value: s.value ?? "" };
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
      const cert = await c.certs.getCertificate(name, o);
      if (!cert.cer) return { error: `certificate ${name} has no cer (pending or failed issuance)` };
      return withCreated({ kind: "cert", name, version: cert.properties.version ?? "", cer: cert.cer }, cert.properties.createdOn);
    } catch (e) {
      const what = `Key Vault ${vault.name}: read ${type} ${name}`;
      if (deadline.aborted)
        throw new TransientError(`${what} failed: no answer within ${this.clients.readTimeoutMs} ms (retries included)`, { cause: e });
      const s = statusOf(e);
      if (s === 404) return { error: `${what}: not found (deleted, or never created)` };
      // The newest version is disabled: Key Vault refuses the unversioned get, and so would the provider.
      if (s === 403 && /disabled/i.test(describe(e)))
        return { error: `${what}: the newest version is disabled; the driver cannot mount it either` };
      if (isTransient(e) || s === 401 || s === 403)
        // 401/403 are misconfiguration more often than not: fail so the event is redelivered (and dead-lettered) rather than lost.
        throw new TransientError(`${what} failed: ${describe(e)}`, { cause: e });
      return { error: `${what} failed: ${describe(e)}` };
    }
  }
}

function withCreated(data: VaultObjectData, created: Date | undefined): ReadResult {
  return created ? { data, created } : { data };
}
