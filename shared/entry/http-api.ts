// The HTTP entry points, host-independent: `POST /api/rotate`, `GET /api/plan`, `GET /api/drift`, `GET /api/status`
// → status + JSON.
//
// Status codes:
//   200 the report (push done, or the plan / drift dry run)
//   400 malformed input (invalid JSON, wrong types, names Key Vault / Kubernetes cannot have, unknown fields or query
//       parameters, an empty body); the message names the field and what is expected
//   403 a well-formed vault that is not in the allow-list
//   405 wrong method for the route (the host normally filters methods already)
//   413 body larger than MAX_REQUEST_BYTES (checked on the content-length header before the body is read, and on
//       the body itself)
//   415 a content-type that is not JSON (`application/json` or `…+json`); a missing content-type is accepted and
//       the body parsed as JSON (curl's `--json` and most clients send one; the 400 for bad JSON still applies)
//   502 the push ran but some part failed permanently (a cluster refused, an action failed, Key Vault refused access
//       or the identity: report.vaultFailure says why and what to fix); body = the report
//   503 a transient failure (API server unreachable, Key Vault throttled, …); body = the report (or an error) and
//       `Retry-After` (Key Vault's own when it asked for one) — calling again is safe, every action is idempotent
//   500 anything unexpected (including invalid app settings): a generic message + the invocation id, never a stack
//       trace, an exception message or a value; details go to the function log only.
//
// Error bodies: `{ error: { status, message, field? }, invocationId }`. Report bodies: the Report (see report.ts).
import { ConfigError, lookupVault } from "../config/config.js";
import { isValidObjectName, isValidVaultName, OBJECT_NAME_RULE, VAULT_NAME_RULE } from "../names/keyvault.js";
import { verifyRotations } from "../pipeline/verify.js";
import { describeError, kubeFailureKind } from "../kube/errors.js";
import { push } from "../pipeline/push.js";
import { reconcile } from "../pipeline/reconcile.js";
import type { Runtime } from "../pipeline/runtime.js";
import type { Report } from "../report/report.js";
import { sanitizeForLog } from "../names/untrusted.js";
import {
  MAX_REQUEST_BYTES,
  parseRotateQuery,
  parseRotateRequest,
  type RotateContext,
  type RotateRequest,
} from "../signal/rotate-request.js";
import type { Failure, RotationSignal } from "../model/index.js";
import { finishReport } from "./finish-report.js";
import { logJson, type LogSink } from "./log.js";

export type HttpRoute = "rotate" | "plan" | "drift" | "status";

export interface HttpApiRequest {
  route: HttpRoute;
  method: string;
  /** The full request URL (query parameters are read from it). */
  url: string;
  /** The raw body (POST); undefined/empty for GET. */
  bodyText?: string;
  /** Request headers the handler looks at (null/undefined = absent). */
  contentType?: string | null;
  contentLength?: string | null;
  invocationId: string;
  log: LogSink;
  receivedAt?: Date;
}

export interface HttpApiResponse {
  status: number;
  jsonBody: unknown;
  headers: Record<string, string>;
}

/** Seconds a client should wait before calling again after a 503. */
export const RETRY_AFTER_SECONDS = 30;

const METHODS: Record<HttpRoute, string> = { rotate: "POST", plan: "GET", drift: "GET", status: "GET" };
const DRIFT_QUERY = ["cluster", "code"] as const;
const STATUS_QUERY = ["cluster", "vault", "objectName", "code"] as const;

function error(
  input: HttpApiRequest,
  status: number,
  message: string,
  field?: string,
  headers: Record<string, string> = {},
): HttpApiResponse {
  return {
    status,
    jsonBody: { error: { status, message, ...(field !== undefined ? { field } : {}) }, invocationId: input.invocationId },
    headers: { "Cache-Control": "no-store", ...headers },
  };
}

function isJsonContentType(ct: string): boolean {
  const mime = (ct.split(";")[0] ?? "").trim().toLowerCase();
  return mime === "application/json" || /^application\/[a-z0-9.+-]+\+json$/.test(mime);
}

