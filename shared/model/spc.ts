// SecretProviderClasses as the Azure provider reads them, and the provider's naming rules (pure).
import type { ObjectRef, VaultObjectType } from "./signal.js";

/** The provider's objectType of one SPC object. */
export type ProviderObjectType = "secret" | "key" | "cert";

/** One entry of an SPC's `parameters.objects` array. */
export interface SpcObject {
  objectName: string;
  objectAlias?: string;
  objectVersion?: string;
  objectVersionHistory?: number;
  objectType: ProviderObjectType;
  objectFormat?: string;
  objectEncoding?: string;
  filePermission?: string;
}

/** A `secretObjects` entry: the Secret the driver syncs from mounted files. */
export interface SecretObjectSpec {
  secretName: string;
  type: string;
  data: { objectName: string; key: string }[];
}

/** The parts of a SecretProviderClass that matter to us. */
export interface Spc {
  namespace: string;
  name: string;
  provider: string;
  /** Lower-cased `parameters.keyvaultName`. */
  keyvaultName: string;
  objects: SpcObject[];
  /** Set when `parameters.objects` cannot be read; the SPC is then reported, not acted on. */
  objectsError?: string;
  secretObjects: SecretObjectSpec[];
  resourceVersion?: string;
}

/** The mounted file name: alias if set, else the object name (provider GetFileName). */
export function fileName(o: SpcObject): string {
  return o.objectAlias || o.objectName;
}

/** Provider object types an event of this Key Vault type can feed (a certificate feeds secret, cert and key). */
export function providerTypesFor(t: VaultObjectType): ProviderObjectType[] {
  return t === "certificate" ? ["secret", "cert", "key"] : t === "key" ? ["key"] : ["secret"];
}

/** The Key Vault object family whose matching rules cover every provider type given (certificate covers all three). */
export function vaultTypeCovering(types: Iterable<ProviderObjectType>): VaultObjectType {
  const set = new Set(types);
  if (set.size === 1 && set.has("secret")) return "secret";
  if (set.size === 1 && set.has("key")) return "key";
  return "certificate";
}

/** The SPCPS object id the driver records: `<objectType>/<objectName>` (not the alias). */
export function spcpsId(o: SpcObject): string {
  return `${o.objectType}/${o.objectName}`;
}

export function isPinned(o: SpcObject): boolean {
  return !!o.objectVersion && o.objectVersion.toLowerCase() !== "latest";
}

/** Objects of this SPC the signal refers to (pinned ones included: the plan reports them as skipped). */
export function matchingObjects(spc: Spc, s: ObjectRef): SpcObject[] {
  if (spc.provider !== "azure" || spc.keyvaultName !== s.vault.toLowerCase()) return [];
  const types = providerTypesFor(s.objectType);
  return spc.objects.filter((o) => o.objectName === s.objectName && types.includes(o.objectType));
}

/** `namespace/name`: the key of every namespaced object in maps and sets. */
export const nsName = (namespace: string, name: string): string => `${namespace}/${name}`;
