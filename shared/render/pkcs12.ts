// PKCS#12 (PFX), private-key and certificate handling that reproduces what the Azure provider and
// the CSI driver do with Go's `golang.org/x/crypto/pkcs12` and `crypto/x509`:
// - `pkcs12ToPem` = `pkcs12.ToPEM(pfx, "")`, with the same (narrow) set of accepted inputs: PFX v3,
//   password-integrity mode with an HMAC-SHA1 MAC, exactly two ContentInfos in the AuthenticatedSafe,
//   pbeWithSHAAnd3-KeyTripleDES-CBC or pbeWithSHAAnd40BitRC2-CBC encryption, only certBag and
//   pkcs8ShroudedKeyBag bags, only friendlyName/localKeyId/Microsoft-CSP-name attributes, strict DER.
//   Key blocks are `PRIVATE KEY` holding PKCS#1 (RSA) or SEC1 (EC) bytes, as Go does.
// - `decodePfx` = the provider's view: keys as Go's `x509.MarshalPKCS8PrivateKey`, certificates in bag order.
// - `orderCertificateChain` = the provider's `fetchCertChains` (leaf → root by AuthorityKeyId/SubjectKeyId).
// - Go-equivalent private key parsers/marshalers (PKCS#1, PKCS#8, SEC1) used by the tls.key rule.
//
// node:crypto does the key maths and 3DES/SHA-1; node-forge provides RC2 (not in OpenSSL 3's default provider).

import { createDecipheriv, createHash, createHmac, createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from "node:crypto";
import forge from "node-forge";
import { goBase64StdDecode, type PemBlock } from "./pem.js";

/** A PFX, certificate or key could not be decoded the way Go would decode it. */
export class Pkcs12Error extends Error {
  override readonly name = "Pkcs12Error";
}

// ---------------------------------------------------------------------------------------------
// Strict DER reader / writer

const CLASS_UNIVERSAL = 0;
const CLASS_CONTEXT = 2;
const TAG_INTEGER = 2;
const TAG_OCTET_STRING = 4;
const TAG_OID = 6;
const TAG_SEQUENCE = 16;
const TAG_SET = 17;

interface Tlv {
  cls: number;
  constructed: boolean;
  tag: number;
  /** the contents octets */
  value: Buffer;
  /** the whole TLV */
  raw: Buffer;
}

function readTlv(buf: Buffer, offset: number, what: string): { tlv: Tlv; next: number } {
  const start = offset;
  const fail = (msg: string): never => {
    throw new Pkcs12Error(`${what}: invalid DER at byte ${start}: ${msg}`);
  };
  const b0 = buf[offset++];
  if (b0 === undefined) return fail("truncated tag");
  const cls = b0 >> 6;
  const constructed = (b0 & 0x20) !== 0;
  let tag = b0 & 0x1f;
  if (tag === 0x1f) {
    tag = 0;
    for (let n = 0; ; n++) {
      const b = buf[offset++];
      if (b === undefined) return fail("truncated tag");
      if (n === 0 && b === 0x80) return fail("non-minimal tag");
      tag = tag * 128 + (b & 0x7f);
      if (tag > 0x7fffffff) return fail("tag too large");
      if ((b & 0x80) === 0) break;
    }
    if (tag < 0x1f) return fail("non-minimal tag");
  }
  const l0 = buf[offset++];
  if (l0 === undefined) return fail("truncated length");
  let length: number;
  if (l0 < 0x80) {
    length = l0;
  } else if (l0 === 0x80) {
    return fail("indefinite length (BER) is not allowed");
  } else {
    const n = l0 & 0x7f;
    if (n > 4) return fail("length too large");
    length = 0;
    for (let i = 0; i < n; i++) {
      const b = buf[offset++];
      if (b === undefined) return fail("truncated length");
      if (i === 0 && b === 0) return fail("superfluous leading zeros in length");
      length = length * 256 + b;
    }
    if (length < 0x80) return fail("non-minimal length");
  }
  const end = offset + length;
  if (end > buf.length) return fail("data truncated");
  return {
    tlv: {
      cls,
      constructed,
      tag,
      value: buf.subarray(offset, end),
      raw: buf.subarray(start, end),
    },
    next: end,
  };
}

/** Exactly one TLV, no trailing data (Go's `unmarshal` helper). */
function parseOne(buf: Buffer, what: string): Tlv {
  const { tlv, next } = readTlv(buf, 0, what);
  if (next !== buf.length) throw new Pkcs12Error(`${what}: trailing data`);
  return tlv;
}

function children(tlv: Tlv, what: string): Tlv[] {
  if (!tlv.constructed) throw new Pkcs12Error(`${what}: expected a constructed value`);
  const out: Tlv[] = [];
  let off = 0;
  while (off < tlv.value.length) {
    const { tlv: c, next } = readTlv(tlv.value, off, what);
    out.push(c);
    off = next;
  }
  return out;
}

function isUniversal(t: Tlv | undefined, tag: number): t is Tlv {
  return t !== undefined && t.cls === CLASS_UNIVERSAL && t.tag === tag;
}

function isContext(t: Tlv | undefined, tag: number): t is Tlv {
  return t !== undefined && t.cls === CLASS_CONTEXT && t.tag === tag;
}

function expectSequence(t: Tlv | undefined, what: string): Tlv[] {
  if (!isUniversal(t, TAG_SEQUENCE) || !t.constructed) throw new Pkcs12Error(`${what}: expected a SEQUENCE`);
  return children(t, what);
}

function expectOid(t: Tlv | undefined, what: string): string {
  if (!isUniversal(t, TAG_OID) || t.constructed || t.value.length === 0) {
    throw new Pkcs12Error(`${what}: expected an OBJECT IDENTIFIER`);
  }
  return t.value.toString("hex");
}

function expectOctets(t: Tlv | undefined, what: string): Buffer {
  if (!isUniversal(t, TAG_OCTET_STRING) || t.constructed) throw new Pkcs12Error(`${what}: expected an OCTET STRING`);
  return t.value;
}

/** A DER INTEGER as a JS number (Go's `int` fields); rejects non-minimal encodings like Go. */
function expectSmallInt(t: Tlv | undefined, what: string): number {
  if (!isUniversal(t, TAG_INTEGER) || t.constructed) throw new Pkcs12Error(`${what}: expected an INTEGER`);
  const v = t.value;
  if (v.length === 0) throw new Pkcs12Error(`${what}: empty integer`);
  if (v.length > 1 && ((v[0] === 0 && (v[1]! & 0x80) === 0) || (v[0] === 0xff && (v[1]! & 0x80) !== 0))) {
    throw new Pkcs12Error(`${what}: integer not minimally-encoded`);
  }
  if (v.length > 6) throw new Pkcs12Error(`${what}: integer too large`);
  let n = 0n;
  for (const b of v) n = (n << 8n) | BigInt(b);
  return Number(BigInt.asIntN(v.length * 8, n));
}

/** Dotted form of an OID given as hex of its contents (for messages). */
export function oidToString(hex: string): string {
  const b = Buffer.from(hex, "hex");
  const arcs: bigint[] = [];
  let cur = 0n;
  for (const byte of b) {
    cur = (cur << 7n) | BigInt(byte & 0x7f);
    if ((byte & 0x80) === 0) {
      arcs.push(cur);
      cur = 0n;
    }
  }
  const first = arcs.shift() ?? 0n;
  const head = first < 40n ? [0n, first] : first < 80n ? [1n, first - 40n] : [2n, first - 80n];
  return [...head, ...arcs].join(".");
}

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  while (n > 0) {
    bytes.unshift(n & 0xff);
    n = Math.floor(n / 256);
  }
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function der(tagByte: number, content: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([tagByte]), derLength(content.length), content]);
}

