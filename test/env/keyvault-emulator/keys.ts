/**
 * Keys: KeyBundle (public JWK only) / KeyItem, create, import, rotate. A disabled key is still served on GET (only its
 * use in cryptographic operations is refused, and those are not emulated).
 */
import { generateKey, importJwk, isEcKty } from "./crypto.js";
import {
  attrsIn,
  attrsOut,
  bodyObj,
  conflictIfDeleted,
  deletedInfo,
  latest,
  lc,
  newAttrs,
  notFound,
  num,
  obj,
  ok,
  pushVersion,
  str,
  strArray,
  tagsIn,
  validName,
  type Ctx,
  type Result,
} from "./common.js";
import { notImplemented, removeUnmanaged, type ObjectKind } from "./kind.js";
import { KvError, newVersion, nowSeconds, type Item, type Json, type KeyVersion, type Tags } from "./model.js";

export const RSA_OPS = ["encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey"];
export const EC_OPS = ["sign", "verify"];

export function keyBundle(ctx: Ctx, item: Item<KeyVersion>, v: KeyVersion): Json {
  const b: Json = {
    key: { kid: `${ctx.vaultUrl}/keys/${item.name}/${v.version}`, kty: v.kty, key_ops: v.keyOps, ...v.publicJwk },
    attributes: attrsOut(v.attributes, { exportable: v.exportable ?? false }),
  };
  if (v.tags) b.tags = v.tags;
  if (v.managed) b.managed = true;
  return b;
}

function assertKeyWritable(ctx: Ctx, name: string): void {
  conflictIfDeleted(ctx.vault.deletedKeys, "key", name);
  const existing = ctx.vault.keys.get(lc(name));
  if (existing && existing.versions.some((v) => v.managed)) {
    throw new KvError(403, "Forbidden", "Operation is not allowed on a managed key.");
  }
}

function createKeyVersion(
  ctx: Ctx,
  name: string,
  p: { kty: string; keySize?: number; crv?: string; publicExponent?: number; keyOps?: string[]; attributes?: unknown; tags?: Tags },
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
  return ok(keyBundle(ctx, pushVersion(ctx.vault.keys, name, v), v));
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
  const item = ctx.vault.keys.get(lc(name));
  if (!item) throw notFound("key", name);
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
  return ok(keyBundle(ctx, pushVersion(ctx.vault.keys, name, v), v));
}

export const keys: ObjectKind<KeyVersion> = {
  kind: "keys",
  label: "key",
  items: (v) => v.keys,
  deleted: (v) => v.deletedKeys,

  get: (ctx, item, v) => keyBundle(ctx, item, v),

  update(ctx, item, v, b) {
    const keyOps = strArray(b.key_ops, "key_ops");
    const tags = tagsIn(b.tags);
    v.attributes = { ...attrsIn(b.attributes, v.attributes), updated: nowSeconds() };
    if (keyOps) v.keyOps = keyOps;
    if (tags) v.tags = tags;
    return keyBundle(ctx, item, v);
  },

  listItem(ctx, item, v, withVersion) {
    const b: Json = {
      kid: `${ctx.vaultUrl}/keys/${item.name}${withVersion ? `/${v.version}` : ""}`,
      attributes: attrsOut(v.attributes, { exportable: v.exportable ?? false }),
    };
    if (v.tags) b.tags = v.tags;
    if (v.managed) b.managed = true;
    return b;
  },

  remove(ctx, item) {
    return removeUnmanaged(this, ctx, item);
  },

  deletedOut: (ctx, d) => ({ ...deletedInfo(ctx, "deletedkeys", d.item.name, d), ...keyBundle(ctx, d.item, latest(d.item)) }),

  recover: (ctx, d) => keyBundle(ctx, d.item, latest(d.item)),

  routes: [
    { method: "PUT", path: ["keys", ":name"], operation: "importKey", mutates: true, run: (ctx, p) => importKey(ctx, p.name!) },
    { method: "POST", path: ["keys", ":name", "create"], operation: "createKey", mutates: true, run: (ctx, p) => createKey(ctx, p.name!) },
    { method: "POST", path: ["keys", ":name", "rotate"], operation: "rotateKey", mutates: true, run: (ctx, p) => rotateKey(ctx, p.name!) },
    {
      method: "*",
      path: ["keys", ":name", "rotationpolicy"],
      operation: (m) => (m === "GET" ? "getKeyRotationPolicy" : "updateKeyRotationPolicy"),
      mutates: false,
      run: notImplemented("key rotation policies"),
    },
    ...["release", "attestation"].map((op) => ({
      method: "*",
      path: ["keys", ":name", op],
      operation: `${op}Key`,
      mutates: false,
      run: notImplemented(`${op}Key`),
    })),
    // sign, verify, encrypt, decrypt, wrapkey, unwrapkey …
    {
      method: "*",
      path: ["keys", ":name", ":version", ":op"],
      operation: (_m, p) => p.op!,
      mutates: false,
      run: notImplemented("key operations"),
    },
  ],
};
