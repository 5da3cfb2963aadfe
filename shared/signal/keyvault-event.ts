// Parse one delivered Event Grid / CloudEvents 1.0 event from Azure Key Vault into a RotationSignal.
//
// Sources: MicrosoftDocs/azure-docs articles/event-grid/event-schema-key-vault.md (event types, both schemas, the
// data object and its published sample with quirks); @azure/eventgrid 5.12.0 models the data as camelCase
// `KeyVault*EventData` while Key Vault sends PascalCase (Azure/azure-sdk-for-net#22932, MicrosoftDocs/azure-docs#75868),
// so data keys are matched case-insensitively.
//
// Trust model: a delivery is acted on only when its topic/source is exactly (case-insensitively) the ARM resource id
// configured for an allow-listed vault, and every name inside `data` agrees with it. Everything echoed back in a
// reason is passed through sanitizeForLog (≤ 100 chars, no control characters).

import { lookupVault } from "../config/vaults.js";
import {
  isValidObjectName,
  isValidVaultName,
  OBJECT_NAME_RULE,
  parseVaultResourceId,
  VAULT_NAME_RULE,
  VAULT_RESOURCE_ID_SHAPE,
} from "../names/keyvault.js";
import { isPlainObject, quoteForLog, sanitizeForLog, typeName, UNSAFE_CHAR_RE } from "../names/untrusted.js";
import type { ExpiryNotice, RotationSignal, SignalSource, VaultConfig, VaultObjectType } from "../model/index.js";

export type ParsedEvent =
  | { kind: "signal"; signal: RotationSignal }
  /** NearExpiry / Expired: no new version, but the workloads that use the object are warned. */
  | { kind: "expiry"; notice: ExpiryNotice }
  /** A genuine Key Vault event with nothing to act on (access policy changed). */
  | {
      kind: "ignored";
      eventType: KeyVaultEventType;
      meaning: string;
      eventId: string;
    }
  /** Not acted on; `reason` says what was wrong and what was expected. `eventId` only when it was a valid id. */
  | { kind: "rejected"; reason: string; eventId?: string };

export interface EventContext {
  /** Allow-list: vault name (lower-case) → config. */
  vaults: ReadonlyMap<string, VaultConfig>;
  /** Receipt time; used as eventTime when the event carries no valid time. */
  receivedAt: Date;
}

/** Upper bound of every `reason` string (they are built from fixed text and sanitised snippets). */
export const MAX_REASON_LENGTH = 600;

export const NEW_VERSION_EVENT_TYPES = {
  "Microsoft.KeyVault.SecretNewVersionCreated": "secret",
  "Microsoft.KeyVault.CertificateNewVersionCreated": "certificate",
  "Microsoft.KeyVault.KeyNewVersionCreated": "key",
} as const satisfies Record<string, VaultObjectType>;

/** Key Vault's expiry events: nothing to push, but the workloads using the object get a Warning Event. */
export const EXPIRY_EVENT_TYPES = {
  "Microsoft.KeyVault.SecretNearExpiry": { objectType: "secret", expired: false },
  "Microsoft.KeyVault.SecretExpired": { objectType: "secret", expired: true },
  "Microsoft.KeyVault.CertificateNearExpiry": { objectType: "certificate", expired: false },
  "Microsoft.KeyVault.CertificateExpired": { objectType: "certificate", expired: true },
  "Microsoft.KeyVault.KeyNearExpiry": { objectType: "key", expired: false },
  "Microsoft.KeyVault.KeyExpired": { objectType: "key", expired: true },
} as const satisfies Record<string, { objectType: VaultObjectType; expired: boolean }>;

export const IGNORED_EVENT_TYPES = {
  "Microsoft.KeyVault.VaultAccessPolicyChanged":
    "vault access policy or permission model changed; nothing to push (check this app's identity can still read the vault)",
} as const;

export type NewVersionEventType = keyof typeof NEW_VERSION_EVENT_TYPES;
export type ExpiryEventType = keyof typeof EXPIRY_EVENT_TYPES;
export type IgnoredEventType = keyof typeof IGNORED_EVENT_TYPES;
export type KeyVaultEventType = NewVersionEventType | ExpiryEventType | IgnoredEventType;