const derSeq = (...items: Uint8Array[]) => der(0x30, Buffer.concat(items));
const derOid = (hex: string) => der(0x06, Buffer.from(hex, "hex"));
const derOctets = (b: Uint8Array) => der(0x04, b);
const derBitString = (b: Uint8Array) => der(0x03, Buffer.concat([Buffer.from([0]), b]));
const DER_NULL = Buffer.from([0x05, 0x00]);

/** INTEGER from an unsigned big-endian magnitude (Go's big.Int.SetBytes → asn1.Marshal). */
function derUnsignedInt(magnitude: Uint8Array): Buffer {
  let i = 0;
  while (i < magnitude.length && magnitude[i] === 0) i++;
  let m = Buffer.from(magnitude.subarray(i));
  if (m.length === 0) m = Buffer.from([0]);
  else if ((m[0]! & 0x80) !== 0) m = Buffer.concat([Buffer.from([0]), m]);
  return der(0x02, m);
}

/** INTEGER from a signed value (Go's asn1.Marshal of an int). */
function derSignedInt(v: bigint): Buffer {
  const bytes: number[] = [];
  let x = v;
  for (;;) {
    bytes.unshift(Number(BigInt.asUintN(8, x)));
    x >>= 8n;
    const top = bytes[0]!;
    if ((x === 0n && (top & 0x80) === 0) || (x === -1n && (top & 0x80) !== 0)) break;
  }
  return der(0x02, Buffer.from(bytes));
}

// ---------------------------------------------------------------------------------------------
// OIDs (hex of the contents octets)

export const OID = {
  data: "2a864886f70d010701",
  encryptedData: "2a864886f70d010706",
  sha1: "2b0e03021a",
  pbeWithSHAAnd3KeyTripleDESCBC: "2a864886f70d010c0103",
  pbeWithSHAAnd40BitRC2CBC: "2a864886f70d010c0106",
  certBag: "2a864886f70d010c0a0103",
  pkcs8ShroudedKeyBag: "2a864886f70d010c0a0102",
  x509Certificate: "2a864886f70d01091601",
  friendlyName: "2a864886f70d010914",
  localKeyId: "2a864886f70d010915",
  microsoftCspName: "2b0601040182371101",
  rsaEncryption: "2a864886f70d010101",
  ecPublicKey: "2a8648ce3d0201",
  ed25519: "2b6570",
  x25519: "2b656e",
  subjectKeyIdentifier: "551d0e",
  authorityKeyIdentifier: "551d23",
} as const;

