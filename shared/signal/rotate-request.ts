// Validation of the forced-rotation request: `POST /api/rotate` body, `GET /api/plan?…` query, and the CLI.
//
// Status codes: 413 body larger than MAX_REQUEST_BYTES (only checkable when the raw body is passed as a string or
// bytes); 400 anything malformed (messages name the field and the expected type/form); 403 a well-formed vault
// name that is not in the allow-list. All 400 checks run before the 403 check.
//
// The shape is one schema (valibot), built per call for the field labels (the query says `namespace`/`cluster`) and
// the configured cluster names; the allow-list lookup (403) runs after it.
import * as v from "valibot";
import { lookupVault } from "../config/vaults.js";
import { isValidObjectName, isValidVaultName, OBJECT_NAME_RULE, VAULT_NAME_RULE } from "../names/keyvault.js";
import { DNS1123_LABEL_RULE, isDns1123Label } from "../names/kubernetes.js";
import { isPlainObject, listForLog, quoteForLog, sanitizeForLog, typeName } from "../names/untrusted.js";
import type { VaultConfig, VaultObjectType } from "../model/index.js";

/** Largest accepted request body; the HTTP adapter answers 413 above it. */
export const MAX_REQUEST_BYTES = 64 * 1024;
/** Most namespaces one request may name. */
export const MAX_NAMESPACES = 500;
/** Most entries any list may have before its items are even looked at. */
const MAX_LIST = 10_000;

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
const BODY_SHAPE = "{vault, objectName, objectType?, clusters?, namespaces?, dryRun?}";

/** Upper bound of every error `message`. */
export const MAX_MESSAGE_LENGTH = 1000;