/** 503 (+ Retry-After) when only transient failures stopped it; 502 when something failed that waiting will not fix. */
function reportStatus(report: Report): number {
  // An access or identity failure (Key Vault or a cluster) needs a configuration change: 502 with the reason.
  if (failuresOf(report).some((f) => f.kind !== "transient")) return 502;
  if (report.retry) return 503;
  if (report.clusters.some((c) => !c.ok) || report.counts.failed > 0) return 502;
  return 200;
}

async function reportOutput(rt: Runtime, input: HttpApiRequest, report: Report): Promise<HttpApiResponse> {
  const status = reportStatus(report);
  await finishReport(rt, report, input.log);
  return {
    status,
    jsonBody: report,
    headers: { "Cache-Control": "no-store", ...(status === 503 ? { "Retry-After": String(retryAfter(report)) } : {}) },
  };
}

/** The service's own Retry-After when a transient failure carried one (whole seconds, at least 1), else the default. */
function retryAfter(report: Report): number {
  const waits = failuresOf(report)
    .filter((f) => f.kind === "transient" && f.retryAfterSeconds !== undefined)
    .map((f) => f.retryAfterSeconds!);
  return waits.length ? Math.max(1, Math.ceil(Math.max(...waits))) : RETRY_AFTER_SECONDS;
}

/** Every failure that stopped part of the invocation (clusters and Key Vault). */
function failuresOf(report: Report): Failure[] {
  return [...report.clusters.filter((c) => !c.ok).map((c) => c.failure), report.vaultFailure].filter((f): f is Failure => !!f);
}

function rejected(input: HttpApiRequest, r: { status: number; message: string; field?: string }): HttpApiResponse {
  logJson(input.log, "warn", `${input.route} request rejected`, {
    invocationId: input.invocationId,
    status: r.status,
    field: r.field,
    message: r.message,
  });
  return error(input, r.status, r.message, r.field);
}

function signalOf(req: RotateRequest, receivedAt: Date): RotationSignal {
  return { vault: req.vault, objectType: req.objectType, objectName: req.objectName, eventTime: receivedAt.toISOString(), source: "http" };
}

function rotateContext(rt: Runtime): RotateContext {
  return { vaults: rt.config.vaults, clusterNames: rt.clusters.map((c) => c.name) };
}

function parseUrl(url: string): URL {
  // The host always gives an absolute URL; tolerate a bare path for host-less callers.
  return new URL(url, "http://localhost");
}

type QueryCheck<T> = ({ ok: true } & T) | { ok: false; status: 400 | 403; message: string; field?: string };

/** `GET /api/drift?cluster=a&cluster=b` (or comma-separated); `code` (the function key) is ignored. */
function driftClusters(
  query: URLSearchParams,
  rt: Runtime,
  allowed: readonly string[] = DRIFT_QUERY,
  hint = "cluster (GET /api/drift is always a dry run)",
): QueryCheck<{ clusters?: string[] }> {
  const unknown = [...new Set(query.keys())].filter((k) => !allowed.includes(k));
  if (unknown.length > 0)
    return {
      ok: false,
      status: 400,
      message: `unknown query parameter${unknown.length > 1 ? "s" : ""} ${unknown
        .slice(0, 8)
        .map((k) => `"${sanitizeForLog(k, 40)}"`)
        .join(", ")}; allowed: ${hint}`,
      field: sanitizeForLog(unknown[0] ?? "", 40),
    };
  const all = query.getAll("cluster");
  if (all.length === 0) return { ok: true };
  const names = all.flatMap((v) => v.split(",")).map((v) => v.trim());
  const known = rt.clusters.map((c) => c.name);
  const bad = names.filter((n) => !known.includes(n));
  if (bad.length > 0)
    return {
      ok: false,
      status: 400,
      message: `cluster: unknown cluster${bad.length > 1 ? "s" : ""} ${bad
        .slice(0, 8)
        .map((n) => `"${sanitizeForLog(n, 40)}"`)
        .join(", ")}; configured: ${known.map((n) => `"${n}"`).join(", ") || "(none)"}`,
      field: "cluster",
    };
  return { ok: true, clusters: [...new Set(names)] };
}