/** The named curves Go's crypto/x509 understands, by OID hex. */
const GO_CURVES: Record<string, { name: GoCurveName; nodeName: string; byteLength: number }> = {
  "2b81040021": { name: "P-224", nodeName: "secp224r1", byteLength: 28 },
  "2a8648ce3d030107": { name: "P-256", nodeName: "prime256v1", byteLength: 32 },
  "2b81040022": { name: "P-384", nodeName: "secp384r1", byteLength: 48 },
  "2b81040023": { name: "P-521", nodeName: "secp521r1", byteLength: 66 },
};
export type GoCurveName = "P-224" | "P-256" | "P-384" | "P-521";

function curveByName(name: string): { oid: string; byteLength: number } | undefined {
  for (const [oid, c] of Object.entries(GO_CURVES)) if (c.name === name) return { oid, byteLength: c.byteLength };
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Public keys (the provider's getKey: x509.MarshalPKIXPublicKey)

/** PKIX SubjectPublicKeyInfo DER of an RSA key from JWK n/e bytes, as Go builds it (e is taken as an int64). */
export function rsaSpkiFromJwk(n: Uint8Array, e: Uint8Array): Uint8Array {
  let eVal = 0n;
  for (const b of e) eVal = (eVal << 8n) | BigInt(b);
  const pkcs1 = derSeq(derUnsignedInt(n), derSignedInt(BigInt.asIntN(64, eVal)));
  return new Uint8Array(derSeq(derSeq(derOid(OID.rsaEncryption), DER_NULL), derBitString(pkcs1)));
}

/**
 * PKIX SubjectPublicKeyInfo DER of an EC key from JWK crv/x/y (P-256, P-384, P-521 are what the
 * provider maps; P-224 is accepted by Go's marshaller too). Throws when the point is not on the curve.
 */
export function ecSpkiFromJwk(crv: GoCurveName, x: Uint8Array, y: Uint8Array): Uint8Array {
  const c = curveByName(crv);
  if (!c) throw new Pkcs12Error(`curve ${crv} is not supported`);
  const fixed = (v: Uint8Array, what: string): Buffer => {
    let i = 0;
    while (i < v.length && v[i] === 0) i++;
    const m = v.subarray(i);
    if (m.length > c.byteLength) throw new Pkcs12Error(`invalid elliptic curve public key (${what} too long)`);
    return Buffer.concat([Buffer.alloc(c.byteLength - m.length), m]);
  };
  const point = Buffer.concat([Buffer.from([4]), fixed(x, "x"), fixed(y, "y")]);
  const spki = derSeq(derSeq(derOid(OID.ecPublicKey), derOid(c.oid)), derBitString(point));
  try {
    // OpenSSL rejects points that are not on the curve, as Go's IsOnCurve check does.
    createPublicKey({ key: spki, format: "der", type: "spki" });
  } catch {
    throw new Pkcs12Error("invalid elliptic curve public key (point is not on the curve)");
  }
  return new Uint8Array(spki);
}

// ---------------------------------------------------------------------------------------------
// Private keys: Go's x509.Parse{PKCS1,PKCS8,EC}PrivateKey and Marshal* equivalents

export type GoPrivateKey =
  | { kind: "rsa"; key: KeyObject }
  | { kind: "ecdsa"; key: KeyObject; curve: GoCurveName }
  /** Parsed by Go's ParsePKCS8PrivateKey but neither RSA nor ECDSA (ed25519, x25519). */
  | { kind: "other"; key: KeyObject; algorithm: string };

function loadKey(derBytes: Buffer, type: "pkcs1" | "pkcs8" | "sec1"): KeyObject | null {
  try {
    return createPrivateKey({ key: derBytes, format: "der", type });
  } catch {
    return null;
  }
}

function tryParse(derBytes: Uint8Array, what: string): Tlv[] | null {
  try {
    const top = parseOne(Buffer.from(derBytes), what);
    if (!isUniversal(top, TAG_SEQUENCE) || !top.constructed) return null;
    return children(top, what);
  } catch {
    return null;
  }
}

/** x509.ParsePKCS1PrivateKey: an RSAPrivateKey structure (version 0 or 1). `null` when Go would fail. */
export function parsePkcs1PrivateKey(derBytes: Uint8Array): KeyObject | null {
  const items = tryParse(derBytes, "PKCS#1 private key");
  if (!items || items.length < 6) return null;
  for (let i = 0; i < 6; i++) if (!isUniversal(items[i], TAG_INTEGER)) return null;
  let version: number;
  try {
    version = expectSmallInt(items[0], "version");
  } catch {
    return null;
  }
  if (version < 0 || version > 1) return null;
  const key = loadKey(Buffer.from(derBytes), "pkcs1");
  return key && key.asymmetricKeyType === "rsa" ? key : null;
}

function curveOfKey(key: KeyObject): GoCurveName | null {
  const named = key.asymmetricKeyDetails?.namedCurve;
  for (const c of Object.values(GO_CURVES)) if (c.nodeName === named) return c.name;
  return null;
}

/** x509.ParseECPrivateKey: a SEC1 ECPrivateKey (version 1) naming one of Go's curves. `null` when Go would fail. */
export function parseEcPrivateKey(derBytes: Uint8Array): { key: KeyObject; curve: GoCurveName } | null {
  const items = tryParse(derBytes, "SEC1 private key");
  if (!items || items.length < 2) return null;
  let version: number;
  try {
    version = expectSmallInt(items[0], "version");
  } catch {
    return null;
  }
  if (version !== 1 || !isUniversal(items[1], TAG_OCTET_STRING)) return null;
  const params = items.slice(2).find((t) => isContext(t, 0));
  if (!params) return null; // standalone SEC1 needs the curve OID
  let curveOid: string;
  try {
    curveOid = expectOid(parseOne(params.value, "curve"), "curve");
  } catch {
    return null;
  }
  if (!GO_CURVES[curveOid]) return null;
  const key = loadKey(Buffer.from(derBytes), "sec1");
  if (!key || key.asymmetricKeyType !== "ec") return null;
  const curve = curveOfKey(key);
  return curve ? { key, curve } : null;
}

/** x509.ParsePKCS8PrivateKey. `null` when Go would fail. */
export function parsePkcs8PrivateKey(derBytes: Uint8Array): GoPrivateKey | null {
  const items = tryParse(derBytes, "PKCS#8 private key");
  if (!items || items.length < 3) return null;
  if (!isUniversal(items[0], TAG_INTEGER) || !isUniversal(items[2], TAG_OCTET_STRING)) return null;
  let alg: Tlv[];
  let algOid: string;
  try {
    alg = expectSequence(items[1], "algorithm");
    algOid = expectOid(alg[0], "algorithm");
  } catch {
    return null;
  }
  const inner = items[2].value;
  switch (algOid) {
    case OID.rsaEncryption: {
      if (!parsePkcs1PrivateKey(inner)) return null;
      const key = loadKey(Buffer.from(derBytes), "pkcs8");
      return key && key.asymmetricKeyType === "rsa" ? { kind: "rsa", key } : null;
    }
    case OID.ecPublicKey: {
      let curveOid: string | undefined;
      try {
        curveOid = expectOid(alg[1], "curve");
      } catch {
        curveOid = undefined;
      }
      if (curveOid === undefined) {
        // Go falls back to the curve named inside the ECPrivateKey.
        const innerItems = tryParse(inner, "EC private key");
        const p = innerItems?.slice(2).find((t) => isContext(t, 0));
        try {
          curveOid = p ? expectOid(parseOne(p.value, "curve"), "curve") : undefined;
        } catch {
          curveOid = undefined;
        }
      }
      if (curveOid === undefined || !GO_CURVES[curveOid]) return null;
      const innerItems = tryParse(inner, "EC private key");
      if (!innerItems) return null;
      try {
        if (expectSmallInt(innerItems[0], "version") !== 1) return null;
      } catch {
        return null;
      }
      const key = loadKey(Buffer.from(derBytes), "pkcs8");
      if (!key || key.asymmetricKeyType !== "ec") return null;
      const curve = curveOfKey(key);
      return curve ? { kind: "ecdsa", key, curve } : null;
    }
    case OID.ed25519:
    case OID.x25519: {
      if (alg.length > 1) return null;
      const key = loadKey(Buffer.from(derBytes), "pkcs8");
      return key
        ? {
            kind: "other",
            key,
            algorithm: key.asymmetricKeyType ?? oidToString(algOid),
          }
        : null;
    }
    default:
      return null;
  }
}

function b64url(s: string | undefined): Buffer {
  return Buffer.from(s ?? "", "base64url");
}

function ecParts(key: KeyObject, curve: GoCurveName): { d: Buffer; point: Buffer; oid: string } {
  const c = curveByName(curve);
  if (!c) throw new Pkcs12Error(`curve ${curve} is not supported`);
  const jwk = key.export({ format: "jwk" });
  const pad = (b: Buffer) => Buffer.concat([Buffer.alloc(Math.max(0, c.byteLength - b.length)), b]);
  return {
    d: pad(b64url(jwk.d)),
    point: Buffer.concat([Buffer.from([4]), pad(b64url(jwk.x)), pad(b64url(jwk.y))]),
    oid: c.oid,
  };
}

/** x509.MarshalPKCS1PrivateKey. */
export function marshalPkcs1PrivateKey(key: KeyObject): Uint8Array {
  return new Uint8Array(key.export({ type: "pkcs1", format: "der" }));
}

/** x509.MarshalECPrivateKey (SEC1 with the curve OID and the public key). */
export function marshalEcPrivateKey(key: KeyObject, curve: GoCurveName): Uint8Array {
  const { d, point, oid } = ecParts(key, curve);
  return new Uint8Array(derSeq(der(0x02, Buffer.from([1])), derOctets(d), der(0xa0, derOid(oid)), der(0xa1, derBitString(point))));
}

/** x509.MarshalPKCS8PrivateKey for RSA and ECDSA keys. */
export function marshalPkcs8PrivateKey(k: GoPrivateKey): Uint8Array {
  switch (k.kind) {
    case "rsa":
      return new Uint8Array(
        derSeq(der(0x02, Buffer.from([0])), derSeq(derOid(OID.rsaEncryption), DER_NULL), derOctets(marshalPkcs1PrivateKey(k.key))),
      );
    case "ecdsa": {
      const { d, point, oid } = ecParts(k.key, k.curve);
      // Inside PKCS#8 Go omits the curve parameters from the ECPrivateKey.
      const sec1 = derSeq(der(0x02, Buffer.from([1])), derOctets(d), der(0xa1, derBitString(point)));
      return new Uint8Array(derSeq(der(0x02, Buffer.from([0])), derSeq(derOid(OID.ecPublicKey), derOid(oid)), derOctets(sec1)));
    }
    default:
      throw new Pkcs12Error(`unsupported private key type ${k.algorithm}`);
  }
}

/** The provider's parsePrivateKey: PKCS#1, then PKCS#8, then SEC1. */
export function parseAnyPrivateKey(derBytes: Uint8Array): GoPrivateKey | null {
  const rsa = parsePkcs1PrivateKey(derBytes);
  if (rsa) return { kind: "rsa", key: rsa };
  const p8 = parsePkcs8PrivateKey(derBytes);
  if (p8) return p8;
  const ec = parseEcPrivateKey(derBytes);
  if (ec) return { kind: "ecdsa", key: ec.key, curve: ec.curve };
  return null;
}

// ---------------------------------------------------------------------------------------------
// Certificates

export interface CertificateKeyIds {
  /** SubjectKeyIdentifier extension value, `null` when absent. */
  subjectKeyId: Uint8Array | null;
  /** AuthorityKeyIdentifier keyIdentifier, `null` when absent. */
  authorityKeyId: Uint8Array | null;
}

/** Parses a DER certificate (rejecting what Go's x509.ParseCertificate would obviously reject) and returns its key identifiers. */
export function certificateKeyIds(certDer: Uint8Array): CertificateKeyIds {
  const buf = Buffer.from(certDer);
  const what = "certificate";
  const top = expectSequence(parseOne(buf, what), what);
  try {
    new X509Certificate(buf);
  } catch (e) {
    throw new Pkcs12Error(`certificate: cannot parse: ${(e as Error).message}`);
  }
  const tbs = expectSequence(top[0], "tbsCertificate");
  let subjectKeyId: Uint8Array | null = null;
  let authorityKeyId: Uint8Array | null = null;
  const extsWrapper = tbs.find((t) => isContext(t, 3));
  if (extsWrapper) {
    const exts = expectSequence(parseOne(extsWrapper.value, "extensions"), "extensions");
    for (const ext of exts) {
      const parts = expectSequence(ext, "extension");
      const oid = expectOid(parts[0], "extension id");
      const value = expectOctets(parts[parts.length - 1], "extension value");
      if (oid === OID.subjectKeyIdentifier) {
        subjectKeyId = new Uint8Array(expectOctets(parseOne(value, "subject key identifier"), "subject key identifier"));
      } else if (oid === OID.authorityKeyIdentifier) {
        const aki = expectSequence(parseOne(value, "authority key identifier"), "authority key identifier");
        const kid = aki.find((t) => isContext(t, 0) && !t.constructed);
        if (kid) authorityKeyId = new Uint8Array(kid.value);
      }
    }
  }
  return { subjectKeyId, authorityKeyId };
}

/**
 * The provider's `fetchCertChains` (construct-pem-chain, on by default): links each certificate to the
 * first other certificate whose SubjectKeyId equals its AuthorityKeyId, takes the first certificate
 * (in input order) that is nobody's parent as the leaf, and follows parents from it.
 * The result is leaf → intermediate(s) → root. Certificates that are not on the leaf's path
 * (an incomplete or disjoint chain) are dropped, exactly as the provider does (it only logs a warning).
 * Throws when there is no leaf (e.g. no certificates) or the links form a cycle.
 */
export function orderCertificateChain(certs: readonly Uint8Array[]): Uint8Array[] {
  const nodes = certs.map((der, index) => ({
    der,
    index,
    ids: certificateKeyIds(der),
    parent: -1,
    isParent: false,
  }));
  const eq = (a: Uint8Array | null, b: Uint8Array | null) => Buffer.from(a ?? []).equals(Buffer.from(b ?? []));
  for (let i = 0; i < nodes.length; i++) {
    for (let j = 0; j < nodes.length; j++) {
      if (i === j) continue;
      const ni = nodes[i]!;
      const nj = nodes[j]!;
      if (ni.ids.authorityKeyId === null && nj.ids.subjectKeyId === null) continue;
      if (eq(ni.ids.authorityKeyId, nj.ids.subjectKeyId)) {
        nj.isParent = true;
        ni.parent = j;
        break;
      }
    }
  }
  const leaf = nodes.findIndex((n) => !n.isParent);
  if (leaf < 0) throw new Pkcs12Error("no leaf found");
  const chain: Uint8Array[] = [];
  for (let cur = leaf, processed = 0; cur >= 0;) {
    processed++;
    if (processed > nodes.length) throw new Pkcs12Error("constructing chain resulted in cycle");
    const n = nodes[cur]!;
    chain.push(n.der);
    cur = n.parent;
  }
  return chain;
}

// ---------------------------------------------------------------------------------------------
// PKCS#12

/** Go's bmpString: UCS-2 big-endian plus a two-byte NUL terminator. */
function bmpString(s: string): Buffer {
  const out: number[] = [];
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp > 0xffff) throw new Pkcs12Error("password contains characters outside the BMP");
    out.push(cp >> 8, cp & 0xff);
  }
  out.push(0, 0);
  return Buffer.from(out);
}

