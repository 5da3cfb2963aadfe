/**
 * Key and certificate material for the Key Vault emulator: key generation (node:crypto), JWK conversion,
 * PFX / PEM parsing of imported certificates, self-signed certificate creation and the backing secret value.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPair as generateKeyPairAsync,
  generateKeyPairSync,
  X509Certificate,
  type KeyObject,
} from "node:crypto";
import { isIP } from "node:net";
import forge from "node-forge";
import { certificatesToDer, randomSerialHex, signCertificate } from "../tls.js";
import { KvError } from "./model.js";
import { keyVaultPfx } from "./pfx.js";

export type Jwk = Record<string, unknown>;

const CURVES: Record<string, string> = {
  "P-256": "prime256v1",
  "P-384": "secp384r1",
  "P-521": "secp521r1",
  "P-256K": "secp256k1",
};
const NODE_CRV_TO_KV: Record<string, string> = { secp256k1: "P-256K" };

export function isEcKty(kty: string): boolean {
  return kty === "EC" || kty === "EC-HSM";
}
export function isRsaKty(kty: string): boolean {
  return kty === "RSA" || kty === "RSA-HSM";
}

export interface GeneratedKey {
  privatePem: string;
  publicJwk: Jwk;
  keySize?: number;
  crv?: string;
}

// RSA key generation costs ~50-100 ms; keep a few 2048-bit keys ready, generated in the libuv thread pool, so
// that creating many keys/certificates does not block the server for that long each time.
const RSA_POOL_MAX = 8;
const rsaPool: string[] = [];
let rsaInflight = 0;

function refillRsaPool(): void {
  while (rsaPool.length + rsaInflight < RSA_POOL_MAX) {
    rsaInflight++;
    generateKeyPairAsync("rsa", { modulusLength: 2048, publicExponent: 65537 }, (err, _pub, priv) => {
      rsaInflight--;
      if (!err) rsaPool.push(priv.export({ format: "pem", type: "pkcs8" }).toString());
    });
  }
}

function rsaPrivatePem(bits: number, publicExponent: number): string {
  if (bits === 2048 && publicExponent === 65537) {
    const pooled = rsaPool.pop();
    refillRsaPool();
    if (pooled) return pooled;
  }
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: bits, publicExponent });
  return privateKey.export({ format: "pem", type: "pkcs8" }).toString();
}

/** Generates an RSA or EC key pair (`kty` RSA, RSA-HSM, EC, EC-HSM). */
export function generateKey(kty: string, opts: { keySize?: number; crv?: string; publicExponent?: number }): GeneratedKey {
  let privatePem: string;
  let keySize: number | undefined;
  let crv: string | undefined;
  if (isRsaKty(kty)) {
    keySize = opts.keySize ?? 2048;
    if (![2048, 3072, 4096].includes(keySize)) {
      throw new KvError(400, "BadParameter", `Invalid key size ${keySize}. Allowed values are 2048, 3072, 4096.`);
    }
    privatePem = rsaPrivatePem(keySize, opts.publicExponent ?? 65537);
  } else if (isEcKty(kty)) {
    crv = opts.crv ?? "P-256";
    const namedCurve = CURVES[crv];
    if (!namedCurve) throw new KvError(400, "BadParameter", `Invalid curve name ${crv}.`);
    const { privateKey } = generateKeyPairSync("ec", { namedCurve });
    privatePem = privateKey.export({ format: "pem", type: "pkcs8" }).toString();
  } else {
    throw new KvError(400, "BadParameter", `Key type ${kty} is not supported in this vault.`);
  }
  return {
    privatePem,
    publicJwk: publicJwkOf(privatePem),
    ...(keySize ? { keySize } : {}),
    ...(crv ? { crv } : {}),
  };
}

/** The public JWK (RSA: n, e; EC: crv, x, y) of a key, base64url fields, Key Vault curve names. */
export function publicJwkOf(key: KeyObject | string): Jwk {
  const pub = typeof key === "string" ? createPublicKey(key) : key.type === "private" ? createPublicKey(key) : key;
  const jwk = pub.export({ format: "jwk" }) as Record<string, string>;
  if (jwk.kty === "RSA") return { n: jwk.n, e: jwk.e };
  const crv = jwk.crv ?? "";
  return { crv: NODE_CRV_TO_KV[crv] ?? crv, x: jwk.x, y: jwk.y };
}

