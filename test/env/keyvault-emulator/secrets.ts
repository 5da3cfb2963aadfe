/**
 * Secrets: SecretBundle / SecretItem, set, a disabled version refused on GET (403 `SecretDisabled`), certificate-backed
 * (managed) secrets read-only and convertible with `outContentType`.
 */
import { secretValueFor } from "./crypto.js";
import {
  attrsIn,
  attrsOut,
  bodyObj,
  conflictIfDeleted,
  deletedInfo,
  latest,
  lc,
  newAttrs,
  ok,
  PEM,
  PKCS12,
  pushVersion,
  str,
  tagsIn,
  validName,
  type Ctx,
} from "./common.js";
import { certMaterialOf } from "./certificates.js";
import { removeUnmanaged, type ObjectKind } from "./kind.js";
import { KvError, newVersion, nowSeconds, type Item, type Json, type SecretVersion, type Tags, type VaultData } from "./model.js";

export function secretBundle(ctx: Ctx, item: Item<SecretVersion>, v: SecretVersion, withValue = true): Json {
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

/** Sets a new secret version (used by the route and by the emulator's seeding API). */
export function putSecret(
  vault: VaultData,
  name: string,
  input: { value: string; contentType?: string; tags?: Tags; attributes?: unknown },
): { item: Item<SecretVersion>; version: SecretVersion } {
  validName(name);
  conflictIfDeleted(vault.deletedSecrets, "secret", name);
  const existing = vault.secrets.get(lc(name));
  if (existing && existing.versions.some((v) => v.managed)) {
    throw new KvError(403, "Forbidden", "Operation set is not allowed on a managed secret.");
  }
  const v: SecretVersion = { version: newVersion(), value: input.value, attributes: attrsIn(input.attributes, newAttrs()) };
  if (input.contentType !== undefined) v.contentType = input.contentType;
  if (input.tags) v.tags = input.tags;
  return { item: pushVersion(vault.secrets, name, v), version: v };
}

export const secrets: ObjectKind<SecretVersion> = {
  kind: "secrets",
  label: "secret",
  items: (v) => v.secrets,
  deleted: (v) => v.deletedSecrets,

  get(ctx, item, v) {
    if (!v.attributes.enabled) {
      throw new KvError(403, "Forbidden", "Operation get is not allowed on a disabled secret.", "SecretDisabled");
    }
    const out = ctx.query.get("outContentType");
    if (out && v.managed && out !== v.contentType) {
      if (out !== PKCS12 && out !== PEM) throw new KvError(400, "BadParameter", `Invalid outContentType ${out}.`);
      const material = certMaterialOf(ctx, item.name, v.keyVersion ?? v.version);
      return { ...secretBundle(ctx, item, v), value: secretValueFor(out, material), contentType: out };
    }
    return secretBundle(ctx, item, v);
  },

  update(_ctx, item, v, b) {
    const contentType = str(b.contentType, "contentType");
    const tags = tagsIn(b.tags);
    v.attributes = { ...attrsIn(b.attributes, v.attributes), updated: nowSeconds() };
    if (contentType !== undefined) v.contentType = contentType;
    if (tags) v.tags = tags;
    return secretBundle(_ctx, item, v, false);
  },

  listItem(ctx, item, v, withVersion) {
    const b: Json = { id: `${ctx.vaultUrl}/secrets/${item.name}${withVersion ? `/${v.version}` : ""}` };
    b.attributes = attrsOut(v.attributes);
    if (v.tags) b.tags = v.tags;
    if (v.contentType !== undefined) b.contentType = v.contentType;
    if (v.managed) b.managed = true;
    return b;
  },

  remove(ctx, item) {
    return removeUnmanaged(this, ctx, item);
  },

  deletedOut: (ctx, d) => ({ ...deletedInfo(ctx, "deletedsecrets", d.item.name, d), ...secretBundle(ctx, d.item, latest(d.item), false) }),

  recover: (ctx, d) => secretBundle(ctx, d.item, latest(d.item), false),

  routes: [
    {
      method: "PUT",
      path: ["secrets", ":name"],
      operation: "setSecret",
      mutates: true,
      run(ctx, p) {
        const b = bodyObj(ctx);
        if (typeof b.value !== "string") throw new KvError(400, "BadParameter", "Property value is required and must be a string.");
        if (Buffer.byteLength(b.value) > 25 * 1024)
          throw new KvError(400, "BadParameter", "Secret value exceeds the maximum size of 25 KB.");
        const contentType = str(b.contentType, "contentType");
        const tags = tagsIn(b.tags);
        const { item, version } = putSecret(ctx.vault, p.name!, {
          value: b.value,
          ...(contentType !== undefined ? { contentType } : {}),
          ...(tags ? { tags } : {}),
          attributes: b.attributes,
        });
        return ok(secretBundle(ctx, item, version));
      },
    },
  ],
};
