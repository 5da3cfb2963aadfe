// Validation of the forced-rotation request: `POST /api/rotate` body, `GET /api/plan?…` query, and the CLI.
//
// Status codes: 413 body larger than MAX_REQUEST_BYTES (only checkable when the raw body is passed as a string or
// bytes); 400 anything malformed (messages name the field and the expected type/form); 403 a well-formed vault
// name that is not in the allow-list. All 400 checks run before the 403 check.

import type { VaultConfig, VaultObjectType } from "../types.js";
import {
  lookupVault,
  DNS1123_LABEL_RULE,
  OBJECT_NAME_RULE,
  VAULT_NAME_RULE,
  isDns1123Label,
  isValidObjectName,
  isValidVaultName,
  quoteForLog,
  sanitizeForLog,
} from "./names.js";

/** Largest accepted request body; the HTTP adapter answers 413 above it. */
export const MAX_REQUEST_BYTES = 64 * 1024;
/** Most namespaces one request may name. */
export const MAX_NAMESPACES = 500;

export interface RotateRequest {
  /** lower-cased, allow-listed vault name */
  vault: string;
  objectName: string;
  objectType: VaultObjectType;
  /** undefined = every configured cluster; otherwise known cluster names, deduplicated, in request order */
  clusters?: string[];
  /** undefined = every namespace the policy allows; otherwise DNS-1123 labels, deduplicated, in request order */
  namespaces?: string[];
  dryRun: boolean;
}

export interface RotateContext {
  vaults: ReadonlyMap<string, VaultConfig>;
  clusterNames: readonly string[];
}

export type RotateRequestError = {
  ok: false;
  status: 400 | 403 | 413;
  field?: string;
  message: string;
};
export type RotateRequestResult = { ok: true; value: RotateRequest } | RotateRequestError;

const OBJECT_TYPES: readonly VaultObjectType[] = ["secret", "certificate", "key"];
const BODY_FIELDS = ["vault", "objectName", "objectType", "clusters", "namespaces", "dryRun"] as const;
type BodyField = (typeof BODY_FIELDS)[number];

/** Upper bound of every error `message`. */
export const MAX_MESSAGE_LENGTH = 1000;

function fail(status: 400 | 403 | 413, message: string, field?: string): RotateRequestError {
  const m = message.length > MAX_MESSAGE_LENGTH ? `${message.slice(0, MAX_MESSAGE_LENGTH - 1)}…` : message;
  return field === undefined ? { ok: false, status, message: m } : { ok: false, status, field, message: m };
}

