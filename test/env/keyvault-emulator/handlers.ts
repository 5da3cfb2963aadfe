/**
 * Key Vault data-plane routes and operations (secrets, keys, certificates) over the in-memory model.
 *
 * Shapes follow the REST API (SecretBundle, KeyBundle, CertificateBundle, CertificateOperation, list results with
 * `nextLink`, DeletedXxxBundle). Routing is resolved before the body is read, so that the server can count and
 * fault-inject by operation name.
 */
import { randomBytes } from "node:crypto";
import {
  certInfo,
  createSelfSigned,
  generateKey,
  importJwk,
  isEcKty,
  keySizeOf,
  parseImportedCertificate,
  publicJwkOf,
  secretValueFor,
  x5tOf,
  type CertInfo,
  type CertMaterial,
} from "./crypto.js";
import {
  KvError,
  newVersion,
  nowSeconds,
  RECOVERABLE_DAYS,
  RECOVERY_LEVEL,
  type Attributes,
  type CertOperation,
  type CertVersion,
  type Deleted,
  type Item,
  type Json,
  type KeyVersion,
  type SecretVersion,
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

export interface Route {
  operation: string;
  kind?: Kind;
  /** The object name in the path, when there is one. */
  name?: string;
  /** Whether a successful run may change the store (for persistence). */
  mutates: boolean;
  /** Whether a 200 answer of this route is a "read" of an object bundle (stats.reads). */
  read?: boolean;
  run(ctx: Ctx): Result;
}

const PKCS12 = "application/x-pkcs12";
const PEM = "application/x-pem-file";
const DEFAULT_PAGE = 25;
const MAX_PAGE = 25;
const DAY_S = 86_400;
const RSA_OPS = ["encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey"];
const EC_OPS = ["sign", "verify"];
const CERT_RSA_OPS = ["sign", "verify", "wrapKey", "unwrapKey", "encrypt", "decrypt"];
const FWLINK = "For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182";

// ---------------------------------------------------------------------------------------------------------------
// Small helpers

const ok = (body: unknown, status = 200): Result => ({ status, body });
const lc = (s: string): string => s.toLowerCase();

function validName(name: string): string {
  if (!/^[0-9a-zA-Z-]{1,127}$/.test(name)) {
    throw new KvError(400, "BadParameter", `The request URI contains an invalid name: ${name}`);
  }
  return name;
}

function bodyObj(ctx: Ctx, required = true): Json {
  const b = ctx.body;
  if (b && typeof b === "object" && !Array.isArray(b)) return b as Json;
  if (b === undefined && !required) return {};
  throw new KvError(400, "BadParameter", "The request body is missing or is not a JSON object.");
}

function obj(v: unknown): Json | undefined {
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Json) : undefined;
}

function str(v: unknown, what: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw new KvError(400, "BadParameter", `Property ${what} must be a string.`);
  return v;
}

function num(v: unknown, what: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v)) throw new KvError(400, "BadParameter", `Property ${what} must be a number.`);
  return v;
}

function strArray(v: unknown, what: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) {
    throw new KvError(400, "BadParameter", `Property ${what} must be an array of strings.`);
  }
  return v as string[];
}

function tagsIn(v: unknown): Tags | undefined {
  if (v === undefined || v === null) return undefined;
  const o = obj(v);
  if (!o || Object.values(o).some((x) => typeof x !== "string")) {
    throw new KvError(400, "BadParameter", "Property tags must be an object of strings.");
  }
  if (Object.keys(o).length > 15) throw new KvError(400, "BadParameter", "A maximum of 15 tags is allowed.");
  return { ...(o as Tags) };
}

