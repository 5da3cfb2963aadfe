/**
 * The Key Vault data-plane API versions the emulator accepts: exactly the ones the REST specification documents
 * (Azure/azure-rest-api-specs, `specification/keyvault/data-plane/`):
 *  - the Swagger era, `Microsoft.KeyVault/{stable,preview}/<dir>/*.json`, `info.version` of each (readme.md tags
 *    package-2015-06 … package-7.2, package-preview-7.3-preview, package-preview-7.4-preview.1; later folders
 *    7.3, 7.4, 7.5-preview.1, 7.5, 7.6-preview.1, 7.6-preview.2, 7.6);
 *  - the TypeSpec era, `enum Versions` in `Secrets/main.tsp`, `Keys/main.tsp`, `Certificates/main.tsp` (7.5 …
 *    2026-07-01-preview; the Secrets spec's latest GA is 2026-04-01, which @azure/keyvault-secrets 4.12 uses by
 *    default; @azure/keyvault-keys 4.10 and -certificates 4.10 default to 2025-07-01).
 * Any other value gets Key Vault's own answer (Azure/azure-sdk-for-net#14789, a live run):
 *   400 {"error":{"code":"BadParameter","message":"The specified version (7.1) is not recognized. Consider using
 *   the latest supported version (2016-10-01)."}}
 */
import { KvError } from "./model.js";

export const DOCUMENTED_API_VERSIONS: readonly string[] = [
  "2015-06-01",
  "2016-10-01",
  "7.0-preview",
  "7.0",
  "7.1-preview",
  "7.1",
  "7.2-preview",
  "7.2",
  "7.3-preview",
  "7.3",
  "7.4-preview.1",
  "7.4",
  "7.5-preview.1",
  "7.5",
  "7.6-preview.1",
  "7.6-preview.2",
  "7.6",
  "2025-06-01-preview",
  "2025-07-01",
  "2026-01-01-preview",
  "2026-03-01-preview",
  "2026-04-01",
  "2026-05-01-preview",
  "2026-07-01-preview",
];

/** The newest GA version, named in the "not recognized" answer as the service does. */
export const LATEST_GA_API_VERSION = "2026-04-01";

export function apiVersionError(v: string | null): KvError | undefined {
  if (v === null || v === "") {
    return new KvError(400, "BadParameter", "The request URI contains an invalid or missing api-version query parameter.");
  }
  if (DOCUMENTED_API_VERSIONS.includes(v)) return undefined;
  return new KvError(
    400,
    "BadParameter",
    `The specified version (${v}) is not recognized. Consider using the latest supported version (${LATEST_GA_API_VERSION}).`,
  );
}
