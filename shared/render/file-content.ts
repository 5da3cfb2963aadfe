// The bytes the Azure Key Vault provider hands the CSI driver for one SPC object
// (provider.go getSecret / getKey / getCertificate / decodePKCS12 / getContentBytes).

import type { SpcObject, VaultObjectData } from "../types.js";
import { concatBytes, encodePem, goBase64StdDecode } from "./pem.js";
import { decodePfx, ecSpkiFromJwk, orderCertificateChain, Pkcs12Error, rsaSpkiFromJwk, type GoCurveName } from "./pkcs12.js";

/** An object cannot be rendered (the provider would fail the mount for the same input). */
export class RenderError extends Error {
  override readonly name = "RenderError";
  /** what was being rendered, e.g. `secret "tls-cert"` */
  readonly subject: string;
  /** why it failed */
  readonly reason: string;
  constructor(subject: string, reason: string, options?: ErrorOptions) {
    super(`cannot render ${subject}: ${reason}`, options);
    this.subject = subject;
    this.reason = reason;
  }
}

export interface RenderOptions {
  /**
   * The provider flag `--construct-pem-chain` (default true): order the PFX certificates
   * leaf → intermediate → root. When false the certificates keep the PFX bag order.
   */
  constructPemChain?: boolean;
}

const CERT_TYPE_PEM = "application/x-pem-file";
const CERT_TYPE_PFX = "application/x-pkcs12";

const equalFold = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

const utf8 = (s: string) => new Uint8Array(Buffer.from(s, "utf8"));

function describe(obj: SpcObject): string {
  const alias = obj.objectAlias ? `, file "${obj.objectAlias}"` : "";
  return `${String(obj.objectType)} "${obj.objectName}"${alias}`;
}

/** validateObjectFormat / validateObjectEncoding, as the provider applies them before fetching. */
function validate(obj: SpcObject, fail: (reason: string) => never): void {
  const type = String(obj.objectType ?? "").trim();
  const format = String(obj.objectFormat ?? "").trim();
  const encoding = String(obj.objectEncoding ?? "").trim();
  if (type !== "secret" && type !== "key" && type !== "cert") {
    fail(`invalid objectType "${type}" (should be secret, key, or cert)`);
  }
  if (format !== "") {
    if (!equalFold(format, "pem") && !equalFold(format, "pfx")) {
      fail(`invalid objectFormat "${format}" (should be PEM or PFX)`);
    }
    // The provider compares case-sensitively here.
    if (format === "pfx" && type !== "secret") fail("objectFormat pfx is only supported for objectType secret");
  }
  if (encoding !== "") {
    if (type !== "secret") fail("objectEncoding is only supported for objectType secret");
    if (!equalFold(encoding, "hex") && !equalFold(encoding, "base64") && !equalFold(encoding, "utf-8")) {
      fail(`invalid objectEncoding "${encoding}" (should be hex, base64 or utf-8)`);
    }
  }
}

/** Go's hex.DecodeString. */
function goHexDecode(s: string): Uint8Array | null {
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) return null;
  return new Uint8Array(Buffer.from(s, "hex"));
}

/** getContentBytes: objectEncoding applies to every secret (including certificate-backed ones), never to key/cert. */
function contentBytes(content: string, obj: SpcObject, fail: (reason: string) => never): Uint8Array {
  const type = String(obj.objectType).trim();
  const encoding = String(obj.objectEncoding ?? "").trim();
  if (type !== "secret" || encoding === "" || equalFold(encoding, "utf-8")) return utf8(content);
  if (equalFold(encoding, "base64")) {
    const out = goBase64StdDecode(Buffer.from(content, "utf8"));
    if (out === null) fail("objectEncoding is base64 but the value is not valid standard (padded) base64");
    return new Uint8Array(out);
  }
  if (equalFold(encoding, "hex")) {
    const out = goHexDecode(content);
    if (out === null) fail("objectEncoding is hex but the value is not valid hex (odd length or non-hex character)");
    return out;
  }
  return fail(`invalid objectEncoding "${encoding}" (should be utf-8, base64, or hex)`);
}

