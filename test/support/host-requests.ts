// Invocation data shaped as the Functions host sends it to a Node.js worker (gRPC InvocationRequest), for the
// trigger types this app uses, and the HTTP response read back from the worker's answer. Shapes follow the host's
// conversions (Azure/azure-functions-host: ScriptInvocationContextExtensions.ToRpcInvocationRequest,
// GrpcMessageConversionExtensions.ToRpc/ToRpcHttp) under the worker's capabilities (WORKER_CAPABILITIES), and the
// Event Grid extension's single-dispatch trigger binding (azure-sdk-for-net:
// Microsoft.Azure.WebJobs.Extensions.EventGrid EventGridTriggerAttributeBindingProvider).
import type { RpcHttpData, RpcInvocationRequest, RpcInvocationResponse, RpcNullableString } from "./functions-core.js";
import { hostBindings } from "./functions-worker.js";

type InvocationData = Omit<RpcInvocationRequest, "functionId">;

/** The trigger binding's name: inputData is keyed by it (the library names bindings like `eventGridTrigger3f2a…`). */
export function triggerBindingName(functionName: string): string {
  const t = hostBindings(functionName).find((b) => b.direction === "in" && /Trigger$/.test(b.type));
  if (!t) throw new Error(`function ${functionName} has no trigger binding`);
  return t.name;
}

/**
 * The host parses an Event Grid delivery with Newtonsoft's JToken.Parse, whose reader refuses JSON nested deeper
 * than 64 levels (MaxDepth's default since Newtonsoft.Json 13.0.1): such a delivery fails in the host and never
 * becomes an invocation.
 */
export const HOST_JSON_MAX_DEPTH = 64;

/** Nesting depth of a JSON value (objects and arrays), counted without recursion (fuzzed values nest 20,000 deep). */
export function jsonDepth(value: unknown): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    max = Math.max(max, d + 1);
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, d + 1]);
  }
  return max;
}

/**
 * One Event Grid event (the extension dispatches each event of a delivery to its own invocation): the trigger value
 * is the event's JObject, sent as `{json}`; the binding data contract adds `data` (the event's data) as trigger
 * metadata. A value that is not an object would never reach a worker (the extension fails to bind it); tests that
 * feed hostile values still send them the same way, to exercise the handler through the library.
 */
export function eventGridInvocation(functionName: string, event: unknown, invocationId?: string): InvocationData {
  if (jsonDepth(event) > HOST_JSON_MAX_DEPTH)
    throw new Error(`the host refuses this delivery: JSON nested deeper than ${HOST_JSON_MAX_DEPTH} levels (no invocation happens)`);
  const data = event !== null && typeof event === "object" ? (event as { data?: unknown }).data : undefined;
  return {
    ...(invocationId ? { invocationId } : {}),
    inputData: [{ name: triggerBindingName(functionName), data: event === undefined ? {} : { json: JSON.stringify(event) } }],
    // null/absent binding data is skipped by the host
    triggerMetadata: data === undefined || data === null ? {} : { data: { json: JSON.stringify(data) } },
  };
}

export interface HostHttpRequest {
  method: string;
  /** The full URL, query included (the host rebuilds it from scheme, host, path and query string). */
  url: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** Route parameters the host matched. */
  params?: Record<string, string>;
}

const nullable = (entries: Iterable<[string, string]>): Record<string, RpcNullableString> => {
  const out: Record<string, RpcNullableString> = {};
  for (const [k, v] of entries) out[k] = { value: v };
  return out;
};

/**
 * An HTTP trigger invocation: `{http}` with nullable header (lower-cased keys) and query maps (a repeated query key is
 * one comma-joined value, as ASP.NET Core's StringValues prints it), route params, and the body as bytes only when
 * there is one (RawHttpBodyBytes, RpcHttpBodyOnly). No trigger metadata (RpcHttpTriggerMetadataRemoved).
 */
export function httpInvocation(functionName: string, req: HostHttpRequest, invocationId?: string): InvocationData {
  const url = new URL(req.url);
  const query = new Map<string, string>();
  for (const [k, v] of url.searchParams) query.set(k, query.has(k) ? `${query.get(k)},${v}` : v);
  const body = typeof req.body === "string" ? Buffer.from(req.body, "utf8") : req.body;
  const http: RpcHttpData = {
    method: req.method,
    url: req.url,
    nullableHeaders: nullable(Object.entries(req.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
    nullableQuery: nullable(query),
    nullableParams: nullable(Object.entries(req.params ?? {})),
    ...(body && body.length > 0 ? { body: { bytes: new Uint8Array(body) } } : {}),
  };
  return {
    ...(invocationId ? { invocationId } : {}),
    inputData: [{ name: triggerBindingName(functionName), data: { http } }],
    triggerMetadata: {},
  };
}

export interface HostTimerInfo {
  isPastDue?: boolean;
  last?: string;
  next?: string;
}

/** A timer invocation: the host serializes its TimerInfo with Newtonsoft (PascalCase), sent as `{json}`. */
export function timerInvocation(functionName: string, t: HostTimerInfo = {}, invocationId?: string): InvocationData {
  const now = new Date().toISOString();
  const info = {
    Schedule: { AdjustForDST: true },
    ScheduleStatus: { Last: t.last ?? now, Next: t.next ?? now, LastUpdated: t.last ?? now },
    IsPastDue: t.isPastDue ?? false,
  };
  return {
    ...(invocationId ? { invocationId } : {}),
    inputData: [{ name: triggerBindingName(functionName), data: { json: JSON.stringify(info) } }],
    triggerMetadata: {},
  };
}

export interface HostHttpResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** The body parsed as JSON (throws when it is not JSON). */
  json<T = unknown>(): T;
}

/** The HTTP response the host would write, from the worker's invocation response (`returnValue.http`). */
export function httpResponseOf(response: RpcInvocationResponse): HostHttpResponse {
  const http = response.returnValue?.http;
  if (!http) throw new Error(`the invocation returned no HTTP response (result: ${JSON.stringify(response.result)})`);
  const b = http.body;
  const body = b?.bytes ? Buffer.from(b.bytes) : b?.string ? Buffer.from(b.string, "utf8") : Buffer.alloc(0);
  return {
    status: Number(http.statusCode ?? 200),
    headers: { ...(http.headers ?? {}) },
    body,
    json: <T>() => JSON.parse(body.toString("utf8")) as T,
  };
}
