// Test certificates with byte-level control over what Go's x509 parser and the provider's chain builder look at:
// serial sign, presence and criticality of the SubjectKeyId / AuthorityKeyId extensions. Signed with RSA
// PKCS#1 v1.5 (deterministic), although neither the provider nor the driver verifies signatures.
import { createHash, createPrivateKey, sign } from "node:crypto";
import { bigToBytes, bitString, bool, explicit, int, NULL, octets, oid, seq, set, utcTime, utf8 } from "./der.js";
import { pkcs1, spkiOf, type RsaKey, type TestKey } from "./keys.js";

export interface CertSpec {
  cn: string;
  key: TestKey;
  /** the issuer; undefined = self-signed (with `key`, which must then be RSA) */
  issuer?: { cn: string; key: RsaKey; ski: Buffer | null };
  serial: bigint;
  ca: boolean;
  /** SubjectKeyId value; null = no extension */
  ski: Buffer | null;
  /** write an AuthorityKeyId (the issuer's SKI) */
  aki: boolean;
  criticalSki?: boolean;
  criticalAki?: boolean;
}

const SHA256_RSA = seq(oid("1.2.840.113549.1.1.11"), NULL);
const name = (cn: string) => seq(set(seq(oid("2.5.4.3"), utf8(cn))));

function ext(id: string, critical: boolean | undefined, value: Buffer): Buffer {
  return critical ? seq(oid(id), bool(true), octets(value)) : seq(oid(id), octets(value));
}

export function keyId(k: TestKey): Buffer {
  return createHash("sha1").update(spkiOf(k)).digest();
}

export function makeCert(s: CertSpec): Buffer {
  const issuerCn = s.issuer?.cn ?? s.cn;
  const signer = s.issuer?.key ?? s.key;
  if (signer.kind !== "rsa") throw new Error("test certificates are signed with RSA keys");
  const exts: Buffer[] = [ext("2.5.29.19", true, s.ca ? seq(bool(true)) : seq())];
  if (s.ski) exts.push(ext("2.5.29.14", s.criticalSki, octets(s.ski)));
  const issuerSki = s.issuer ? s.issuer.ski : s.ski;
  if (s.aki && issuerSki)
    exts.push(ext("2.5.29.35", s.criticalAki, seq(Buffer.concat([Buffer.from([0x80, issuerSki.length]), issuerSki]))));
  const tbs = seq(
    explicit(0, int(2)),
    int(s.serial),
    SHA256_RSA,
    name(issuerCn),
    seq(utcTime(new Date("2025-01-01T00:00:00Z")), utcTime(new Date("2035-01-01T00:00:00Z"))),
    name(s.cn),
    spkiOf(s.key),
    explicit(3, seq(...exts)),
  );
  const key = createPrivateKey({ key: pkcs1(signer), format: "der", type: "pkcs1" });
  return seq(tbs, SHA256_RSA, bitString(sign("sha256", tbs, key)));
}

export const positiveSerial = (b: Buffer) => BigInt("0x" + Buffer.concat([Buffer.from([1]), b]).toString("hex"));
export { bigToBytes };
