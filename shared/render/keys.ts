// Private and public keys exactly as Go's crypto/x509 (Go 1.24+) parses and re-encodes them, which decides the
// provider's PEM conversion and the driver's tls.key: PKCS#1 RSA keys are validated like crypto/rsa
// (checkPrivateKey: p·q = n, CRT values consistent, |p−q| and d large enough), PKCS#1 version 1 and trailing
// elements are accepted, EC keys take their curve from PKCS#8 or SEC1 and their public point is recomputed from
// d (an embedded one is ignored). The arithmetic is plain BigInt; node:crypto only multiplies EC points.
import { createECDH, createPublicKey } from "node:crypto";
import {
  Asn1Error,
  bigIntOf,
  bigToBytes,
  bitStringOf,
  Cursor,
  der,
  DER_NULL,
  derBitString,
  derInt,
  derOctets,
  derOid,
  derSeq,
  first,
  intOf,
  oidOf,
  want,
} from "./der.js";

/** A key is not one Go would parse, or cannot be re-encoded. */
export class KeyError extends Error {
  override readonly name = "KeyError";
}

export type GoCurveName = "P-224" | "P-256" | "P-384" | "P-521";

const CURVES: Record<string, { name: GoCurveName; node: string; len: number; order: bigint }> = {
  "1.3.132.0.33": { name: "P-224", node: "secp224r1", len: 28, order: 0xffffffffffffffffffffffffffff16a2e0b8f03e13dd29455c5c2a3dn },
  "1.2.840.10045.3.1.7": {
    name: "P-256",
    node: "prime256v1",
    len: 32,
    order: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  },
  "1.3.132.0.34": {
    name: "P-384",
    node: "secp384r1",
    len: 48,
    order: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
  },
  "1.3.132.0.35": {
    name: "P-521",
    node: "secp521r1",
    len: 66,
    order:
      0x1fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
  },
};

export const OID = {
  rsaEncryption: "1.2.840.113549.1.1.1",
  ecPublicKey: "1.2.840.10045.2.1",
  ed25519: "1.3.101.112",
  x25519: "1.3.101.110",
} as const;

export function curveOid(name: GoCurveName): string {
  for (const [oid, c] of Object.entries(CURVES)) if (c.name === name) return oid;
  throw new KeyError(`curve ${name} is not supported`);
}
const curveOf = (name: GoCurveName) => CURVES[curveOid(name)]!;

export interface RsaPrivateKey {
  kind: "rsa";
  n: bigint;
  e: bigint;
  d: bigint;
  p: bigint;
  q: bigint;
  dp: bigint;
  dq: bigint;
  qinv: bigint;
}
export interface EcPrivateKey {
  kind: "ecdsa";
  curve: GoCurveName;
  d: bigint;
}
/** What ParsePKCS8PrivateKey returns: RSA, ECDSA, or another algorithm the callers reject by name. */
export type GoPrivateKey = RsaPrivateKey | EcPrivateKey | { kind: "other"; algorithm: string };

// ---------------------------------------------------------------------------------------------------------------
// RSA

const bitLen = (v: bigint) => (v <= 0n ? 0 : v.toString(2).length);
const mod = (a: bigint, m: bigint) => ((a % m) + m) % m;

function modPow(b: bigint, e: bigint, m: bigint): bigint {
  let r = 1n;
  b = mod(b, m);
  for (; e > 0n; e >>= 1n) {
    if (e & 1n) r = (r * b) % m;
    b = (b * b) % m;
  }
  return r;
}

