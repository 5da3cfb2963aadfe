/**
 * What every Key Vault object kind shares in the emulator: request context and results, input validation,
 * attributes, paging with `nextLink`, soft-delete records and Key Vault's not-found / conflict errors.
 */
import {
  KvError,
  nowSeconds,
  RECOVERABLE_DAYS,
  RECOVERY_LEVEL,
  type Attributes,
  type Deleted,
  type Item,
  type Json,
  type Tags,
  type VaultData,
} from "./model.js";

export type Kind = "secrets" | "keys" | "certificates";

export interface Ctx {
  vault: VaultData;
  /** e.g. https://127.0.0.1:41234 (no trailing slash). */
  vaultUrl: string;
  apiVersion: string;
  query: URLSearchParams;
  /** Parsed JSON body, or undefined when the request had none. */
  body: unknown;
}

export interface Result {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export const PKCS12 = "application/x-pkcs12";
export const PEM = "application/x-pem-file";
const DEFAULT_PAGE = 25;
const MAX_PAGE = 25;
export const DAY_S = 86_400;
const FWLINK = "For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182";

export const ok = (body: unknown, status = 200): Result => ({ status, body });
export const lc = (s: string): string => s.toLowerCase();

export function validName(name: string): string {
  if (!/^[0-9a-zA-Z-]{1,127}$/.test(name)) {
    throw new KvError(400, "BadParameter", `The request URI contains an invalid name: ${name}`);
  }
  return name;
}

export function bodyObj(ctx: Ctx, required = true): Json {
  const b = ctx.body;
  if (b && typeof b === "object" && !Array.isArray(b)) return b as Json;
  if (b === undefined && !required) return {};
  throw new KvError(400, "BadParameter", "The request body is missing or is not a JSON object.");
}

export function obj(v: unknown): Json | undefined {
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Json) : undefined;
}

export function str(v: unknown, what: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw new KvError(400, "BadParameter", `Property ${what} must be a string.`);
  return v;
}

export function num(v: unknown, what: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v)) throw new KvError(400, "BadParameter", `Property ${what} must be a number.`);
  return v;
}

export function strArray(v: unknown, what: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) {
    throw new KvError(400, "BadParameter", `Property ${what} must be an array of strings.`);
  }
  return v as string[];
}

export function tagsIn(v: unknown): Tags | undefined {
  if (v === undefined || v === null) return undefined;
  const o = obj(v);
  if (!o || Object.values(o).some((x) => typeof x !== "string")) {
    throw new KvError(400, "BadParameter", "Property tags must be an object of strings.");
  }
  if (Object.keys(o).length > 15) throw new KvError(400, "BadParameter", "A maximum of 15 tags is allowed.");
  return { ...(o as Tags) };
}

/** Applies request attributes (enabled, nbf, exp) onto `base`. */
export function attrsIn(v: unknown, base: Attributes): Attributes {
  const a = obj(v);
  if (!a) return base;
  const out: Attributes = { ...base };
  if (a.enabled !== undefined && a.enabled !== null) {
    if (typeof a.enabled !== "boolean") throw new KvError(400, "BadParameter", "Property enabled must be a boolean.");
    out.enabled = a.enabled;
  }
  const nbf = num(a.nbf, "nbf");
  const exp = num(a.exp, "exp");
  if (nbf !== undefined) out.nbf = nbf;
  if (exp !== undefined) out.exp = exp;
  return out;
}

export function newAttrs(now = nowSeconds()): Attributes {
  return { enabled: true, created: now, updated: now };
}

export function attrsOut(a: Attributes, extra: Json = {}): Json {
  const out: Json = { enabled: a.enabled };
  if (a.nbf !== undefined) out.nbf = a.nbf;
  if (a.exp !== undefined) out.exp = a.exp;
  out.created = a.created;
  out.updated = a.updated;
  out.recoverableDays = RECOVERABLE_DAYS;
  out.recoveryLevel = RECOVERY_LEVEL;
  return { ...out, ...extra };
}