export const SUBSCRIPTION_VALIDATION_EVENT_TYPE = "Microsoft.EventGrid.SubscriptionValidationEvent";

/** Key Vault data-plane DNS suffixes (public, China, US Gov, Germany). Anything else must equal the configured url's host. */
const VAULT_DNS_SUFFIXES = ["vault.azure.net", "vault.azure.cn", "vault.usgovcloudapi.net", "vault.microsoftazure.de"];

const COLLECTION: Record<VaultObjectType, string> = {
  secret: "secrets",
  certificate: "certificates",
  key: "keys",
};

const VERSION_RE = /^[0-9a-zA-Z]{1,64}$/;
const EVENT_ID_MAX = 256;
const RFC3339_RE = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

const EVENT_GRID_SHAPE = "Event Grid schema {id, topic, subject, eventType, eventTime, data, dataVersion, metadataVersion}";
const CLOUDEVENTS_SHAPE = 'CloudEvents 1.0 {specversion: "1.0", id, source, type, subject, time, data}';

type Obj = Record<string, unknown>;

function own(o: Obj, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined;
}

function reject(reason: string, eventId?: string): ParsedEvent {
  const r = reason.length > MAX_REASON_LENGTH ? `${reason.slice(0, MAX_REASON_LENGTH - 1)}…` : reason;
  return eventId === undefined ? { kind: "rejected", reason: r } : { kind: "rejected", reason: r, eventId };
}

function isSafeEventId(v: unknown): v is string {
  return typeof v === "string" && v.length > 0 && v.length <= EVENT_ID_MAX && v.trim() === v && !UNSAFE_CHAR_RE.test(v);
}

