// PFX fixtures made by implementations independent of shared/render: the `openssl pkcs12` CLI, and a structural
// builder whose key derivation and ciphers are node-forge's (RFC 7292 KDF, 3DES, RC2) and whose MAC is
// node:crypto's HMAC. The builder exists for the shapes no tool writes (trailing elements, unknown attributes,
// bag orders, several keys); openssl covers what real tools write.
import { createHmac } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import forge from "node-forge";
import { bmp, explicit, int, NULL, octets, oid, seq, set, tlv } from "./der.js";
import type { Rng } from "./prng.js";

export const OIDS = {
  data: "1.2.840.113549.1.7.1",
  encryptedData: "1.2.840.113549.1.7.6",
  certBag: "1.2.840.113549.1.12.10.1.3",
  shroudedKeyBag: "1.2.840.113549.1.12.10.1.2",
  keyBag: "1.2.840.113549.1.12.10.1.1",
  x509: "1.2.840.113549.1.9.22.1",
  friendlyName: "1.2.840.113549.1.9.20",
  localKeyId: "1.2.840.113549.1.9.21",
  msCsp: "1.3.6.1.4.1.311.17.1",
  msUnknown: "1.3.6.1.4.1.311.17.2",
  sha1: "1.3.14.3.2.26",
  sha256: "2.16.840.1.101.3.4.2.1",
  pbe3des: "1.2.840.113549.1.12.1.3",
  pbeRc2_40: "1.2.840.113549.1.12.1.6",
  pbeRc2_128: "1.2.840.113549.1.12.1.5",
} as const;

export type Pbe = "3des" | "rc2-40" | "rc2-128";
const PBE_OID: Record<Pbe, string> = { "3des": OIDS.pbe3des, "rc2-40": OIDS.pbeRc2_40, "rc2-128": OIDS.pbeRc2_128 };

const fbuf = (b: Buffer) => forge.util.createBuffer(b.toString("binary"));
const kdf = (pw: string | null, salt: Buffer, id: number, iter: number, n: number) =>
  Buffer.from(forge.pkcs12.generateKey(pw as string, fbuf(salt), id, iter, n).getBytes(), "binary");

/** PKCS#12 PBE (RFC 7292 appendix C) with forge's KDF and ciphers: the AlgorithmIdentifier and the ciphertext. */
export function pbeEncrypt(alg: Pbe, plain: Buffer, password: string, salt: Buffer, iter: number): { algId: Buffer; enc: Buffer } {
  const iv = kdf(password, salt, 2, iter, 8);
  let out: string;
  if (alg === "3des") {
    const c = forge.cipher.createCipher("3DES-CBC", forge.util.createBuffer(kdf(password, salt, 1, iter, 24).toString("binary")));
    c.start({ iv: fbuf(iv) });
    c.update(fbuf(plain));
    c.finish();
    out = c.output.getBytes();
  } else {
    const bits = alg === "rc2-40" ? 40 : 128;
    const c = forge.rc2.createEncryptionCipher(fbuf(kdf(password, salt, 1, iter, bits / 8)), bits);
    c.start(fbuf(iv));
    c.update(fbuf(plain));
    c.finish();
    out = c.output.getBytes();
  }
  return { algId: seq(oid(PBE_OID[alg]), seq(octets(salt), int(iter))), enc: Buffer.from(out, "binary") };
}

export type Attr = "localKeyId" | "friendlyName" | "msCsp" | "unknown" | "emptyUnknown" | "emptyLocalKeyId";

function attribute(a: Attr, rng: Rng): Buffer {
  switch (a) {
    case "localKeyId":
      return seq(oid(OIDS.localKeyId), set(octets(rng.bytes(20))));
    case "friendlyName":
      return seq(oid(OIDS.friendlyName), set(bmp(rng.pick(["leaf", "ключ", "cert 1", ""]))));
    case "msCsp":
      return seq(oid(OIDS.msCsp), set(bmp("Microsoft Enhanced RSA and AES Cryptographic Provider")));
    case "unknown":
      return seq(oid(OIDS.msUnknown), set(bmp("Microsoft Software Key Storage Provider")));
    case "emptyUnknown":
      // what `openssl pkcs12 -export -LMK` writes: an attribute with an empty value set
      return seq(oid("2.5.29.15"), set());
    case "emptyLocalKeyId":
      return seq(oid(OIDS.localKeyId), set());
  }
}

export interface BagSpec {
  kind: "cert" | "key" | "plainKey";
  /** certificate DER or PKCS#8 PrivateKeyInfo DER */
  der: Buffer;
  attrs: Attr[];
  /** an extra element after the attributes (Go ignores it) */
  trailing?: boolean;
}

export interface PfxSpec {
  bags: BagSpec[];
  /** how the certificate SafeContents is wrapped */
  certSafe: "data" | Pbe;
  keyPbe: Pbe;
  password: string;
  /** MAC key derived from no password at all (some tools) instead of the two-byte empty BMPString */
  macNilPassword?: boolean;
  macIterations?: number | "omitted";
  macTrailing?: boolean;
  macAlg?: "sha1" | "sha256";
  /** number of ContentInfos in the AuthenticatedSafe (Go requires 2) */
  contentInfos?: 1 | 2 | 3;
  pfxTrailing?: boolean;
}