/** RFC 7292 appendix B.2 key derivation with SHA-1 (u = 20, v = 64), as Go's pkcs12 pbkdf. */
function pkcs12Kdf(salt: Buffer, password: Buffer, iterations: number, id: number, size: number): Buffer {
  const u = 20;
  const v = 64;
  const D = Buffer.alloc(v, id);
  const fill = (p: Buffer) => {
    if (p.length === 0) return Buffer.alloc(0);
    const len = v * Math.ceil(p.length / v);
    const out = Buffer.alloc(len);
    for (let i = 0; i < len; i++) out[i] = p[i % p.length]!;
    return out;
  };
  const I = Buffer.concat([fill(salt), fill(password)]);
  const c = Math.ceil(size / u);
  const A: Buffer[] = [];
  for (let i = 0; i < c; i++) {
    let Ai = createHash("sha1").update(D).update(I).digest();
    for (let j = 1; j < iterations; j++) Ai = createHash("sha1").update(Ai).digest();
    A.push(Ai);
    if (i < c - 1) {
      const B = Buffer.alloc(v);
      for (let k = 0; k < v; k++) B[k] = Ai[k % u]!;
      for (let off = 0; off < I.length; off += v) {
        let carry = 1;
        for (let k = v - 1; k >= 0; k--) {
          const sum = I[off + k]! + B[k]! + carry;
          I[off + k] = sum & 0xff;
          carry = sum >> 8;
        }
      }
    }
  }
  return Buffer.concat(A).subarray(0, size);
}

