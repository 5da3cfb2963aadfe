// Test fixtures for the render tests: keys, a 3-level certificate chain with SKI/AKI extensions,
// and PFX files built with node-forge and with the openssl CLI. Everything is generated at test time.

import { execFileSync } from "node:child_process";
import { createHash, createPublicKey, generateKeyPairSync, X509Certificate, type KeyObject } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import forge from "node-forge";

export const rsaKey = (bits = 2048): KeyObject => generateKeyPairSync("rsa", { modulusLength: bits }).privateKey;
export const ecKey = (namedCurve: "P-256" | "P-384" | "P-521" = "P-256"): KeyObject => generateKeyPairSync("ec", { namedCurve }).privateKey;

/** The public half of a key as SubjectPublicKeyInfo PEM, from node:crypto. */
export const spkiPem = (k: KeyObject): string => createPublicKey(k).export({ type: "spki", format: "pem" }).toString();

export interface Cert {
  der: Buffer;
  pem: string;
  x509: X509Certificate;
  /** SubjectKeyIdentifier bytes as put into the certificate */
  ski: Buffer;
}

function toCert(der: Buffer, ski: Buffer): Cert {
  const x509 = new X509Certificate(der);
  return { der, pem: x509.toString(), x509, ski };
}

let serial = 1;

/** An RSA-keyed certificate built with node-forge, signed by `issuer` (self-signed when omitted). */
export function forgeCert(opts: {
  cn: string;
  key: KeyObject;
  ca: boolean;
  issuer?: { cert: Cert; key: KeyObject };
  /** omit the SKI / AKI extensions */
  noKeyIds?: boolean;
}): Cert {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(spkiPem(opts.key));
  cert.serialNumber = (serial++).toString(16).padStart(4, "0");
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 86_400_000);
  cert.setSubject([{ name: "commonName", value: opts.cn }]);
  const issuerCn = opts.issuer ? opts.issuer.cert.x509.subject.replace(/^CN=/, "") : opts.cn;
  cert.setIssuer([{ name: "commonName", value: issuerCn }]);
  const ski = Buffer.from(cert.generateSubjectKeyIdentifier().getBytes(), "binary");
  const aki = opts.issuer ? opts.issuer.cert.ski : ski;
  const exts: object[] = [{ name: "basicConstraints", cA: opts.ca, critical: true }];
  if (!opts.noKeyIds) {
    exts.push({
      name: "subjectKeyIdentifier",
      subjectKeyIdentifier: ski.toString("hex"),
    });
    exts.push({
      name: "authorityKeyIdentifier",
      keyIdentifier: aki.toString("binary"),
    });
  }
  cert.setExtensions(exts);
  const signer = opts.issuer?.key ?? opts.key;
  const signerPem = signer.export({ type: "pkcs8", format: "pem" }).toString();
  cert.sign(forge.pki.privateKeyFromPem(signerPem) as forge.pki.rsa.PrivateKey, forge.md.sha256.create());
  const der = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), "binary");
  return toCert(der, ski);
}

