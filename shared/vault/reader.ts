// Key Vault reads, memoized per invocation and shared by every cluster and Secret: the latest version of an object
// (what the driver mounts), one given version, and the list of all versions. Every failure is classified by
// shared/vault/failures.ts: an outcome (disabled, gone) is returned; a failure is thrown as KeyVaultReadError.
import type { TokenCredential } from "@azure/core-auth";
import { CertificateClient } from "@azure/keyvault-certificates";
import { KeyClient, type KeyVaultKey } from "@azure/keyvault-keys";
import { SecretClient, type KeyVaultSecret } from "@azure/keyvault-secrets";
import type { ObjectRead, ProviderObjectType, UnavailableReason, VaultConfig, VaultObjectData, VersionInfo } from "../model/index.js";
import { KeyVaultReadError, type KeyVaultFailure } from "./errors.js";
import { classifyKeyVaultFailure } from "./failures.js";
import { keyVaultReadPolicy, ReadRegistry } from "./read-policy.js";
import { errorFacts, type ErrorFacts } from "./sdk-error.js";

type ObjectType = ProviderObjectType;

/** Why an object has no data to render (answers, not failures), as the plan names them. */
type Unavailable = Extract<ObjectRead, { unavailable: UnavailableReason }>;
const UNAVAILABLE: Record<"disabled" | "gone" | "pending" | "incomplete", UnavailableReason> = {
  disabled: "object-disabled",
  gone: "object-not-found",
  pending: "object-unusable",
  incomplete: "object-unusable",
};
const unavailable = (why: keyof typeof UNAVAILABLE, detail: string): Unavailable => ({ unavailable: UNAVAILABLE[why], detail });

interface ReadSpec {
  what: "latest" | "version" | "versions";
  vault: VaultConfig;
  type: ObjectType;
  name: string;
  version?: string;
}

export type ReadResult = ObjectRead;

export type VersionsResult = { versions: VersionInfo[] } | Unavailable;

type ServiceVersion = NonNullable<ConstructorParameters<typeof SecretClient>[2]>["serviceVersion"];

export interface VaultClientOptions {
  /** Pin the Key Vault API version (KVRP_KEYVAULT_API_VERSION); empty = the SDK's default, what production uses. */
  serviceVersion?: string;
  /** Extra SDK client options (tests: TLS trust for the emulator's CA, shorter retries). */
  clientOptions?: Record<string, unknown>;
  /** Deadline of one read, SDK retries included (default DEFAULT_READ_TIMEOUT_MS). */
  readTimeoutMs?: number;
}

/**
 * The SDK retries 429/503 after the server's Retry-After and waits on a stalled answer forever: a read that takes
 * longer than this is abandoned as transient (Event Grid redelivers) instead of using up the invocation's time. A
 * Retry-After that ends before the deadline is honoured by the SDK; a longer one fails the read at once with the
 * requested wait (read-policy.ts), so Event Grid / the HTTP caller waits instead of the function. 30 s is also Event
 * Grid's delivery timeout.
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
  readonly registry = new ReadRegistry();

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
      const extra = this.opts.clientOptions ?? {};
      const policies = Array.isArray(extra.additionalPolicies) ? (extra.additionalPolicies as unknown[]) : [];
      const o = {
        ...(this.opts.serviceVersion ? { serviceVersion: this.opts.serviceVersion as ServiceVersion } : {}),
        ...extra,
        additionalPolicies: [...policies, { policy: keyVaultReadPolicy(this.registry), position: "perRetry" as const }],
      };
      c = {
        secrets: new SecretClient(vault.url, this.credential, o as never),
        keys: new KeyClient(vault.url, this.credential, o as never),
        certs: new CertificateClient(vault.url, this.credential, o as never),
      };
      this.clients.set(vault.name, c);
    }
    return c;
  }
}

const LABEL: Record<ObjectType, string> = { secret: "secret", key: "key", cert: "certificate" };

function secretData(name: string, s: KeyVaultSecret): VaultObjectData | undefined {
  // The provider fails the mount for a secret without a value or an id (so the driver never syncs it): not renderable.
  if (s.value === undefined || !s.properties.version) return undefined;
  const data: VaultObjectData = { kind: "secret", name, version: s.properties.version, value: s.value };
  if (s.properties.contentType) data.contentType = s.properties.contentType;
  if (s.properties.certificateKeyId) data.kid = s.properties.certificateKeyId;
  return data;
}

function keyData(name: string, k: KeyVaultKey): VaultObjectData {
  const jwk = k.key ?? {};
  return {
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
}

function found(data: VaultObjectData, p: { createdOn?: Date; enabled?: boolean }): ReadResult {
  return { data, ...(p.createdOn ? { created: p.createdOn } : {}), ...(p.enabled === false ? { enabled: false } : {}) };
}

function newestFirst(a: VersionInfo, b: VersionInfo): number {
  const d = (b.createdOn?.getTime() ?? 0) - (a.createdOn?.getTime() ?? 0);
  return d !== 0 ? d : a.version < b.version ? -1 : a.version > b.version ? 1 : 0;
}

/** The thrown failure: which read, what Key Vault answered (status, codes, wait), the cause and the fix. */
function failureOf(
  what: string,
  facts: ErrorFacts,
  v: { kind: KeyVaultFailure["kind"]; cause: string; fix: string },
  timeoutMs: number,
): KeyVaultFailure {
  const code = facts.code ?? facts.networkCode;
  const said = [
    facts.status !== undefined ? `HTTP ${facts.status}` : undefined,
    code,
    facts.innerCode,
    facts.deadline ? `no answer within ${timeoutMs} ms (retries included)` : undefined,
    facts.retryAfterSeconds !== undefined ? `Retry-After ${facts.retryAfterSeconds} s` : undefined,
  ].filter(Boolean);
  const quoted = facts.message ? ` — ${facts.fromService ? "Key Vault said" : "SDK"}: ${facts.message}` : "";
  return {
    kind: v.kind,
    ...(facts.status !== undefined ? { status: facts.status } : {}),
    ...(code ? { code } : {}),
    ...(facts.innerCode ? { innerCode: facts.innerCode } : {}),
    ...(facts.retryAfterSeconds !== undefined ? { retryAfterSeconds: facts.retryAfterSeconds } : {}),
    message: `${what} failed (${said.join(", ")}): ${v.cause}${quoted}`,
    fix: v.fix,
  };
}

