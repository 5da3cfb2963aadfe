// The bytes the Azure Key Vault provider hands the CSI driver for one SPC object
// (provider.go formatKeyVaultObject / validate / getSecret / getKey / getCertificate / decodePKCS12 /
// getContentBytes). Everything the provider would fail the mount for is a RenderError here.

import type { SpcObject, VaultObjectData } from "../model/index.js";
import { ChainError, orderCertificateChain } from "./chain.js";
import { goEqualFold, goTrimSpace } from "../lib/go-strings.js";
import { ecSpkiFromJwk, KeyError, rsaSpkiFromJwk, type GoCurveName } from "./keys.js";
import { concatBytes, encodePem, goBase64StdDecode } from "./pem.js";
import { decodePfx, Pkcs12Error } from "./pkcs12.js";

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

/**
 * Key Vault data as the renderer takes it. The reader may leave out what Key Vault left out: a secret without
 * `value`, or any object without an id (`version` undefined); the provider fails the mount for both.
 */
export type RenderInput =
  VaultObjectData | (Omit<VaultObjectData & { kind: "secret" }, "value" | "version"> & { value?: string; version?: string });

const CERT_TYPE_PEM = "application/x-pem-file";
const CERT_TYPE_PFX = "application/x-pkcs12";

/** formatKeyVaultObject: every string field through Go's strings.TrimSpace. */
function fields(obj: SpcObject) {
  const s = (v: unknown) => goTrimSpace(v === undefined || v === null ? "" : String(v));
  return {
    name: s(obj.objectName),
    alias: s(obj.objectAlias),
    type: s(obj.objectType),
    format: s(obj.objectFormat),
    encoding: s(obj.objectEncoding),
  };
}

function describe(obj: SpcObject): string {
  const f = fields(obj);
  return `${f.type || "object"} "${f.name}"${f.alias ? `, file "${f.alias}"` : ""}`;
}

/**
 * The file the provider writes for `obj` (objectAlias, else objectName, after trimming), checked like its
 * validateFileName: not empty, not absolute, no `..` anywhere. Throws RenderError otherwise (the mount fails,
 * so the driver never syncs anything from it).
 */
export function objectFileName(obj: SpcObject): string {
  const f = fields(obj);
  const name = f.alias !== "" ? f.alias : f.name;
  const fail = (reason: string): never => {
    throw new RenderError(describe(obj), `${reason}; use a relative file name without '..' in objectAlias`);
  };
  if (name === "") fail("the file name is empty");
  if (name.startsWith("/")) fail(`the file name ${JSON.stringify(name)} is an absolute path`);
  if (name.includes("..")) fail(`the file name ${JSON.stringify(name)} contains '..'`);
  return name;
}

/** validateObjectFormat / validateObjectEncoding / validateFileName, as the provider applies them before fetching. */
function validate(obj: SpcObject, fail: (reason: string) => never): void {
  const { format, encoding, type } = fields(obj);
  if (format !== "") {
    if (!goEqualFold(format, "pem") && !goEqualFold(format, "pfx")) fail(`invalid objectFormat "${format}" (should be PEM or PFX)`);
    // The provider compares case-sensitively here.
    if (format === "pfx" && type !== "secret") fail("objectFormat pfx is only supported for objectType secret");
  }
  if (encoding !== "") {
    if (type !== "secret") fail("objectEncoding is only supported for objectType secret");
    if (!goEqualFold(encoding, "hex") && !goEqualFold(encoding, "base64") && !goEqualFold(encoding, "utf-8")) {
      fail(`invalid objectEncoding "${encoding}" (should be hex, base64 or utf-8)`);
    }
  }
  objectFileName(obj);
  if (type !== "secret" && type !== "key" && type !== "cert") fail(`invalid objectType "${type}" (should be secret, key, or cert)`);
}

