/**
 * Azure Key Vault data-plane emulator for tests: an HTTPS server speaking enough of the Key Vault REST API
 * (secrets, keys, certificates) for the unmodified `@azure/keyvault-*` SDK clients, with TLS verified.
 *
 * Each vault gets its own HTTPS listener (its own port); all share one in-memory store. Vault URLs are
 * `https://127.0.0.1:<port>` (see `urlFor`). Auth behaves like the service: a request without a bearer token gets
 * a 401 challenge naming the tenant and `resource="https://vault.azure.net"` (so the SDK's challenge policy runs);
 * any bearer token is accepted afterwards. API versions: exactly the documented ones (keyvault-emulator/api-versions.ts).
 * Fault injection answers any status with any `code` / `innererror.code`, headers (Retry-After, WWW-Authenticate) or
 * an empty body, on the unauthenticated challenge request too.
 *
 * In-process: `startKeyVaultEmulator({ vaults, tls })`. As a child process:
 *   node dist/test/env/keyvault-emulator.js --vaults a,b --cert-file X --key-file Y [--state-file S] [--port N] [--host H]
 * prints one line `{"ready":true,"vaults":{"a":"https://127.0.0.1:port",...}}` when listening; SIGTERM/SIGINT stop it.
 */
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync, realpathSync, renameSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { pathToFileURL } from "node:url";
import type { TokenCredential } from "@azure/identity";
import { apiVersionError } from "./keyvault-emulator/api-versions.js";
import { putSecret, resolveRoute, type Kind, type Route } from "./keyvault-emulator/handlers.js";
import { deserializeVault, emptyVault, KvError, serializeVault, type Tags, type VaultData } from "./keyvault-emulator/model.js";

export { KvError } from "./keyvault-emulator/model.js";

// ---------------------------------------------------------------------------------------------------------------
// Public API

export interface KeyVaultEmulatorOptions {
  /** Vault names (labels; each gets its own listener and URL). */
  vaults: string[];
  /** Base port: vault i listens on port + i. 0 or absent = ephemeral ports. */
  port?: number;
  /** Bind address and URL host (default 127.0.0.1). */
  host?: string;
  /** Server certificate and key (PEM); the certificate must cover the host (IP SAN 127.0.0.1). */
  tls: { cert: string; key: string };
  /** Optional JSON persistence: loaded at start, rewritten (debounced) after changes and at close. */
  stateFile?: string;
  /** Tenant id in the 401 challenge (default a fixed GUID). */
  tenantId?: string;
  /** Request body limit in bytes (default 1 MiB); larger bodies get 413. */
  maxBodyBytes?: number;
}

export interface RequestKey {
  vault: string;
  method: string;
  /** Operation name after the SDK method, e.g. getSecret, listSecretVersions, createCertificate; "unknown" if unrouted. */
  operation: string;
  /** HTTP status answered; 0 for a connection reset by fault injection. */
  status: number;
  /** The request's api-version query parameter ("" when absent). */
  apiVersion: string;
}

export interface EmulatorStats {
  /** Number of requests matching all given fields (all requests when no filter). */
  count(filter?: Partial<RequestKey>): number;
  /** Successful (200) reads of secret/key/certificate bundles (getSecret, getKey, getCertificate). */
  reads(vault?: string): number;
  /** Successful reads of one object (any version). */
  readsOf(vault: string, kind: Kind, name: string): number;
  /** Request counts by operation (all statuses). */
  byOperation(vault?: string): Record<string, number>;
  /** Bearer tokens the requests of an operation carried, in order (test tokens, never secrets). */
  tokens(operation?: string): string[];
  entries(): Array<RequestKey & { count: number }>;
  reset(): void;
}

