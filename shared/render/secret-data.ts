// The value the CSI driver puts under one key of a synced Kubernetes Secret
// (secrets-store-csi-driver pkg/util/secretutil/secret.go: GetSecretData, GetCertPart, getCert, getPrivateKey).

import { RenderError } from "./file-content.js";
import { goTrimSpace } from "../lib/go-strings.js";
import {
  KeyError,
  marshalEcPrivateKey,
  marshalPkcs1PrivateKey,
  parseEcPrivateKey,
  parsePkcs1PrivateKey,
  parsePkcs8PrivateKey,
  tryParse,
} from "./keys.js";
import { concatBytes, decodeAllPem, encodePem, encodePemBlock, type PemBlock } from "./pem.js";
import { Pkcs12Error, pkcs12ToPem } from "./pkcs12.js";

export const TLS_SECRET_TYPE = "kubernetes.io/tls";
export const TLS_CERT_KEY = "tls.crt";
export const TLS_PRIVATE_KEY_KEY = "tls.key";

function pfxBlocks(data: Uint8Array, fail: (reason: string) => never): PemBlock[] {
  try {
    return pkcs12ToPem(data, "");
  } catch (e) {
    if (e instanceof Pkcs12Error)
      return fail(`the file has no usable PEM blocks and is not a PKCS#12 file with an empty password (${e.message})`);
    throw e;
  }
}

/** getCert: every CERTIFICATE block in file order, re-encoded (headers kept); PKCS#12 fallback when there is none. */
function getCert(file: Uint8Array, fail: (reason: string) => never): Uint8Array {
  const { blocks, rest } = decodeAllPem(file);
  const certs = blocks.filter((b) => b.type === "CERTIFICATE");
  if (certs.length > 0) return concatBytes(certs.map((b) => encodePemBlock(b)));
  // The driver parses what follows the last PEM block (the whole file when there is none).
  return concatBytes(
    pfxBlocks(rest, fail)
      .filter((b) => b.type === "CERTIFICATE")
      .map((b) => encodePemBlock(b)),
  );
}

/** getPrivateKey: the last non-CERTIFICATE block, re-encoded as PKCS#1 (RSA) or SEC1 (EC). */
function getPrivateKey(file: Uint8Array, fail: (reason: string) => never): Uint8Array {
  const { blocks, rest } = decodeAllPem(file);
  let der: Uint8Array | null = null;
  for (const b of blocks) if (b.type !== "CERTIFICATE") der = b.bytes;
  if (der === null) for (const b of pfxBlocks(rest, fail)) if (b.type === "PRIVATE KEY") der = b.bytes;
  // The driver tries each parser in turn and the last success wins; when none succeeds it writes an empty
  // `PRIVATE KEY` block rather than failing — reproduced here.
  let type = "PRIVATE KEY";
  let out: Uint8Array = new Uint8Array(0);
  const bytes = der ?? new Uint8Array(0);
  const rsa = tryParse(parsePkcs1PrivateKey, bytes);
  if (rsa) {
    type = "RSA PRIVATE KEY";
    out = marshalPkcs1PrivateKey(rsa);
  }
  const p8 = tryParse(parsePkcs8PrivateKey, bytes);
  if (p8) {
    if (p8.kind === "rsa") {
      type = "RSA PRIVATE KEY";
      out = marshalPkcs1PrivateKey(p8);
    } else if (p8.kind === "ecdsa") {
      type = "EC PRIVATE KEY";
      out = marshalOrFail(() => marshalEcPrivateKey(p8), fail);
    } else {
      fail(`unknown private key type (${p8.algorithm}) found while getting key; only RSA and ECDSA are supported`);
    }
  }
  const ec = tryParse(parseEcPrivateKey, bytes);
  if (ec) {
    out = marshalOrFail(() => marshalEcPrivateKey(ec), fail);
    type = "EC PRIVATE KEY";
  }
  return encodePem(type, out);
}

function marshalOrFail(f: () => Uint8Array, fail: (reason: string) => never): Uint8Array {
  try {
    return f();
  } catch (e) {
    if (e instanceof KeyError) return fail(e.message);
    throw e;
  }
}

/**
 * The bytes the driver stores under `key` of a synced Secret of type `secretType`, given the mounted file's
 * bytes. For `kubernetes.io/tls` only `tls.crt` (all certificates) and `tls.key` (the key, PKCS#1 or SEC1)
 * are allowed; any other type gets the raw file bytes.
 */
export function secretDataForKey(secretType: string, key: string, fileBytes: Uint8Array): Uint8Array {
  const dataKey = goTrimSpace(key);
  const fail = (reason: string): never => {
    throw new RenderError(`key "${dataKey}" of a ${secretType} Secret`, reason);
  };
  if (dataKey === "") fail("the key in secretObjects.data is empty");
  if (secretType !== TLS_SECRET_TYPE) return Uint8Array.from(fileBytes);
  if (dataKey === TLS_PRIVATE_KEY_KEY) return getPrivateKey(fileBytes, fail);
  if (dataKey === TLS_CERT_KEY) return getCert(fileBytes, fail);
  return fail(`key '${dataKey}' is not supported. Only '${TLS_PRIVATE_KEY_KEY}' and '${TLS_CERT_KEY}' are supported`);
}
