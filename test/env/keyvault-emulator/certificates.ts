/**
 * Certificates: CertificateBundle (with policy) / CertificateItem, self-signed creation through the pending operation,
 * import of PFX or PEM, policies. Each certificate version has a backing secret and key of the same name and version
 * (the secret holds the private key as Key Vault serves it, see crypto.ts); enabling or disabling a certificate
 * version does the same to them, deleting or recovering the certificate takes them along.
 */
import { randomBytes } from "node:crypto";
import {
  certInfo,
  createSelfSigned,
  generateKey,
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
  attrsIn,
  attrsOut,
  bodyObj,
  conflictIfDeleted,
  DAY_S,
  deletedInfo,
  latest,
  lc,
  newAttrs,
  newDeleted,
  notFound,
  num,
  obj,
  ok,
  PEM,
  PKCS12,
  pushVersion,
  str,
  strArray,
  tagsIn,
  validName,
  type Ctx,
  type Result,
} from "./common.js";
import { EC_OPS } from "./keys.js";
import { notImplemented, type ObjectKind } from "./kind.js";
import {
  KvError,
  newVersion,
  nowSeconds,
  type Attributes,
  type CertOperation,
  type CertVersion,
  type Deleted,
  type Item,
  type Json,
  type KeyVersion,
  type SecretVersion,
  type Tags,
} from "./model.js";

const CERT_RSA_OPS = ["sign", "verify", "wrapKey", "unwrapKey", "encrypt", "decrypt"];

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
export function certMaterialOf(ctx: Ctx, name: string, version: string): CertMaterial {
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
  conflictIfDeleted(ctx.vault.deletedCertificates, "certificate", name);
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

export const certificates: ObjectKind<CertVersion> = {
  kind: "certificates",
  label: "certificate",
  items: (v) => v.certificates,
  deleted: (v) => v.deletedCertificates,

  // A disabled certificate is still served (only its private part, the backing secret, is refused).
  get: (ctx, item, v) => certBundle(ctx, item, v, true),

  update(ctx, item, v, b) {
    const tags = tagsIn(b.tags);
    const now = nowSeconds();
    v.attributes = { ...attrsIn(b.attributes, v.attributes), updated: now };
    if (tags) v.tags = tags;
    for (const m of [ctx.vault.secrets, ctx.vault.keys] as Array<Map<string, Item<{ version: string; attributes: Attributes }>>>) {
      const backing = m.get(lc(item.name))?.versions.find((x) => x.version === v.version);
      if (backing) backing.attributes = { ...backing.attributes, enabled: v.attributes.enabled, updated: now };
    }
    const given = obj(b.policy);
    if (given) ctx.vault.policies.set(lc(item.name), mergePolicy(ctx.vault.policies.get(lc(item.name)), given));
    return certBundle(ctx, item, v, true);
  },

  listItem: (ctx, item, v, withVersion) => certItem(ctx, item, v, withVersion),

  remove(ctx, item) {
    const k = lc(item.name);
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
    >)
      m.delete(k);
    return d;
  },

  deletedOut: deletedCertOut,

  recover(ctx, d) {
    const k = lc(d.item.name);
    if (d.companions?.secret) ctx.vault.secrets.set(k, d.companions.secret);
    if (d.companions?.key) ctx.vault.keys.set(k, d.companions.key);
    if (d.companions?.policy) ctx.vault.policies.set(k, d.companions.policy);
    if (d.companions?.operation) ctx.vault.operations.set(k, d.companions.operation);
    return certBundle(ctx, d.item, latest(d.item), true);
  },

  routes: [
    {
      method: "*",
      path: ["certificates", "issuers", "**"],
      operation: "certificateIssuers",
      mutates: false,
      run: notImplemented("certificateIssuers"),
    },
    {
      method: "*",
      path: ["certificates", "contacts", "**"],
      operation: "certificateContacts",
      mutates: false,
      run: notImplemented("certificateContacts"),
    },
    {
      method: "POST",
      path: ["certificates", ":name", "create"],
      operation: "createCertificate",
      mutates: true,
      run: (ctx, p) => createCertificate(ctx, p.name!),
    },
    {
      method: "POST",
      path: ["certificates", ":name", "import"],
      operation: "importCertificate",
      mutates: true,
      run: (ctx, p) => importCertificate(ctx, p.name!),
    },
    {
      method: "GET",
      path: ["certificates", ":name", "policy"],
      operation: "getCertificatePolicy",
      mutates: false,
      run: (ctx, p) => getPolicy(ctx, p.name!),
    },
    {
      method: "PATCH",
      path: ["certificates", ":name", "policy"],
      operation: "updateCertificatePolicy",
      mutates: true,
      run: (ctx, p) => updatePolicy(ctx, p.name!),
    },
    {
      method: "GET",
      path: ["certificates", ":name", "pending"],
      operation: "getCertificateOperation",
      mutates: false,
      run: (ctx, p) => getOperation(ctx, p.name!),
    },
    {
      method: "PATCH",
      path: ["certificates", ":name", "pending"],
      operation: "updateCertificateOperation",
      mutates: true,
      run: (ctx, p) => updateOperation(ctx, p.name!),
    },
    {
      method: "DELETE",
      path: ["certificates", ":name", "pending"],
      operation: "deleteCertificateOperation",
      mutates: true,
      run: (ctx, p) => deleteOperation(ctx, p.name!),
    },
    {
      method: "*",
      path: ["certificates", ":name", "pending", "merge"],
      operation: "mergeCertificate",
      mutates: false,
      run: notImplemented("mergeCertificate"),
    },
  ],
};
