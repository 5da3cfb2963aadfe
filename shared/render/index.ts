// Rendering Key Vault objects into the exact bytes the Azure provider (file contents) and the
// Secrets Store CSI driver (synced Secret data) produce.

export { renderFileContent, RenderError, type RenderOptions } from "./file-content.js";
export { secretDataForKey, TLS_SECRET_TYPE, TLS_CERT_KEY, TLS_PRIVATE_KEY_KEY } from "./secret-data.js";
export { concatBytes, decodeAllPem, decodePem, encodePem, encodePemBlock, type PemBlock } from "./pem.js";
export {
  certificateKeyIds,
  decodePfx,
  decodePkcs12Bags,
  ecSpkiFromJwk,
  orderCertificateChain,
  Pkcs12Error,
  pkcs12ToPem,
  rsaSpkiFromJwk,
  type CertificateKeyIds,
  type DecodedPfx,
  type GoCurveName,
  type Pkcs12Bag,
} from "./pkcs12.js";
export { goEqualFold, goTrimSpace } from "./go-strings.js";
import type { SpcObject } from "../types.js";
export const objectFileName = (o: SpcObject) => o.objectAlias || o.objectName;
export interface VersionListingEntry { version: string; attributes?: { enabled?: boolean; created?: Date } }
export function selectHistoryVersions(_o: SpcObject, _l: VersionListingEntry[]): { fileName: string; version: string }[] {
  throw new Error("not implemented");
}
