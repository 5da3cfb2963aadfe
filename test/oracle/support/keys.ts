// Deterministic test keys from the seed: RSA primes are drawn from the seeded PRNG and tested by OpenSSL
// (crypto.checkPrimeSync), EC scalars are drawn directly, so a seed reproduces the exact key bytes. The encoders
// below also write the malformed variants Go and OpenSSL disagree about (inconsistent CRT, swapped primes,
// PKCS#1 v1, EC PKCS#8 without parameters, trailing elements, d = n, a mismatched embedded EC public key).
import { checkPrimeSync, createECDH, createPrivateKey } from "node:crypto";
import { bigToBytes, bitString, explicit, int, NULL, octets, oid, seq } from "./der.js";
import type { Rng } from "./prng.js";

export interface RsaKey {
  kind: "rsa";
  bits: number;
  n: bigint;
  e: bigint;
  d: bigint;
  p: bigint;
  q: bigint;
  dp: bigint;
  dq: bigint;
  qi: bigint;
}
export type Curve = "P-256" | "P-384" | "P-521";
export interface EcKey {
  kind: "ec";
  curve: Curve;
  d: Buffer;
  /** uncompressed point 04||x||y */
  pub: Buffer;
}
export type TestKey = RsaKey | EcKey;

const CURVES: Record<Curve, { node: string; oid: string; len: number; order: bigint }> = {
  "P-256": {
    node: "prime256v1",
    oid: "1.2.840.10045.3.1.7",
    len: 32,
    order: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  },
  "P-384": {
    node: "secp384r1",
    oid: "1.3.132.0.34",
    len: 48,
    order: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
  },
  "P-521": {
    node: "secp521r1",
    oid: "1.3.132.0.35",
    len: 66,
    order:
      0x1fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
  },
};
export const curveInfo = (c: Curve) => CURVES[c];