export function keySizeOf(privatePem: string): {
  keySize?: number;
  crv?: string;
  kty: "RSA" | "EC";
} {
  const k = createPrivateKey(privatePem);
  const d = k.asymmetricKeyDetails ?? {};
  if (k.asymmetricKeyType === "rsa")
    return {
      kty: "RSA",
      ...(d.modulusLength ? { keySize: d.modulusLength } : {}),
    };
  if (k.asymmetricKeyType === "ec") {
    const nodeCrv = d.namedCurve ?? "";
    const crv = Object.entries(CURVES).find(([, v]) => v === nodeCrv)?.[0];
    return { kty: "EC", ...(crv ? { crv } : {}) };
  }
  throw new KvError(400, "BadParameter", `Unsupported key type ${k.asymmetricKeyType ?? "?"}.`);
}

/**
 * Validates an imported JWK (as the SDK sends it: base64url fields) and returns its public part and, if the JWK
 * holds private parts, a PKCS#8 PEM of the private key.
 */
export function importJwk(jwk: Jwk): {
  kty: string;
  publicJwk: Jwk;
  privatePem?: string;
  keySize?: number;
  crv?: string;
} {
  const kty = typeof jwk.kty === "string" ? jwk.kty : "";
  const base = isRsaKty(kty) ? "RSA" : isEcKty(kty) ? "EC" : "";
  if (!base) throw new KvError(400, "BadParameter", `Key type ${kty || "(missing)"} is not supported in this vault.`);
  const nodeJwk: Record<string, string> = { kty: base };
  for (const f of ["n", "e", "d", "p", "q", "dp", "dq", "qi", "x", "y", "crv"]) {
    const v = jwk[f];
    if (typeof v === "string" && v !== "") nodeJwk[f] = v;
  }
  if (base === "EC" && nodeJwk.crv && CURVES[nodeJwk.crv] === "secp256k1") nodeJwk.crv = "secp256k1";
  try {
    const priv = nodeJwk.d ? createPrivateKey({ key: nodeJwk, format: "jwk" }) : undefined;
    const pub = priv ? createPublicKey(priv) : createPublicKey({ key: nodeJwk, format: "jwk" });
    const details = pub.asymmetricKeyDetails ?? {};
    const publicJwk = publicJwkOf(pub);
    return {
      kty,
      publicJwk,
      ...(priv
        ? {
            privatePem: priv.export({ format: "pem", type: "pkcs8" }).toString(),
          }
        : {}),
      ...(details.modulusLength ? { keySize: details.modulusLength } : {}),
      ...(typeof publicJwk.crv === "string" ? { crv: publicJwk.crv } : {}),
    };
  } catch (e) {
    throw new KvError(400, "BadParameter", `The JSON Web Key is invalid: ${(e as Error).message}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Certificates

export interface CertMaterial {
  /** PKCS#8 PEM of the leaf's private key. */
  privatePem: string;
  /** DER certificates, leaf first unless the import asked to preserve the order. */
  certs: Buffer[];
}

export interface CertInfo {
  x5t: string;
  subject: string;
  nbf: number;
  exp: number;
  dnsNames: string[];
  emails: string[];
  ipAddresses: string[];
  ekus: string[];
}

function spkiOf(key: KeyObject): Buffer {
  return createPublicKey(key).export({ format: "der", type: "spki" });
}

/** Puts the certificate matching the private key first; the others keep their relative order. */
function orderLeafFirst(privatePem: string, certs: Buffer[], preserveOrder: boolean): Buffer[] {
  if (certs.length === 0) throw new KvError(400, "BadParameter", "The certificate content has no X.509 certificate.");
  const spki = spkiOf(createPrivateKey(privatePem));
  const leafIdx = certs.findIndex((c) => new X509Certificate(c).publicKey.export({ format: "der", type: "spki" }).equals(spki));
  if (leafIdx < 0) {
    throw new KvError(400, "BadParameter", "Private key specified in the certificate content does not match any certificate.");
  }
  if (preserveOrder || leafIdx === 0) return certs;
  const leaf = certs[leafIdx] as Buffer;
  return [leaf, ...certs.filter((_, i) => i !== leafIdx)];
}

/** Parses an imported certificate: base64 PFX (RSA keys) or PEM text (RSA or EC; key may be encrypted). */
export function parseImportedCertificate(
  value: string,
  pwd: string | undefined,
  preserveOrder: boolean,
): CertMaterial & { format: "pkcs12" | "pem" } {
  if (value.includes("-----BEGIN")) {
    const keyBlock = value.match(/-----BEGIN ((?:RSA |EC |ENCRYPTED )?PRIVATE KEY)-----[\s\S]*?-----END \1-----/);
    if (!keyBlock) throw new KvError(400, "BadParameter", "The PEM content has no private key.");
    let privatePem: string;
    try {
      const k = createPrivateKey(pwd ? { key: keyBlock[0], passphrase: pwd } : keyBlock[0]);
      privatePem = k.export({ format: "pem", type: "pkcs8" }).toString();
    } catch (e) {
      throw new KvError(400, "BadParameter", `The private key could not be read: ${(e as Error).message}`);
    }
    const certs = certificatesToDer([value]);
    return {
      format: "pem",
      privatePem,
      certs: orderLeafFirst(privatePem, certs, preserveOrder),
    };
  }
  let p12: forge.pkcs12.Pkcs12Pfx;
  try {
    const p12Asn1 = forge.asn1.fromDer(Buffer.from(value, "base64").toString("binary"));
    try {
      p12 = forge.pkcs12.pkcs12FromAsn1(p12Asn1, false, pwd ?? "");
    } catch (e) {
      // A PFX written with "no password" (rather than the empty password) needs the absent password.
      if (pwd) throw e;
      p12 = forge.pkcs12.pkcs12FromAsn1(p12Asn1, false, undefined);
    }
  } catch (e) {
    throw new KvError(
      400,
      "BadParameter",
      `The specified PEM X.509 certificate content is in an unexpected format or the PFX could not be read (only RSA keys in PFX are supported by the emulator): ${(e as Error).message}`,
    );
  }
  const certs: Buffer[] = [];
  let privatePem: string | undefined;
  for (const sc of p12.safeContents) {
    for (const bag of sc.safeBags) {
      if (bag.cert) certs.push(Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(bag.cert)).getBytes(), "binary"));
      else if (bag.key && !privatePem) {
        const info = forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(bag.key));
        privatePem = forge.pki.privateKeyInfoToPem(info);
      }
    }
  }
  if (!privatePem) throw new KvError(400, "BadParameter", "The PFX has no private key.");
  return {
    format: "pkcs12",
    privatePem,
    certs: orderLeafFirst(privatePem, certs, preserveOrder),
  };
}

export function x5tOf(der: Buffer): string {
  return createHash("sha1").update(der).digest("base64url");
}

export function certInfo(der: Buffer): CertInfo {
  const x = new X509Certificate(der);
  const dnsNames: string[] = [];
  const emails: string[] = [];
  const ipAddresses: string[] = [];
  for (const part of (x.subjectAltName ?? "").split(/,\s*/)) {
    if (part.startsWith("DNS:")) dnsNames.push(part.slice(4));
    else if (part.startsWith("email:")) emails.push(part.slice(6));
    else if (part.startsWith("IP Address:")) ipAddresses.push(part.slice(11));
  }
  return {
    x5t: x5tOf(der),
    subject: x.subject.split("\n").join(", "),
    nbf: Math.floor(Date.parse(x.validFrom) / 1000),
    exp: Math.floor(Date.parse(x.validTo) / 1000),
    dnsNames,
    emails,
    ipAddresses,
    ekus: x.keyUsage ?? [],
  };
}

/**
 * The backing secret's value as Key Vault serves it: base64 of its PFX (pfx.ts), or PEM with the PKCS#8
 * `PRIVATE KEY` block first, then the certificates, leaf first — the order of a PEM certificate's secret read from
 * Key Vault (notaryproject/ratify's provider test data, secret `testCert6212` of a live vault:
 * `-----BEGIN PRIVATE KEY-----…-----END PRIVATE KEY-----\n-----BEGIN CERTIFICATE-----…`; the same order in
 * Azure/secrets-store-csi-driver-provider-azure#1795). 64-column base64, `\n` line ends, a final newline.
 */
export function secretValueFor(contentType: string, m: CertMaterial): string {
  if (contentType === "application/x-pem-file") {
    const key = createPrivateKey(m.privatePem).export({ format: "pem", type: "pkcs8" }).toString();
    return key + m.certs.map((c) => new X509Certificate(c).toString()).join("");
  }
  return keyVaultPfx(m.privatePem, m.certs).toString("base64");
}

export interface SelfSignedRequest {
  privatePem: string;
  subject: string;
  dnsNames?: string[];
  emails?: string[];
  uris?: string[];
  ipAddresses?: string[];
  ekus?: string[];
  keyUsage?: string[];
  validityMonths?: number;
}

const SUBJECT_NAMES: Record<string, string> = {
  CN: "CN",
  C: "C",
  L: "L",
  ST: "ST",
  S: "ST",
  O: "O",
  OU: "OU",
  E: "E",
  EMAIL: "E",
  EMAILADDRESS: "E",
  STREET: "STREET",
};

function parseSubject(subject: string): forge.pki.CertificateField[] {
  const fields: forge.pki.CertificateField[] = [];
  for (const rdn of subject.split(/(?<!\\),/)) {
    const trimmed = rdn.trim();
    if (!trimmed) continue;
    const eq = trimmed.indexOf("=");
    const name = SUBJECT_NAMES[trimmed.slice(0, eq).trim().toUpperCase()];
    if (eq <= 0 || !name) throw new KvError(400, "BadParameter", `Invalid subject name: ${subject}`);
    const value = trimmed
      .slice(eq + 1)
      .trim()
      .replace(/\\,/g, ",");
    fields.push(name === "STREET" ? { type: "2.5.4.9", value } : { shortName: name, value });
  }
  if (fields.length === 0) throw new KvError(400, "BadParameter", `Invalid subject name: ${subject}`);
  return fields;
}

const EKU_NAMES: Record<string, string> = {
  "1.3.6.1.5.5.7.3.1": "serverAuth",
  "1.3.6.1.5.5.7.3.2": "clientAuth",
  "1.3.6.1.5.5.7.3.3": "codeSigning",
  "1.3.6.1.5.5.7.3.4": "emailProtection",
  "1.3.6.1.5.5.7.3.8": "timeStamping",
};

let dummyRsa: forge.pki.rsa.PublicKey | undefined;

/** Creates a self-signed certificate (SHA-256; RSA via node-forge, EC by signing forge's TBS with node:crypto). */
export function createSelfSigned(req: SelfSignedRequest): Buffer {
  const key = createPrivateKey(req.privatePem);
  const isEc = key.asymmetricKeyType === "ec";
  const cert = forge.pki.createCertificate();
  cert.serialNumber = randomSerialHex();
  const now = new Date();
  cert.validity.notBefore = now;
  const notAfter = new Date(now);
  notAfter.setUTCMonth(notAfter.getUTCMonth() + (req.validityMonths ?? 12));
  cert.validity.notAfter = notAfter;
  const subject = parseSubject(req.subject);
  cert.setSubject(subject);
  cert.setIssuer(subject);
  const altNames: object[] = [
    ...(req.dnsNames ?? []).map((value) => ({ type: 2, value })),
    ...(req.emails ?? []).map((value) => ({ type: 1, value })),
    ...(req.uris ?? []).map((value) => ({ type: 6, value })),
    ...(req.ipAddresses ?? []).map((ip) => {
      if (isIP(ip) === 0) throw new KvError(400, "BadParameter", `Invalid IP address ${ip}`);
      return { type: 7, ip };
    }),
  ];
  const keyUsage: Record<string, unknown> = {
    name: "keyUsage",
    critical: true,
  };
  for (const u of req.keyUsage ?? (isEc ? ["digitalSignature"] : ["digitalSignature", "keyEncipherment"])) keyUsage[u] = true;
  const eku: Record<string, unknown> = { name: "extKeyUsage" };
  for (const e of req.ekus ?? ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"]) eku[EKU_NAMES[e] ?? e] = true;
  const extensions: object[] = [{ name: "basicConstraints", cA: false }, keyUsage, eku];
  if (altNames.length > 0) extensions.push({ name: "subjectAltName", altNames });

  if (!isEc) {
    const fKey = forge.pki.privateKeyFromPem(req.privatePem) as forge.pki.rsa.PrivateKey;
    cert.publicKey = forge.pki.setRsaPublicKey(fKey.n, fKey.e);
    extensions.push({ name: "subjectKeyIdentifier" });
    cert.setExtensions(extensions);
    return signCertificate(cert, req.privatePem);
  }
  // EC: forge cannot hold EC keys; build around a placeholder RSA key and swap in the real SubjectPublicKeyInfo.
  dummyRsa ??= forge.pki.setRsaPublicKey(new forge.jsbn.BigInteger("00c3", 16), new forge.jsbn.BigInteger("10001", 16));
  cert.publicKey = dummyRsa;
  cert.setExtensions(extensions);
  return signCertificate(cert, req.privatePem, spkiOf(key));
}
