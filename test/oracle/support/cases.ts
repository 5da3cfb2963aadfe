// The seeded case generator: families of Key Vault objects and mounted files, each case carrying the parameters
// that made it (for a reproduction; never a real secret: every key is a throw-away made from the seed).
import { bigToBytes } from "./der.js";
import { keyId, makeCert, positiveSerial, type CertSpec } from "./certs.js";
import {
  ecKey,
  ED25519_PKCS8,
  pkcs1,
  pkcs8Ec,
  pkcs8Of,
  pkcs8Rsa,
  publicJwkParts,
  rsaKey,
  sec1,
  type Curve,
  type EcKey,
  type RsaKey,
  type TestKey,
} from "./keys.js";
import { buildPfx, opensslPfx, type Attr, type BagSpec, type OpensslPfxOptions, type Pbe } from "./pfx.js";
import type { Rng } from "./prng.js";

/** What Key Vault returns for the object (absent members are left out of the REST body). */
export type VaultEntry =
  | { kind: "secret"; value?: string; hasId: boolean; contentType?: string; kid?: string }
  | { kind: "key"; noKey?: boolean; hasKid: boolean; kty?: string; n?: Buffer; e?: Buffer; crv?: string; x?: Buffer; y?: Buffer }
  | { kind: "cert"; cer?: Buffer; hasId: boolean };

/** The SPC object as the provider's YAML decoding leaves it (raw strings, before trimming). */
export interface RawObject {
  objectName: string;
  objectAlias?: string;
  objectVersion?: string;
  objectVersionHistory?: number;
  objectType: string;
  objectFormat?: string;
  objectEncoding?: string;
}

export interface ListingEntry {
  version: string;
  /** false = the version carries no attributes at all */
  hasAttributes: boolean;
  enabled?: boolean;
  /** Unix seconds */
  created?: number;
}

export type Case =
  | {
      kind: "mount";
      id: string;
      family: string;
      tags: string[];
      params: object;
      object: RawObject;
      entry: VaultEntry;
      constructPemChain: boolean;
    }
  | { kind: "file"; id: string; family: string; tags: string[]; params: object; file: Buffer }
  | { kind: "history"; id: string; family: string; tags: string[]; params: object; object: RawObject; listing: ListingEntry[] };

export interface KeyPool {
  rsa: RsaKey[];
  ec: EcKey[];
}

export function makeKeyPool(rng: Rng): KeyPool {
  const rsa = [2048, 2048, 2048, 3072, 4096].map((bits) => rsaKey(bits, rng));
  const ec = (["P-256", "P-256", "P-384", "P-521"] as Curve[]).map((c) => ecKey(c, rng));
  return { rsa, ec };
}

const hex32 = (rng: Rng) => rng.bytes(16).toString("hex");
const b64 = (b: Buffer) => b.toString("base64");

// ---------------------------------------------------------------------------------------------------------------
// certificate material

interface Chain {
  root: Buffer;
  inter: Buffer;
  leaf: Buffer;
  leafKey: TestKey;
  /** a certificate from an unrelated hierarchy */
  stranger: Buffer;
  /** a second leaf under the same intermediate */
  leaf2: Buffer;
  tags: string[];
  params: object;
}