function describeType(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function listForLog(items: readonly string[], maxItems = 8, each = 40): string {
  const shown = items.slice(0, maxItems).map((s) => quoteForLog(s, each));
  return items.length > maxItems ? `${shown.join(", ")} and ${items.length - maxItems} more` : shown.join(", ");
}

/** How fields are named in messages (the query uses `namespace`/`cluster`). */
type Labels = Record<BodyField, string>;
const BODY_LABELS: Labels = {
  vault: "vault",
  objectName: "objectName",
  objectType: "objectType",
  clusters: "clusters",
  namespaces: "namespaces",
  dryRun: "dryRun",
};

function validate(obj: Record<string, unknown>, ctx: RotateContext, labels: Labels): RotateRequestResult {
  const get = (k: BodyField): unknown => (Object.prototype.hasOwnProperty.call(obj, k) ? obj[k] : undefined);

  // vault (form only; allow-list last)
  const vault = get("vault");
  if (vault === undefined) return fail(400, `${labels.vault} is required: the Key Vault name (${VAULT_NAME_RULE})`, labels.vault);
  if (typeof vault !== "string") return fail(400, `${labels.vault} must be a string, got ${describeType(vault)}`, labels.vault);
  if (!isValidVaultName(vault)) {
    return fail(400, `${labels.vault} ${quoteForLog(vault)} is not a valid Key Vault name; expected ${VAULT_NAME_RULE}`, labels.vault);
  }

  // objectName
  const objectName = get("objectName");
  if (objectName === undefined) {
    return fail(400, `${labels.objectName} is required: the secret/certificate/key name (${OBJECT_NAME_RULE})`, labels.objectName);
  }
  if (typeof objectName !== "string") {
    return fail(400, `${labels.objectName} must be a string, got ${describeType(objectName)}`, labels.objectName);
  }
  if (!isValidObjectName(objectName)) {
    return fail(
      400,
      `${labels.objectName} ${quoteForLog(objectName)} is not a valid Key Vault object name; expected ${OBJECT_NAME_RULE}`,
      labels.objectName,
    );
  }

  // objectType
  let objectType: VaultObjectType = "secret";
  const rawType = get("objectType");
  if (rawType !== undefined) {
    if (typeof rawType !== "string") {
      return fail(400, `${labels.objectType} must be a string (secret|certificate|key), got ${describeType(rawType)}`, labels.objectType);
    }
    const t = OBJECT_TYPES.find((o) => o === rawType.toLowerCase());
    if (!t) {
      return fail(400, `${labels.objectType} ${quoteForLog(rawType, 40)} is not one of secret|certificate|key`, labels.objectType);
    }
    objectType = t;
  }

  // clusters
  let clusters: string[] | undefined;
  const rawClusters = get("clusters");
  if (rawClusters !== undefined) {
    const r = stringArray(rawClusters, labels.clusters, "cluster names");
    if (!r.ok) return r;
    const known = new Set(ctx.clusterNames);
    const unknown = r.value.filter((c) => !known.has(c));
    if (unknown.length > 0) {
      return fail(
        400,
        `${labels.clusters}: unknown cluster${unknown.length > 1 ? "s" : ""} ${listForLog(unknown)}; configured: ${
          ctx.clusterNames.length > 0 ? listForLog(ctx.clusterNames) : "(none)"
        }`,
        labels.clusters,
      );
    }
    clusters = [...new Set(r.value)];
  }

  // namespaces
  let namespaces: string[] | undefined;
  const rawNs = get("namespaces");
  if (rawNs !== undefined) {
    const r = stringArray(rawNs, labels.namespaces, "namespace names");
    if (!r.ok) return r;
    if (r.value.length > MAX_NAMESPACES) {
      return fail(400, `${labels.namespaces} has ${r.value.length} entries; at most ${MAX_NAMESPACES}`, labels.namespaces);
    }
    const bad = r.value.filter((n) => !isDns1123Label(n));
    if (bad.length > 0) {
      return fail(
        400,
        `${labels.namespaces}: ${listForLog(bad, 3, 70)} ${bad.length > 1 ? "are" : "is"} not ${DNS1123_LABEL_RULE}`,
        labels.namespaces,
      );
    }
    namespaces = [...new Set(r.value)];
  }

  // dryRun
  const rawDry = get("dryRun");
  if (rawDry !== undefined && typeof rawDry !== "boolean") {
    return fail(400, `${labels.dryRun} must be a boolean (true|false), got ${describeType(rawDry)}`, labels.dryRun);
  }
  const dryRun = rawDry === true;

  // allow-list (403)
  const cfg = lookupVault(ctx.vaults, vault);
  if (!cfg) {
    return fail(403, `vault ${quoteForLog(vault.toLowerCase())} is not in this app's vault allow-list`, labels.vault);
  }

  const value: RotateRequest = {
    vault: cfg.name.toLowerCase(),
    objectName,
    objectType,
    dryRun,
  };
  if (clusters) value.clusters = clusters;
  if (namespaces) value.namespaces = namespaces;
  return { ok: true, value };
}

function stringArray(v: unknown, label: string, what: string): { ok: true; value: string[] } | RotateRequestError {
  if (!Array.isArray(v)) return fail(400, `${label} must be an array of ${what}, got ${describeType(v)}`, label);
  if (v.length === 0) return fail(400, `${label} must not be empty; omit it to mean all`, label);
  if (v.length > 10_000) return fail(400, `${label} has ${v.length} entries; far too many`, label);
  for (let i = 0; i < v.length; i++) {
    const item: unknown = v[i];
    if (typeof item !== "string") return fail(400, `${label}[${i}] must be a string, got ${describeType(item)}`, label);
  }
  return { ok: true, value: v as string[] };
}

function byteLength(s: string): number {
  return Buffer.byteLength(s, "utf8");
}

/**
 * Validate a `POST /api/rotate` body or a CLI request. `input` is the parsed JSON value, or the raw body as a string /
 * bytes (then the size cap → 413 and JSON syntax → 400 are checked here too). Never throws.
 */
export function parseRotateRequest(input: unknown, ctx: RotateContext): RotateRequestResult {
  try {
    let value = input;
    if (value instanceof Uint8Array) {
      if (value.byteLength > MAX_REQUEST_BYTES) {
        return fail(413, `request body is ${value.byteLength} bytes; at most ${MAX_REQUEST_BYTES} bytes are accepted`);
      }
      value = new TextDecoder("utf-8", { fatal: false }).decode(value);
    }
    if (typeof value === "string") {
      const n = value.length > MAX_REQUEST_BYTES ? value.length : byteLength(value);
      if (n > MAX_REQUEST_BYTES) return fail(413, `request body is ${n} bytes or more; at most ${MAX_REQUEST_BYTES} bytes are accepted`);
      try {
        value = JSON.parse(value) as unknown;
      } catch (err) {
        return fail(
          400,
          `request body is not valid JSON (${sanitizeForLog(err instanceof Error ? err.message : "parse error", 80)}); expected {vault, objectName, objectType?, clusters?, namespaces?, dryRun?}`,
        );
      }
    }
    if (!isPlainObject(value)) {
      return fail(
        400,
        `request body must be a JSON object {vault, objectName, objectType?, clusters?, namespaces?, dryRun?}, got ${describeType(value)}`,
      );
    }
    const unknown = Object.keys(value).filter((k) => !(BODY_FIELDS as readonly string[]).includes(k));
    if (unknown.length > 0) {
      return fail(
        400,
        `unknown field${unknown.length > 1 ? "s" : ""} ${listForLog(unknown)}; allowed: ${BODY_FIELDS.join(", ")}`,
        unknown[0] !== undefined ? sanitizeForLog(unknown[0], 40) : undefined,
      );
    }
    return validate(value, ctx, BODY_LABELS);
  } catch (err) {
    return fail(400, `request could not be validated (${sanitizeForLog(err instanceof Error ? err.message : typeof err, 80)})`);
  }
}

const QUERY_SINGLE = ["vault", "objectName", "objectType"] as const;
const QUERY_MULTI = ["namespace", "cluster"] as const;
/** `code` carries the function key when it is passed in the URL; it is the host's business, not ours. */
const QUERY_IGNORED = ["code"] as const;
const QUERY_LABELS: Labels = {
  ...BODY_LABELS,
  clusters: "cluster",
  namespaces: "namespace",
};
const MAX_QUERY_PARAMS = 1000;

/**
 * Validate `GET /api/plan?vault=…&objectName=…&objectType=…&namespace=a&namespace=b&cluster=…` (repeat `namespace` /
 * `cluster`, or comma-separate them). Produces the same RotateRequest as the body form, with dryRun always true.
 */
export function parseRotateQuery(query: URLSearchParams, ctx: RotateContext): RotateRequestResult {
  try {
    const keys: string[] = [];
    let count = 0;
    for (const k of query.keys()) {
      if (++count > MAX_QUERY_PARAMS) return fail(400, `too many query parameters; at most ${MAX_QUERY_PARAMS}`);
      if (!keys.includes(k)) keys.push(k);
    }
    const allowed: readonly string[] = [...QUERY_SINGLE, ...QUERY_MULTI, ...QUERY_IGNORED];
    const unknown = keys.filter((k) => !allowed.includes(k));
    if (unknown.length > 0) {
      const hint = unknown.includes("dryRun") ? " (GET /api/plan is always a dry run)" : "";
      return fail(
        400,
        `unknown query parameter${unknown.length > 1 ? "s" : ""} ${listForLog(unknown)}; allowed: ${[...QUERY_SINGLE, ...QUERY_MULTI].join(", ")}${hint}`,
        unknown[0] !== undefined ? sanitizeForLog(unknown[0], 40) : undefined,
      );
    }
    const obj: Record<string, unknown> = { dryRun: true };
    for (const k of QUERY_SINGLE) {
      const all = query.getAll(k);
      if (all.length > 1) return fail(400, `query parameter ${k} is given ${all.length} times; expected once`, k);
      if (all.length === 1) obj[k] = all[0];
    }
    const multi = (k: (typeof QUERY_MULTI)[number]): string[] | undefined => {
      const all = query.getAll(k);
      return all.length === 0 ? undefined : all.flatMap((v) => v.split(",")).map((v) => v.trim());
    };
    const ns = multi("namespace");
    if (ns !== undefined) obj["namespaces"] = ns;
    const cl = multi("cluster");
    if (cl !== undefined) obj["clusters"] = cl;
    return validate(obj, ctx, QUERY_LABELS);
  } catch (err) {
    return fail(400, `query could not be validated (${sanitizeForLog(err instanceof Error ? err.message : typeof err, 80)})`);
  }
}