export type FaultAction =
  /**
   * Answer with this status and Key Vault's error body `{"error":{"code","message","innererror":{"code"}}}`. Defaults:
   * code by status (401 Unauthorized, 403 Forbidden, 404 NotFound, 429 Throttled, 503 ServiceUnavailable, else
   * InternalServerError), no innererror. `body: "empty"` answers no body at all (a gateway's bare 503).
   */
  | {
      type: "status";
      status: number;
      code?: string;
      innerCode?: string;
      message?: string;
      retryAfterSeconds?: number;
      /** Extra response headers, e.g. WWW-Authenticate for a claims challenge. */
      headers?: Record<string, string>;
      body?: "error" | "empty";
    }
  /** Wait, then handle the request normally. */
  | { type: "delay"; ms: number }
  /** Destroy the connection without answering (the client sees ECONNRESET / socket hang up). */
  | { type: "reset" };

export interface FaultRule {
  vault?: string;
  /** Operation name(s), as in stats (e.g. "getSecret"). */
  operation?: string | string[];
  method?: string;
  /** Object name in the path (case-insensitive). */
  name?: string;
  /**
   * Which requests: "authenticated" (with a bearer token; default), "challenge" (the SDK's first request of a client,
   * sent without a token and answered with the 401 challenge), or "any".
   */
  stage?: "authenticated" | "challenge" | "any";
  /** How many matching requests get the fault (default 1). */
  times?: number;
  action: FaultAction;
}

export interface FaultHandle {
  readonly hits: number;
  readonly remaining: number;
  cancel(): void;
}

export interface KeyVaultEmulator {
  /** Port of the first vault. */
  readonly port: number;
  /** Port of every vault. */
  readonly ports: Readonly<Record<string, number>>;
  readonly vaults: readonly string[];
  /** The vault URL, `https://127.0.0.1:<port>`; throws for an unknown vault. */
  urlFor(vault: string): string;
  /** Adds a vault at runtime (port 0 = ephemeral) and returns its URL. */
  addVault(name: string, port?: number): Promise<string>;
  readonly stats: EmulatorStats;
  /** Faults apply to authenticated requests unless the rule's `stage` says otherwise. */
  injectFaults(rule: FaultRule): FaultHandle;
  clearFaults(): void;
  /** Writes a secret version directly (no HTTP, not counted); returns its id and version. */
  seedSecret(
    vault: string,
    name: string,
    value: string,
    opts?: { contentType?: string; tags?: Tags; enabled?: boolean },
  ): { id: string; version: string };
  close(): Promise<void>;
}

/**
 * Options for every `@azure/keyvault-*` client talking to the emulator: TLS trust via `tlsOptions.ca`, and the
 * challenge-resource check off (the emulator listens on 127.0.0.1, which does not end in `.vault.azure.net`; see
 * docs/keyvault-failures.md "Authentication"). No API version pin: the SDKs' defaults are what production sends.
 */
export interface EmulatorClientOptions {
  disableChallengeResourceVerification: true;
  tlsOptions: { ca: string };
  retryOptions?: {
    maxRetries?: number;
    retryDelayInMs?: number;
    maxRetryDelayInMs?: number;
  };
}

export function vaultClientOptions(
  caPem: string,
  extra: { retryOptions?: EmulatorClientOptions["retryOptions"] } = {},
): EmulatorClientOptions {
  return {
    disableChallengeResourceVerification: true,
    tlsOptions: { ca: caPem },
    ...(extra.retryOptions ? { retryOptions: extra.retryOptions } : {}),
  };
}

/** A credential that hands out a fixed bearer token (the emulator accepts any). */
export function staticCredential(token = "emulator"): TokenCredential {
  return {
    getToken: async () => ({
      token,
      expiresOnTimestamp: Date.now() + 3_600_000,
    }),
  };
}

export interface TokenRequest {
  scopes: string[];
  tenantId?: string;
  claims?: string;
  enableCae?: boolean;
}

/**
 * A credential that records what the SDK asks it for (scopes, tenant, claims) — the SDK takes them from the 401
 * challenge — and answers a distinct token per request (`<prefix>-<n>`, `-claims` when a claims challenge asked).
 */