function modInv(a: bigint, m: bigint): bigint {
  let [r0, r1, s0, s1] = [((a % m) + m) % m, m, 1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  if (r0 !== 1n) throw new Error("not invertible");
  return ((s0 % m) + m) % m;
}

function prime(bits: number, rng: Rng): bigint {
  const b = rng.bytes(bits / 8);
  b[0] = b[0]! | 0xc0;
  b[b.length - 1] = b[b.length - 1]! | 1;
  let c = BigInt("0x" + b.toString("hex"));
  while (!(checkPrimeSync(c) && (c - 1n) % 65537n !== 0n)) c += 2n;
  return c;
}

export function rsaKey(bits: number, rng: Rng): RsaKey {
  const e = 65537n;
  for (;;) {
    const a = prime(bits / 2, rng);
    const b = prime(bits / 2, rng);
    if (a === b) continue;
    const [p, q] = a > b ? [a, b] : [b, a];
    const n = p * q;
    const d = modInv(e, (p - 1n) * (q - 1n));
    return { kind: "rsa", bits, n, e, d, p, q, dp: d % (p - 1n), dq: d % (q - 1n), qi: modInv(q, p) };
  }
}

export function ecKey(curve: Curve, rng: Rng): EcKey {
  const c = CURVES[curve];
  const dv = (BigInt("0x" + rng.bytes(c.len).toString("hex")) % (c.order - 1n)) + 1n;
  const d = bigToBytes(dv, c.len);
  const ecdh = createECDH(c.node);
  ecdh.setPrivateKey(d);
  return { kind: "ec", curve, d, pub: ecdh.getPublicKey() };
}

export interface Pkcs1Options {
  version?: number;
  /** add 2 to dp (the CRT no longer matches d) */
  badCrt?: boolean;
  /** exchange p and q without recomputing the CRT values */
  swapPrimes?: boolean;
  /** an extra INTEGER after the last field */
  trailing?: boolean;
  /** d replaced by n */
  dEqualsN?: boolean;
}

export function pkcs1(k: RsaKey, o: Pkcs1Options = {}): Buffer {
  const [p, q] = o.swapPrimes ? [k.q, k.p] : [k.p, k.q];
  const fields = [
    int(o.version ?? 0),
    int(k.n),
    int(k.e),
    int(o.dEqualsN ? k.n : k.d),
    int(p),
    int(q),
    int(o.badCrt ? k.dp + 2n : k.dp),
    int(k.dq),
    int(k.qi),
  ];
  if (o.trailing) fields.push(int(7));
  return seq(...fields);
}

export const RSA_ALG = seq(oid("1.2.840.113549.1.1.1"), NULL);

export function pkcs8Rsa(k: RsaKey, o: Pkcs1Options = {}): Buffer {
  return seq(int(0), RSA_ALG, octets(pkcs1(k, o)));
}

export interface Sec1Options {
  /** include [0] curve parameters (default true) */
  params?: boolean;
  /** include [1] public key (default true) */
  pub?: boolean | Buffer;
  /** d written without its leading zero bytes, or with one extra */
  dShape?: "exact" | "stripped" | "padded";
  trailing?: boolean;
}

export function sec1(k: EcKey, o: Sec1Options = {}): Buffer {
  let d = k.d;
  if (o.dShape === "stripped") {
    let i = 0;
    while (i < d.length - 1 && d[i] === 0) i++;
    d = d.subarray(i);
  } else if (o.dShape === "padded") d = Buffer.concat([Buffer.from([0]), d]);
  const fields = [int(1), octets(d)];
  if (o.params !== false) fields.push(explicit(0, oid(CURVES[k.curve].oid)));
  if (o.pub !== false) fields.push(explicit(1, bitString(Buffer.isBuffer(o.pub) ? o.pub : k.pub)));
  if (o.trailing) fields.push(int(7));
  return seq(...fields);
}

/** PKCS#8 of an EC key; `algParams: false` leaves the curve out of the AlgorithmIdentifier. */
export function pkcs8Ec(k: EcKey, o: Sec1Options & { algParams?: boolean } = {}): Buffer {
  const alg = o.algParams === false ? seq(oid("1.2.840.10045.2.1")) : seq(oid("1.2.840.10045.2.1"), oid(CURVES[k.curve].oid));
  return seq(int(0), alg, octets(sec1(k, { params: false, ...o })));
}

export function pkcs8Of(k: TestKey): Buffer {
  return k.kind === "rsa" ? pkcs8Rsa(k) : pkcs8Ec(k);
}

export function spkiOf(k: TestKey): Buffer {
  if (k.kind === "rsa") return seq(RSA_ALG, bitString(seq(int(k.n), int(k.e))));
  return seq(seq(oid("1.2.840.10045.2.1"), oid(CURVES[k.curve].oid)), bitString(k.pub));
}

/** The public key as a JWK's raw members (what Key Vault returns for `key` objects). */
export function publicJwkParts(k: TestKey): { kty: string; n?: Buffer; e?: Buffer; crv?: string; x?: Buffer; y?: Buffer } {
  if (k.kind === "rsa") return { kty: "RSA", n: bigToBytes(k.n), e: bigToBytes(k.e) };
  const len = CURVES[k.curve].len;
  return { kty: "EC", crv: k.curve, x: k.pub.subarray(1, 1 + len), y: k.pub.subarray(1 + len) };
}

/** A PEM private key that OpenSSL reads (for the `openssl pkcs12` family). */
export function opensslKeyPem(k: TestKey): string {
  const der = pkcs8Of(k);
  createPrivateKey({ key: der, format: "der", type: "pkcs8" }); // fail early on a bad fixture
  return `-----BEGIN PRIVATE KEY-----\n${der.toString("base64").replace(/.{64}/g, "$&\n")}\n-----END PRIVATE KEY-----\n`.replace(
    /\n\n/g,
    "\n",
  );
}

export const ED25519_PKCS8 = seq(int(0), seq(oid("1.3.101.112")), octets(octets(Buffer.alloc(32, 7))));