function makeChain(rng: Rng, pool: KeyPool): Chain {
  const rootKey = rng.pick(pool.rsa.slice(0, 3));
  const interKey = rng.pick(pool.rsa.slice(0, 3));
  const leafKey: TestKey = rng.bool(0.4) ? rng.pick(pool.ec) : rng.pick(pool.rsa);
  const tags: string[] = [];
  const odd = rng.int(10);
  const negativeSerial = odd === 0;
  const criticalAki = odd === 1;
  const criticalSki = odd === 2;
  const leafNoAki = odd === 3;
  const leafNoSki = odd === 4 || rng.bool(0.3);
  if (negativeSerial) tags.push("negative-serial");
  if (criticalAki) tags.push("critical-aki");
  if (criticalSki) tags.push("critical-ski");
  if (leafNoAki) tags.push("leaf-without-aki");
  const serial = () => positiveSerial(rng.bytes(rng.int(16) + 1));
  const rootSki = keyId(rootKey);
  const interSki = keyId(interKey);
  const root = makeCert({ cn: "root", key: rootKey, serial: serial(), ca: true, ski: rootSki, aki: rng.bool(), criticalSki });
  const interIssuer = { cn: "root", key: rootKey, ski: rootSki };
  const inter = makeCert({
    cn: "inter",
    key: interKey,
    issuer: interIssuer,
    serial: serial(),
    ca: true,
    ski: interSki,
    aki: true,
    criticalAki,
  });
  const leafSpec: CertSpec = {
    cn: "leaf",
    key: leafKey,
    issuer: { cn: "inter", key: interKey, ski: interSki },
    serial: negativeSerial ? -serial() : serial(),
    ca: false,
    ski: leafNoSki ? null : keyId(leafKey),
    aki: !leafNoAki,
  };
  const leaf = makeCert(leafSpec);
  const leaf2 = makeCert({ ...leafSpec, cn: "leaf2", key: rng.pick(pool.ec), serial: serial(), ski: null, aki: true });
  const otherKey = pool.rsa[3]!;
  const stranger = makeCert({ cn: "stranger", key: otherKey, serial: serial(), ca: true, ski: keyId(otherKey), aki: rng.bool() });
  return { root, inter, leaf, leafKey, stranger, leaf2, tags, params: { odd, leafNoSki, leafKey: describeKey(leafKey) } };
}

function describeKey(k: TestKey): string {
  return k.kind === "rsa" ? `rsa-${k.bits}` : `ec-${k.curve}`;
}

/** A certificate list (1–4) in some order, with or without intermediates, possibly odd. */
function pickCerts(rng: Rng, c: Chain): { certs: Buffer[]; shape: string; tags: string[] } {
  const shapes: [string, Buffer[], string[]][] = [
    ["leaf", [c.leaf], []],
    ["leaf,inter,root", [c.leaf, c.inter, c.root], []],
    ["leaf,inter", [c.leaf, c.inter], ["incomplete-chain"]],
    ["leaf,root", [c.leaf, c.root], ["incomplete-chain"]],
    ["inter,root", [c.inter, c.root], []],
    ["leaf,inter,root,stranger", [c.leaf, c.inter, c.root, c.stranger], ["unrelated-cert"]],
    ["leaf,stranger", [c.leaf, c.stranger], ["unrelated-cert"]],
    ["leaf,leaf", [c.leaf, c.leaf], ["duplicate-cert"]],
    ["leaf,inter,inter,root", [c.leaf, c.inter, c.inter, c.root], ["duplicate-cert"]],
    ["leaf,leaf2,inter", [c.leaf, c.leaf2, c.inter], ["two-leaves"]],
    ["root", [c.root], []],
  ];
  const [name, certs, tags] = rng.pick(shapes);
  const shuffled = rng.bool(0.7) ? rng.shuffle(certs) : certs;
  const order = shuffled === certs ? "as listed" : "shuffled";
  return { certs: shuffled, shape: `${name} (${order})`, tags: [...tags, ...c.tags] };
}

// ---------------------------------------------------------------------------------------------------------------
// families

export interface FamilyContext {
  rng: Rng;
  pool: KeyPool;
  next: () => string;
}

const ENCODINGS = [
  "",
  "utf-8",
  "UTF-8",
  "Utf-8",
  "base64",
  "BASE64",
  "Base64",
  "hex",
  "HEX",
  "Hex",
  "baſe64",
  "bASE64",
  "héx",
  "utf8",
  "binary",
];
const WS = ["", " ", "\t", "\n", "\u0085", "\u00a0", "\ufeff", "\u2003", "\u3000", "\u200b"];

function decorate(rng: Rng, s: string, tags: string[]): string {
  if (!rng.bool(0.3)) return s;
  const a = rng.pick(WS);
  const b = rng.pick(WS);
  if (a || b) tags.push("whitespace");
  return a + s + b;
}

