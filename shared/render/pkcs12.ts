// PKCS#12 (PFX) as golang.org/x/crypto/pkcs12's ToPEM reads it, which is what the provider (PEM conversion) and
// the driver (tls.crt/tls.key from a PFX file) run: PFX v3 in password-integrity mode with an HMAC-SHA1 MAC,
// exactly two ContentInfos, pbeWithSHAAnd3-KeyTripleDES-CBC or pbeWithSHAAnd40BitRC2-CBC, certBag and
// pkcs8ShroudedKeyBag bags; unknown bag attributes are skipped; Go's asn1 struct rules (der.ts) decide the rest.
// node:crypto does SHA-1, HMAC and 3DES; node-forge provides RC2 (absent from OpenSSL 3's default provider).
import { createDecipheriv, createHash, createHmac } from "node:crypto";
import forge from "node-forge";
import { Asn1Error, Cursor, elements, intOf, oidOf, one, want, type Tlv } from "./der.js";
import {
  KeyError,
  marshalEcPrivateKey,
  marshalPkcs1PrivateKey,
  marshalPkcs8PrivateKey,
  parsePkcs8PrivateKey,
  type EcPrivateKey,
  type RsaPrivateKey,
} from "./keys.js";
import { goBase64StdDecode, type PemBlock } from "./pem.js";

/** A PFX Go's pkcs12.ToPEM would not decode. */
export class Pkcs12Error extends Error {
  override readonly name = "Pkcs12Error";
}

const OID = {
  data: "1.2.840.113549.1.7.1",
  encryptedData: "1.2.840.113549.1.7.6",
  sha1: "1.3.14.3.2.26",
  pbe3des: "1.2.840.113549.1.12.1.3",
  pbeRc2_40: "1.2.840.113549.1.12.1.6",
  certBag: "1.2.840.113549.1.12.10.1.3",
  shroudedKeyBag: "1.2.840.113549.1.12.10.1.2",
  x509Certificate: "1.2.840.113549.1.9.22.1",
  friendlyName: "1.2.840.113549.1.9.20",
  localKeyId: "1.2.840.113549.1.9.21",
  microsoftCspName: "1.3.6.1.4.1.311.17.1",
} as const;

/** Go's bmpString: UCS-2 big-endian plus a two-byte terminator. */
function bmpString(s: string): Buffer {
  const out: number[] = [];
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp > 0xffff) throw new Pkcs12Error("pkcs12: decryption password incorrect");
    out.push(cp >> 8, cp & 0xff);
  }
  out.push(0, 0);
  return Buffer.from(out);
}