/** crypto/rsa checkPublicKey + checkPrivateKey (fips140/rsa), with the CRT values given or derived from d. */
function checkRsa(k: Omit<RsaPrivateKey, "kind">, crtGiven: boolean): void {
  const { n, e, d, p, q, dp, dq, qinv } = k;
  if ((n & 1n) === 0n) throw new KeyError("crypto/rsa: public modulus is even");
  if (e < 2n) throw new KeyError("crypto/rsa: public exponent too small or negative");
  if ((e & 1n) === 0n) throw new KeyError("crypto/rsa: public exponent is even");
  if (e > 0x7fffffffn) throw new KeyError("crypto/rsa: public exponent too large");
  if (p <= 1n || q <= 1n) throw new KeyError("crypto/rsa: invalid prime");
  if (d >= n) throw new KeyError("crypto/rsa: private exponent out of range");
  if (crtGiven && qinv >= p) throw new KeyError("crypto/rsa: CRT coefficient out of range");
  if (p >= n || q >= n) throw new KeyError("crypto/rsa: invalid prime");
  if ((p * q) % n !== 0n) throw new KeyError("crypto/rsa: p * q != n");
  if (dp >= p - 1n || dq >= q - 1n) throw new KeyError("crypto/rsa: invalid CRT exponent");
  if (mod(e * dp, p - 1n) !== 1n || mod(e * dq, q - 1n) !== 1n) throw new KeyError("crypto/rsa: invalid CRT exponent");
  if (mod(mod(q, p) * qinv, p) !== 1n) throw new KeyError("crypto/rsa: invalid CRT coefficient");
  if (p === q) throw new KeyError("crypto/rsa: p == q");
  if (bitLen(p > q ? p - q : q - p) <= Math.floor(bitLen(n) / 2) - 100) throw new KeyError("crypto/rsa: |p - q| too small");
  if (bitLen(d) <= Math.floor(bitLen(n) / 2)) throw new KeyError("crypto/rsa: d too small");
}

/** x509.ParsePKCS1PrivateKey (with crypto/rsa's Precompute and Validate). */
export function parsePkcs1PrivateKey(derBytes: Uint8Array): RsaPrivateKey {
  try {
    const { tlv, rest } = first(derBytes);
    if (rest.length) throw new KeyError("asn1: syntax error: trailing data");
    const c = Cursor.of(tlv);
    const version = intOf(c.take(want.int, "version"));
    const n = bigIntOf(c.take(want.int, "N"));
    const eTlv = c.take(want.int, "E");
    const e = BigInt(intOf(eTlv));
    const d = bigIntOf(c.take(want.int, "D"));
    const p = bigIntOf(c.take(want.int, "P"));
    const q = bigIntOf(c.take(want.int, "Q"));
    const opt = () => {
      const t = c.maybe(want.int);
      return t ? bigIntOf(t) : undefined;
    };
    const [gdp, gdq, gqinv] = [opt(), opt(), opt()];
    const extra = c.maybe(want.seq);
    if (extra && extra.value.length > 0) throw new KeyError("multi-prime RSA keys are not supported here");
    if (version > 1) throw new KeyError("x509: unsupported private key version");
    if (n <= 0n || d <= 0n || p <= 0n || q <= 0n || (gdp ?? 1n) <= 0n || (gdq ?? 1n) <= 0n || (gqinv ?? 1n) <= 0n) {
      throw new KeyError("x509: private key contains zero or negative value");
    }
    const crtGiven = gdp !== undefined && gdq !== undefined && gqinv !== undefined;
    // Without all three CRT values Go derives them from d (NewPrivateKey); qInv = q^(p-2) mod p.
    const dp = crtGiven ? gdp : mod(d, p - 1n);
    const dq = crtGiven ? gdq : mod(d, q - 1n);
    const qinv = crtGiven ? gqinv : modPow(mod(q, p), p - 2n, p);
    const key = { n, e, d, p, q, dp, dq, qinv };
    checkRsa(key, crtGiven);
    return { kind: "rsa", ...key };
  } catch (e) {
    if (e instanceof Asn1Error) throw new KeyError(`asn1: ${e.message}`);
    throw e;
  }
}

/** x509.MarshalPKCS1PrivateKey (two primes: version 0). */
export function marshalPkcs1PrivateKey(k: RsaPrivateKey): Uint8Array {
  return new Uint8Array(derSeq(...[0n, k.n, k.e, k.d, k.p, k.q, k.dp, k.dq, k.qinv].map(derInt)));
}

// ---------------------------------------------------------------------------------------------------------------
// EC