function secretValue(rng: Rng, enc: string): { value: string; what: string } {
  const e = enc.trim().toLowerCase();
  const r = rng.int(6);
  const raw = rng.bytes(rng.int(40));
  if (r === 0) return { value: "", what: "empty" };
  if (r === 1) return { value: "päss wörd ✓ " + rng.int(1000), what: "unicode text" };
  if (e.includes("64") || r === 2) {
    const s = b64(raw);
    const bad = rng.int(4);
    if (bad === 0) return { value: s.replace(/=+$/, ""), what: "base64 unpadded" };
    if (bad === 1) return { value: s.slice(0, 4) + "\r\n" + s.slice(4), what: "base64 with CRLF" };
    if (bad === 2) return { value: b64(raw).replace(/\+/g, "-"), what: "base64url chars" };
    return { value: s, what: "base64" };
  }
  if (e.startsWith("h") || r === 3) {
    const s = raw.toString("hex");
    const bad = rng.int(4);
    if (bad === 0) return { value: s.toUpperCase(), what: "hex upper" };
    if (bad === 1) return { value: s + "0", what: "hex odd length" };
    return { value: s, what: "hex" };
  }
  return { value: `value-${rng.int(1e6)}`, what: "ascii" };
}

function secretFamily(ctx: FamilyContext): Case {
  const { rng } = ctx;
  const tags: string[] = [];
  const enc = decorate(rng, rng.pick(ENCODINGS), tags);
  if (/ſ|é/.test(enc)) tags.push("unicode-fold");
  const { value, what } = secretValue(rng, enc);
  const missing = rng.int(12);
  const entry: VaultEntry = { kind: "secret", hasId: missing !== 0, ...(missing === 1 ? {} : { value }) };
  if (missing <= 1) tags.push("missing-field");
  const objectEncoding = enc === "" && rng.bool() ? undefined : enc;
  const object: RawObject = {
    objectName: "s" + rng.int(100),
    objectType: decorate(rng, "secret", tags),
    ...(objectEncoding !== undefined ? { objectEncoding } : {}),
  };
  return {
    kind: "mount",
    id: ctx.next(),
    family: "secret",
    tags,
    params: { encoding: enc, value: what, missing },
    object,
    entry,
    constructPemChain: true,
  };
}

function fileNameFamily(ctx: FamilyContext): Case {
  const { rng } = ctx;
  const names = [
    "..",
    "../x",
    "a/../b",
    "a/..",
    "..a",
    "a..b",
    "/abs",
    "/",
    "a/./b",
    "a/",
    "./a",
    "a//b",
    "",
    " ",
    "\u0085",
    "\ufeff",
    "ok-name",
    "dir/file",
    "x\\..\\y",
    ".",
  ];
  const useAlias = rng.bool(0.7);
  const name = rng.pick(names);
  const object: RawObject = useAlias
    ? { objectName: "s1", objectAlias: name, objectType: "secret" }
    : { objectName: name === "" ? "" : name, objectType: "secret" };
  const entry: VaultEntry = { kind: "secret", hasId: true, value: "v" };
  return {
    kind: "mount",
    id: ctx.next(),
    family: "file-name",
    tags: ["file-name"],
    params: { useAlias, name },
    object,
    entry,
    constructPemChain: true,
  };
}

function keyFamily(ctx: FamilyContext): Case {
  const { rng, pool } = ctx;
  const tags: string[] = [];
  const k: TestKey = rng.bool() ? rng.pick(pool.rsa) : rng.pick(pool.ec);
  const parts = publicJwkParts(k);
  const entry: VaultEntry & { kind: "key" } = { kind: "key", hasKid: true, ...parts };
  const variant = rng.int(16);
  switch (variant) {
    case 0:
      delete entry.n;
      delete entry.x;
      break;
    case 1:
      delete entry.e;
      delete entry.y;
      break;
    case 2:
      entry.kty = rng.pick(["RSA-HSM", "EC-HSM", "oct", "OKP", "rsa", ""]);
      break;
    case 3:
      delete entry.kty;
      break;
    case 4:
      entry.crv = rng.pick(["P-256K", "P-224", "p-256", "X25519", ""]);
      break;
    case 5:
      entry.hasKid = false;
      break;
    case 6:
      entry.noKey = true;
      break;
    case 7:
      if (entry.y) entry.y = Buffer.from(entry.y.map((b, i) => (i === entry.y!.length - 1 ? b ^ 1 : b)));
      if (entry.e) entry.e = bigToBytes(BigInt(rng.pick([3, 1, 0x10001, 2 ** 31 + 11, 0])));
      break;
    case 8:
      if (entry.x) entry.x = Buffer.concat([Buffer.alloc(rng.int(3)), entry.x]);
      if (entry.n) entry.n = Buffer.concat([Buffer.alloc(1), entry.n]);
      break;
    case 9:
      if (entry.e) entry.e = Buffer.alloc(9, 0xff);
      break;
  }
  if (variant <= 6) tags.push("missing-field");
  const object: RawObject = { objectName: "k" + rng.int(100), objectType: "key" };
  if (rng.bool(0.1)) object.objectEncoding = "base64";
  return {
    kind: "mount",
    id: ctx.next(),
    family: "key",
    tags,
    params: { key: describeKey(k), variant },
    object,
    entry,
    constructPemChain: true,
  };
}