export function recordingCredential(prefix = "recorded"): TokenCredential & { requests: TokenRequest[] } {
  const requests: TokenRequest[] = [];
  return {
    requests,
    getToken: async (scopes, options) => {
      const o = (options ?? {}) as { tenantId?: string; claims?: string; enableCae?: boolean };
      requests.push({
        scopes: Array.isArray(scopes) ? [...scopes] : [scopes],
        ...(o.tenantId !== undefined ? { tenantId: o.tenantId } : {}),
        ...(o.claims !== undefined ? { claims: o.claims } : {}),
        ...(o.enableCae !== undefined ? { enableCae: o.enableCae } : {}),
      });
      return { token: `${prefix}-${requests.length}${o.claims ? "-claims" : ""}`, expiresOnTimestamp: Date.now() + 3_600_000 };
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Stats and faults

const SEP = "\u0000";

class Stats implements EmulatorStats {
  private counts = new Map<string, RequestKey & { count: number }>();
  private readTotals = new Map<string, number>();
  private objectReads = new Map<string, number>();
  private seenTokens: Array<{ operation: string; token: string }> = [];

  token(operation: string, token: string): void {
    this.seenTokens.push({ operation, token });
  }

  tokens(operation?: string): string[] {
    return this.seenTokens.filter((t) => operation === undefined || t.operation === operation).map((t) => t.token);
  }

  record(k: RequestKey, route: Route | undefined): void {
    const key = [k.vault, k.method, k.operation, k.status, k.apiVersion].join(SEP);
    const e = this.counts.get(key);
    if (e) e.count++;
    else this.counts.set(key, { ...k, count: 1 });
    if (route?.read && k.status === 200 && route.kind && route.name !== undefined) {
      this.readTotals.set(k.vault, (this.readTotals.get(k.vault) ?? 0) + 1);
      const ok = [k.vault, route.kind, route.name.toLowerCase()].join(SEP);
      this.objectReads.set(ok, (this.objectReads.get(ok) ?? 0) + 1);
    }
  }

  count(filter: Partial<RequestKey> = {}): number {
    let n = 0;
    for (const e of this.counts.values()) {
      if (filter.vault !== undefined && e.vault !== filter.vault) continue;
      if (filter.method !== undefined && e.method !== filter.method.toUpperCase()) continue;
      if (filter.operation !== undefined && e.operation !== filter.operation) continue;
      if (filter.status !== undefined && e.status !== filter.status) continue;
      if (filter.apiVersion !== undefined && e.apiVersion !== filter.apiVersion) continue;
      n += e.count;
    }
    return n;
  }

  reads(vault?: string): number {
    if (vault !== undefined) return this.readTotals.get(vault) ?? 0;
    let n = 0;
    for (const v of this.readTotals.values()) n += v;
    return n;
  }

  readsOf(vault: string, kind: Kind, name: string): number {
    return this.objectReads.get([vault, kind, name.toLowerCase()].join(SEP)) ?? 0;
  }

  byOperation(vault?: string): Record<string, number> {
    const out: Record<string, number> = {};
    for (const e of this.counts.values()) {
      if (vault !== undefined && e.vault !== vault) continue;
      out[e.operation] = (out[e.operation] ?? 0) + e.count;
    }
    return out;
  }

  entries(): Array<RequestKey & { count: number }> {
    return [...this.counts.values()].map((e) => ({ ...e }));
  }

  reset(): void {
    this.seenTokens = [];
    this.counts.clear();
    this.readTotals.clear();
    this.objectReads.clear();
  }
}

interface ActiveFault {
  rule: FaultRule;
  remaining: number;
  hits: number;
}

class Faults {
  private active: ActiveFault[] = [];

  add(rule: FaultRule): FaultHandle {
    const f: ActiveFault = { rule, remaining: rule.times ?? 1, hits: 0 };
    this.active.push(f);
    const remove = (): void => {
      this.active = this.active.filter((x) => x !== f);
    };
    return {
      get hits() {
        return f.hits;
      },
      get remaining() {
        return f.remaining;
      },
      cancel() {
        f.remaining = 0;
        remove();
      },
    };
  }

  clear(): void {
    for (const f of this.active) f.remaining = 0;
    this.active = [];
  }

  take(
    vault: string,
    method: string,
    operation: string,
    name: string | undefined,
    stage: "authenticated" | "challenge",
  ): FaultAction | undefined {
    if (this.active.length === 0) return undefined;
    for (const f of this.active) {
      const r = f.rule;
      if (f.remaining <= 0) continue;
      if ((r.stage ?? "authenticated") !== "any" && (r.stage ?? "authenticated") !== stage) continue;
      if (r.vault !== undefined && r.vault !== vault) continue;
      if (r.method !== undefined && r.method.toUpperCase() !== method) continue;
      if (r.operation !== undefined && !(Array.isArray(r.operation) ? r.operation : [r.operation]).includes(operation)) continue;
      if (r.name !== undefined && (name === undefined || r.name.toLowerCase() !== name.toLowerCase())) continue;
      f.remaining--;
      f.hits++;
      if (f.remaining <= 0) this.active = this.active.filter((x) => x !== f);
      return r.action;
    }
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Server

const DEFAULT_TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const DEFAULT_MAX_BODY = 1024 * 1024;
const STATE_FORMAT = 1;

function errorBody(e: KvError): unknown {
  return {
    error: {
      code: e.code,
      message: e.message,
      ...(e.innerCode ? { innererror: { code: e.innerCode } } : {}),
    },
  };
}

const DEFAULT_CODES: Record<number, string> = {
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  409: "Conflict",
  429: "Throttled",
  503: "ServiceUnavailable",
};

function faultError(a: Extract<FaultAction, { type: "status" }>): KvError {
  const code = a.code ?? DEFAULT_CODES[a.status] ?? "InternalServerError";
  const message =
    a.message ??
    (a.status === 429
      ? "Request was not processed because too many requests were received. Reason: injected by the emulator"
      : `Injected fault (${a.status}).`);
  return new KvError(a.status, code, message, a.innerCode, {
    ...(a.retryAfterSeconds !== undefined ? { "Retry-After": String(a.retryAfterSeconds) } : {}),
    ...a.headers,
  });
}

function urlHost(host: string): string {
  if (host === "0.0.0.0" || host === "::") return "127.0.0.1";
  return host.includes(":") ? `[${host}]` : host;
}

export async function startKeyVaultEmulator(opts: KeyVaultEmulatorOptions): Promise<KeyVaultEmulator> {
  const host = opts.host ?? "127.0.0.1";
  const tenant = opts.tenantId ?? DEFAULT_TENANT;
  const maxBody = opts.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const stats = new Stats();
  const faults = new Faults();
  const data = new Map<string, VaultData>();
  const servers = new Map<string, Server>();
  const ports: Record<string, number> = {};
  const urls = new Map<string, string>();

  // --- persistence
  let loaded: Record<string, unknown> = {};
  if (opts.stateFile && existsSync(opts.stateFile)) {
    const j = JSON.parse(readFileSync(opts.stateFile, "utf8")) as {
      format?: number;
      vaults?: Record<string, unknown>;
    };
    if (j.format === STATE_FORMAT && j.vaults) loaded = j.vaults;
  }
  let flushTimer: NodeJS.Timeout | undefined;
  const flush = (): void => {
    if (flushTimer) clearTimeout(flushTimer);
    flushTimer = undefined;
    if (!opts.stateFile) return;
    const vaults: Record<string, unknown> = {};
    for (const [name, v] of data) vaults[name] = serializeVault(v);
    const tmp = `${opts.stateFile}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify({ format: STATE_FORMAT, vaults }));
    renameSync(tmp, opts.stateFile);
  };
  const markDirty = (): void => {
    if (opts.stateFile && !flushTimer) flushTimer = setTimeout(flush, 100);
  };

  // --- request handling
  /** `body` undefined = no body at all (no Content-Type either: a gateway's bare answer). */
  const send = (req: IncomingMessage, res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    const payload = body === undefined ? "" : JSON.stringify(body);
    const h: Record<string, string | number> = {
      ...(body === undefined ? {} : { "Content-Type": "application/json; charset=utf-8" }),
      "Content-Length": Buffer.byteLength(payload),
      "Cache-Control": "no-cache",
      "x-ms-request-id": randomUUID(),
      "x-ms-keyvault-service-version": "1.9.0.0-emulator",
      "x-ms-keyvault-region": "emulator",
      ...headers,
    };
    const clientId = req.headers["x-ms-client-request-id"];
    if (typeof clientId === "string") h["x-ms-client-request-id"] = clientId;
    res.writeHead(status, h);
    res.end(payload);
  };

  const readBody = async (req: IncomingMessage): Promise<Buffer | "too-large"> => {
    const declared = Number(req.headers["content-length"] ?? 0);
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = declared > maxBody;
    for await (const chunk of req) {
      if (tooLarge) continue; // drain
      size += (chunk as Buffer).length;
      if (size > maxBody) tooLarge = true;
      else chunks.push(chunk as Buffer);
    }
    return tooLarge ? "too-large" : Buffer.concat(chunks);
  };

  const handle = async (vaultName: string, req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = (req.method ?? "GET").toUpperCase();
    const body = await readBody(req);
    const url = new URL(req.url ?? "/", "https://emulator.invalid");
    let segs: string[] | undefined;
    try {
      segs = url.pathname.split("/").slice(1).map(decodeURIComponent);
      if (segs.length > 0 && segs[segs.length - 1] === "") segs.pop();
    } catch {
      segs = undefined;
    }
    const route = segs ? resolveRoute(method, segs) : undefined;
    const operation = route?.operation ?? "unknown";
    const apiVersion = url.searchParams.get("api-version") ?? "";
    const reply = (status: number, body: unknown, headers?: Record<string, string>): void => {
      stats.record({ vault: vaultName, method, operation, status, apiVersion }, route);
      send(req, res, status, body, headers);
    };
    const replyError = (e: KvError): void => reply(e.status, errorBody(e), e.headers);
    /** Applies an injected fault; true when it answered (or dropped) the request. */
    const faulted = async (stage: "authenticated" | "challenge"): Promise<boolean> => {
      const fault = faults.take(vaultName, method, operation, route?.name, stage);
      if (fault?.type === "reset") {
        stats.record({ vault: vaultName, method, operation, status: 0, apiVersion }, route);
        req.socket.destroy();
        return true;
      }
      if (fault?.type === "status") {
        const e = faultError(fault);
        if (fault.body === "empty") reply(e.status, undefined, e.headers);
        else replyError(e);
        return true;
      }
      if (fault?.type === "delay") await sleep(fault.ms);
      return false;
    };
    if (!segs) return replyError(new KvError(400, "BadParameter", "The request URI is not valid."));

    if (body === "too-large") {
      res.setHeader("Connection", "close");
      return replyError(new KvError(413, "RequestBodyTooLarge", `The request body exceeds the maximum size of ${maxBody} bytes.`));
    }
    const auth = req.headers.authorization;
    const bearer = auth ? /^(Bearer|PoP)\s+(\S+)/i.exec(auth) : null;
    if (!bearer) {
      if (await faulted("challenge")) return;
      return replyError(
        new KvError(401, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token.", undefined, {
          "WWW-Authenticate": `Bearer authorization="https://login.microsoftonline.com/${tenant}", resource="https://vault.azure.net"`,
        }),
      );
    }
    stats.token(operation, bearer[2] ?? "");
    const apiErr = apiVersionError(url.searchParams.get("api-version"));
    if (apiErr) return replyError(apiErr);
    if (!route) {
      return replyError(new KvError(404, "NotFound", `The Key Vault emulator has no operation ${method} ${url.pathname}.`));
    }
    if (await faulted("authenticated")) return;

    let parsed: unknown;
    if (body.length > 0) {
      try {
        parsed = JSON.parse(body.toString("utf8"));
      } catch {
        return replyError(new KvError(400, "BadParameter", "The request body is not valid JSON."));
      }
    }
    const vault = data.get(vaultName);
    if (!vault) return replyError(new KvError(404, "NotFound", `No vault ${vaultName}.`));
    try {
      const result = route.run({
        vault,
        vaultUrl: urls.get(vaultName) ?? "",
        apiVersion,
        query: url.searchParams,
        body: parsed,
      });
      if (route.mutates) markDirty();
      reply(result.status, result.body, result.headers);
    } catch (e) {
      if (e instanceof KvError) return replyError(e);
      console.error("keyvault-emulator: internal error", e);
      return replyError(new KvError(500, "InternalServerError", (e as Error).message));
    }
  };

  const addVault = async (name: string, port = 0): Promise<string> => {
    if (!name || servers.has(name)) throw new Error(`invalid or duplicate vault name: ${name}`);
    data.set(name, loaded[name] ? deserializeVault(loaded[name]) : emptyVault());
    const server = createServer({ cert: opts.tls.cert, key: opts.tls.key }, (req, res) => {
      handle(name, req, res).catch((e: unknown) => {
        console.error("keyvault-emulator: request failed", e);
        if (!res.headersSent)
          send(req, res, 500, {
            error: { code: "InternalServerError", message: String(e) },
          });
        else res.destroy();
      });
    });
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    servers.set(name, server);
    const actual = (server.address() as AddressInfo).port;
    ports[name] = actual;
    const u = `https://${urlHost(host)}:${actual}`;
    urls.set(name, u);
    return u;
  };

  const base = opts.port ?? 0;
  try {
    for (const [i, name] of opts.vaults.entries()) await addVault(name, base ? base + i : 0);
  } catch (e) {
    for (const s of servers.values()) s.close();
    throw e;
  }

  let closed = false;
  return {
    get port() {
      return ports[opts.vaults[0] ?? ""] ?? 0;
    },
    ports,
    get vaults() {
      return [...servers.keys()];
    },
    urlFor(vault: string): string {
      const u = urls.get(vault);
      if (!u) throw new Error(`unknown vault ${vault}`);
      return u;
    },
    addVault,
    stats,
    injectFaults: (rule) => faults.add(rule),
    clearFaults: () => faults.clear(),
    seedSecret(vault, name, value, o = {}) {
      const v = data.get(vault);
      if (!v) throw new Error(`unknown vault ${vault}`);
      const { item, version } = putSecret(v, name, {
        value,
        ...(o.contentType !== undefined ? { contentType: o.contentType } : {}),
        ...(o.tags ? { tags: o.tags } : {}),
        ...(o.enabled !== undefined ? { attributes: { enabled: o.enabled } } : {}),
      });
      markDirty();
      return {
        id: `${urls.get(vault) ?? ""}/secrets/${item.name}/${version.version}`,
        version: version.version,
      };
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await Promise.all(
        [...servers.values()].map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve());
              s.closeAllConnections();
            }),
        ),
      );
      if (opts.stateFile) flush();
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// CLI

function parseArgs(argv: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? "";
    if (!a.startsWith("--")) throw new Error(`unexpected argument ${a}`);
    const eq = a.indexOf("=");
    if (eq > 0) out.set(a.slice(2, eq), a.slice(eq + 1));
    else out.set(a.slice(2), argv[++i] ?? "");
  }
  return out;
}

async function main(argv: string[]): Promise<void> {
  const args = parseArgs(argv);
  const usage =
    "usage: keyvault-emulator --vaults a,b --cert-file server.crt --key-file server.key [--state-file state.json] [--port N] [--host 127.0.0.1]";
  const vaults = (args.get("vaults") ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const certFile = args.get("cert-file");
  const keyFile = args.get("key-file");
  if (vaults.length === 0 || !certFile || !keyFile) throw new Error(usage);
  const stateFile = args.get("state-file");
  const host = args.get("host");
  const emu = await startKeyVaultEmulator({
    vaults,
    tls: {
      cert: readFileSync(certFile, "utf8"),
      key: readFileSync(keyFile, "utf8"),
    },
    ...(stateFile ? { stateFile } : {}),
    ...(host ? { host } : {}),
    ...(args.get("port") ? { port: Number(args.get("port")) } : {}),
  });
  const stop = (): void => {
    emu.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  process.stdout.write(`${JSON.stringify({ ready: true, vaults: Object.fromEntries(vaults.map((v) => [v, emu.urlFor(v)])) })}\n`);
}

function isMain(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(entry)).href;
  } catch {
    return false;
  }
}

if (isMain()) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