/** `GET /api/status?vault=V&objectName=N&cluster=C`: every filter optional; a vault must be allow-listed. */
function statusQuery(query: URLSearchParams, rt: Runtime): QueryCheck<{ clusters?: string[]; vault?: string; objectName?: string }> {
  const c = driftClusters(query, rt, STATUS_QUERY, "vault, objectName, cluster");
  if (!c.ok) return c;
  const out: { ok: true; clusters?: string[]; vault?: string; objectName?: string } = {
    ok: true,
    ...(c.clusters ? { clusters: c.clusters } : {}),
  };
  for (const k of ["vault", "objectName"] as const) {
    const all = query.getAll(k);
    if (all.length > 1)
      return { ok: false, status: 400, message: `query parameter ${k} is given ${all.length} times; expected once`, field: k };
    const v = all[0];
    if (v === undefined) continue;
    if (k === "vault" && !isValidVaultName(v))
      return { ok: false, status: 400, message: `vault: "${sanitizeForLog(v, 40)}" is not a vault name (${VAULT_NAME_RULE})`, field: k };
    if (k === "vault" && !lookupVault(rt.config.vaults, v))
      return { ok: false, status: 403, message: `vault "${sanitizeForLog(v, 40)}" is not in the allow-list (KVRP_VAULTS)`, field: k };
    if (k === "objectName" && !isValidObjectName(v))
      return {
        ok: false,
        status: 400,
        message: `objectName: "${sanitizeForLog(v, 40)}" is not an object name (${OBJECT_NAME_RULE})`,
        field: k,
      };
    out[k] = k === "vault" ? v.toLowerCase() : v;
  }
  return out;
}