/** x509's parseECPrivateKey: `curveOidFromPkcs8` (when inside PKCS#8 and readable) wins over the SEC1 one. */
function parseSec1(derBytes: Uint8Array, curveFromPkcs8: string | undefined): EcPrivateKey {
  let c: Cursor;
  let version: number;
  let priv: Buffer;
  let named: string | undefined;
  try {
    c = Cursor.of(first(derBytes).tlv);
    version = intOf(c.take(want.int, "version"));
    priv = c.take(want.octets, "private key").value;
    const oidTlv = c.explicit(0, want.oid, "curve", true);
    named = oidTlv ? oidOf(oidTlv) : undefined;
    const pub = c.explicit(1, want.bits, "public key", true);
    if (pub) bitStringOf(pub);
  } catch (e) {
    if (e instanceof Asn1Error) throw new KeyError(`x509: failed to parse EC private key: ${e.message}`);
    throw e;
  }
  if (version !== 1) throw new KeyError(`x509: unknown EC private key version ${version}`);
  const curve = CURVES[curveFromPkcs8 ?? named ?? ""];
  if (!curve) throw new KeyError("x509: unknown elliptic curve");
  const d = priv.length ? BigInt("0x" + priv.toString("hex")) : 0n;
  if (d >= curve.order) throw new KeyError("x509: invalid elliptic curve private key value");
  let i = 0;
  while (priv.length - i > curve.len) {
    if (priv[i] !== 0) throw new KeyError("x509: invalid private key length");
    i++;
  }
  return { kind: "ecdsa", curve: curve.name, d };
}

/** x509.ParseECPrivateKey (SEC1). */
export function parseEcPrivateKey(derBytes: Uint8Array): EcPrivateKey {
  return parseSec1(derBytes, undefined);
}

/** The public point Go computes from d (ScalarBaseMult), uncompressed; throws for d = 0 (the point at infinity). */
function publicPoint(k: EcPrivateKey): Buffer {
  const c = curveOf(k.curve);
  if (k.d === 0n) throw new KeyError("invalid elliptic key public key");
  const ecdh = createECDH(c.node);
  ecdh.setPrivateKey(bigToBytes(k.d, c.len));
  return ecdh.getPublicKey();
}

/** x509.MarshalECPrivateKey (with the curve) or, inside PKCS#8, without it. */
export function marshalEcPrivateKey(k: EcPrivateKey, withCurve = true): Uint8Array {
  const c = curveOf(k.curve);
  const point = publicPoint(k);
  const fields = [derInt(1), derOctets(bigToBytes(k.d, c.len))];
  if (withCurve) fields.push(der(0xa0, derOid(curveOid(k.curve))));
  fields.push(der(0xa1, derBitString(point)));
  return new Uint8Array(derSeq(...fields));
}

// ---------------------------------------------------------------------------------------------------------------
// PKCS#8