/** Go's hex.DecodeString. */
function goHexDecode(s: string): Uint8Array | null {
  if (!/^([0-9a-fA-F]{2})*$/.test(s)) return null;
  return new Uint8Array(Buffer.from(s, "hex"));
}

/** getContentBytes: objectEncoding applies to secrets (certificate-backed ones too), never to key/cert. */
function contentBytes(content: string, obj: SpcObject, fail: (reason: string) => never): Uint8Array {
  const { type, encoding } = fields(obj);
  const utf8 = () => new Uint8Array(Buffer.from(content, "utf8"));
  if (!goEqualFold(type, "secret") || encoding === "" || goEqualFold(encoding, "utf-8")) return utf8();
  if (goEqualFold(encoding, "base64")) {
    const out = goBase64StdDecode(Buffer.from(content, "utf8"));
    if (out === null) return fail("objectEncoding is base64 but the value is not valid standard (padded) base64");
    return new Uint8Array(out);
  }
  if (goEqualFold(encoding, "hex")) {
    const out = goHexDecode(content);
    if (out === null) return fail("objectEncoding is hex but the value is not valid hex (odd length or non-hex character)");
    return out;
  }
  return fail(`invalid objectEncoding "${encoding}" (should be utf-8, base64, or hex)`);
}

/** decodePKCS12: all keys as PKCS#8 `PRIVATE KEY` blocks, then the certificates (leaf → root when complete). */
function pkcs12ToPemText(value: string, options: RenderOptions): string {
  const pfx = decodePfx(value);
  const keys = pfx.privateKeys.map((k) => encodePem("PRIVATE KEY", k));
  const certs = options.constructPemChain === false ? pfx.certificates : orderCertificateChain(pfx.certificates);
  return Buffer.from(concatBytes([...keys, ...certs.map((c) => encodePem("CERTIFICATE", c))])).toString("latin1");
}

/** The text the provider produces for the key/cert/secret, before objectEncoding. */
function renderContent(obj: SpcObject, data: RenderInput, options: RenderOptions, fail: (r: string) => never): string {
  const { type, format } = fields(obj);
  if (data.version === undefined) fail(`Key Vault returned the ${type} without an id`);
  switch (type) {
    case "secret": {
      if (data.kind !== "secret") return fail(`objectType secret needs Key Vault secret data, got ${data.kind}`);
      if (data.value === undefined) return fail("Key Vault returned the secret without a value");
      if (!data.kid) return data.value;
      switch (data.contentType) {
        case CERT_TYPE_PEM:
          return data.value;
        case CERT_TYPE_PFX:
          if (goEqualFold(format, "pfx")) return data.value;
          return pkcs12ToPemText(data.value, options);
        default:
          return fail(
            `certificate-backed secret has unknown content type ${JSON.stringify(data.contentType ?? null)} (expected ${CERT_TYPE_PEM} or ${CERT_TYPE_PFX})`,
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
          // Absent n or e are zero to the provider, which writes that key.
          spki = rsaSpkiFromJwk(jwk.n, jwk.e);
          break;
        case "EC":
        case "EC-HSM": {
          const crv = jwk.crv ?? "";
          if (crv !== "P-256" && crv !== "P-384" && crv !== "P-521")
            return fail(`curve ${JSON.stringify(crv)} is not supported (P-256, P-384 and P-521 are)`);
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
export function renderFileContent(obj: SpcObject, data: RenderInput, options: RenderOptions = {}): Uint8Array {
  const subject = describe(obj);
  const fail = (reason: string): never => {
    throw new RenderError(subject, reason);
  };
  validate(obj, fail);
  let content: string;
  try {
    content = renderContent(obj, data, options, fail);
  } catch (e) {
    if (e instanceof Pkcs12Error || e instanceof KeyError || e instanceof ChainError) {
      const what = data.kind === "key" ? "key" : "PKCS#12 value";
      throw new RenderError(subject, `invalid ${what}: ${e.message}`, { cause: e });
    }
    throw e;
  }
  return contentBytes(content, obj, fail);
}