/** Per-invocation memo: one request per (vault, object, what), however many SPCs, Secrets or clusters need it. */
export class VaultReader {
  private readonly memo = new Map<string, Promise<unknown>>();
  /** Reads issued, successful or not (the benchmark's "Key Vault reads"): one per latest / version / version list. */
  reads = 0;
  readonly readsBy = { latest: 0, version: 0, versions: 0 };
  /** Reads of given versions and version listings (trust proofs, version history). */
  get versionReads(): number {
    return this.readsBy.version + this.readsBy.versions;
  }
  /** Epoch ms when the last read finished (the report's receipt → Key Vault read timing). */
  lastReadDoneAt: number | undefined;

  constructor(private readonly clients: VaultClients) {}

  /** The latest version, as the driver mounts it (Key Vault's unversioned GET). */
  read(vault: VaultConfig, type: ObjectType, name: string): Promise<ReadResult> {
    return this.once({ what: "latest", vault, type, name }, (c, o) => this.get(c, type, name, "", o));
  }

  /** One given version (a pinned objectVersion, version history). */
  readVersion(vault: VaultConfig, type: ObjectType, name: string, version: string): Promise<ReadResult> {
    return this.once({ what: "version", vault, type, name, version }, (c, o) => this.get(c, type, name, version, o));
  }

  /** Every version, enabled or not, newest first (paged through the SDK). An unknown name has none. */
  listVersions(vault: VaultConfig, type: ObjectType, name: string): Promise<VersionsResult> {
    return this.once({ what: "versions", vault, type, name }, async (c, o) => {
      const out: VersionInfo[] = [];
      const pages =
        type === "secret"
          ? c.secrets.listPropertiesOfSecretVersions(name, o)
          : type === "key"
            ? c.keys.listPropertiesOfKeyVersions(name, o)
            : c.certs.listPropertiesOfCertificateVersions(name, o);
      for await (const p of pages)
        out.push({
          version: p.version ?? "",
          enabled: p.enabled !== false,
          ...(p.createdOn ? { createdOn: p.createdOn } : {}),
          ...(p.updatedOn ? { updatedOn: p.updatedOn } : {}),
        });
      return { versions: out.sort(newestFirst) };
    });
  }

  private async get(c: Clients, type: ObjectType, name: string, version: string, o: { abortSignal: AbortSignal }): Promise<ReadResult> {
    if (type === "secret") {
      const s = await c.secrets.getSecret(name, { ...o, ...(version ? { version } : {}) });
      const data = secretData(name, s);
      return data ? found(data, s.properties) : unavailable("incomplete", `secret ${name} came back without a value or an id`);
    }
    if (type === "key") {
      const k = await c.keys.getKey(name, { ...o, ...(version ? { version } : {}) });
      return found(keyData(name, k), k.properties);
    }
    const cert = version ? await c.certs.getCertificateVersion(name, version, o) : await c.certs.getCertificate(name, o);
    if (!cert.cer) return unavailable("pending", `certificate ${name} has no cer (pending or failed issuance)`);
    return found({ kind: "cert", name, version: cert.properties.version ?? "", cer: cert.cer }, cert.properties);
  }

  /** One request per (vault, object, what) and invocation: later callers share the first one's promise. */
  private once<T>(r: ReadSpec, run: (c: Clients, o: { abortSignal: AbortSignal }) => Promise<T>): Promise<T | Unavailable> {
    const key = [r.vault.name, r.type, r.name, r.what, r.version?.toLowerCase() ?? ""].join("|");
    let p = this.memo.get(key) as Promise<T | Unavailable> | undefined;
    if (!p) {
      p = this.attempt(r, run);
      this.memo.set(key, p);
    }
    return p;
  }

  private async attempt<T>(r: ReadSpec, run: (c: Clients, o: { abortSignal: AbortSignal }) => Promise<T>): Promise<T | Unavailable> {
    const { vault, type, name, version } = r;
    const c = this.clients.for(vault);
    this.reads++;
    this.readsBy[r.what]++;
    const what = `Key Vault ${vault.name}: ${r.what === "versions" ? "list versions of" : "read"} ${LABEL[type]} ${name}${version ? `@${version}` : ""}`;
    const signal = this.clients.registry.start(this.clients.readTimeoutMs);
    try {
      return await run(c, { abortSignal: signal });
    } catch (e) {
      const facts = errorFacts(e, this.clients.registry.lastAnswer(signal), { deadline: signal.aborted });
      const v = classifyKeyVaultFailure(facts);
      if ("outcome" in v) return unavailable(v.outcome, `${what}: ${v.cause}`);
      throw new KeyVaultReadError(failureOf(what, facts, v, this.clients.readTimeoutMs), { cause: e });
    } finally {
      this.lastReadDoneAt = Date.now();
    }
  }
}