/** x509.ParsePKCS8PrivateKey. */
export function parsePkcs8PrivateKey(derBytes: Uint8Array): GoPrivateKey {
  let alg: string;
  let params: Buffer | undefined;
  let inner: Buffer;
  try {
    const c = Cursor.of(first(derBytes).tlv);
    intOf(c.take(want.int, "version"));
    const a = Cursor.of(c.take(want.seq, "algorithm"));
    alg = oidOf(a.take(want.oid, "algorithm"));
    params = a.maybe(want.any)?.raw;
    inner = c.take(want.octets, "private key").value;
  } catch (e) {
    if (e instanceof Asn1Error) throw new KeyError(`asn1: ${e.message}`);
    throw e;
  }
  switch (alg) {
    case OID.rsaEncryption:
      try {
        return parsePkcs1PrivateKey(inner);
      } catch (e) {
        throw new KeyError(`x509: failed to parse RSA private key embedded in PKCS#8: ${(e as Error).message}`);
      }
    case OID.ecPublicKey: {
      let named: string | undefined;
      try {
        const t = params ? first(params).tlv : undefined;
        named = t && want.oid(t) ? oidOf(t) : undefined;
      } catch {
        named = undefined;
      }
      try {
        // An unreadable curve parameter falls back to the SEC1 one; a readable unknown one fails.
        const k = parseSec1(inner, named);
        return k;
      } catch (e) {
        throw new KeyError(`x509: failed to parse EC private key embedded in PKCS#8: ${(e as Error).message}`);
      }
    }
    case OID.ed25519:
    case OID.x25519: {
      if (params && params.length) throw new KeyError("x509: invalid private key parameters");
      try {
        const seed = first(inner).tlv;
        if (!want.octets(seed)) throw new KeyError("x509: invalid private key");
        if (alg === OID.ed25519 && seed.value.length !== 32)
          throw new KeyError(`x509: invalid Ed25519 private key length: ${seed.value.length}`);
        if (alg === OID.x25519 && seed.value.length !== 32) throw new KeyError("crypto/ecdh: invalid private key size");
      } catch (e) {
        if (e instanceof Asn1Error) throw new KeyError(`x509: invalid private key: ${e.message}`);
        throw e;
      }
      return { kind: "other", algorithm: alg === OID.ed25519 ? "ed25519" : "x25519" };
    }
    default:
      throw new KeyError(`x509: PKCS#8 wrapping contained private key with unknown algorithm: ${alg}`);
  }
}

/** x509.MarshalPKCS8PrivateKey for RSA and ECDSA. */
export function marshalPkcs8PrivateKey(k: RsaPrivateKey | EcPrivateKey): Uint8Array {
  if (k.kind === "rsa")
    return new Uint8Array(derSeq(derInt(0), derSeq(derOid(OID.rsaEncryption), DER_NULL), derOctets(marshalPkcs1PrivateKey(k))));
  return new Uint8Array(
    derSeq(derInt(0), derSeq(derOid(OID.ecPublicKey), derOid(curveOid(k.curve))), derOctets(marshalEcPrivateKey(k, false))),
  );
}

/** Whether `parse` accepts the bytes (the driver tries each parser and keeps the last success). */
export function tryParse<T>(parse: (b: Uint8Array) => T, derBytes: Uint8Array): T | undefined {
  try {
    return parse(derBytes);
  } catch (e) {
    if (e instanceof KeyError) return undefined;
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// public keys (the provider's getKey: x509.MarshalPKIXPublicKey of a JWK)

/** SubjectPublicKeyInfo of an RSA JWK; Go takes absent n/e as 0 and e as an int64 (wrapping). */
export function rsaSpkiFromJwk(n: Uint8Array | undefined, e: Uint8Array | undefined): Uint8Array {
  const toBig = (b: Uint8Array | undefined) => (b && b.length ? BigInt("0x" + Buffer.from(b).toString("hex")) : 0n);
  const pkcs1 = derSeq(derInt(toBig(n)), derInt(BigInt.asIntN(64, toBig(e))));
  return new Uint8Array(derSeq(derSeq(derOid(OID.rsaEncryption), DER_NULL), derBitString(pkcs1)));
}

/** SubjectPublicKeyInfo of an EC JWK; throws where Go's marshaller rejects the point. */
export function ecSpkiFromJwk(crv: GoCurveName, x: Uint8Array | undefined, y: Uint8Array | undefined): Uint8Array {
  const c = curveOf(crv);
  const fixed = (v: Uint8Array | undefined) => {
    const big = v && v.length ? BigInt("0x" + Buffer.from(v).toString("hex")) : 0n;
    if (bitLen(big) > c.len * 8) throw new KeyError("x509: invalid elliptic curve public key");
    return bigToBytes(big, c.len);
  };
  const point = Buffer.concat([Buffer.from([4]), fixed(x), fixed(y)]);
  const spki = derSeq(derSeq(derOid(OID.ecPublicKey), derOid(curveOid(crv))), derBitString(point));
  try {
    // OpenSSL rejects points off the curve (and the identity), as Go's marshaller does.
    createPublicKey({ key: spki, format: "der", type: "spki" });
  } catch {
    throw new KeyError("x509: invalid elliptic curve public key");
  }
  return new Uint8Array(spki);
}