function pbDecrypt(algorithm: Tlv | undefined, encrypted: Buffer, password: Buffer, what: string): Buffer {
  const alg = expectSequence(algorithm, `${what} algorithm`);
  const oid = expectOid(alg[0], `${what} algorithm`);
  if (oid !== OID.pbeWithSHAAnd3KeyTripleDESCBC && oid !== OID.pbeWithSHAAnd40BitRC2CBC) {
    throw new Pkcs12Error(
      `${what}: encryption algorithm ${oidToString(oid)} is not supported (the provider's Go pkcs12 decoder only supports pbeWithSHAAnd3-KeyTripleDES-CBC and pbeWithSHAAnd40BitRC2-CBC)`,
    );
  }
  if (!alg[1]) throw new Pkcs12Error(`${what}: missing PBE parameters`);
  const params = expectSequence(parseOne(alg[1].raw, `${what} PBE parameters`), `${what} PBE parameters`);
  const salt = expectOctets(params[0], `${what} PBE salt`);
  const iterations = expectSmallInt(params[1], `${what} PBE iterations`);
  if (encrypted.length === 0) throw new Pkcs12Error("empty encrypted data");
  if (encrypted.length % 8 !== 0) throw new Pkcs12Error("input is not a multiple of the block size");
  let decrypted: Buffer;
  if (oid === OID.pbeWithSHAAnd3KeyTripleDESCBC) {
    const key = pkcs12Kdf(salt, password, iterations, 1, 24);
    const iv = pkcs12Kdf(salt, password, iterations, 2, 8);
    const d = createDecipheriv("des-ede3-cbc", key, iv);
    d.setAutoPadding(false);
    decrypted = Buffer.concat([d.update(encrypted), d.final()]);
  } else {
    const key = pkcs12Kdf(salt, password, iterations, 1, 5);
    const iv = pkcs12Kdf(salt, password, iterations, 2, 8);
    const cipher = forge.rc2.createDecryptionCipher(forge.util.createBuffer(key.toString("binary")), 40);
    cipher.start(forge.util.createBuffer(iv.toString("binary")));
    cipher.update(forge.util.createBuffer(encrypted.toString("binary")));
    if (!cipher.finish(() => true)) throw new Pkcs12Error("decryption error");
    decrypted = Buffer.from(cipher.output.getBytes(), "binary");
  }
  const psLen = decrypted[decrypted.length - 1]!;
  if (psLen === 0 || psLen > 8 || decrypted.length < psLen) {
    throw new Pkcs12Error("decryption error, incorrect padding (wrong password?)");
  }
  for (let i = decrypted.length - psLen; i < decrypted.length; i++) {
    if (decrypted[i] !== psLen) throw new Pkcs12Error("decryption error, incorrect padding (wrong password?)");
  }
  return decrypted.subarray(0, decrypted.length - psLen);
}

