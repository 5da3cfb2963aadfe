/**
 * The PKCS#12 (PFX) Key Vault keeps in a certificate's backing secret (content type application/x-pkcs12), laid out
 * as Key Vault exports it. Reference: a PFX downloaded from Key Vault and committed as test data by the Key Vault
 * signing plugin's authors (Azure/notation-azure-kv `Notation.Plugin.AzureKeyVault.Tests/TestData/akv_imported_cert.pfx`,
 * commit 7e45e69, "MAC integrity mode is password(null)"), read with `openssl pkcs12 -info` and node-forge:
 *
 *   PFX version 3, AuthenticatedSafe (pkcs7-data) of two ContentInfos:
 *     1. pkcs7-data: SafeContents with one pkcs8ShroudedKeyBag,
 *          pbeWithSHAAnd3-KeyTripleDES-CBC, 8-byte salt, 2,000 iterations;
 *          PrivateKeyInfo attributes [0] { keyUsage (2.5.29.15) BIT STRING 0x10 }   (openssl: "X509v3 Key Usage: 10");
 *          bag attributes localKeyID 01 00 00 00, friendlyName "{GUID}", Microsoft CSP Name (1.3.6.1.4.1.311.17.1)
 *          "Microsoft Enhanced Cryptographic Provider v1.0";
 *     2. pkcs7-encryptedData (version 0): pbeWithSHAAnd3-KeyTripleDES-CBC, 8-byte salt, 2,000 iterations, over
 *          SafeContents of certBags: the leaf with localKeyID 01 00 00 00, the others with an empty attribute set;
 *   MacData: SHA-1 (AlgorithmIdentifier without parameters), 20-byte salt, 2,000 iterations;
 *   password: the NULL password — zero bytes into the PKCS#12 KDF (RFC 7292 B.2), not "" as two zero bytes (B.1):
 *   a reader that tries only "" fails the MAC (Go's x/crypto/pkcs12 retries with nil; macOS needs null:
 *   ActiveLogin/ActiveLogin.Authentication#407).
 *
 * Built here with node-forge's ASN.1 and PKCS#12 key derivation and node:crypto's 3DES and HMAC — independently of
 * shared/render, which reads it. EC keys: the reference has RSA only; for EC the layout is the same with the CNG
 * provider name (an assumption, marked as such in docs/keyvault-failures.md).
 */
import { createCipheriv, createHmac, createPrivateKey, randomBytes, randomUUID } from "node:crypto";
import forge from "node-forge";

const { asn1 } = forge;
const ITERATIONS = 2000;
const OID = {
  data: "1.2.840.113549.1.7.1",
  encryptedData: "1.2.840.113549.1.7.6",
  pkcs8ShroudedKeyBag: "1.2.840.113549.1.12.10.1.2",
  certBag: "1.2.840.113549.1.12.10.1.3",
  x509Certificate: "1.2.840.113549.1.9.22.1",
  pbeWithSHAAnd3KeyTripleDESCBC: "1.2.840.113549.1.12.1.3",
  localKeyId: "1.2.840.113549.1.9.21",
  friendlyName: "1.2.840.113549.1.9.20",
  msCspName: "1.3.6.1.4.1.311.17.1",
  keyUsage: "2.5.29.15",
  sha1: "1.3.14.3.2.26",
};
const LOCAL_KEY_ID = Buffer.from([1, 0, 0, 0]);

type Asn1 = forge.asn1.Asn1;
const bin = (b: Buffer): string => b.toString("binary");
const seq = (v: Asn1[]): Asn1 => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, v);
const set = (v: Asn1[]): Asn1 => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SET, true, v);
const oid = (o: string): Asn1 => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(o).getBytes());
const octets = (b: Buffer): Asn1 => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, bin(b));
const int = (n: number): Asn1 => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, asn1.integerToDer(n).getBytes());
const explicit0 = (v: Asn1): Asn1 => asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [v]);
/** forge writes a BMPString's JS string as UTF-16BE itself. */
const bmp = (s: string): Asn1 => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BMPSTRING, false, s);
const der = (v: Asn1): Buffer => Buffer.from(asn1.toDer(v).getBytes(), "binary");
const attr = (o: string, value: Asn1): Asn1 => seq([oid(o), set([value])]);