/** RFC 7292 appendix B.2 key derivation with SHA-1 (Go's pkcs12 pbkdf, u = 20, v = 64). */
function kdf(salt: Buffer, password: Buffer, iterations: number, id: number, size: number): Buffer {
  const u = 20;
  const v = 64;
  const fill = (p: Buffer) => {
    const out = Buffer.alloc(p.length === 0 ? 0 : v * Math.ceil(p.length / v));
    for (let i = 0; i < out.length; i++) out[i] = p[i % p.length]!;
    return out;
  };
  const I = Buffer.concat([fill(salt), fill(password)]);
  const D = Buffer.alloc(v, id);
  const A: Buffer[] = [];
  for (let i = 0, c = Math.ceil(size / u); i < c; i++) {
    let Ai = createHash("sha1").update(D).update(I).digest();
    for (let j = 1; j < iterations; j++) Ai = createHash("sha1").update(Ai).digest();
    A.push(Ai);
    if (i < c - 1) {
      const B = fill(Ai);
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

/** pkix.AlgorithmIdentifier: the OID and the parameters' whole encoding (empty when absent). */
function algorithmIdentifier(t: Tlv): { oid: string; params: Buffer } {
  const c = Cursor.of(t);
  const oid = oidOf(c.take(want.oid, "algorithm"));
  return { oid, params: c.maybe(want.any)?.raw ?? Buffer.alloc(0) };
}

/** pbDecrypt: PKCS#12 PBE with 3DES or 40-bit RC2, PKCS#7 padding checked. */
function pbDecrypt(alg: { oid: string; params: Buffer }, encrypted: Buffer, password: Buffer): Buffer {
  if (alg.oid !== OID.pbe3des && alg.oid !== OID.pbeRc2_40) throw new Pkcs12Error(`pkcs12: algorithm ${alg.oid} is not supported`);
  const p = Cursor.of(one(alg.params));
  const salt = p.take(want.octets, "salt").value;
  const iterations = intOf(p.take(want.int, "iterations"));
  const iv = kdf(salt, password, iterations, 2, 8);
  if (encrypted.length === 0) throw new Pkcs12Error("pkcs12: empty encrypted data");
  if (encrypted.length % 8 !== 0) throw new Pkcs12Error("pkcs12: input is not a multiple of the block size");
  let out: Buffer;
  if (alg.oid === OID.pbe3des) {
    const d = createDecipheriv("des-ede3-cbc", kdf(salt, password, iterations, 1, 24), iv).setAutoPadding(false);
    out = Buffer.concat([d.update(encrypted), d.final()]);
  } else {
    const key = kdf(salt, password, iterations, 1, 5);
    const d = forge.rc2.createDecryptionCipher(forge.util.createBuffer(key.toString("binary")), 40);
    d.start(forge.util.createBuffer(iv.toString("binary")));
    d.update(forge.util.createBuffer(encrypted.toString("binary")));
    d.finish(() => true); // padding is checked below, as Go does
    out = Buffer.from(d.output.getBytes(), "binary");
  }
  const ps = out[out.length - 1]!;
  if (ps === 0 || ps > 8 || out.length < ps) throw new Pkcs12Error("pkcs12: decryption error, incorrect padding");
  for (let i = out.length - ps; i < out.length; i++)
    if (out[i] !== ps) throw new Pkcs12Error("pkcs12: decryption error, incorrect padding");
  return out.subarray(0, out.length - ps);
}

/** contentInfo {ContentType; Content RawValue `explicit,optional,tag:0`}. */
function contentInfo(t: Tlv): { type: string; content: Buffer } {
  const c = Cursor.of(t);
  const type = oidOf(c.take(want.oid, "content type"));
  return { type, content: c.explicitRaw(0, "content", true)?.value ?? Buffer.alloc(0) };
}

/** getSafeContents: the bags, and the password form the MAC verified with. */
function safeContents(pfx: Uint8Array, password: Buffer): { bags: Tlv[]; password: Buffer } {
  let authContent: Buffer;
  let mac: { alg: string; digest: Buffer; salt: Buffer; iterations: number } | undefined;
  let version: number;
  try {
    const top = Cursor.of(one(pfx));
    version = intOf(top.take(want.int, "version"));
    const authSafe = contentInfo(top.take(want.seq, "authSafe"));
    const macTlv = top.maybe(want.seq);
    if (macTlv) {
      const m = Cursor.of(macTlv);
      const digestInfo = Cursor.of(m.take(want.seq, "mac"));
      const alg = algorithmIdentifier(digestInfo.take(want.seq, "mac algorithm")).oid;
      const digest = digestInfo.take(want.octets, "digest").value;
      const salt = m.take(want.octets, "mac salt").value;
      const it = m.maybe(want.int);
      mac = { alg, digest, salt, iterations: it ? intOf(it) : 1 };
    }
    if (version !== 3) throw new Pkcs12Error("pkcs12: can only decode v3 PFX PDU's");
    if (authSafe.type !== OID.data) throw new Pkcs12Error("pkcs12: only password-protected PFX is implemented");
    authContent = one(authSafe.content).value;
  } catch (e) {
    if (e instanceof Asn1Error) throw new Pkcs12Error(`pkcs12: error reading P12 data: ${e.message}`);
    throw e;
  }
  if (!mac) throw new Pkcs12Error("pkcs12: no MAC in data");
  if (mac.alg !== OID.sha1) throw new Pkcs12Error(`pkcs12: unknown digest algorithm: ${mac.alg}`);
  const verifies = (pw: Buffer) => {
    const expected = createHmac("sha1", kdf(mac.salt, pw, mac.iterations, 3, 20))
      .update(authContent)
      .digest();
    return expected.equals(mac.digest);
  };
  if (!verifies(password)) {
    // Some writers derive the MAC key from no password at all; Go retries that for the empty password.
    if (password.equals(Buffer.from([0, 0])) && verifies(Buffer.alloc(0))) password = Buffer.alloc(0);
    else throw new Pkcs12Error("pkcs12: decryption password incorrect");
  }
  const safe = one(authContent);
  if (!want.seq(safe)) throw new Pkcs12Error("pkcs12: malformed authenticated safe");
  const cis = elements(safe, want.seq, "authenticated safe");
  if (cis.length !== 2) throw new Pkcs12Error("pkcs12: expected exactly two items in the authenticated safe");
  const bags: Tlv[] = [];
  for (const ciTlv of cis) {
    const ci = contentInfo(ciTlv);
    let data: Buffer;
    if (ci.type === OID.data) {
      const t = one(ci.content);
      if (!want.octets(t)) throw new Pkcs12Error("pkcs12: data content is not an OCTET STRING");
      data = t.value;
    } else if (ci.type === OID.encryptedData) {
      const ed = Cursor.of(one(ci.content));
      const v = intOf(ed.take(want.int, "version"));
      const eci = Cursor.of(ed.take(want.seq, "encrypted content info"));
      oidOf(eci.take(want.oid, "content type"));
      const alg = algorithmIdentifier(eci.take(want.seq, "content encryption algorithm"));
      const enc = eci.maybe(want.implicit(0))?.value ?? Buffer.alloc(0);
      if (v !== 0) throw new Pkcs12Error("pkcs12: only version 0 of EncryptedData is supported");
      data = pbDecrypt(alg, enc, password);
    } else {
      throw new Pkcs12Error("pkcs12: only data and encryptedData content types are supported in authenticated safe");
    }
    const sc = one(data);
    if (!want.seq(sc)) throw new Pkcs12Error("pkcs12: malformed safe contents");
    bags.push(...elements(sc, want.seq, "safe contents"));
  }
  return { bags, password };
}

function decodeBmpString(b: Buffer): string {
  if (b.length % 2 !== 0) throw new Pkcs12Error("pkcs12: odd-length BMP string");
  const end = b.length >= 2 && b[b.length - 1] === 0 && b[b.length - 2] === 0 ? b.length - 2 : b.length;
  let s = "";
  for (let i = 0; i < end; i += 2) s += String.fromCharCode((b[i]! << 8) | b[i + 1]!);
  // utf16.Decode replaces unpaired surrogates with U+FFFD, as a round trip through UTF-8 does.
  return Buffer.from(s, "utf8").toString("utf8");
}

/** convertAttribute: the PEM header of a known attribute; unknown ones are skipped (undefined). */
function convertAttribute(attr: Tlv): [string, string] | undefined {
  const c = Cursor.of(attr);
  const oid = oidOf(c.take(want.oid, "attribute id"));
  const value = c.take(want.any, "attribute value"); // RawValue `asn1:"set"` matches any tag
  switch (oid) {
    case OID.friendlyName:
      return ["friendlyName", decodeBmpString(one(value.value).value)];
    case OID.microsoftCspName:
      return ["Microsoft CSP Name", decodeBmpString(one(value.value).value)];
    case OID.localKeyId: {
      const id = one(value.value);
      if (!want.octets(id)) throw new Pkcs12Error("pkcs12: localKeyId is not an OCTET STRING");
      return ["localKeyId", id.value.toString("hex")];
    }
    default:
      return undefined;
  }
}

/** One safe bag as ToPEM converts it. */
export interface Pkcs12Bag {
  kind: "certificate" | "privateKey";
  /** certificate DER, or the key's PKCS#1 (RSA) / SEC1 (EC) DER as ToPEM writes it */
  der: Uint8Array;
  key?: RsaPrivateKey | EcPrivateKey;
  /** attributes as PEM headers (friendlyName, localKeyId (hex), Microsoft CSP Name) */
  headers: Map<string, string>;
}

function convertBag(bagTlv: Tlv, password: Buffer): Pkcs12Bag {
  const c = Cursor.of(bagTlv);
  const id = oidOf(c.take(want.oid, "bag id"));
  const value = c.explicitRaw(0, "bag value")!.value;
  const attrs = c.maybe(want.set);
  const headers = new Map<string, string>();
  for (const a of attrs ? elements(attrs, want.seq, "bag attributes") : []) {
    const kv = convertAttribute(a);
    if (kv) headers.set(kv[0], kv[1]);
  }
  if (id === OID.certBag) {
    let certId: string;
    let der: Buffer;
    try {
      const cb = Cursor.of(one(value));
      certId = oidOf(cb.take(want.oid, "cert type"));
      der = cb.explicit(0, want.octets, "certificate")!.value;
    } catch (e) {
      if (e instanceof Asn1Error) throw new Pkcs12Error(`pkcs12: error decoding cert bag: ${e.message}`);
      throw e;
    }
    if (certId !== OID.x509Certificate) throw new Pkcs12Error("pkcs12: only X509 certificates are supported");
    return { kind: "certificate", der: new Uint8Array(der), headers };
  }
  if (id === OID.shroudedKeyBag) {
    let alg: { oid: string; params: Buffer };
    let encrypted: Buffer;
    try {
      const epki = Cursor.of(one(value));
      alg = algorithmIdentifier(epki.take(want.seq, "algorithm"));
      encrypted = epki.take(want.octets, "encrypted data").value;
    } catch (e) {
      if (e instanceof Asn1Error) throw new Pkcs12Error(`pkcs12: error decoding PKCS#8 shrouded key bag: ${e.message}`);
      throw e;
    }
    const plain = pbDecrypt(alg, encrypted, password);
    one(plain);
    let key;
    try {
      key = parsePkcs8PrivateKey(plain);
    } catch (e) {
      if (e instanceof KeyError) throw new Pkcs12Error(`pkcs12: error parsing PKCS#8 private key: ${e.message}`);
      throw e;
    }
    if (key.kind === "other") throw new Pkcs12Error("pkcs12: found unknown private key type in PKCS#8 wrapping");
    const der = key.kind === "rsa" ? marshalPkcs1PrivateKey(key) : marshalEcPrivateKey(key);
    return { kind: "privateKey", der, key, headers };
  }
  throw new Pkcs12Error(`pkcs12: don't know how to convert a safe bag of type ${id}`);
}

function decode<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof Asn1Error || e instanceof KeyError) throw new Pkcs12Error(`pkcs12: ${e.message}`);
    throw e;
  }
}