/** Parse an event time: RFC 3339 string (any fraction length) or a Date (as @azure/eventgrid's deserializer yields). */
export function parseEventTime(v: unknown): string | undefined {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : v.toISOString();
  if (typeof v !== "string" || v.length > 64) return undefined;
  const m = RFC3339_RE.exec(v);
  if (!m) return undefined;
  // Date.parse rolls impossible dates over (Feb 30 → Mar 2): check the calendar fields first.
  const [y, mo, day, h, mi, se] = m[1]!.split(/[-T:]/).map(Number) as [number, number, number, number, number, number];
  const daysInMonth = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  if (mo < 1 || mo > 12 || day < 1 || day > daysInMonth || h > 23 || mi > 59 || se > 59) return undefined;
  const frac = m[2] ? m[2].slice(0, 4).padEnd(4, "0") : "";
  const ms = Date.parse(`${m[1]}${frac}${m[3]!.toUpperCase()}`);
  if (Number.isNaN(ms)) return undefined;
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

function canonicalKeyVaultType(t: string): KeyVaultEventType | undefined {
  const lower = t.toLowerCase();
  for (const k of Object.keys(NEW_VERSION_EVENT_TYPES) as NewVersionEventType[]) if (k.toLowerCase() === lower) return k;
  for (const k of Object.keys(EXPIRY_EVENT_TYPES) as ExpiryEventType[]) if (k.toLowerCase() === lower) return k;
  for (const k of Object.keys(IGNORED_EVENT_TYPES) as IgnoredEventType[]) if (k.toLowerCase() === lower) return k;
  return undefined;
}

function isIgnoredType(t: KeyVaultEventType): t is IgnoredEventType {
  return Object.prototype.hasOwnProperty.call(IGNORED_EVENT_TYPES, t);
}

function isExpiryType(t: KeyVaultEventType): t is ExpiryEventType {
  return Object.prototype.hasOwnProperty.call(EXPIRY_EVENT_TYPES, t);
}

/** data.EXP: seconds since the epoch (number or numeric string) → ISO 8601; anything else → undefined. */
function expiryTime(v: unknown): string | undefined {
  const n = typeof v === "number" ? v : typeof v === "string" && /^\d{1,12}(\.\d+)?$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isFinite(n) || n <= 0) return undefined;
  const d = new Date(n * 1000);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** Canonical data keys, matched after trimming and lower-casing (PascalCase, camelCase and `"ObjectName "` alike). */
const DATA_KEYS = {
  id: "Id",
  vaultname: "VaultName",
  objecttype: "ObjectType",
  objectname: "ObjectName",
  version: "Version",
  nbf: "NBF",
  exp: "EXP",
} as const;
type DataKey = keyof typeof DATA_KEYS;

function normaliseData(data: Obj): { ok: true; fields: Map<DataKey, unknown> } | { ok: false; reason: string } {
  const fields = new Map<DataKey, unknown>();
  for (const rawKey of Object.keys(data)) {
    const k = rawKey.trim().toLowerCase();
    if (!Object.prototype.hasOwnProperty.call(DATA_KEYS, k)) continue; // unknown fields are ignored, per Microsoft's guidance
    const key = k as DataKey;
    const value = data[rawKey];
    if (fields.has(key) && fields.get(key) !== value) {
      return {
        ok: false,
        reason: `data has conflicting values for ${DATA_KEYS[key]} under differently spelled keys (e.g. ${quoteForLog(rawKey, 40)}); expected one value per field`,
      };
    }
    fields.set(key, value);
  }
  return { ok: true, fields };
}

interface Envelope {
  source: SignalSource;
  eventId: string;
  eventType: string;
  topic: unknown;
  topicField: "topic" | "source";
  subject: unknown;
  time: unknown;
  data: unknown;
  hasData: boolean;
}

function readEnvelope(raw: Obj): { ok: true; env: Envelope } | { ok: false; result: ParsedEvent } {
  const isCloudEvent = Object.prototype.hasOwnProperty.call(raw, "specversion");
  const isEventGrid = !isCloudEvent && Object.prototype.hasOwnProperty.call(raw, "eventType");
  if (!isCloudEvent && !isEventGrid) {
    const keys = Object.keys(raw).slice(0, 8).join(",");
    return {
      ok: false,
      result: reject(`unknown event schema: expected ${EVENT_GRID_SHAPE} or ${CLOUDEVENTS_SHAPE}; got keys ${quoteForLog(keys)}`),
    };
  }

  const rawId = own(raw, "id");
  if (!isSafeEventId(rawId)) {
    const what = rawId === undefined ? "is missing" : `is ${typeof rawId === "string" ? quoteForLog(rawId) : typeName(rawId)}`;
    return {
      ok: false,
      result: reject(`event id ${what}; expected a string of 1-${EVENT_ID_MAX} printable characters (Event Grid sends a GUID)`),
    };
  }
  const eventId = rawId;

  if (isCloudEvent) {
    const spec = own(raw, "specversion");
    if (spec !== "1.0") {
      return {
        ok: false,
        result: reject(`specversion is ${quoteForLog(spec)}; expected "1.0" (CloudEvents 1.0)`, eventId),
      };
    }
    const type = own(raw, "type");
    if (typeof type !== "string" || type.length === 0) {
      return {
        ok: false,
        result: reject(`CloudEvent type is ${typeName(type)}; expected a non-empty string`, eventId),
      };
    }
    const hasData = Object.prototype.hasOwnProperty.call(raw, "data");
    if (!hasData && Object.prototype.hasOwnProperty.call(raw, "data_base64")) {
      return {
        ok: false,
        result: reject("CloudEvent carries data_base64; expected Key Vault's JSON object in data", eventId),
      };
    }
    return {
      ok: true,
      env: {
        source: "cloudevents",
        eventId,
        eventType: type,
        topic: own(raw, "source"),
        topicField: "source",
        subject: own(raw, "subject"),
        time: own(raw, "time"),
        data: own(raw, "data"),
        hasData,
      },
    };
  }

  const type = own(raw, "eventType");
  if (typeof type !== "string" || type.length === 0) {
    return {
      ok: false,
      result: reject(`eventType is ${typeName(type)}; expected a non-empty string`, eventId),
    };
  }
  for (const f of ["dataVersion", "metadataVersion"] as const) {
    const v = own(raw, f);
    if (v !== undefined && typeof v !== "string") {
      return {
        ok: false,
        result: reject(`${f} is ${typeName(v)}; expected a string (Event Grid schema)`, eventId),
      };
    }
  }
  return {
    ok: true,
    env: {
      source: "eventgrid",
      eventId,
      eventType: type,
      topic: own(raw, "topic"),
      topicField: "topic",
      subject: own(raw, "subject"),
      time: own(raw, "eventTime"),
      data: own(raw, "data"),
      hasData: Object.prototype.hasOwnProperty.call(raw, "data"),
    },
  };
}

/** Check `Id` (`https://<vault>.vault.azure.net/<secrets|certificates|keys>/<name>[/<version>]`); returns its version. */
function checkIdUrl(
  id: unknown,
  vault: VaultConfig,
  objectType: VaultObjectType,
  objectName: string,
  eventId: string,
): { ok: true; version?: string } | { ok: false; result: ParsedEvent } {
  const expected = `https://${vault.name}.vault.azure.net/${COLLECTION[objectType]}/${objectName}/<version>`;
  const bad = (what: string): { ok: false; result: ParsedEvent } => ({
    ok: false,
    result: reject(`data.Id ${quoteForLog(id)} ${what}; expected ${sanitizeForLog(expected, 200)}`, eventId),
  });
  if (typeof id !== "string") return bad(`is ${typeName(id)}, not a URL string`);
  if (id.length > 2048) return bad("is too long");
  let url: URL;
  try {
    url = new URL(id);
  } catch {
    return bad("is not a URL");
  }
  let configured: URL | undefined;
  try {
    configured = new URL(vault.url);
  } catch {
    configured = undefined;
  }
  const sameAsConfigured = configured !== undefined && url.host.toLowerCase() === configured.host.toLowerCase();
  const wantProtocol = sameAsConfigured && configured ? configured.protocol : "https:";
  if (url.protocol !== wantProtocol) return bad(`uses ${sanitizeForLog(url.protocol, 20)}`);
  if (url.username || url.password || url.search || url.hash) return bad("has credentials, a query or a fragment");
  const host = url.hostname.toLowerCase();
  const dot = host.indexOf(".");
  const firstLabel = dot < 0 ? host : host.slice(0, dot);
  const suffix = dot < 0 ? "" : host.slice(dot + 1);
  if (!sameAsConfigured && !(firstLabel === vault.name.toLowerCase() && VAULT_DNS_SUFFIXES.includes(suffix) && !url.port)) {
    return bad(`names host ${quoteForLog(url.host, 80)}, not vault ${vault.name}`);
  }
  const m = /^\/([^/]+)\/([^/]+)(?:\/([^/]*))?\/?$/.exec(url.pathname);
  if (!m) return bad("has an unexpected path");
  if (m[1]!.toLowerCase() !== COLLECTION[objectType]) {
    return bad(`names collection ${quoteForLog(m[1], 20)}, not ${COLLECTION[objectType]} (from the event type)`);
  }
  if (m[2]!.toLowerCase() !== objectName.toLowerCase()) return bad(`names object ${quoteForLog(m[2], 127)}, not ObjectName`);
  const v = m[3];
  if (v !== undefined && v !== "" && !VERSION_RE.test(v)) return bad("has an invalid version segment");
  return v ? { ok: true, version: v } : { ok: true };
}

/**
 * Parse one delivered event (already JSON-decoded) into a rotation signal, an ignored Key Vault event, or a rejection.
 * Never throws.
 */
export function parseKeyVaultEvent(raw: unknown, ctx: EventContext): ParsedEvent {
  try {
    return parseUnsafe(raw, ctx);
  } catch (err) {
    // Defensive: nothing above should throw on JSON input; never let a hostile payload crash the handler.
    return reject(`event could not be parsed (${sanitizeForLog(err instanceof Error ? err.message : typeof err)})`);
  }
}

function parseUnsafe(raw: unknown, ctx: EventContext): ParsedEvent {
  if (!isPlainObject(raw)) {
    return reject(`event is ${sanitizeForLog(raw, 40)}, not a JSON object; expected ${EVENT_GRID_SHAPE} or ${CLOUDEVENTS_SHAPE}`);
  }
  const read = readEnvelope(raw);
  if (!read.ok) return read.result;
  const env = read.env;
  const { eventId } = env;

  // ---- event type ----
  if (env.eventType.toLowerCase() === SUBSCRIPTION_VALIDATION_EVENT_TYPE.toLowerCase()) {
    return reject(
      `${SUBSCRIPTION_VALIDATION_EVENT_TYPE} is the subscription handshake: the Functions host's Event Grid extension answers it ` +
        "(validationResponse) before any function runs; a function should never receive it",
      eventId,
    );
  }
  const kvType = canonicalKeyVaultType(env.eventType);
  if (kvType === undefined) {
    const isKv = env.eventType.toLowerCase().startsWith("microsoft.keyvault.");
    return reject(
      `${isKv ? "unsupported Key Vault" : "not a Key Vault"} event type ${quoteForLog(env.eventType)}; expected ` +
        `Microsoft.KeyVault.{Secret,Certificate,Key}{NewVersionCreated,NearExpiry,Expired} (or VaultAccessPolicyChanged, which is ignored)`,
      eventId,
    );
  }

  // ---- topic / source → allow-listed vault ----
  const field = env.topicField;
  if (typeof env.topic !== "string" || env.topic.length === 0) {
    return reject(`${field} is ${typeName(env.topic)}; expected the vault's resource id ${VAULT_RESOURCE_ID_SHAPE}`, eventId);
  }
  const topic = env.topic;
  const tm = parseVaultResourceId(topic);
  if (!tm) {
    return reject(`${field} ${quoteForLog(topic)} is not a Key Vault resource id; expected ${VAULT_RESOURCE_ID_SHAPE}`, eventId);
  }
  const topicVault = tm.vault;
  if (!isValidVaultName(topicVault)) {
    return reject(`${field} names vault ${quoteForLog(topicVault)}, which is not a valid vault name (${VAULT_NAME_RULE})`, eventId);
  }
  const vault = lookupVault(ctx.vaults, topicVault);
  if (!vault) {
    return reject(
      `vault ${quoteForLog(topicVault.toLowerCase())} (from ${field}) is not in the vault allow-list; add it with its resource id to act on its events`,
      eventId,
    );
  }
  if (topic.toLowerCase() !== vault.resourceId.toLowerCase()) {
    return reject(
      `${field} ${quoteForLog(topic)} is not the configured resource id of vault ${vault.name.toLowerCase()}; expected ${quoteForLog(vault.resourceId, 200)}`,
      eventId,
    );
  }
  const vaultName = vault.name.toLowerCase();

  if (isIgnoredType(kvType)) {
    return {
      kind: "ignored",
      eventType: kvType,
      meaning: IGNORED_EVENT_TYPES[kvType],
      eventId,
    };
  }
  // Expiry events carry the same data as new-version ones and are checked the same way.
  const objectType: VaultObjectType = isExpiryType(kvType) ? EXPIRY_EVENT_TYPES[kvType].objectType : NEW_VERSION_EVENT_TYPES[kvType];

  // ---- data ----
  if (!env.hasData || !isPlainObject(env.data)) {
    return reject(
      `data is ${env.hasData ? typeName(env.data) : "missing"}; expected an object {Id, VaultName, ObjectType, ObjectName, Version, NBF, EXP}`,
      eventId,
    );
  }
  const norm = normaliseData(env.data);
  if (!norm.ok) return reject(norm.reason, eventId);
  const f = norm.fields;

  const dataVault = f.get("vaultname");
  if (typeof dataVault !== "string") {
    return reject(`data.VaultName is ${dataVault === undefined ? "missing" : typeName(dataVault)}; expected "${vaultName}"`, eventId);
  }
  if (!isValidVaultName(dataVault)) {
    return reject(`data.VaultName ${quoteForLog(dataVault)} is not a valid vault name (${VAULT_NAME_RULE})`, eventId);
  }
  if (dataVault.toLowerCase() !== vaultName) {
    return reject(`data.VaultName ${quoteForLog(dataVault)} disagrees with the ${field}'s vault; expected "${vaultName}"`, eventId);
  }

  const objectName = f.get("objectname");
  if (typeof objectName !== "string") {
    return reject(
      `data.ObjectName is ${objectName === undefined ? "missing" : typeName(objectName)}; expected the ${objectType} name (${OBJECT_NAME_RULE})`,
      eventId,
    );
  }
  if (!isValidObjectName(objectName)) {
    return reject(`data.ObjectName ${quoteForLog(objectName)} is not a valid Key Vault object name; expected ${OBJECT_NAME_RULE}`, eventId);
  }
  if (env.subject !== undefined && env.subject !== null) {
    if (typeof env.subject !== "string" || env.subject.toLowerCase() !== objectName.toLowerCase()) {
      return reject(
        `subject ${quoteForLog(env.subject)} disagrees with data.ObjectName "${objectName}"; Key Vault sets subject to the object name`,
        eventId,
      );
    }
  }

  const dataType = f.get("objecttype");
  if (dataType !== undefined && dataType !== null) {
    if (typeof dataType !== "string" || dataType.trim().toLowerCase() !== objectType) {
      return reject(
        `data.ObjectType ${quoteForLog(dataType, 40)} disagrees with event type ${kvType}; expected "${objectType[0]!.toUpperCase()}${objectType.slice(1)}"`,
        eventId,
      );
    }
  }

  let version: string | undefined;
  const rawVersion = f.get("version");
  if (rawVersion !== undefined && rawVersion !== null) {
    if (typeof rawVersion !== "string") {
      return reject(`data.Version is ${typeName(rawVersion)}; expected a string (32 hex characters)`, eventId);
    }
    const trimmed = rawVersion.trim();
    if (trimmed !== "") {
      if (!VERSION_RE.test(trimmed)) {
        return reject(
          `data.Version ${quoteForLog(rawVersion)} is invalid; expected 1-64 letters/digits (Key Vault: 32 hex characters)`,
          eventId,
        );
      }
      version = trimmed;
    }
  }

  for (const k of ["nbf", "exp"] as const) {
    const v = f.get(k);
    if (v !== undefined && v !== null && typeof v !== "number" && typeof v !== "string") {
      return reject(`data.${DATA_KEYS[k]} is ${typeName(v)}; expected seconds since the epoch as a number, string or null`, eventId);
    }
  }

  const id = f.get("id");
  if (id !== undefined && id !== null) {
    const checked = checkIdUrl(id, vault, objectType, objectName, eventId);
    if (!checked.ok) return checked.result;
    if (checked.version !== undefined) {
      if (version === undefined) version = checked.version;
      else if (version.toLowerCase() !== checked.version.toLowerCase()) {
        return reject(
          `data.Id names version ${quoteForLog(checked.version, 64)} but data.Version is "${version}"; expected the same version`,
          eventId,
        );
      }
    }
  }

  const eventTime = parseEventTime(env.time) ?? safeIso(ctx.receivedAt);
  if (isExpiryType(kvType)) {
    const expiresOn = expiryTime(f.get("exp"));
    const notice: ExpiryNotice = {
      vault: vaultName,
      objectType,
      objectName,
      expired: EXPIRY_EVENT_TYPES[kvType].expired,
      eventType: kvType,
      eventTime,
      source: env.source,
      eventId,
      ...(version !== undefined ? { version } : {}),
      ...(expiresOn ? { expiresOn } : {}),
    };
    return { kind: "expiry", notice };
  }
  const signal: RotationSignal = {
    vault: vaultName,
    objectType,
    objectName,
    eventTime,
    source: env.source,
    eventId,
  };
  if (version !== undefined) signal.version = version;
  return { kind: "signal", signal };
}

function safeIso(d: Date): string {
  return Number.isNaN(d.getTime()) ? new Date().toISOString() : d.toISOString();
}