function certFamily(ctx: FamilyContext): Case {
  const { rng, pool } = ctx;
  const c = makeChain(rng, pool);
  const v = rng.int(6);
  const entry: VaultEntry = { kind: "cert", hasId: v !== 0, ...(v === 1 ? {} : { cer: v === 2 ? Buffer.alloc(0) : c.leaf }) };
  const object: RawObject = { objectName: "c" + rng.int(100), objectType: rng.pick(["cert", "cert", " cert ", "Cert"]) };
  if (rng.bool(0.1)) object.objectFormat = rng.pick(["pem", "pfx", "PEM", "der"]);
  return {
    kind: "mount",
    id: ctx.next(),
    family: "cert",
    tags: [...c.tags, ...(v <= 1 ? ["missing-field"] : [])],
    params: { ...c.params, v },
    object,
    entry,
    constructPemChain: true,
  };
}

function pemSecretObject(rng: Rng, tags: string[]): RawObject {
  const object: RawObject = { objectName: "tls" + rng.int(100), objectType: "secret" };
  const f = rng.int(8);
  if (f === 0) object.objectFormat = "pfx";
  else if (f === 1) object.objectFormat = decorate(rng, rng.pick(["PFX", "Pfx", "pem", "PEM"]), tags);
  if (object.objectFormat?.trim().toLowerCase() === "pfx" && rng.bool(0.6)) object.objectEncoding = "base64";
  return object;
}

const ATTRS: Attr[] = ["localKeyId", "friendlyName", "msCsp", "unknown", "emptyUnknown", "emptyLocalKeyId"];