/** PKCS#12 key derivation (RFC 7292 B.2) with the NULL password, by node-forge. */
function kdf(salt: Buffer, id: 1 | 2 | 3, n: number): Buffer {
  return Buffer.from(
    forge.pkcs12.generateKey(null as unknown as string, forge.util.createBuffer(bin(salt)), id, ITERATIONS, n).getBytes(),
    "binary",
  );
}

function pbe3des(plain: Buffer): { algorithm: Asn1; encrypted: Buffer } {
  const salt = randomBytes(8);
  const c = createCipheriv("des-ede3-cbc", kdf(salt, 1, 24), kdf(salt, 2, 8));
  const encrypted = Buffer.concat([c.update(plain), c.final()]);
  return { algorithm: seq([oid(OID.pbeWithSHAAnd3KeyTripleDESCBC), seq([octets(salt), int(ITERATIONS)])]), encrypted };
}

/** PKCS#8 PrivateKeyInfo with the key-usage attribute Key Vault's export carries. */
function privateKeyInfo(privatePem: string, keyUsage: number): Buffer {
  const pk = asn1.fromDer(bin(createPrivateKey(privatePem).export({ format: "der", type: "pkcs8" }) as Buffer));
  const bits = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BITSTRING, false, bin(Buffer.from([0, keyUsage])));
  (pk.value as Asn1[]).push(asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [attr(OID.keyUsage, bits)]));
  return der(pk);
}

/** The backing-secret PFX of a certificate version: key first, then the certificates (leaf first), as Key Vault has it. */
export function keyVaultPfx(privatePem: string, certs: Buffer[]): Buffer {
  const isEc = createPrivateKey(privatePem).asymmetricKeyType === "ec";
  const shrouded = pbe3des(privateKeyInfo(privatePem, isEc ? 0x80 : 0x10));
  const keyBag = seq([
    oid(OID.pkcs8ShroudedKeyBag),
    explicit0(seq([shrouded.algorithm, octets(shrouded.encrypted)])),
    set([
      attr(OID.localKeyId, octets(LOCAL_KEY_ID)),
      attr(OID.friendlyName, bmp(`{${randomUUID().toUpperCase()}}`)),
      attr(OID.msCspName, bmp(isEc ? "Microsoft Software Key Storage Provider" : "Microsoft Enhanced Cryptographic Provider v1.0")),
    ]),
  ]);
  const certBags = certs.map((c, i) =>
    seq([
      oid(OID.certBag),
      explicit0(seq([oid(OID.x509Certificate), explicit0(octets(c))])),
      set(i === 0 ? [attr(OID.localKeyId, octets(LOCAL_KEY_ID))] : []),
    ]),
  );
  const certSafe = pbe3des(der(seq(certBags)));
  const encryptedData = seq([
    int(0),
    seq([oid(OID.data), certSafe.algorithm, asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, false, bin(certSafe.encrypted))]),
  ]);
  const authSafe = der(
    seq([seq([oid(OID.data), explicit0(octets(der(seq([keyBag]))))]), seq([oid(OID.encryptedData), explicit0(encryptedData)])]),
  );
  const macSalt = randomBytes(20);
  const mac = createHmac("sha1", kdf(macSalt, 3, 20))
    .update(authSafe)
    .digest();
  return der(
    seq([
      int(3),
      seq([oid(OID.data), explicit0(octets(authSafe))]),
      seq([seq([seq([oid(OID.sha1)]), octets(mac)]), octets(macSalt), int(ITERATIONS)]),
    ]),
  );
}