export function buildPfx(s: PfxSpec, rng: Rng): Buffer {
  const iter = 2048;
  const bagDer = (b: BagSpec): Buffer => {
    const attrs = b.attrs.length ? [set(...b.attrs.map((a) => attribute(a, rng)))] : [];
    const extra = b.trailing ? [NULL] : [];
    if (b.kind === "cert") return seq(oid(OIDS.certBag), explicit(0, seq(oid(OIDS.x509), explicit(0, octets(b.der)))), ...attrs, ...extra);
    if (b.kind === "plainKey") return seq(oid(OIDS.keyBag), explicit(0, b.der), ...attrs, ...extra);
    const { algId, enc } = pbeEncrypt(s.keyPbe, b.der, s.password, rng.bytes(8), iter);
    return seq(oid(OIDS.shroudedKeyBag), explicit(0, seq(algId, octets(enc))), ...attrs, ...extra);
  };
  const certBags = s.bags.filter((b) => b.kind === "cert").map(bagDer);
  const keyBags = s.bags.filter((b) => b.kind !== "cert").map(bagDer);
  const dataCi = (content: Buffer) => seq(oid(OIDS.data), explicit(0, octets(content)));
  let certCi: Buffer;
  const certContents = seq(...certBags);
  if (s.certSafe === "data") certCi = dataCi(certContents);
  else {
    const { algId, enc } = pbeEncrypt(s.certSafe, certContents, s.password, rng.bytes(8), iter);
    // EncryptedContentInfo's content is [0] IMPLICIT OCTET STRING
    certCi = seq(oid(OIDS.encryptedData), explicit(0, seq(int(0), seq(oid(OIDS.data), algId, tlv(0x80, enc)))));
  }
  const keyCi = dataCi(seq(...keyBags));
  const n = s.contentInfos ?? 2;
  const cis = n === 1 ? [dataCi(seq(...certBags, ...keyBags))] : n === 2 ? [certCi, keyCi] : [certCi, keyCi, dataCi(seq())];
  const authSafe = seq(...cis);
  const salt = rng.bytes(8);
  const macIter = s.macIterations === "omitted" ? 1 : (s.macIterations ?? iter);
  const macAlg = s.macAlg ?? "sha1";
  const macKey = kdf(s.macNilPassword ? null : s.password, salt, 3, macIter, macAlg === "sha1" ? 20 : 32);
  const mac = createHmac(macAlg, macKey).update(authSafe).digest();
  const macFields = [seq(seq(oid(macAlg === "sha1" ? OIDS.sha1 : OIDS.sha256), NULL), octets(mac)), octets(salt)];
  if (s.macIterations !== "omitted") macFields.push(int(macIter));
  if (s.macTrailing) macFields.push(NULL);
  const fields = [int(3), seq(oid(OIDS.data), explicit(0, octets(authSafe))), seq(...macFields)];
  if (s.pfxTrailing) fields.push(NULL);
  return seq(...fields);
}

export interface OpensslPfxOptions {
  /** -certpbe/-keypbe algorithm names; undefined = OpenSSL 3's default (PBES2 AES-256-CBC, HMAC-SHA256 MAC) */
  pbe?: "PBE-SHA1-3DES" | "PBE-SHA1-RC2-40" | "PBE-SHA1-RC2-128" | "AES-256-CBC";
  certPbe?: "PBE-SHA1-3DES" | "PBE-SHA1-RC2-40" | "PBE-SHA1-RC2-128" | "AES-256-CBC" | "NONE";
  macalg?: "sha1" | "sha256";
  lmk?: boolean;
  noKey?: boolean;
  name?: string;
}

const pem = (type: string, der: Buffer) =>
  `-----BEGIN ${type}-----\n${der
    .toString("base64")
    .match(/.{1,64}/g)!
    .join("\n")}\n-----END ${type}-----\n`;

/** `openssl pkcs12 -export` with an empty password, the leaf (first certificate) and the other certificates. */
export function opensslPfx(keyPkcs8: Buffer | null, certs: Buffer[], o: OpensslPfxOptions): Buffer {
  const dir = mkdtempSync(join(tmpdir(), "kvrp-oracle-pfx-"));
  try {
    const args = ["pkcs12", "-export", "-passout", "pass:", "-out", join(dir, "out.p12")];
    const [leaf, ...rest] = certs;
    if (leaf) {
      writeFileSync(join(dir, "leaf.pem"), pem("CERTIFICATE", leaf));
      args.push("-in", join(dir, "leaf.pem"));
    }
    if (rest.length) {
      writeFileSync(join(dir, "chain.pem"), rest.map((c) => pem("CERTIFICATE", c)).join(""));
      args.push("-certfile", join(dir, "chain.pem"));
    }
    if (keyPkcs8 && !o.noKey) {
      writeFileSync(join(dir, "key.pem"), pem("PRIVATE KEY", keyPkcs8));
      args.push("-inkey", join(dir, "key.pem"));
    } else args.push("-nokeys");
    const legacy = [o.pbe, o.certPbe].some((p) => p?.includes("RC2"));
    if (legacy) args.push("-legacy");
    if (o.pbe) args.push("-keypbe", o.pbe);
    if (o.certPbe ?? o.pbe) args.push("-certpbe", (o.certPbe ?? o.pbe)!);
    if (o.macalg) args.push("-macalg", o.macalg);
    if (o.lmk) args.push("-LMK");
    if (o.name) args.push("-name", o.name);
    execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
    return readFileSync(join(dir, "out.p12"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