export function latest<V>(item: Item<V>): V {
  const v = item.versions[item.versions.length - 1];
  if (v === undefined) throw new KvError(500, "InternalServerError", "object without versions");
  return v;
}

export function sortedItems<V>(m: Map<string, Item<V>>): Item<V>[] {
  return [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
}

/** Versions in the service's listing order: by version id, not by creation time. */
export function sortedVersions<V extends { version: string }>(item: Item<V>): V[] {
  return [...item.versions].sort((a, b) => (a.version < b.version ? -1 : a.version > b.version ? 1 : 0));
}

export function page(ctx: Ctx, all: unknown[], path: string): Result {
  const mr = ctx.query.get("maxresults");
  let max = DEFAULT_PAGE;
  if (mr !== null && mr !== "") {
    max = Number(mr);
    if (!Number.isInteger(max) || max < 1 || max > MAX_PAGE) {
      throw new KvError(400, "BadParameter", `invalid maxresults ${mr}: the value must be between 1 and ${MAX_PAGE}.`);
    }
  }
  let skip = 0;
  const tok = ctx.query.get("$skiptoken");
  if (tok) {
    skip = Number(Buffer.from(tok, "base64url").toString("utf8"));
    if (!Number.isInteger(skip) || skip < 0) throw new KvError(400, "BadParameter", "invalid $skiptoken");
  }
  const value = all.slice(skip, skip + max);
  const nextLink =
    skip + max < all.length
      ? `${ctx.vaultUrl}${path}?api-version=${encodeURIComponent(ctx.apiVersion)}&$skiptoken=${Buffer.from(String(skip + max)).toString("base64url")}&maxresults=${max}`
      : null;
  return ok({ value, nextLink });
}

export function deletedInfo(ctx: Ctx, coll: string, name: string, d: { deletedDate: number; scheduledPurgeDate: number }): Json {
  return {
    recoveryId: `${ctx.vaultUrl}/${coll}/${name}`,
    deletedDate: d.deletedDate,
    scheduledPurgeDate: d.scheduledPurgeDate,
  };
}

export function newDeleted<V>(item: Item<V>): Deleted<V> {
  const now = nowSeconds();
  return { item, deletedDate: now, scheduledPurgeDate: now + RECOVERABLE_DAYS * DAY_S };
}

export type Label = "secret" | "key" | "certificate";

export function notFound(kind: Label, id: string): KvError {
  const code = kind === "secret" ? "SecretNotFound" : kind === "key" ? "KeyNotFound" : "CertificateNotFound";
  return new KvError(
    404,
    code,
    `A ${kind} with (name/id) ${id} was not found in this key vault. If you recently deleted this ${kind} you may be able to recover it using the correct recovery command. ${FWLINK}`,
  );
}

export function capitalized(l: Label): "Secret" | "Key" | "Certificate" {
  return l === "secret" ? "Secret" : l === "key" ? "Key" : "Certificate";
}

export function deletedNotFound(kind: Label, name: string): KvError {
  const k = capitalized(kind);
  return new KvError(404, `Deleted${k}NotFound`, `Deleted ${k} not found: ${name}`);
}

export function conflictIfDeleted(m: Map<string, unknown>, kind: Label, name: string): void {
  if (m.has(lc(name))) {
    throw new KvError(
      409,
      "Conflict",
      `${capitalized(kind)} ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the ${kind} can only be recovered or purged.`,
    );
  }
}

export function findVersion<V extends { version: string }>(item: Item<V>, version: string | undefined, notFoundErr: () => KvError): V {
  if (!version) return latest(item);
  const v = lc(version);
  const found = item.versions.find((x) => x.version === v);
  if (!found) throw notFoundErr();
  return found;
}

export function pushVersion<V>(m: Map<string, Item<V>>, name: string, v: V): Item<V> {
  let item = m.get(lc(name));
  if (!item) {
    item = { name, versions: [] };
    m.set(lc(name), item);
  }
  item.versions.push(v);
  return item;
}