/** Every bag of a PFX, converted in order as ToPEM does (the first bad bag fails the whole file). */
export function decodePkcs12Bags(pfx: Uint8Array, password = ""): Pkcs12Bag[] {
  return decode(() => {
    const { bags, password: pw } = safeContents(pfx, bmpString(password));
    return bags.map((b) => convertBag(b, pw));
  });
}

/** `pkcs12.ToPEM(pfx, password)`: CERTIFICATE and PRIVATE KEY (PKCS#1 or SEC1 bytes) blocks with attribute headers. */
export function pkcs12ToPem(pfx: Uint8Array, password = ""): PemBlock[] {
  return decodePkcs12Bags(pfx, password).map((bag): PemBlock => {
    const headers = new Map<string, string>();
    // Go writes header values as UTF-8; PemBlock strings hold one byte per char.
    for (const [k, v] of bag.headers) headers.set(k, Buffer.from(v, "utf8").toString("latin1"));
    return { type: bag.kind === "certificate" ? "CERTIFICATE" : "PRIVATE KEY", headers, bytes: bag.der };
  });
}

export interface DecodedPfx {
  /** every private key, in bag order, as x509.MarshalPKCS8PrivateKey writes it */
  privateKeys: Uint8Array[];
  /** every certificate DER, in bag order */
  certificates: Uint8Array[];
}

/** The provider's decodePKCS12 input: the Key Vault value (base64 text) with an empty password. */
export function decodePfx(pfx: Uint8Array | string, password = ""): DecodedPfx {
  let bytes: Uint8Array;
  if (typeof pfx === "string") {
    const decoded = goBase64StdDecode(pfx);
    if (decoded === null) throw new Pkcs12Error("illegal base64 data");
    bytes = decoded;
  } else bytes = pfx;
  const out: DecodedPfx = { privateKeys: [], certificates: [] };
  for (const bag of decodePkcs12Bags(bytes, password)) {
    if (bag.kind === "certificate") out.certificates.push(bag.der);
    else out.privateKeys.push(decode(() => marshalPkcs8PrivateKey(bag.key!)));
  }
  return out;
}