/** Runs openssl in a scratch directory holding `files`; returns the bytes of `out` (or stdout). */
export function openssl(args: string[], files: Record<string, string | Uint8Array> = {}, out?: string): Buffer {
  const dir = mkdtempSync(join(tmpdir(), "render-test-"));
  try {
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
    const stdout = execFileSync("openssl", args, {
      cwd: dir,
      stdio: ["ignore", "pipe", "pipe"],
    });
    return out ? readFileSync(join(dir, out)) : stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A certificate for `key` (any type) signed by an RSA `issuer` with the openssl CLI, with SKI and AKI. */
export function opensslCert(cn: string, key: KeyObject, issuer: { cert: Cert; key: KeyObject }): Cert {
  const der = openssl(
    [
      "x509",
      "-new",
      "-force_pubkey",
      "pub.pem",
      "-subj",
      `/CN=${cn}`,
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-days",
      "1",
      "-extfile",
      "ext.cnf",
      "-outform",
      "DER",
      "-out",
      "cert.der",
    ],
    {
      "pub.pem": spkiPem(key),
      "ca.pem": issuer.cert.pem,
      "ca.key": issuer.key.export({ type: "pkcs8", format: "pem" }),
      "ext.cnf": "basicConstraints=critical,CA:FALSE\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid:always\n",
    },
    "cert.der",
  );
  // SKI "hash" = SHA-1 of the subjectPublicKey BIT STRING contents (RFC 5280 method 1).
  const spki = createPublicKey(key).export({ type: "spki", format: "der" });
  const ski = createHash("sha1").update(bitStringOfSpki(spki)).digest();
  return toCert(der, ski);
}

/** The public key bits of a SubjectPublicKeyInfo (the BIT STRING contents without the unused-bits byte). */
function bitStringOfSpki(spki: Buffer): Buffer {
  const asn = forge.asn1.fromDer(spki.toString("binary"));
  const bits = (asn.value as forge.asn1.Asn1[])[1]!;
  return Buffer.from(bits.value as string, "binary").subarray(1);
}

export interface Chain {
  rootKey: KeyObject;
  root: Cert;
  intermediateKey: KeyObject;
  intermediate: Cert;
  leafKey: KeyObject;
  leaf: Cert;
  ecLeafKey: KeyObject;
  ecLeaf: Cert;
  /** a self-signed certificate unrelated to the chain */
  stranger: Cert;
}

let cached: Chain | undefined;

/** root → intermediate → leaf (RSA), plus an EC P-256 leaf under the same intermediate. Built once per test file. */
export function chain(): Chain {
  if (cached) return cached;
  const rootKey = rsaKey();
  const root = forgeCert({ cn: "Render Test Root", key: rootKey, ca: true });
  const intermediateKey = rsaKey();
  const intermediate = forgeCert({
    cn: "Render Test Intermediate",
    key: intermediateKey,
    ca: true,
    issuer: { cert: root, key: rootKey },
  });
  const leafKey = rsaKey();
  const leaf = forgeCert({
    cn: "leaf.example",
    key: leafKey,
    ca: false,
    issuer: { cert: intermediate, key: intermediateKey },
  });
  const ecLeafKey = ecKey("P-256");
  const ecLeaf = opensslCert("ec-leaf.example", ecLeafKey, {
    cert: intermediate,
    key: intermediateKey,
  });
  const strangerKey = rsaKey();
  const stranger = forgeCert({ cn: "Stranger", key: strangerKey, ca: true });
  cached = {
    rootKey,
    root,
    intermediateKey,
    intermediate,
    leafKey,
    leaf,
    ecLeafKey,
    ecLeaf,
    stranger,
  };
  return cached;
}

/** A PFX built with node-forge `pkcs12.toPkcs12Asn1` (RSA key only: forge cannot serialise EC keys). */
export function forgePfx(
  key: KeyObject | null,
  certs: Cert[],
  opts: {
    password?: string;
    algorithm?: "3des" | "aes128" | "aes256";
    friendlyName?: string;
  } = {},
): Buffer {
  const forgeKey = key ? forge.pki.privateKeyFromPem(key.export({ type: "pkcs8", format: "pem" }).toString()) : null;
  const forgeCerts = certs.map((c) => forge.pki.certificateFromPem(c.pem));
  const options: Record<string, unknown> = {
    algorithm: opts.algorithm ?? "3des",
  };
  if (opts.friendlyName !== undefined) options["friendlyName"] = opts.friendlyName;
  const asn1 = forge.pkcs12.toPkcs12Asn1(forgeKey, forgeCerts, opts.password ?? "", options);
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), "binary");
}

/**
 * A PFX built with `openssl pkcs12 -export -passout pass:` (works for EC keys). `mode` "3des" uses
 * PBE-SHA1-3DES and a SHA-1 MAC (what Key Vault and Go's decoder use), "legacy" uses RC2-40 for the
 * certificates, "default" is OpenSSL 3's AES-256/PBES2 with a SHA-256 MAC.
 */
export function opensslPfx(key: KeyObject, certs: Cert[], mode: "3des" | "legacy" | "default" = "3des"): Buffer {
  const [first, ...others] = certs;
  const args = ["pkcs12", "-export", "-passout", "pass:", "-inkey", "key.pem", "-in", "cert.pem", "-out", "out.p12"];
  if (others.length > 0) args.push("-certfile", "chain.pem");
  if (mode === "3des") args.push("-keypbe", "PBE-SHA1-3DES", "-certpbe", "PBE-SHA1-3DES", "-macalg", "sha1");
  if (mode === "legacy") args.push("-legacy");
  return openssl(
    args,
    {
      "key.pem": key.export({ type: "pkcs8", format: "pem" }),
      "cert.pem": first?.pem ?? "",
      "chain.pem": others.map((c) => c.pem).join(""),
    },
    "out.p12",
  );
}

/** The PEM text of a private key as PKCS#8, from node:crypto. */
export const pkcs8Pem = (k: KeyObject): string => k.export({ type: "pkcs8", format: "pem" }).toString();

export const text = (b: Uint8Array): string => Buffer.from(b).toString("utf8");
