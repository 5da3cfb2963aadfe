// Rendering Key Vault objects into the exact bytes the Azure provider (file contents) and the
// Secrets Store CSI driver (synced Secret data) produce. Checked against the pinned upstream code by
// test/oracle (docs/fidelity.md).

export { objectFileName, renderFileContent, RenderError, type RenderInput, type RenderOptions } from "./file-content.js";
export { secretDataForKey, TLS_SECRET_TYPE, TLS_CERT_KEY, TLS_PRIVATE_KEY_KEY } from "./secret-data.js";
export { renderHistoryFiles, selectHistoryVersions, type HistoryFile, type HistoryVersion, type VersionListingEntry } from "./history.js";
export { concatBytes, decodeAllPem, decodePem, encodePem, encodePemBlock, type PemBlock } from "./pem.js";
export { goEqualFold, goTrimSpace } from "../lib/go-strings.js";
export { certificateKeyIds, orderCertificateChain, ChainError, type CertificateKeyIds } from "./chain.js";
export { decodePfx, decodePkcs12Bags, Pkcs12Error, pkcs12ToPem, type DecodedPfx, type Pkcs12Bag } from "./pkcs12.js";
export { ecSpkiFromJwk, KeyError, rsaSpkiFromJwk, type GoCurveName } from "./keys.js";