function decodeBmpString(b: Buffer): string {
  if (b.length % 2 !== 0) throw new Pkcs12Error("odd-length BMP string");
  let end = b.length;
  if (end >= 2 && b[end - 1] === 0 && b[end - 2] === 0) end -= 2;
  let s = "";
  for (let i = 0; i < end; i += 2) s += String.fromCharCode((b[i]! << 8) | b[i + 1]!);
  // Go's utf16.Decode replaces unpaired surrogates with U+FFFD; so does UTF-8 encoding below.
  return Buffer.from(s, "utf8").toString("utf8");
}

/** Go's convertAttribute: the PEM header a bag attribute becomes (key, value as UTF-8 text). */
function convertAttribute(attr: Tlv): [string, string] {
  const parts = expectSequence(attr, "bag attribute");
  const oid = expectOid(parts[0], "bag attribute");
  const set = parts[1];
  if (!isUniversal(set, TAG_SET) || !set.constructed) throw new Pkcs12Error("bag attribute: expected a SET of values");
  const only = parseOne(set.value, "bag attribute value");
  switch (oid) {
    case OID.friendlyName:
      return ["friendlyName", decodeBmpString(only.value)];
    case OID.microsoftCspName:
      return ["Microsoft CSP Name", decodeBmpString(only.value)];
    case OID.localKeyId:
      return ["localKeyId", expectOctets(only, "localKeyId").toString("hex")];
    default:
      throw new Pkcs12Error(`unknown attribute with OID ${oidToString(oid)}`);
  }
}