/** decodePKCS12: all keys as PKCS#8 `PRIVATE KEY` blocks, then the certificates (leaf → root by default). */
function pkcs12ToPemText(value: string, options: RenderOptions): string {
  const pfx = decodePfx(value);
  const keys = pfx.privateKeys.map((k) => encodePem("PRIVATE KEY", k));
  const certs = options.constructPemChain === false ? pfx.certificates : orderCertificateChain(pfx.certificates);
  return Buffer.from(concatBytes([...keys, ...certs.map((c) => encodePem("CERTIFICATE", c))])).toString("latin1");
}

/** The PEM text the provider produces for the key/cert/secret, before objectEncoding. */
function renderContent(obj: SpcObject, data: VaultObjectData, options: RenderOptions, fail: (r: string) => never): string {
  const type = String(obj.objectType).trim();
  switch (type) {
    case "secret": {
      if (data.kind !== "secret") return fail(`objectType secret needs Key Vault secret data, got ${data.kind}`);
      if (!data.kid) return data.value;
      switch (data.contentType) {
        case CERT_TYPE_PEM:
          return data.value;
        case CERT_TYPE_PFX:
          if (equalFold(String(obj.objectFormat ?? "").trim(), "pfx")) return data.value;
          return pkcs12ToPemText(data.value, options);
        default:
          return fail(
            `certificate-backed secret has unknown content type ${JSON.stringify(data.contentType ?? null)} ` +
              `(expected ${CERT_TYPE_PEM} or ${CERT_TYPE_PFX})`,
          );
      }
    }
    case "key": {
      if (data.kind !== "key") return fail(`objectType key needs Key Vault key data, got ${data.kind}`);
      const jwk = data.jwk;
      let spki: Uint8Array;
      switch (jwk.kty) {
        case "RSA":
        case "RSA-HSM":
          if (!jwk.n || !jwk.e) return fail(`RSA key is missing ${!jwk.n ? "n" : "e"}`);
          spki = rsaSpkiFromJwk(jwk.n, jwk.e);
          break;
        case "EC":
        case "EC-HSM": {
          const crv = jwk.crv ?? "";
          if (crv !== "P-256" && crv !== "P-384" && crv !== "P-521") {
            return fail(`curve ${JSON.stringify(crv)} is not supported (P-256, P-384 and P-521 are)`);
          }
          if (!jwk.x || !jwk.y) return fail(`EC key is missing ${!jwk.x ? "x" : "y"}`);
          spki = ecSpkiFromJwk(crv as GoCurveName, jwk.x, jwk.y);
          break;
        }
        default:
          return fail(`key type ${JSON.stringify(jwk.kty)} is not supported (RSA, RSA-HSM, EC and EC-HSM are)`);
      }
      return Buffer.from(encodePem("PUBLIC KEY", spki)).toString("latin1");
    }
    case "cert":
      if (data.kind !== "cert") return fail(`objectType cert needs Key Vault certificate data, got ${data.kind}`);
      return Buffer.from(encodePem("CERTIFICATE", data.cer)).toString("latin1");
    default:
      return fail(`invalid objectType "${type}" (should be secret, key, or cert)`);
  }
}

/**
 * The exact bytes of the file the provider writes for `obj` (the main file; the optional `.crt`/`.key`
 * split files of `--write-cert-and-key-in-separate-files` are not produced).
 * Throws RenderError where the provider would fail the mount.
 */
export function renderFileContent(obj: SpcObject, data: VaultObjectData, options: RenderOptions = {}): Uint8Array {
  const subject = describe(obj);
  const fail = (reason: string): never => {
    throw new RenderError(subject, reason);
  };
  validate(obj, fail);
  let content: string;
  try {
    content = renderContent(obj, data, options, fail);
  } catch (e) {
    if (e instanceof RenderError) throw e;
    if (e instanceof Pkcs12Error) {
      const what = data.kind === "key" ? "key" : "PKCS#12 value";
      throw new RenderError(subject, `invalid ${what}: ${e.message}`, {
        cause: e,
      });
    }
    throw e;
  }
  // PEM produced above is ASCII; secret values are UTF-8 text. Strings built from PEM bytes use latin1,
  // which equals UTF-8 for ASCII.
  return contentBytes(content, obj, fail);
}