/** Hand-built PFX (node-forge KDF and ciphers): bag orders, attributes and trailing elements no tool writes. */
function pfxFamily(ctx: FamilyContext): Case {
  const { rng, pool } = ctx;
  const c = makeChain(rng, pool);
  const picked = pickCerts(rng, c);
  const tags = [...picked.tags];
  const keyCount = rng.pick([1, 1, 1, 1, 0, 2]);
  const attrsFor = (): Attr[] => {
    if (!rng.bool(0.3)) return ["localKeyId"];
    const a = rng.shuffle(ATTRS).slice(0, rng.int(3) + 1);
    if (a.includes("unknown") || a.includes("emptyUnknown")) tags.push("unknown-attribute");
    return a;
  };
  const bags: BagSpec[] = picked.certs.map((der) => ({ kind: "cert", der, attrs: attrsFor() }));
  const keyVariant = rng.int(14);
  for (let i = 0; i < keyCount; i++) {
    let der = pkcs8Of(i === 0 ? c.leafKey : rng.pick(pool.ec));
    if (i === 0 && keyVariant === 0 && c.leafKey.kind === "rsa") {
      der = pkcs8Rsa(c.leafKey, { badCrt: true });
      tags.push("rsa-inconsistent-crt");
    } else if (i === 0 && keyVariant === 1 && c.leafKey.kind === "rsa") {
      der = pkcs8Rsa(c.leafKey, { swapPrimes: true });
      tags.push("rsa-swapped-primes");
    } else if (i === 0 && keyVariant === 2 && c.leafKey.kind === "ec") {
      der = pkcs8Ec(c.leafKey, { algParams: false, params: true });
      tags.push("ec-pkcs8-no-params");
    } else if (i === 0 && keyVariant === 3 && c.leafKey.kind === "ec") {
      der = pkcs8Ec(c.leafKey, { pub: rng.pick(pool.ec.filter((k) => k.curve === (c.leafKey as EcKey).curve)).pub });
      tags.push("ec-mismatched-public");
    } else if (i === 0 && keyVariant === 4) {
      der = ED25519_PKCS8;
      tags.push("ed25519");
    }
    bags.push({ kind: rng.bool(0.05) ? "plainKey" : "key", der, attrs: attrsFor() });
  }
  const order = rng.int(3);
  const ordered = order === 0 ? bags : order === 1 ? [...bags].reverse() : rng.shuffle(bags);
  for (const b of ordered) {
    if (rng.bool(0.05)) {
      b.trailing = true;
      tags.push("asn1-trailing");
    }
  }
  const odd = rng.int(30);
  const spec = {
    bags: ordered,
    certSafe: rng.pick<"data" | Pbe>(["data", "3des", "rc2-40", "rc2-40", "rc2-128"]),
    keyPbe: rng.pick<Pbe>(["3des", "3des", "rc2-40", "rc2-128"]),
    password: "",
    macNilPassword: rng.bool(0.15),
    macIterations: odd === 0 ? ("omitted" as const) : undefined,
    macTrailing: odd === 1,
    macAlg: odd === 2 ? ("sha256" as const) : ("sha1" as const),
    contentInfos: odd === 3 ? (1 as const) : odd === 4 ? (3 as const) : (2 as const),
    pfxTrailing: odd === 5,
  };
  if (odd === 1 || odd === 5) tags.push("asn1-trailing");
  const pfx = buildPfx(spec, rng);
  const object = pemSecretObject(rng, tags);
  const entry: VaultEntry = {
    kind: "secret",
    hasId: true,
    value: b64(pfx),
    contentType: "application/x-pkcs12",
    kid: "https://kvrp-oracle.vault.azure.net/keys/x/1",
  };
  const params = {
    chain: c.params,
    certs: picked.shape,
    keyCount,
    keyVariant,
    certSafe: spec.certSafe,
    keyPbe: spec.keyPbe,
    macNil: spec.macNilPassword,
    odd,
    order,
  };
  return { kind: "mount", id: ctx.next(), family: "pfx-built", tags, params, object, entry, constructPemChain: rng.bool(0.9) };
}

/** PFX files written by `openssl pkcs12 -export`. */
function opensslFamily(ctx: FamilyContext): Case {
  const { rng, pool } = ctx;
  const c = makeChain(rng, pool);
  const picked = pickCerts(rng, c);
  const tags = [...picked.tags, "openssl"];
  // openssl puts the certificate matching the key first; the rest follow in -certfile order
  const certs = [c.leaf, ...picked.certs.filter((x) => x !== c.leaf)];
  const o: OpensslPfxOptions = {};
  const alg = rng.int(6);
  if (alg === 0) o.pbe = "PBE-SHA1-3DES";
  else if (alg === 1) o.pbe = "PBE-SHA1-RC2-40";
  else if (alg === 2) o.pbe = "PBE-SHA1-RC2-128";
  else if (alg === 3) {
    o.pbe = "PBE-SHA1-3DES";
    o.certPbe = rng.pick(["PBE-SHA1-RC2-40", "NONE"]);
  }
  // alg 4, 5: OpenSSL 3 defaults (PBES2 + AES-256-CBC, HMAC-SHA256), sometimes with a SHA-1 MAC
  if (alg <= 3 || rng.bool()) o.macalg = "sha1";
  if (rng.bool(0.2)) {
    o.lmk = true;
    tags.push("unknown-attribute");
  }
  if (rng.bool(0.2)) o.name = rng.pick(["tls", "ключ"]);
  const pfx = opensslPfx(pkcs8Of(c.leafKey), certs, o);
  const object = pemSecretObject(rng, tags);
  const entry: VaultEntry = {
    kind: "secret",
    hasId: true,
    value: b64(pfx),
    contentType: "application/x-pkcs12",
    kid: "https://kvrp-oracle.vault.azure.net/keys/x/1",
  };
  return {
    kind: "mount",
    id: ctx.next(),
    family: "pfx-openssl",
    tags,
    params: { chain: c.params, certs: picked.shape, openssl: o },
    object,
    entry,
    constructPemChain: true,
  };
}