/** One safe bag as Go's ToPEM converts it. */
export interface Pkcs12Bag {
  kind: "certificate" | "privateKey";
  /** certificate DER, or the PKCS#8 PrivateKeyInfo DER exactly as decrypted */
  der: Uint8Array;
  /** for keys: the parsed key */
  key?: GoPrivateKey;
  /** attributes as Go's PEM headers (friendlyName, localKeyId (hex), Microsoft CSP Name) */
  headers: Map<string, string>;
}

/** Decodes all safe bags of a PFX with Go's `pkcs12.ToPEM` rules (see the file header). */
export function decodePkcs12Bags(pfx: Uint8Array, password = ""): Pkcs12Bag[] {
  const pfxBuf = Buffer.from(pfx);
  let top: Tlv[];
  try {
    top = expectSequence(parseOne(pfxBuf, "PFX"), "PFX");
  } catch (e) {
    throw new Pkcs12Error(`error reading P12 data: ${(e as Error).message}`);
  }
  if (expectSmallInt(top[0], "PFX version") !== 3) throw new Pkcs12Error("can only decode v3 PFX PDU's");
  const authSafe = expectSequence(top[1], "PFX authSafe");
  if (expectOid(authSafe[0], "authSafe content type") !== OID.data) {
    throw new Pkcs12Error("only password-protected PFX is implemented");
  }
  const authContentWrapper = authSafe[1];
  if (!isContext(authContentWrapper, 0) || !authContentWrapper.constructed) {
    throw new Pkcs12Error("authSafe: missing content");
  }
  const authContent = parseOne(authContentWrapper.value, "authSafe content").value;

  const macData = top[2];
  if (!macData) throw new Pkcs12Error("no MAC in data");
  const mac = expectSequence(macData, "MAC data");
  const digestInfo = expectSequence(mac[0], "MAC digest info");
  const macAlg = expectOid(expectSequence(digestInfo[0], "MAC algorithm")[0], "MAC algorithm");
  const macDigest = expectOctets(digestInfo[1], "MAC digest");
  const macSalt = expectOctets(mac[1], "MAC salt");
  const macIterations = mac[2] ? expectSmallInt(mac[2], "MAC iterations") : 1;
  if (macAlg !== OID.sha1) {
    throw new Pkcs12Error(`unknown digest algorithm: ${oidToString(macAlg)} (the provider's Go pkcs12 decoder only supports SHA-1 MACs)`);
  }
  const macMatches = (pw: Buffer) => {
    const key = pkcs12Kdf(macSalt, pw, macIterations, 3, 20);
    const expected = createHmac("sha1", key).update(authContent).digest();
    return expected.length === macDigest.length && expected.equals(macDigest);
  };
  let pw = bmpString(password);
  if (!macMatches(pw)) {
    // Go retries an empty password as zero bytes instead of the two-byte terminator.
    if (pw.length === 2 && macMatches(Buffer.alloc(0))) pw = Buffer.alloc(0);
    else throw new Pkcs12Error("decryption password incorrect (MAC verification failed)");
  }

  const contentInfos = expectSequence(parseOne(authContent, "authenticated safe"), "authenticated safe");
  if (contentInfos.length !== 2) {
    throw new Pkcs12Error(
      `expected exactly two items in the authenticated safe, found ${contentInfos.length} (a limitation of the provider's Go pkcs12 decoder)`,
    );
  }
  const bags: Tlv[] = [];
  for (const ciTlv of contentInfos) {
    const ci = expectSequence(ciTlv, "content info");
    const type = expectOid(ci[0], "content info type");
    const wrapper = ci[1];
    if (!isContext(wrapper, 0) || !wrapper.constructed) throw new Pkcs12Error("content info: missing content");
    let data: Buffer;
    if (type === OID.data) {
      data = expectOctets(parseOne(wrapper.value, "data content"), "data content");
    } else if (type === OID.encryptedData) {
      const ed = expectSequence(parseOne(wrapper.value, "encrypted data"), "encrypted data");
      if (expectSmallInt(ed[0], "encrypted data version") !== 0) {
        throw new Pkcs12Error("only version 0 of EncryptedData is supported");
      }
      const eci = expectSequence(ed[1], "encrypted content info");
      expectOid(eci[0], "encrypted content type");
      const enc = eci[2];
      const encBytes = isContext(enc, 0) && !enc.constructed ? enc.value : Buffer.alloc(0);
      data = pbDecrypt(eci[1], encBytes, pw, "encrypted data");
    } else {
      throw new Pkcs12Error("only data and encryptedData content types are supported in authenticated safe");
    }
    bags.push(...expectSequence(parseOne(data, "safe contents"), "safe contents"));
  }

  return bags.map((bagTlv): Pkcs12Bag => {
    const bag = expectSequence(bagTlv, "safe bag");
    const bagId = expectOid(bag[0], "safe bag id");
    const valueWrapper = bag[1];
    if (!isContext(valueWrapper, 0) || !valueWrapper.constructed) throw new Pkcs12Error("safe bag: missing value");
    const value = parseOne(valueWrapper.value, "safe bag value");
    const headers = new Map<string, string>();
    const attrs = bag[2];
    if (attrs !== undefined) {
      if (!isUniversal(attrs, TAG_SET) || !attrs.constructed) throw new Pkcs12Error("safe bag: malformed attributes");
      for (const a of children(attrs, "bag attributes")) {
        const [k, v] = convertAttribute(a);
        headers.set(k, v);
      }
    }
    if (bagId === OID.certBag) {
      const cb = expectSequence(value, "cert bag");
      if (expectOid(cb[0], "cert bag type") !== OID.x509Certificate) {
        throw new Pkcs12Error("only X509 certificates are supported");
      }
      const w = cb[1];
      if (!isContext(w, 0) || !w.constructed) throw new Pkcs12Error("cert bag: missing certificate");
      return {
        kind: "certificate",
        der: new Uint8Array(expectOctets(parseOne(w.value, "cert bag"), "cert bag")),
        headers,
      };
    }
    if (bagId === OID.pkcs8ShroudedKeyBag) {
      const epki = expectSequence(value, "PKCS#8 shrouded key bag");
      const encrypted = expectOctets(epki[1], "PKCS#8 shrouded key bag");
      const pkData = pbDecrypt(epki[0], encrypted, pw, "PKCS#8 shrouded key bag");
      parseOne(pkData, "decrypted private key");
      const key = parsePkcs8PrivateKey(pkData);
      if (!key) throw new Pkcs12Error("error parsing PKCS#8 private key (unsupported algorithm or curve, or malformed key)");
      if (key.kind === "other") {
        throw new Pkcs12Error(`found unknown private key type in PKCS#8 wrapping (${key.algorithm}; only RSA and ECDSA are supported)`);
      }
      return { kind: "privateKey", der: new Uint8Array(pkData), key, headers };
    }
    throw new Pkcs12Error(`don't know how to convert a safe bag of type ${oidToString(bagId)}`);
  });
}

