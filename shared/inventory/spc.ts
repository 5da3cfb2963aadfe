// Reading SecretProviderClasses the way the Azure provider does (pure).
import { parse as parseYaml } from "yaml";
import type { RotationSignal, SpcObject, VaultObjectType } from "../types.js";

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
  keyvaultName: string;
  objects: SpcObject[];
  /** Set when `parameters.objects` cannot be read; the SPC is then reported, not acted on. */
  objectsError?: string;
  secretObjects: SecretObjectSpec[];
  resourceVersion?: string;
}

interface RawSpc {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
  spec?: {
    provider?: string;
    parameters?: Record<string, string>;
    secretObjects?: { secretName?: string; type?: string; data?: { objectName?: string; key?: string }[] }[];
  };
}

const OBJECT_TYPES = new Set(["secret", "key", "cert"]);

/** `parameters.objects` is a YAML string with `array:` of YAML strings, each one object (provider GetObjectsArray). */
export function parseObjects(text: string | undefined): SpcObject[] {
  if (!text || !text.trim()) return [];
  const doc = parseYaml(text) as { array?: unknown } | null;
  const arr = doc?.array;
  if (!Array.isArray(arr)) throw new Error("parameters.objects has no `array:` list");
  return arr.map((item, i) => {
    const o = (typeof item === "string" ? parseYaml(item) : item) as Record<string, unknown> | null;
    if (!o || typeof o !== "object") throw new Error(`parameters.objects array[${i}] is not a mapping`);
    const str = (k: string) => (o[k] === undefined || o[k] === null ? undefined : String(o[k]).trim());
    const objectName = str("objectName");
    if (!objectName) throw new Error(`parameters.objects array[${i}] has no objectName`);
    const objectType = str("objectType") ?? "";
    if (!OBJECT_TYPES.has(objectType)) throw new Error(`object ${objectName}: objectType "${objectType}" is not secret, key or cert`);
    const hist = str("objectVersionHistory");
    const out: SpcObject = { objectName, objectType: objectType as SpcObject["objectType"] };
    const alias = str("objectAlias");
    if (alias) out.objectAlias = alias;
    const version = str("objectVersion");
    if (version) out.objectVersion = version;
    if (hist) {
      const n = Number(hist);
      if (!Number.isInteger(n) || n < 0) throw new Error(`object ${objectName}: objectVersionHistory "${hist}" is not a whole number`);
      out.objectVersionHistory = n;
    }
    const fmt = str("objectFormat");
    if (fmt) out.objectFormat = fmt.toLowerCase() as SpcObject["objectFormat"];
    const enc = str("objectEncoding");
    if (enc) out.objectEncoding = enc.toLowerCase() as SpcObject["objectEncoding"];
    const perm = str("filePermission");
    if (perm) out.filePermission = perm;
    return out;
  });
}

export function toSpc(raw: RawSpc): Spc {
  const params = raw.spec?.parameters ?? {};
  let objects: SpcObject[] = [];
  let objectsError: string | undefined;
  try {
    objects = parseObjects(params.objects);
  } catch (e) {
    objectsError = (e as Error).message;
  }
  const spc: Spc = {
    namespace: raw.metadata?.namespace ?? "",
    name: raw.metadata?.name ?? "",
    provider: (raw.spec?.provider ?? "").trim(),
    keyvaultName: (params.keyvaultName ?? "").trim().toLowerCase(),
    objects,
    secretObjects: (raw.spec?.secretObjects ?? []).map((s) => ({
      secretName: s.secretName ?? "",
      type: s.type ?? "",
      data: (s.data ?? []).map((d) => ({ objectName: d.objectName ?? "", key: d.key ?? "" })),
    })),
  };
  if (objectsError) spc.objectsError = objectsError;
  if (raw.metadata?.resourceVersion) spc.resourceVersion = raw.metadata.resourceVersion;
  return spc;
}

/** The mounted file name: alias if set, else the object name (provider GetFileName). */
export function fileName(o: SpcObject): string {
  return o.objectAlias || o.objectName;
}

/** Provider object types an event of this Key Vault type can feed (DESIGN: certificate → secret, cert, key). */
export function providerTypesFor(t: VaultObjectType): SpcObject["objectType"][] {
  return t === "certificate" ? ["secret", "cert", "key"] : t === "key" ? ["key"] : ["secret"];
}

/** The SPCPS object id the driver records: `<objectType>/<objectName>` (not the alias). */
export function spcpsId(o: SpcObject): string {
  return `${o.objectType}/${o.objectName}`;
}

export function isPinned(o: SpcObject): boolean {
  return !!o.objectVersion && o.objectVersion.toLowerCase() !== "latest";
}

/** Objects of this SPC that the signal refers to (pinned ones included: the plan reports them as skipped). */
export function matchingObjects(spc: Spc, s: Pick<RotationSignal, "vault" | "objectType" | "objectName">): SpcObject[] {
  if (spc.provider !== "azure" || spc.keyvaultName !== s.vault.toLowerCase()) return [];
  const types = providerTypesFor(s.objectType);
  return spc.objects.filter((o) => o.objectName === s.objectName && types.includes(o.objectType));
}

/** Every (vault, provider type, name) an SPC references, for the timer's drift scan. */
export function referencedObjects(spc: Spc): { vault: string; object: SpcObject }[] {
  if (spc.provider !== "azure" || !spc.keyvaultName) return [];
  return spc.objects.map((object) => ({ vault: spc.keyvaultName, object }));
}