/** Applies request attributes (enabled, nbf, exp) onto `base`. */
function attrsIn(v: unknown, base: Attributes): Attributes {
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

function newAttrs(now = nowSeconds()): Attributes {
  return { enabled: true, created: now, updated: now };
}

function attrsOut(a: Attributes, extra: Json = {}): Json {
  const out: Json = { enabled: a.enabled };
  if (a.nbf !== undefined) out.nbf = a.nbf;
  if (a.exp !== undefined) out.exp = a.exp;
  out.created = a.created;
  out.updated = a.updated;
  out.recoverableDays = RECOVERABLE_DAYS;
  out.recoveryLevel = RECOVERY_LEVEL;
  return { ...out, ...extra };
}

function latest<V>(item: Item<V>): V {
  const v = item.versions[item.versions.length - 1];
  if (v === undefined) throw new KvError(500, "InternalServerError", "object without versions");
  return v;
}

function sortedItems<V>(m: Map<string, Item<V>>): Item<V>[] {
  return [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
}

/** Versions in the service's listing order: by version id, not by creation time. */
function sortedVersions<V extends { version: string }>(item: Item<V>): V[] {
  return [...item.versions].sort((a, b) => (a.version < b.version ? -1 : a.version > b.version ? 1 : 0));
}

function page(ctx: Ctx, all: unknown[], path: string): Result {
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

function deletedInfo(ctx: Ctx, coll: string, name: string, d: { deletedDate: number; scheduledPurgeDate: number }): Json {
  return {
    recoveryId: `${ctx.vaultUrl}/${coll}/${name}`,
    deletedDate: d.deletedDate,
    scheduledPurgeDate: d.scheduledPurgeDate,
  };
}

function newDeleted<V>(item: Item<V>): Deleted<V> {
  const now = nowSeconds();
  return {
    item,
    deletedDate: now,
    scheduledPurgeDate: now + RECOVERABLE_DAYS * DAY_S,
  };
}

function notFound(kind: "secret" | "key" | "certificate", id: string): KvError {
  const code = kind === "secret" ? "SecretNotFound" : kind === "key" ? "KeyNotFound" : "CertificateNotFound";
  return new KvError(
    404,
    code,
    `A ${kind} with (name/id) ${id} was not found in this key vault. If you recently deleted this ${kind} you may be able to recover it using the correct recovery command. ${FWLINK}`,
  );
}

function deletedNotFound(kind: "Secret" | "Key" | "Certificate", name: string): KvError {
  return new KvError(404, `Deleted${kind}NotFound`, `Deleted ${kind} not found: ${name}`);
}

function conflictIfDeleted(m: Map<string, unknown>, kind: "Secret" | "Key" | "Certificate", name: string): void {
  if (m.has(lc(name))) {
    throw new KvError(
      409,
      "Conflict",
      `${kind} ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the ${lc(kind)} can only be recovered or purged.`,
    );
  }
}

function findVersion<V extends { version: string }>(item: Item<V>, version: string | undefined, notFoundErr: () => KvError): V {
  if (!version) return latest(item);
  const v = lc(version);
  const found = item.versions.find((x) => x.version === v);
  if (!found) throw notFoundErr();
  return found;
}

function pushVersion<V>(m: Map<string, Item<V>>, name: string, v: V): Item<V> {
  let item = m.get(lc(name));
  if (!item) {
    item = { name, versions: [] };
    m.set(lc(name), item);
  }
  item.versions.push(v);
  return item;
}

// ---------------------------------------------------------------------------------------------------------------
// Secrets

function secretBundle(ctx: Ctx, item: Item<SecretVersion>, v: SecretVersion, withValue = true): Json {
  const b: Json = {};
  if (withValue) b.value = v.value;
  b.id = `${ctx.vaultUrl}/secrets/${item.name}/${v.version}`;
  if (v.contentType !== undefined) b.contentType = v.contentType;
  b.attributes = attrsOut(v.attributes);
  if (v.tags) b.tags = v.tags;
  if (v.managed) {
    b.kid = `${ctx.vaultUrl}/keys/${item.name}/${v.keyVersion ?? v.version}`;
    b.managed = true;
  }
  return b;
}

function secretItem(ctx: Ctx, item: Item<SecretVersion>, v: SecretVersion, withVersion: boolean): Json {
  const b: Json = {
    id: `${ctx.vaultUrl}/secrets/${item.name}${withVersion ? `/${v.version}` : ""}`,
  };
  b.attributes = attrsOut(v.attributes);
  if (v.tags) b.tags = v.tags;
  if (v.contentType !== undefined) b.contentType = v.contentType;
  if (v.managed) b.managed = true;
  return b;
}

function getSecretItem(ctx: Ctx, name: string): Item<SecretVersion> {
  const item = ctx.vault.secrets.get(lc(name));
  if (!item) throw notFound("secret", name);
  return item;
}

/** Sets a new secret version (used by the route and by the emulator's seeding API). */
export function putSecret(
  vault: VaultData,
  name: string,
  input: {
    value: string;
    contentType?: string;
    tags?: Tags;
    attributes?: unknown;
  },
): { item: Item<SecretVersion>; version: SecretVersion } {
  validName(name);
  conflictIfDeleted(vault.deletedSecrets, "Secret", name);
  const existing = vault.secrets.get(lc(name));
  if (existing && existing.versions.some((v) => v.managed)) {
    throw new KvError(403, "Forbidden", "Operation set is not allowed on a managed secret.");
  }
  const v: SecretVersion = {
    version: newVersion(),
    value: input.value,
    attributes: attrsIn(input.attributes, newAttrs()),
  };
  if (input.contentType !== undefined) v.contentType = input.contentType;
  if (input.tags) v.tags = input.tags;
  const item = pushVersion(vault.secrets, name, v);
  return { item, version: v };
}

function setSecret(ctx: Ctx, name: string): Result {
  const b = bodyObj(ctx);
  if (typeof b.value !== "string") throw new KvError(400, "BadParameter", "Property value is required and must be a string.");
  if (Buffer.byteLength(b.value) > 25 * 1024) throw new KvError(400, "BadParameter", "Secret value exceeds the maximum size of 25 KB.");
  const contentType = str(b.contentType, "contentType");
  const tags = tagsIn(b.tags);
  const { item, version } = putSecret(ctx.vault, name, {
    value: b.value,
    ...(contentType !== undefined ? { contentType } : {}),
    ...(tags ? { tags } : {}),
    attributes: b.attributes,
  });
  return ok(secretBundle(ctx, item, version));
}

function getSecret(ctx: Ctx, name: string, version: string | undefined): Result {
  const item = getSecretItem(ctx, name);
  const v = findVersion(item, version, () => notFound("secret", `${name}/${version ?? ""}`));
  if (!v.attributes.enabled) {
    throw new KvError(403, "Forbidden", "Operation get is not allowed on a disabled secret.", "SecretDisabled");
  }
  const out = ctx.query.get("outContentType");
  if (out && v.managed && out !== v.contentType) {
    if (out !== PKCS12 && out !== PEM) throw new KvError(400, "BadParameter", `Invalid outContentType ${out}.`);
    const material = certMaterialOf(ctx, item.name, v.keyVersion ?? v.version);
    return ok({
      ...secretBundle(ctx, item, v),
      value: secretValueFor(out, material),
      contentType: out,
    });
  }
  return ok(secretBundle(ctx, item, v));
}

function updateSecret(ctx: Ctx, name: string, version: string | undefined): Result {
  const b = bodyObj(ctx);
  const item = getSecretItem(ctx, name);
  const v = findVersion(item, version, () => notFound("secret", `${name}/${version ?? ""}`));
  const contentType = str(b.contentType, "contentType");
  const tags = tagsIn(b.tags);
  v.attributes = {
    ...attrsIn(b.attributes, v.attributes),
    updated: nowSeconds(),
  };
  if (contentType !== undefined) v.contentType = contentType;
  if (tags) v.tags = tags;
  return ok(secretBundle(ctx, item, v, false));
}

function listSecrets(ctx: Ctx): Result {
  const all = sortedItems(ctx.vault.secrets).map((item) => secretItem(ctx, item, latest(item), false));
  return page(ctx, all, "/secrets");
}

function listSecretVersions(ctx: Ctx, name: string): Result {
  const item = ctx.vault.secrets.get(lc(name));
  // The service answers an empty list (not 404) for an unknown name.
  const all = item ? sortedVersions(item).map((v) => secretItem(ctx, item, v, true)) : [];
  return page(ctx, all, `/secrets/${name}/versions`);
}

function deleteSecret(ctx: Ctx, name: string): Result {
  const item = getSecretItem(ctx, name);
  if (item.versions.some((v) => v.managed)) {
    throw new KvError(403, "Forbidden", "Operation delete is not allowed on a managed secret; delete the certificate.");
  }
  const d = newDeleted(item);
  ctx.vault.secrets.delete(lc(name));
  ctx.vault.deletedSecrets.set(lc(name), d);
  return ok({
    ...deletedInfo(ctx, "deletedsecrets", item.name, d),
    ...secretBundle(ctx, item, latest(item), false),
  });
}

function getDeletedSecret(ctx: Ctx, name: string): Result {
  const d = ctx.vault.deletedSecrets.get(lc(name));
  if (!d) throw deletedNotFound("Secret", name);
  return ok({
    ...deletedInfo(ctx, "deletedsecrets", d.item.name, d),
    ...secretBundle(ctx, d.item, latest(d.item), false),
  });
}

function listDeletedSecrets(ctx: Ctx): Result {
  const all = sortedItems(new Map([...ctx.vault.deletedSecrets].map(([k, d]) => [k, d.item]))).map((item) => {
    const d = ctx.vault.deletedSecrets.get(lc(item.name)) as Deleted<SecretVersion>;
    return {
      ...deletedInfo(ctx, "deletedsecrets", item.name, d),
      ...secretItem(ctx, item, latest(item), false),
    };
  });
  return page(ctx, all, "/deletedsecrets");
}

function purgeDeleted(m: Map<string, unknown>, kind: "Secret" | "Key" | "Certificate", name: string): Result {
  if (!m.delete(lc(name))) throw deletedNotFound(kind, name);
  return { status: 204 };
}

function recoverSecret(ctx: Ctx, name: string): Result {
  const d = ctx.vault.deletedSecrets.get(lc(name));
  if (!d) throw deletedNotFound("Secret", name);
  ctx.vault.deletedSecrets.delete(lc(name));
  ctx.vault.secrets.set(lc(name), d.item);
  return ok(secretBundle(ctx, d.item, latest(d.item), false));
}

// ---------------------------------------------------------------------------------------------------------------
// Keys

function keyBundle(ctx: Ctx, item: Item<KeyVersion>, v: KeyVersion): Json {
  const b: Json = {
    key: {
      kid: `${ctx.vaultUrl}/keys/${item.name}/${v.version}`,
      kty: v.kty,
      key_ops: v.keyOps,
      ...v.publicJwk,
    },
    attributes: attrsOut(v.attributes, { exportable: v.exportable ?? false }),
  };
  if (v.tags) b.tags = v.tags;
  if (v.managed) b.managed = true;
  return b;
}

function keyItem(ctx: Ctx, item: Item<KeyVersion>, v: KeyVersion, withVersion: boolean): Json {
  const b: Json = {
    kid: `${ctx.vaultUrl}/keys/${item.name}${withVersion ? `/${v.version}` : ""}`,
    attributes: attrsOut(v.attributes, { exportable: v.exportable ?? false }),
  };
  if (v.tags) b.tags = v.tags;
  if (v.managed) b.managed = true;
  return b;
}

function getKeyItem(ctx: Ctx, name: string): Item<KeyVersion> {
  const item = ctx.vault.keys.get(lc(name));
  if (!item) throw notFound("key", name);
  return item;
}

function assertKeyWritable(ctx: Ctx, name: string): void {
  conflictIfDeleted(ctx.vault.deletedKeys, "Key", name);
  const existing = ctx.vault.keys.get(lc(name));
  if (existing && existing.versions.some((v) => v.managed)) {
    throw new KvError(403, "Forbidden", "Operation is not allowed on a managed key.");
  }
}

function createKeyVersion(
  ctx: Ctx,
  name: string,
  p: {
    kty: string;
    keySize?: number;
    crv?: string;
    publicExponent?: number;
    keyOps?: string[];
    attributes?: unknown;
    tags?: Tags;
  },
): Result {
  const g = generateKey(p.kty, {
    ...(p.keySize !== undefined ? { keySize: p.keySize } : {}),
    ...(p.crv !== undefined ? { crv: p.crv } : {}),
    ...(p.publicExponent !== undefined ? { publicExponent: p.publicExponent } : {}),
  });
  const v: KeyVersion = {
    version: newVersion(),
    kty: p.kty,
    keyOps: p.keyOps ?? (isEcKty(p.kty) ? EC_OPS : RSA_OPS),
    publicJwk: g.publicJwk,
    privatePem: g.privatePem,
    attributes: attrsIn(p.attributes, newAttrs()),
    exportable: false,
  };
  if (g.keySize !== undefined) v.keySize = g.keySize;
  if (g.crv !== undefined) v.crv = g.crv;
  if (p.tags) v.tags = p.tags;
  const item = pushVersion(ctx.vault.keys, name, v);
  return ok(keyBundle(ctx, item, v));
}

function createKey(ctx: Ctx, name: string): Result {
  validName(name);
  const b = bodyObj(ctx);
  const kty = str(b.kty, "kty");
  if (!kty) throw new KvError(400, "BadParameter", "Property kty is required.");
  assertKeyWritable(ctx, name);
  const keySize = num(b.key_size, "key_size");
  const crv = str(b.crv, "crv");
  const publicExponent = num(b.public_exponent, "public_exponent");
  const keyOps = strArray(b.key_ops, "key_ops");
  const tags = tagsIn(b.tags);
  return createKeyVersion(ctx, name, {
    kty,
    ...(keySize !== undefined ? { keySize } : {}),
    ...(crv !== undefined ? { crv } : {}),
    ...(publicExponent !== undefined ? { publicExponent } : {}),
    ...(keyOps ? { keyOps } : {}),
    ...(tags ? { tags } : {}),
    attributes: b.attributes,
  });
}

function rotateKey(ctx: Ctx, name: string): Result {
  const item = getKeyItem(ctx, name);
  assertKeyWritable(ctx, name);
  const cur = latest(item);
  return createKeyVersion(ctx, item.name, {
    kty: cur.kty,
    ...(cur.keySize !== undefined ? { keySize: cur.keySize } : {}),
    ...(cur.crv !== undefined ? { crv: cur.crv } : {}),
    keyOps: cur.keyOps,
    ...(cur.tags ? { tags: cur.tags } : {}),
  });
}

function importKey(ctx: Ctx, name: string): Result {
  validName(name);
  const b = bodyObj(ctx);
  const jwk = obj(b.key);
  if (!jwk) throw new KvError(400, "BadParameter", "Property key is required.");
  assertKeyWritable(ctx, name);
  const imp = importJwk(jwk);
  const hsm = b.Hsm === true;
  const kty = hsm && !imp.kty.endsWith("-HSM") ? `${imp.kty}-HSM` : imp.kty;
  const keyOps = strArray(jwk.key_ops, "key_ops") ?? (isEcKty(kty) ? EC_OPS : RSA_OPS);
  const tags = tagsIn(b.tags);
  const v: KeyVersion = {
    version: newVersion(),
    kty,
    keyOps,
    publicJwk: imp.publicJwk,
    attributes: attrsIn(b.attributes, newAttrs()),
    exportable: false,
  };
  if (imp.privatePem) v.privatePem = imp.privatePem;
  if (imp.keySize !== undefined) v.keySize = imp.keySize;
  if (imp.crv !== undefined) v.crv = imp.crv;
  if (tags) v.tags = tags;
  const item = pushVersion(ctx.vault.keys, name, v);
  return ok(keyBundle(ctx, item, v));
}

function getKey(ctx: Ctx, name: string, version: string | undefined): Result {
  const item = getKeyItem(ctx, name);
  const v = findVersion(item, version, () => notFound("key", `${name}/${version ?? ""}`));
  return ok(keyBundle(ctx, item, v));
}

function updateKey(ctx: Ctx, name: string, version: string | undefined): Result {
  const b = bodyObj(ctx);
  const item = getKeyItem(ctx, name);
  const v = findVersion(item, version, () => notFound("key", `${name}/${version ?? ""}`));
  const keyOps = strArray(b.key_ops, "key_ops");
  const tags = tagsIn(b.tags);
  v.attributes = {
    ...attrsIn(b.attributes, v.attributes),
    updated: nowSeconds(),
  };
  if (keyOps) v.keyOps = keyOps;
  if (tags) v.tags = tags;
  return ok(keyBundle(ctx, item, v));
}

function listKeys(ctx: Ctx): Result {
  return page(
    ctx,
    sortedItems(ctx.vault.keys).map((item) => keyItem(ctx, item, latest(item), false)),
    "/keys",
  );
}

function listKeyVersions(ctx: Ctx, name: string): Result {
  const item = ctx.vault.keys.get(lc(name));
  const all = item ? sortedVersions(item).map((v) => keyItem(ctx, item, v, true)) : [];
  return page(ctx, all, `/keys/${name}/versions`);
}

function deleteKey(ctx: Ctx, name: string): Result {
  const item = getKeyItem(ctx, name);
  if (item.versions.some((v) => v.managed)) {
    throw new KvError(403, "Forbidden", "Operation delete is not allowed on a managed key; delete the certificate.");
  }
  const d = newDeleted(item);
  ctx.vault.keys.delete(lc(name));
  ctx.vault.deletedKeys.set(lc(name), d);
  return ok({
    ...deletedInfo(ctx, "deletedkeys", item.name, d),
    ...keyBundle(ctx, item, latest(item)),
  });
}

function getDeletedKey(ctx: Ctx, name: string): Result {
  const d = ctx.vault.deletedKeys.get(lc(name));
  if (!d) throw deletedNotFound("Key", name);
  return ok({
    ...deletedInfo(ctx, "deletedkeys", d.item.name, d),
    ...keyBundle(ctx, d.item, latest(d.item)),
  });
}

function listDeletedKeys(ctx: Ctx): Result {
  const all = [...ctx.vault.deletedKeys.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([, d]) => ({
      ...deletedInfo(ctx, "deletedkeys", d.item.name, d),
      ...keyItem(ctx, d.item, latest(d.item), false),
    }));
  return page(ctx, all, "/deletedkeys");
}

function recoverKey(ctx: Ctx, name: string): Result {
  const d = ctx.vault.deletedKeys.get(lc(name));
  if (!d) throw deletedNotFound("Key", name);
  ctx.vault.deletedKeys.delete(lc(name));
  ctx.vault.keys.set(lc(name), d.item);
  return ok(keyBundle(ctx, d.item, latest(d.item)));
}

// ---------------------------------------------------------------------------------------------------------------
// Certificates

function policyOut(ctx: Ctx, name: string, policy: Json | undefined): Json | undefined {
  return policy ? { id: `${ctx.vaultUrl}/certificates/${name}/policy`, ...policy } : undefined;
}

function certBundle(ctx: Ctx, item: Item<CertVersion>, v: CertVersion, withPolicy: boolean): Json {
  const b: Json = {
    id: `${ctx.vaultUrl}/certificates/${item.name}/${v.version}`,
    kid: `${ctx.vaultUrl}/keys/${item.name}/${v.version}`,
    sid: `${ctx.vaultUrl}/secrets/${item.name}/${v.version}`,
    x5t: v.x5t,
    cer: v.certs[0],
    contentType: v.contentType,
    attributes: attrsOut(v.attributes),
  };
  if (v.tags) b.tags = v.tags;
  if (v.preserveCertOrder !== undefined) b.preserveCertOrder = v.preserveCertOrder;
  if (withPolicy) {
    const p = policyOut(ctx, item.name, ctx.vault.policies.get(lc(item.name)));
    if (p) b.policy = p;
  }
  return b;
}

function certItem(ctx: Ctx, item: Item<CertVersion>, v: CertVersion, withVersion: boolean): Json {
  const b: Json = {
    id: `${ctx.vaultUrl}/certificates/${item.name}${withVersion ? `/${v.version}` : ""}`,
    x5t: v.x5t,
    attributes: attrsOut(v.attributes),
  };
  if (v.tags) b.tags = v.tags;
  return b;
}

function getCertItem(ctx: Ctx, name: string): Item<CertVersion> {
  const item = ctx.vault.certificates.get(lc(name));
  if (!item) throw notFound("certificate", name);
  return item;
}

/** Private key and certificates of a certificate version (from the backing key and the certificate). */
function certMaterialOf(ctx: Ctx, name: string, version: string): CertMaterial {
  const cert = ctx.vault.certificates.get(lc(name))?.versions.find((v) => v.version === version);
  const key = ctx.vault.keys.get(lc(name))?.versions.find((v) => v.version === version);
  if (!cert || !key?.privatePem) throw new KvError(500, "InternalServerError", "certificate material missing");
  return {
    privatePem: key.privatePem,
    certs: cert.certs.map((c) => Buffer.from(c, "base64")),
  };
}

function defaultPolicy(now: number, issuer: string): Json {
  return {
    key_props: {
      exportable: true,
      kty: "RSA",
      key_size: 2048,
      reuse_key: false,
    },
    secret_props: { contentType: PKCS12 },
    x509_props: {
      ekus: ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"],
      key_usage: ["digitalSignature", "keyEncipherment"],
      validity_months: 12,
      basic_constraints: { ca: false },
    },
    lifetime_actions: [
      {
        trigger: { lifetime_percentage: 80 },
        action: {
          action_type: lc(issuer) === "self" ? "AutoRenew" : "EmailContacts",
        },
      },
    ],
    issuer: { name: issuer },
    attributes: { enabled: true, created: now, updated: now },
  };
}

/** Section-wise merge of policies (later wins inside each section; arrays are replaced). */
function mergePolicy(...layers: Array<Json | undefined>): Json {
  const out: Json = {};
  for (const layer of layers) {
    if (!layer) continue;
    for (const [k, v] of Object.entries(layer)) {
      if (v === undefined || v === null || k === "id") continue;
      const prev = obj(out[k]);
      const next = obj(v);
      out[k] = prev && next ? { ...prev, ...next } : v;
    }
  }
  return out;
}

function policyFromCert(info: CertInfo, key: { kty: string; keySize?: number; crv?: string }): Json {
  const sans: Json = {};
  if (info.dnsNames.length) sans.dns_names = info.dnsNames;
  if (info.emails.length) sans.emails = info.emails;
  if (info.ipAddresses.length) sans.ipAddresses = info.ipAddresses;
  const months = Math.max(1, Math.round((info.exp - info.nbf) / (30.4 * DAY_S)));
  return {
    key_props: {
      exportable: true,
      kty: key.kty,
      ...(key.keySize ? { key_size: key.keySize } : {}),
      ...(key.crv ? { crv: key.crv } : {}),
      reuse_key: false,
    },
    x509_props: {
      subject: info.subject,
      ...(Object.keys(sans).length ? { sans } : {}),
      ...(info.ekus.length ? { ekus: info.ekus } : {}),
      validity_months: months,
    },
  };
}

function assertCertWritable(ctx: Ctx, name: string): void {
  conflictIfDeleted(ctx.vault.deletedCertificates, "Certificate", name);
  const s = ctx.vault.secrets.get(lc(name));
  if (s && !s.versions.some((v) => v.managed)) {
    throw new KvError(409, "Conflict", `There is already a secret with name ${name} that is not managed by a certificate.`);
  }
  const k = ctx.vault.keys.get(lc(name));
  if (k && !k.versions.some((v) => v.managed)) {
    throw new KvError(409, "Conflict", `There is already a key with name ${name} that is not managed by a certificate.`);
  }
}

/** Stores a certificate version with its backing secret and key versions (same version id). */
function storeCertVersion(
  ctx: Ctx,
  name: string,
  material: CertMaterial,
  o: {
    contentType: string;
    attributes?: unknown;
    tags?: Tags;
    preserveCertOrder?: boolean;
    exportable: boolean;
  },
): { item: Item<CertVersion>; version: CertVersion } {
  const leaf = material.certs[0] as Buffer;
  const info = certInfo(leaf);
  const key = keySizeOf(material.privatePem);
  const now = nowSeconds();
  const version = newVersion();
  const enabled = attrsIn(o.attributes, newAttrs(now)).enabled;
  const attributes: Attributes = {
    enabled,
    created: now,
    updated: now,
    nbf: info.nbf,
    exp: info.exp,
  };
  const cv: CertVersion = {
    version,
    certs: material.certs.map((c) => c.toString("base64")),
    x5t: x5tOf(leaf),
    contentType: o.contentType,
    attributes: { ...attributes },
  };
  if (o.tags) cv.tags = o.tags;
  if (o.preserveCertOrder !== undefined) cv.preserveCertOrder = o.preserveCertOrder;
  const sv: SecretVersion = {
    version,
    value: secretValueFor(o.contentType, material),
    contentType: o.contentType,
    attributes: { ...attributes },
    managed: true,
    keyVersion: version,
  };
  const kv: KeyVersion = {
    version,
    kty: key.kty,
    keyOps: key.kty === "EC" ? EC_OPS : CERT_RSA_OPS,
    publicJwk: publicJwkOf(material.privatePem),
    privatePem: material.privatePem,
    attributes: { ...attributes },
    exportable: o.exportable,
    managed: true,
  };
  if (key.keySize !== undefined) kv.keySize = key.keySize;
  if (key.crv !== undefined) kv.crv = key.crv;
  const item = pushVersion(ctx.vault.certificates, name, cv);
  pushVersion(ctx.vault.secrets, item.name, sv);
  pushVersion(ctx.vault.keys, item.name, kv);
  return { item, version: cv };
}

function operationOut(ctx: Ctx, name: string, op: CertOperation, status = op.status): Json {
  const b: Json = {
    id: `${ctx.vaultUrl}/certificates/${name}/pending`,
    issuer: { name: op.issuerName },
    cancellation_requested: op.cancellationRequested,
    status,
    status_details:
      status === "inProgress"
        ? "Pending certificate created. Certificate request is in progress. This may take some time based on the issuer provider. Please check again later."
        : (op.statusDetails ?? ""),
    request_id: op.requestId,
  };
  if (status === "completed") b.target = `${ctx.vaultUrl}/certificates/${name}`;
  return b;
}

function createCertificate(ctx: Ctx, name: string): Result {
  validName(name);
  const b = bodyObj(ctx, false);
  assertCertWritable(ctx, name);
  const now = nowSeconds();
  const existing = ctx.vault.policies.get(lc(name));
  const given = obj(b.policy);
  if (!existing && !given) throw new KvError(400, "BadParameter", "Property policy is required.");
  const issuerName = str(obj(given?.issuer)?.name, "issuer.name") ?? str(obj(existing?.issuer)?.name, "issuer.name") ?? "Self";
  if (lc(issuerName) !== "self") {
    throw new KvError(501, "NotImplemented", `The emulator only issues self-signed certificates (issuer Self), not ${issuerName}.`);
  }
  const policy = mergePolicy(defaultPolicy(now, "Self"), existing, given);
  const x509 = obj(policy.x509_props) ?? {};
  const sans = obj(x509.sans) ?? {};
  const keyProps = obj(policy.key_props) ?? {};
  const subject = str(x509.subject, "x509_props.subject");
  if (!subject) throw new KvError(400, "BadParameter", "Property x509_props.subject is required.");
  let kty = str(keyProps.kty, "key_props.kty") ?? "RSA";
  if (isEcKty(kty) && keyProps.key_size !== undefined && obj(given?.key_props)?.key_size === undefined) {
    delete keyProps.key_size;
  }
  if (isEcKty(kty) && !keyProps.crv) keyProps.crv = "P-256";
  policy.key_props = keyProps;
  const contentType = str(obj(policy.secret_props)?.contentType, "secret_props.contentType") ?? PKCS12;
  if (contentType !== PKCS12 && contentType !== PEM) throw new KvError(400, "BadParameter", `Invalid content type ${contentType}.`);

  // The key: reuse the previous version's key if the policy says so, else a new one.
  let privatePem: string | undefined;
  const prevCert = ctx.vault.certificates.get(lc(name));
  if (keyProps.reuse_key === true && prevCert) {
    privatePem = ctx.vault.keys.get(lc(name))?.versions.find((v) => v.version === latest(prevCert).version)?.privatePem;
  }
  if (!privatePem) {
    const keySize = num(keyProps.key_size, "key_props.key_size");
    const crv = str(keyProps.crv, "key_props.crv");
    privatePem = generateKey(kty, {
      ...(keySize ? { keySize } : {}),
      ...(crv ? { crv } : {}),
    }).privatePem;
  }
  kty = keySizeOf(privatePem).kty;
  const der = createSelfSigned({
    privatePem,
    subject,
    ...(strArray(sans.dns_names, "dns_names") ? { dnsNames: sans.dns_names as string[] } : {}),
    ...(strArray(sans.emails, "emails") ? { emails: sans.emails as string[] } : {}),
    ...(strArray(sans.uris, "uris") ? { uris: sans.uris as string[] } : {}),
    ...(strArray(sans.ipAddresses, "ipAddresses") ? { ipAddresses: sans.ipAddresses as string[] } : {}),
    ...(strArray(x509.ekus, "ekus") ? { ekus: x509.ekus as string[] } : {}),
    ...(strArray(x509.key_usage, "key_usage") ? { keyUsage: x509.key_usage as string[] } : {}),
    ...(num(x509.validity_months, "validity_months") ? { validityMonths: x509.validity_months as number } : {}),
  });
  const tags = tagsIn(b.tags);
  const attrs = obj(b.attributes) ?? obj(policy.attributes);
  const pco = b.preserveCertOrder;
  storeCertVersion(
    ctx,
    name,
    { privatePem, certs: [der] },
    {
      contentType,
      attributes: attrs,
      ...(tags ? { tags } : {}),
      ...(typeof pco === "boolean" ? { preserveCertOrder: pco } : {}),
      exportable: keyProps.exportable !== false,
    },
  );
  policy.attributes = {
    ...(obj(policy.attributes) ?? {}),
    updated: now,
    created: obj(existing?.attributes)?.created ?? now,
  };
  const stored = ctx.vault.certificates.get(lc(name)) as Item<CertVersion>;
  ctx.vault.policies.set(lc(name), policy);
  const op: CertOperation = {
    requestId: randomBytes(16).toString("hex"),
    status: "completed",
    issuerName: "Self",
    cancellationRequested: false,
  };
  ctx.vault.operations.set(lc(name), op);
  // The create answer reports the operation as started; the next GET .../pending reports it completed.
  return ok(operationOut(ctx, stored.name, op, "inProgress"), 202);
}

function importCertificate(ctx: Ctx, name: string): Result {
  validName(name);
  const b = bodyObj(ctx);
  let value = str(b.value, "value");
  if (!value) throw new KvError(400, "BadParameter", "Property value is required.");
  assertCertWritable(ctx, name);
  if (!value.includes("-----BEGIN")) {
    // PEM bytes sent without a PEM content type arrive base64-encoded.
    const decoded = Buffer.from(value, "base64").toString("utf8");
    if (decoded.trimStart().startsWith("-----BEGIN")) value = decoded;
  }
  const pwd = str(b.pwd, "pwd");
  const pco = b.preserveCertOrder === true;
  const material = parseImportedCertificate(value, pwd, pco);
  const given = obj(b.policy);
  const contentType = str(obj(given?.secret_props)?.contentType, "secret_props.contentType") ?? (material.format === "pem" ? PEM : PKCS12);
  if (contentType !== PKCS12 && contentType !== PEM) throw new KvError(400, "BadParameter", `Invalid content type ${contentType}.`);
  const now = nowSeconds();
  const existing = ctx.vault.policies.get(lc(name));
  const info = certInfo(material.certs[0] as Buffer);
  const key = keySizeOf(material.privatePem);
  const policy = mergePolicy(defaultPolicy(now, "Unknown"), existing, given, policyFromCert(info, key), {
    secret_props: { contentType },
  });
  policy.attributes = {
    ...(obj(policy.attributes) ?? {}),
    updated: now,
    created: obj(existing?.attributes)?.created ?? now,
  };
  const tags = tagsIn(b.tags);
  const { item, version } = storeCertVersion(ctx, name, material, {
    contentType,
    attributes: b.attributes,
    ...(tags ? { tags } : {}),
    ...(typeof b.preserveCertOrder === "boolean" ? { preserveCertOrder: b.preserveCertOrder } : {}),
    exportable: obj(policy.key_props)?.exportable !== false,
  });
  ctx.vault.policies.set(lc(name), policy);
  return ok(certBundle(ctx, item, version, true));
}

function getCertificate(ctx: Ctx, name: string, version: string | undefined): Result {
  const item = getCertItem(ctx, name);
  const v = findVersion(item, version, () => notFound("certificate", `${name}/${version ?? ""}`));
  return ok(certBundle(ctx, item, v, true));
}

function updateCertificate(ctx: Ctx, name: string, version: string | undefined): Result {
  const b = bodyObj(ctx);
  const item = getCertItem(ctx, name);
  const v = findVersion(item, version, () => notFound("certificate", `${name}/${version ?? ""}`));
  const tags = tagsIn(b.tags);
  const now = nowSeconds();
  v.attributes = { ...attrsIn(b.attributes, v.attributes), updated: now };
  if (tags) v.tags = tags;
  // Enabling/disabling a certificate version does the same to its backing secret and key versions.
  for (const m of [ctx.vault.secrets, ctx.vault.keys] as Array<Map<string, Item<{ version: string; attributes: Attributes }>>>) {
    const backing = m.get(lc(name))?.versions.find((x) => x.version === v.version);
    if (backing)
      backing.attributes = {
        ...backing.attributes,
        enabled: v.attributes.enabled,
        updated: now,
      };
  }
  const given = obj(b.policy);
  if (given) ctx.vault.policies.set(lc(name), mergePolicy(ctx.vault.policies.get(lc(name)), given));
  return ok(certBundle(ctx, item, v, true));
}

function listCertificates(ctx: Ctx): Result {
  const all = sortedItems(ctx.vault.certificates).map((item) => certItem(ctx, item, latest(item), false));
  return page(ctx, all, "/certificates");
}

function listCertificateVersions(ctx: Ctx, name: string): Result {
  const item = ctx.vault.certificates.get(lc(name));
  const all = item ? sortedVersions(item).map((v) => certItem(ctx, item, v, true)) : [];
  return page(ctx, all, `/certificates/${name}/versions`);
}

function getPolicy(ctx: Ctx, name: string): Result {
  const item = getCertItem(ctx, name);
  const p = policyOut(ctx, item.name, ctx.vault.policies.get(lc(name)) ?? {});
  return ok(p);
}

function updatePolicy(ctx: Ctx, name: string): Result {
  const item = getCertItem(ctx, name);
  const b = bodyObj(ctx);
  const now = nowSeconds();
  const merged = mergePolicy(ctx.vault.policies.get(lc(name)), b);
  merged.attributes = { ...(obj(merged.attributes) ?? {}), updated: now };
  ctx.vault.policies.set(lc(name), merged);
  return ok(policyOut(ctx, item.name, merged));
}

function getOperation(ctx: Ctx, name: string): Result {
  const op = ctx.vault.operations.get(lc(name));
  const item = ctx.vault.certificates.get(lc(name));
  if (!op) throw new KvError(404, "PendingCertificateNotFound", `Pending certificate not found: ${name}`);
  return ok(operationOut(ctx, item?.name ?? name, op));
}

function updateOperation(ctx: Ctx, name: string): Result {
  const op = ctx.vault.operations.get(lc(name));
  if (!op) throw new KvError(404, "PendingCertificateNotFound", `Pending certificate not found: ${name}`);
  const b = bodyObj(ctx);
  if (b.cancellation_requested === true) op.cancellationRequested = true;
  return ok(operationOut(ctx, name, op));
}

function deleteOperation(ctx: Ctx, name: string): Result {
  const op = ctx.vault.operations.get(lc(name));
  if (!op) throw new KvError(404, "PendingCertificateNotFound", `Pending certificate not found: ${name}`);
  ctx.vault.operations.delete(lc(name));
  return ok(operationOut(ctx, name, op));
}

function deletedCertOut(ctx: Ctx, d: Deleted<CertVersion>): Json {
  const v = latest(d.item);
  const p = policyOut(ctx, d.item.name, d.companions?.policy);
  return {
    ...deletedInfo(ctx, "deletedcertificates", d.item.name, d),
    ...certBundle(ctx, d.item, v, false),
    ...(p ? { policy: p } : {}),
  };
}

function deleteCertificate(ctx: Ctx, name: string): Result {
  const item = getCertItem(ctx, name);
  const k = lc(name);
  const d = newDeleted(item);
  const companions: NonNullable<Deleted<CertVersion>["companions"]> = {};
  const s = ctx.vault.secrets.get(k);
  const key = ctx.vault.keys.get(k);
  const policy = ctx.vault.policies.get(k);
  const op = ctx.vault.operations.get(k);
  if (s) companions.secret = s;
  if (key) companions.key = key;
  if (policy) companions.policy = policy;
  if (op) companions.operation = op;
  d.companions = companions;
  for (const m of [ctx.vault.certificates, ctx.vault.secrets, ctx.vault.keys, ctx.vault.policies, ctx.vault.operations] as Array<
    Map<string, unknown>
  >) {
    m.delete(k);
  }
  ctx.vault.deletedCertificates.set(k, d);
  return ok(deletedCertOut(ctx, d));
}

function getDeletedCertificate(ctx: Ctx, name: string): Result {
  const d = ctx.vault.deletedCertificates.get(lc(name));
  if (!d) throw deletedNotFound("Certificate", name);
  return ok(deletedCertOut(ctx, d));
}

function listDeletedCertificates(ctx: Ctx): Result {
  const all = [...ctx.vault.deletedCertificates.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([, d]) => ({
      ...deletedInfo(ctx, "deletedcertificates", d.item.name, d),
      ...certItem(ctx, d.item, latest(d.item), false),
    }));
  return page(ctx, all, "/deletedcertificates");
}

function recoverCertificate(ctx: Ctx, name: string): Result {
  const k = lc(name);
  const d = ctx.vault.deletedCertificates.get(k);
  if (!d) throw deletedNotFound("Certificate", name);
  ctx.vault.deletedCertificates.delete(k);
  ctx.vault.certificates.set(k, d.item);
  if (d.companions?.secret) ctx.vault.secrets.set(k, d.companions.secret);
  if (d.companions?.key) ctx.vault.keys.set(k, d.companions.key);
  if (d.companions?.policy) ctx.vault.policies.set(k, d.companions.policy);
  if (d.companions?.operation) ctx.vault.operations.set(k, d.companions.operation);
  return ok(certBundle(ctx, d.item, latest(d.item), true));
}

// ---------------------------------------------------------------------------------------------------------------
// Routing

function notImplemented(operation: string): Route {
  return {
    operation,
    mutates: false,
    run() {
      throw new KvError(501, "NotImplemented", `The Key Vault emulator does not implement ${operation}.`);
    },
  };
}

type RouteFn = (ctx: Ctx) => Result;
function r(operation: string, kind: Kind, name: string | undefined, mutates: boolean, run: RouteFn, read = false): Route {
  return {
    operation,
    kind,
    ...(name !== undefined ? { name } : {}),
    mutates,
    read,
    run,
  };
}

/**
 * Resolves a request to a route. `segs` are the decoded path segments without the empty leading one and
 * without a trailing empty one (so `/secrets/a/` and `/secrets/a` both give ["secrets", "a"]).
 */
export function resolveRoute(method: string, segs: string[]): Route | undefined {
  const [coll, a, b, c] = segs;
  const n = segs.length;
  const M = method;
  switch (coll) {
    case "secrets": {
      if (n === 1 && M === "GET") return r("listSecrets", "secrets", undefined, false, listSecrets);
      if (a === "restore" && n === 2) return notImplemented("restoreSecret");
      if (n === 2 && a !== undefined) {
        if (M === "PUT") return r("setSecret", "secrets", a, true, (x) => setSecret(x, a));
        if (M === "GET") return r("getSecret", "secrets", a, false, (x) => getSecret(x, a, undefined), true);
        if (M === "DELETE") return r("deleteSecret", "secrets", a, true, (x) => deleteSecret(x, a));
        if (M === "PATCH") return r("updateSecret", "secrets", a, true, (x) => updateSecret(x, a, undefined));
      }
      if (n === 3 && a !== undefined && b !== undefined) {
        if (b === "versions" && M === "GET") return r("listSecretVersions", "secrets", a, false, (x) => listSecretVersions(x, a));
        if (b === "backup" && M === "POST") return notImplemented("backupSecret");
        if (M === "GET") return r("getSecret", "secrets", a, false, (x) => getSecret(x, a, b), true);
        if (M === "PATCH") return r("updateSecret", "secrets", a, true, (x) => updateSecret(x, a, b));
      }
      return undefined;
    }
    case "deletedsecrets": {
      if (n === 1 && M === "GET") return r("listDeletedSecrets", "secrets", undefined, false, listDeletedSecrets);
      if (n === 2 && a !== undefined) {
        if (M === "GET") return r("getDeletedSecret", "secrets", a, false, (x) => getDeletedSecret(x, a));
        if (M === "DELETE") return r("purgeDeletedSecret", "secrets", a, true, (x) => purgeDeleted(x.vault.deletedSecrets, "Secret", a));
      }
      if (n === 3 && a !== undefined && b === "recover" && M === "POST") {
        return r("recoverDeletedSecret", "secrets", a, true, (x) => recoverSecret(x, a));
      }
      return undefined;
    }
    case "keys": {
      if (n === 1 && M === "GET") return r("listKeys", "keys", undefined, false, listKeys);
      if (a === "restore" && n === 2) return notImplemented("restoreKey");
      if (n === 2 && a !== undefined) {
        if (M === "PUT") return r("importKey", "keys", a, true, (x) => importKey(x, a));
        if (M === "GET") return r("getKey", "keys", a, false, (x) => getKey(x, a, undefined), true);
        if (M === "DELETE") return r("deleteKey", "keys", a, true, (x) => deleteKey(x, a));
        if (M === "PATCH") return r("updateKey", "keys", a, true, (x) => updateKey(x, a, undefined));
      }
      if (n === 3 && a !== undefined && b !== undefined) {
        if (b === "create" && M === "POST") return r("createKey", "keys", a, true, (x) => createKey(x, a));
        if (b === "rotate" && M === "POST") return r("rotateKey", "keys", a, true, (x) => rotateKey(x, a));
        if (b === "versions" && M === "GET") return r("listKeyVersions", "keys", a, false, (x) => listKeyVersions(x, a));
        if (b === "rotationpolicy") return notImplemented(M === "GET" ? "getKeyRotationPolicy" : "updateKeyRotationPolicy");
        if (b === "backup" || b === "release" || b === "attestation") return notImplemented(`${b}Key`);
        if (M === "GET") return r("getKey", "keys", a, false, (x) => getKey(x, a, b), true);
        if (M === "PATCH") return r("updateKey", "keys", a, true, (x) => updateKey(x, a, b));
      }
      if (n === 4 && c !== undefined) return notImplemented(c); // sign, verify, encrypt, decrypt, wrapkey, ...
      return undefined;
    }
    case "deletedkeys": {
      if (n === 1 && M === "GET") return r("listDeletedKeys", "keys", undefined, false, listDeletedKeys);
      if (n === 2 && a !== undefined) {
        if (M === "GET") return r("getDeletedKey", "keys", a, false, (x) => getDeletedKey(x, a));
        if (M === "DELETE") return r("purgeDeletedKey", "keys", a, true, (x) => purgeDeleted(x.vault.deletedKeys, "Key", a));
      }
      if (n === 3 && a !== undefined && b === "recover" && M === "POST")
        return r("recoverDeletedKey", "keys", a, true, (x) => recoverKey(x, a));
      return undefined;
    }
    case "certificates": {
      if (n === 1 && M === "GET") return r("listCertificates", "certificates", undefined, false, listCertificates);
      if (a === "issuers") return notImplemented("certificateIssuers");
      if (a === "contacts") return notImplemented("certificateContacts");
      if (a === "restore" && n === 2) return notImplemented("restoreCertificate");
      if (n === 2 && a !== undefined) {
        if (M === "GET") return r("getCertificate", "certificates", a, false, (x) => getCertificate(x, a, undefined), true);
        if (M === "DELETE") return r("deleteCertificate", "certificates", a, true, (x) => deleteCertificate(x, a));
        if (M === "PATCH") return r("updateCertificate", "certificates", a, true, (x) => updateCertificate(x, a, undefined));
      }
      if (n === 3 && a !== undefined && b !== undefined) {
        if (b === "create" && M === "POST") return r("createCertificate", "certificates", a, true, (x) => createCertificate(x, a));
        if (b === "import" && M === "POST") return r("importCertificate", "certificates", a, true, (x) => importCertificate(x, a));
        if (b === "versions" && M === "GET") {
          return r("listCertificateVersions", "certificates", a, false, (x) => listCertificateVersions(x, a));
        }
        if (b === "policy" && M === "GET") return r("getCertificatePolicy", "certificates", a, false, (x) => getPolicy(x, a));
        if (b === "policy" && M === "PATCH") return r("updateCertificatePolicy", "certificates", a, true, (x) => updatePolicy(x, a));
        if (b === "pending" && M === "GET") return r("getCertificateOperation", "certificates", a, false, (x) => getOperation(x, a));
        if (b === "pending" && M === "PATCH") return r("updateCertificateOperation", "certificates", a, true, (x) => updateOperation(x, a));
        if (b === "pending" && M === "DELETE")
          return r("deleteCertificateOperation", "certificates", a, true, (x) => deleteOperation(x, a));
        if (b === "backup") return notImplemented("backupCertificate");
        if (M === "GET") return r("getCertificate", "certificates", a, false, (x) => getCertificate(x, a, b), true);
        if (M === "PATCH") return r("updateCertificate", "certificates", a, true, (x) => updateCertificate(x, a, b));
      }
      if (n === 4 && b === "pending" && c === "merge") return notImplemented("mergeCertificate");
      return undefined;
    }
    case "deletedcertificates": {
      if (n === 1 && M === "GET") return r("listDeletedCertificates", "certificates", undefined, false, listDeletedCertificates);
      if (n === 2 && a !== undefined) {
        if (M === "GET") return r("getDeletedCertificate", "certificates", a, false, (x) => getDeletedCertificate(x, a));
        if (M === "DELETE") {
          return r("purgeDeletedCertificate", "certificates", a, true, (x) => purgeDeleted(x.vault.deletedCertificates, "Certificate", a));
        }
      }
      if (n === 3 && a !== undefined && b === "recover" && M === "POST") {
        return r("recoverDeletedCertificate", "certificates", a, true, (x) => recoverCertificate(x, a));
      }
      return undefined;
    }
    case "rng":
      return notImplemented("getRandomBytes");
    default:
      return undefined;
  }
}