function fail(status: 400 | 403 | 413, message: string, field?: string): RotateRequestError {
  const m = message.length > MAX_MESSAGE_LENGTH ? `${message.slice(0, MAX_MESSAGE_LENGTH - 1)}…` : message;
  return field === undefined ? { ok: false, status, message: m } : { ok: false, status, field, message: m };
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

const REQUIRED: Record<"vault" | "objectName", string> = {
  vault: `the Key Vault name (${VAULT_NAME_RULE})`,
  objectName: `the secret/certificate/key name (${OBJECT_NAME_RULE})`,
};

/** A non-empty array of strings (items named by index); later checks see `string[]`. */
function nameList(label: string, what: string) {
  return v.pipe(
    v.array(v.unknown(), (i) => `${label} must be an array of ${what}, got ${typeName(i.input)}`),
    v.check((a) => a.length > 0, `${label} must not be empty; omit it to mean all`),
    v.check(
      (a) => a.length <= MAX_LIST,
      (i) => `${label} has ${i.input.length} entries; far too many`,
    ),
    v.check(
      (a) => a.every((s) => typeof s === "string"),
      (i) => {
        const at = i.input.findIndex((s) => typeof s !== "string");
        return `${label}[${at}] must be a string, got ${typeName(i.input[at])}`;
      },
    ),
    v.transform((a) => a as string[]),
  );
}

const unique = (a: string[]) => [...new Set(a)];

/** Unknown fields first: a misspelt field (`namespace`) is the likelier mistake than the missing one it causes. */
const noUnknownFields = v.rawCheck<Record<string, unknown>>(({ dataset, addIssue }) => {
  if (!dataset.typed) return;
  const unknown = Object.keys(dataset.value).filter((k) => !(BODY_FIELDS as readonly string[]).includes(k));
  if (unknown.length === 0) return;
  addIssue({
    message: `unknown field${unknown.length > 1 ? "s" : ""} ${listForLog(unknown)}; allowed: ${BODY_FIELDS.join(", ")}`,
    path: [{ type: "object", origin: "key", input: dataset.value, key: unknown[0]!, value: dataset.value[unknown[0]!] }],
  });
});

function requestSchema(labels: Labels, ctx: RotateContext) {
  const known = new Set(ctx.clusterNames);
  const fields = v.object(
    {
      vault: v.pipe(
        v.string((i) => `${labels.vault} must be a string, got ${typeName(i.input)}`),
        v.check(
          (s) => isValidVaultName(s),
          (i) => `${labels.vault} ${quoteForLog(i.input)} is not a valid Key Vault name; expected ${VAULT_NAME_RULE}`,
        ),
      ),
      objectName: v.pipe(
        v.string((i) => `${labels.objectName} must be a string, got ${typeName(i.input)}`),
        v.check(
          (s) => isValidObjectName(s),
          (i) => `${labels.objectName} ${quoteForLog(i.input)} is not a valid Key Vault object name; expected ${OBJECT_NAME_RULE}`,
        ),
      ),
      objectType: v.optional(
        v.pipe(
          v.string((i) => `${labels.objectType} must be a string (secret|certificate|key), got ${typeName(i.input)}`),
          v.check(
            (s) => (OBJECT_TYPES as readonly string[]).includes(s.toLowerCase()),
            (i) => `${labels.objectType} ${quoteForLog(i.input, 40)} is not one of secret|certificate|key`,
          ),
          v.transform((s) => s.toLowerCase() as VaultObjectType),
        ),
        "secret",
      ),
      clusters: v.optional(
        v.pipe(
          nameList(labels.clusters, "cluster names"),
          v.check(
            (a) => a.every((c) => known.has(c)),
            (i) => {
              const unknown = i.input.filter((c) => !known.has(c));
              return `${labels.clusters}: unknown cluster${unknown.length > 1 ? "s" : ""} ${listForLog(unknown)}; configured: ${
                ctx.clusterNames.length > 0 ? listForLog(ctx.clusterNames) : "(none)"
              }`;
            },
          ),
          v.transform(unique),
        ),
      ),
      namespaces: v.optional(
        v.pipe(
          nameList(labels.namespaces, "namespace names"),
          v.check(
            (a) => a.length <= MAX_NAMESPACES,
            (i) => `${labels.namespaces} has ${i.input.length} entries; at most ${MAX_NAMESPACES}`,
          ),
          v.check(
            (a) => a.every((n) => isDns1123Label(n)),
            (i) => {
              const bad = i.input.filter((n) => !isDns1123Label(n));
              return `${labels.namespaces}: ${listForLog(bad, 3, 70)} ${bad.length > 1 ? "are" : "is"} not ${DNS1123_LABEL_RULE}`;
            },
          ),
          v.transform(unique),
        ),
      ),
      dryRun: v.optional(
        v.boolean((i) => `${labels.dryRun} must be a boolean (true|false), got ${typeName(i.input)}`),
        false,
      ),
    },
    (i) => {
      // Only the two fields without a default can be missing.
      const key = i.path?.[0]?.key as keyof typeof REQUIRED;
      return `${labels[key]} is required: ${REQUIRED[key]}`;
    },
  );
  return v.pipe(
    v.custom<Record<string, unknown>>(isPlainObject, (i) => `request body must be a JSON object ${BODY_SHAPE}, got ${typeName(i.input)}`),
    noUnknownFields,
    fields,
  );
}

/** Runs the schema, then the allow-list (403). */
function validate(obj: unknown, ctx: RotateContext, labels: Labels): RotateRequestResult {
  const r = v.safeParse(requestSchema(labels, ctx), obj, { abortEarly: true });
  if (!r.success) {
    const issue = r.issues[0];
    const key = issue.path?.[0]?.key;
    // An unknown field is named as sent (echoed safely); `labels` is only consulted for its own keys (`valueOf`!).
    const field = key === undefined ? undefined : Object.hasOwn(labels, key as string) ? labels[key as BodyField] : sanitizeForLog(key, 40);
    return fail(400, issue.message, field);
  }
  const req = r.output;
  const cfg = lookupVault(ctx.vaults, req.vault);
  if (!cfg) return fail(403, `vault ${quoteForLog(req.vault.toLowerCase())} is not in this app's vault allow-list`, labels.vault);
  const value: RotateRequest = {
    vault: cfg.name.toLowerCase(),
    objectName: req.objectName,
    objectType: req.objectType,
    dryRun: req.dryRun,
  };
  if (req.clusters) value.clusters = req.clusters;
  if (req.namespaces) value.namespaces = req.namespaces;
  return { ok: true, value };
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
      const n = value.length > MAX_REQUEST_BYTES ? value.length : Buffer.byteLength(value, "utf8");
      if (n > MAX_REQUEST_BYTES) return fail(413, `request body is ${n} bytes or more; at most ${MAX_REQUEST_BYTES} bytes are accepted`);
      try {
        value = JSON.parse(value) as unknown;
      } catch (err) {
        return fail(
          400,
          `request body is not valid JSON (${sanitizeForLog(err instanceof Error ? err.message : "parse error", 80)}); expected ${BODY_SHAPE}`,
        );
      }
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
        sanitizeForLog(unknown[0], 40),
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
      return all.length === 0 ? undefined : all.flatMap((x) => x.split(",")).map((x) => x.trim());
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