/**
 * `pkcs12.ToPEM(pfx, password)`: one block per bag, in bag order. Certificates are `CERTIFICATE`
 * blocks; keys are `PRIVATE KEY` blocks whose bytes are PKCS#1 (RSA) or SEC1 (EC), not PKCS#8.
 * Bag attributes become headers.
 */
export function pkcs12ToPem(pfx: Uint8Array, password = ""): PemBlock[] {
  return decodePkcs12Bags(pfx, password).map((bag): PemBlock => {
    // Headers are written as UTF-8 bytes by Go; PemBlock strings are one char per byte.
    const headers = new Map<string, string>();
    for (const [k, v] of bag.headers) headers.set(k, Buffer.from(v, "utf8").toString("latin1"));
    if (bag.kind === "certificate") return { type: "CERTIFICATE", headers, bytes: bag.der };
    const key = bag.key;
    let bytes: Uint8Array;
    if (key?.kind === "rsa") bytes = marshalPkcs1PrivateKey(key.key);
    else if (key?.kind === "ecdsa") bytes = marshalEcPrivateKey(key.key, key.curve);
    else throw new Pkcs12Error("found unknown private key type in PKCS#8 wrapping");
    return { type: "PRIVATE KEY", headers, bytes };
  });
}

export interface DecodedPfx {
  /** every private key, in bag order, as PKCS#8 DER re-encoded like Go's x509.MarshalPKCS8PrivateKey */
  privateKeys: Uint8Array[];
  /** every certificate DER, in bag order */
  certificates: Uint8Array[];
}

/** Decodes a PFX given as bytes or as base64 text (Key Vault's secret value), with an empty password by default. */
export function decodePfx(pfx: Uint8Array | string, password = ""): DecodedPfx {
  let bytes: Uint8Array;
  if (typeof pfx === "string") {
    const decoded = goBase64StdDecode(pfx);
    if (decoded === null) throw new Pkcs12Error("the PFX value is not valid base64");
    bytes = decoded;
  } else {
    bytes = pfx;
  }
  const out: DecodedPfx = { privateKeys: [], certificates: [] };
  for (const bag of decodePkcs12Bags(bytes, password)) {
    if (bag.kind === "certificate") out.certificates.push(bag.der);
    else if (bag.key) out.privateKeys.push(marshalPkcs8PrivateKey(bag.key));
  }
  return out;
}