const pemBlock = (type: string, der: Buffer, headers = "") =>
  `-----BEGIN ${type}-----\n${headers}${
    der.length
      ? der
          .toString("base64")
          .match(/.{1,64}/g)!
          .join("\n") + "\n"
      : ""
  }-----END ${type}-----\n`;

/** A PEM private key in one of the encodings the driver's tls.key rule reads, possibly malformed. */
function keyBlock(rng: Rng, pool: KeyPool, tags: string[]): { pem: string; what: string } {
  const rsa = rng.pick(pool.rsa.slice(0, 3));
  const ec = rng.pick(pool.ec);
  const v = rng.int(22);
  const label = rng.pick(["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "KEY"]);
  const t = (tag: string, der: Buffer, what: string) => {
    if (tag) tags.push(tag);
    return { pem: pemBlock(label, der), what: `${what} as ${label}` };
  };
  switch (v) {
    case 0:
      return t("", pkcs1(rsa), "rsa pkcs1");
    case 1:
      return t("", pkcs8Rsa(rsa), "rsa pkcs8");
    case 2:
      return t("", sec1(ec), "ec sec1");
    case 3:
      return t("", pkcs8Ec(ec), "ec pkcs8");
    case 4:
      return t("rsa-inconsistent-crt", pkcs1(rsa, { badCrt: true }), "rsa pkcs1 bad crt");
    case 5:
      return t("rsa-swapped-primes", pkcs1(rsa, { swapPrimes: true }), "rsa pkcs1 swapped primes");
    case 6:
      return t("rsa-pkcs1-v1", pkcs1(rsa, { version: 1 }), "rsa pkcs1 version 1");
    case 7:
      return t("asn1-trailing", pkcs1(rsa, { trailing: true }), "rsa pkcs1 trailing");
    case 8:
      return t("rsa-d-equals-n", pkcs1(rsa, { dEqualsN: true }), "rsa pkcs1 d=n");
    case 9:
      return t("ec-pkcs8-no-params", pkcs8Ec(ec, { algParams: false }), "ec pkcs8 no params");
    case 10:
      return t("ec-pkcs8-no-params", pkcs8Ec(ec, { algParams: false, params: true }), "ec pkcs8 inner params only");
    case 11:
      return t(
        "ec-mismatched-public",
        sec1(ec, { pub: rng.pick(pool.ec.filter((k) => k.curve === ec.curve)).pub }),
        "ec sec1 foreign public",
      );
    case 12:
      return t("ec-mismatched-public", sec1(ec, { pub: false }), "ec sec1 no public");
    case 13:
      return t("", sec1(ec, { params: false }), "ec sec1 no params");
    case 14:
      return t("", sec1(ec, { dShape: rng.pick(["stripped", "padded"] as const) }), "ec sec1 odd d length");
    case 15:
      return t("asn1-trailing", sec1(ec, { trailing: true }), "ec sec1 trailing");
    case 16:
      return t("ed25519", ED25519_PKCS8, "ed25519 pkcs8");
    case 17:
      return t("", Buffer.from(rng.bytes(rng.int(30))), "garbage");
    case 18:
      return t("rsa-inconsistent-crt", pkcs8Rsa(rsa, { badCrt: true }), "rsa pkcs8 bad crt");
    case 19:
      return t("asn1-trailing", pkcs8Rsa(rsa, { trailing: true }), "rsa pkcs8 trailing");
    case 20:
      return t("rsa-swapped-primes", pkcs8Rsa(rsa, { swapPrimes: true }), "rsa pkcs8 swapped primes");
    default:
      return t("rsa-pkcs1-v1", pkcs8Rsa(rsa, { version: 1 }), "rsa pkcs8 inner version 1");
  }
}

/** PEM bundles as mounted files (certificate-backed PEM secrets and plain secrets) for the driver's rules. */
function pemFamily(ctx: FamilyContext): Case {
  const { rng, pool } = ctx;
  const c = makeChain(rng, pool);
  const tags: string[] = [...c.tags];
  const parts: string[] = [];
  const what: string[] = [];
  const n = rng.int(5);
  for (let i = 0; i < n; i++) {
    const r = rng.int(8);
    if (r < 3) {
      parts.push(pemBlock("CERTIFICATE", rng.pick([c.leaf, c.inter, c.root, c.stranger])));
      what.push("cert");
    } else if (r < 6) {
      const k = keyBlock(rng, pool, tags);
      parts.push(k.pem);
      what.push(k.what);
    } else if (r === 6) {
      parts.push(rng.pick(["garbage\n", "\r\n", "-----BEGIN BROKEN-----\nxx\n", "Bag Attributes\n    localKeyId: 01 \n"]));
      what.push("text");
    } else {
      parts.push(pemBlock("CERTIFICATE", c.leaf, "Proc-Type: 4,ENCRYPTED\nDEK-Info: X\n\n"));
      what.push("cert with headers");
    }
  }
  let text = parts.join(rng.pick(["", "\n", "\r\n"]));
  if (rng.bool(0.1)) text = text.replace(/\n/g, "\r\n");
  let file = Buffer.from(text, "latin1");
  if (rng.bool(0.08)) {
    // a binary PFX after (or instead of) the PEM text: the driver's PKCS#12 fallback reads what follows the blocks
    const pfx = buildPfx(
      {
        bags: [
          { kind: "cert", der: c.leaf, attrs: [] },
          { kind: "key", der: pkcs8Of(c.leafKey), attrs: [] },
        ],
        certSafe: "3des",
        keyPbe: "3des",
        password: "",
      },
      rng,
    );
    file = Buffer.concat([file, pfx]);
    what.push("pfx");
  }
  return { kind: "file", id: ctx.next(), family: "pem-bundle", tags, params: { blocks: what }, file };
}

function historyFamily(ctx: FamilyContext): Case {
  const { rng } = ctx;
  const n = rng.pick([0, 1, 2, 3, 5, 8, 12, 13, 20, 40, 60]);
  const base = 1_700_000_000;
  const ties = rng.bool(0.5);
  const listing: ListingEntry[] = [];
  for (let i = 0; i < n; i++) {
    const created = rng.int(12) === 0 ? undefined : ties ? base + rng.int(4) * 60 : base + rng.int(100_000);
    const entry: ListingEntry = { version: hex32(rng), hasAttributes: rng.int(20) !== 0 };
    if (created !== undefined) entry.created = created;
    const en = rng.int(6);
    if (en === 0) entry.enabled = false;
    else if (en !== 1) entry.enabled = true;
    listing.push(entry);
  }
  const hist = rng.pick([2, 2, 3, 4, 5, 10, 0, 1]);
  const type = rng.pick(["secret", "key", "cert"]);
  const object: RawObject = { objectName: "h" + rng.int(10), objectType: type, objectVersionHistory: hist };
  if (rng.bool(0.2)) object.objectAlias = rng.pick(["alias", "dir/alias", "a/./b", "x/"]);
  const v = rng.int(5);
  if (v === 0 && listing.length) object.objectVersion = rng.pick(listing).version;
  else if (v === 1) object.objectVersion = "latest";
  else if (v === 2) object.objectVersion = hex32(rng);
  const tags = ties ? ["created-ties"] : [];
  return { kind: "history", id: ctx.next(), family: "history", tags, params: { n, hist, ties, v }, object, listing };
}

export const FAMILIES: { name: string; weight: number; make: (ctx: FamilyContext) => Case }[] = [
  { name: "secret", weight: 200, make: secretFamily },
  { name: "file-name", weight: 60, make: fileNameFamily },
  { name: "key", weight: 150, make: keyFamily },
  { name: "cert", weight: 60, make: certFamily },
  { name: "pfx-built", weight: 480, make: pfxFamily },
  { name: "pfx-openssl", weight: 90, make: opensslFamily },
  { name: "pem-bundle", weight: 300, make: pemFamily },
  { name: "history", weight: 160, make: historyFamily },
];

/** Every family's cases for one seed; each family draws from its own forked generator. */
export function generateCases(rng: Rng, pool: KeyPool): Case[] {
  const out: Case[] = [];
  for (const f of FAMILIES) {
    const frng = rng.fork();
    let i = 0;
    const ctx: FamilyContext = { rng: frng, pool, next: () => `${f.name}#${i++}` };
    for (let k = 0; k < f.weight; k++) out.push(f.make(ctx));
  }
  return out;
}