async function routeRequest(rtIn: Runtime | (() => Runtime), input: HttpApiRequest): Promise<HttpApiResponse> {
  const expected = METHODS[input.route];
  if (input.method.toUpperCase() !== expected)
    return error(input, 405, `${input.method.toUpperCase()} is not allowed here; use ${expected}`, undefined, { Allow: expected });

  if (input.route === "rotate") {
    // Size first: never parse (or even look at) an oversized body.
    const declared = input.contentLength != null && input.contentLength !== "" ? Number(input.contentLength) : undefined;
    if (declared !== undefined && Number.isFinite(declared) && declared > MAX_REQUEST_BYTES)
      return rejected(input, {
        status: 413,
        message: `request body is ${declared} bytes; at most ${MAX_REQUEST_BYTES} bytes are accepted`,
      });
    const body = input.bodyText ?? "";
    if (Buffer.byteLength(body, "utf8") > MAX_REQUEST_BYTES)
      return rejected(input, {
        status: 413,
        message: `request body is more than ${MAX_REQUEST_BYTES} bytes; at most ${MAX_REQUEST_BYTES} bytes are accepted`,
      });
    if (input.contentType != null && input.contentType.trim() !== "" && !isJsonContentType(input.contentType))
      return rejected(input, {
        status: 415,
        message: `content-type "${sanitizeForLog(input.contentType, 80)}" is not accepted; send application/json`,
        field: "content-type",
      });
    if (body.trim() === "")
      return rejected(input, {
        status: 400,
        message: "request body is empty; expected JSON {vault, objectName, objectType?, clusters?, namespaces?, dryRun?}",
      });
  }

  const rt = typeof rtIn === "function" ? rtIn() : rtIn;
  const receivedAt = input.receivedAt ?? new Date();

  if (input.route === "status") {
    const q = statusQuery(parseUrl(input.url).searchParams, rt);
    if (!q.ok) return rejected(input, q);
    // Read-only: judges what is in flight now, writes nothing (the verify timer finishes verifications).
    const run = await verifyRotations(rt, {
      write: false,
      now: receivedAt,
      invocationId: input.invocationId,
      ...(q.clusters ? { clusters: q.clusters } : {}),
      only: { ...(q.vault ? { vault: q.vault } : {}), ...(q.objectName ? { objectName: q.objectName } : {}) },
    });
    const failed = run.report.clusters.filter((c) => !c.ok);
    const status = failed.length === 0 ? 200 : failed.every((c) => c.failure?.kind === "transient") ? 503 : 502;
    return {
      status,
      jsonBody: { invocationId: input.invocationId, clusters: run.report.clusters, rotations: run.rotations },
      headers: { "Cache-Control": "no-store", ...(status === 503 ? { "Retry-After": String(RETRY_AFTER_SECONDS) } : {}) },
    };
  }

  if (input.route === "drift") {
    const d = driftClusters(parseUrl(input.url).searchParams, rt);
    if (!d.ok) return rejected(input, d);
    const report = await reconcile(rt, {
      dryRun: true,
      now: receivedAt,
      invocationId: input.invocationId,
      ...(d.clusters ? { clusters: d.clusters } : {}),
    });
    return await reportOutput(rt, input, report);
  }

  const parsed =
    input.route === "rotate"
      ? parseRotateRequest(input.bodyText ?? "", rotateContext(rt))
      : parseRotateQuery(parseUrl(input.url).searchParams, rotateContext(rt));
  if (!parsed.ok) return rejected(input, parsed);
  const req = parsed.value;
  // The app-wide KVRP_DRY_RUN wins: a request can ask for a dry run, never for writes the app is configured not to do.
  const dryRun = input.route === "plan" || req.dryRun || rt.config.dryRun;
  logJson(input.log, "info", `${input.route} request`, {
    invocationId: input.invocationId,
    vault: req.vault,
    objectType: req.objectType,
    objectName: req.objectName,
    clusters: req.clusters,
    namespaces: req.namespaces,
    dryRun,
  });
  const report = await push(rt, [signalOf(req, receivedAt)], {
    invocationId: input.invocationId,
    receivedAt,
    dryRun,
    ...(req.clusters ? { clusters: req.clusters } : {}),
    ...(req.namespaces ? { namespaces: req.namespaces } : {}),
  });
  return await reportOutput(rt, input, report);
}

/** One request to any of the routes. Never throws: every failure becomes a status code with a value-free body. */
export async function handleHttpRequest(rt: Runtime | (() => Runtime), input: HttpApiRequest): Promise<HttpApiResponse> {
  try {
    return await routeRequest(rt, input);
  } catch (e) {
    if (e instanceof ConfigError) {
      // The setting name only: a JSON syntax error message can quote a slice of the setting (e.g. a token).
      logJson(input.log, "error", `${input.route} failed: invalid configuration`, { invocationId: input.invocationId, setting: e.setting });
      return error(
        input,
        500,
        `the function app's configuration is invalid (setting ${e.setting}); see the function log for invocation ${input.invocationId}`,
      );
    }
    const transient = kubeFailureKind(e) === "transient" && !isProgrammingError(e);
    logJson(input.log, "error", `${input.route} failed`, { invocationId: input.invocationId, transient, error: describeError(e) });
    if (transient)
      return error(input, 503, `temporarily unavailable; retry later (invocation ${input.invocationId})`, undefined, {
        "Retry-After": String(RETRY_AFTER_SECONDS),
      });
    return error(input, 500, `internal error; see the function log for invocation ${input.invocationId}`);
  }
}

/** A plain programming error (TypeError…) has no status and would count as "transient" (network-like): exclude it. */
function isProgrammingError(e: unknown): boolean {
  if (typeof (e as { cause?: { code?: unknown } })?.cause?.code === "string") return false; // fetch's TypeError("fetch failed", {cause: ECONNREFUSED})
  return e instanceof TypeError || e instanceof RangeError || e instanceof SyntaxError || e instanceof ReferenceError;
}
