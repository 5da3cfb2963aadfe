// The function app as the Functions host runs it, for the e2e tests and the demo: the worker stand-in
// (functions-worker.ts) provides @azure/functions-core and loads the trigger modules, so the real @azure/functions
// registers them (app.eventGrid/app.http/app.timer); every invocation then goes through the programming model that
// library registered, with host-shaped invocation data (host-requests.ts). Nothing calls a handler directly.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import {
  finishStartup,
  hostBindings,
  installFunctionsCore,
  invoke,
  loadEntryPoints,
  registeredFunction,
  registeredFunctions,
} from "./functions-worker.js";
import {
  eventGridInvocation,
  httpInvocation,
  httpResponseOf,
  timerInvocation,
  type HostHttpRequest,
  type HostHttpResponse,
  type HostTimerInfo,
} from "./host-requests.js";
import type { RpcLogLevel } from "./functions-core.js";

installFunctionsCore();

/** The trigger modules next to this build of the tests: functions/*.ts under vitest, dist/functions/*.js when compiled. */
const functionsDir = new URL("../../functions/", import.meta.url).pathname;

let loaded: Promise<void> | undefined;
/** Loads the trigger modules once per process (as the worker loads package.json "main"). */
export function loadFunctionApp(): Promise<void> {
  loaded ??= (async () => {
    const ext = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
    const files = readdirSync(functionsDir)
      .filter((f) => f.endsWith(ext) && !f.endsWith(".d.ts"))
      .sort()
      .map((f) => join(functionsDir, f));
    await loadEntryPoints(files);
    await finishStartup(functionsDir);
  })();
  return loaded;
}

export interface Registration {
  name: string;
  /** The bindings as the host reads them (rawBindings). */
  bindings: ReturnType<typeof hostBindings>;
}

export function registered(name: string): Registration {
  registeredFunction(name);
  return { name, bindings: hostBindings(name) };
}

export interface InvokeOptions {
  /** Receives each user log line (the InvocationContext's log calls) and its level. */
  log?: (line: string, level: RpcLogLevel) => void;
  invocationId?: string;
}

const userLog = (o: InvokeOptions) => (e: { level: RpcLogLevel; category: string; message: string }) => {
  if (e.category === "user") o.log?.(e.message, e.level);
};

/**
 * One Event Grid trigger invocation with `payload` as the trigger value, whatever its shape (the hostile-input tests
 * send arrays and non-objects too, which the real extension would not dispatch). Throws when the invocation failed.
 */
export async function invokeEventGrid(payload: unknown, o: InvokeOptions = {}, functionName = "onKeyVaultEvent"): Promise<void> {
  const out = await invoke(functionName, eventGridInvocation(functionName, payload, o.invocationId), userLog(o));
  if (out.response.result?.status !== "success") throw out.error;
}

/**
 * Delivers Event Grid events as the host's Event Grid extension does: each event of a delivery in its own invocation
 * of `functionName`. Throws the first failed invocation's error (the extension then answers 500 and Event Grid
 * redelivers the whole delivery).
 */
export async function deliverEvents(events: unknown, o: InvokeOptions = {}, functionName = "onKeyVaultEvent"): Promise<void> {
  for (const ev of Array.isArray(events) ? events : [events]) await invokeEventGrid(ev, o, functionName);
}

/** Calls an HTTP function as the host does after routing; the response as the host would write it. */
export async function callHttp(functionName: string, req: HostHttpRequest, o: InvokeOptions = {}): Promise<HostHttpResponse> {
  const out = await invoke(functionName, httpInvocation(functionName, req, o.invocationId), userLog(o));
  if (out.response.result?.status !== "success") throw out.error;
  return httpResponseOf(out.response);
}

/** Fires a timer function; throws when the invocation failed. */
export async function fireTimer(functionName: string, info: HostTimerInfo = {}, o: InvokeOptions = {}): Promise<void> {
  const out = await invoke(functionName, timerInvocation(functionName, info, o.invocationId), userLog(o));
  if (out.response.result?.status !== "success") throw out.error;
}

function httpFunctionFor(route: string): string | undefined {
  return [...registeredFunctions().keys()].find((name) => hostBindings(name).some((b) => b.type === "httpTrigger" && b.route === route));
}

/**
 * A minimal local host for the registered functions, speaking the Functions host's HTTP contract:
 * `POST /runtime/webhooks/eventgrid?functionName=X` with `aeg-event-type: Notification` (202 on success, 500 with the
 * error when an invocation fails so Event Grid would redeliver; SubscriptionValidation answered with the validation
 * code), and `/api/<route>` for HTTP triggers. For the demo and for people without Core Tools; `func start` is the
 * real one. Invocations go through the same worker path as the tests.
 */
export async function serveFunctions(
  port = 0,
  log: (line: string) => void = () => undefined,
): Promise<{ url: string; close(): Promise<void> }> {
  const { createServer } = await import("node:http");
  const o: InvokeOptions = { log: (l) => log(l) };
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url ?? "/", `http://${req.headers.host ?? "localhost"}`);
    const reply = (status: number, json?: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, json === undefined ? headers : { "content-type": "application/json", ...headers });
      res.end(json === undefined ? undefined : JSON.stringify(json));
    };
    try {
      if (url.pathname === "/runtime/webhooks/eventgrid") {
        const name = url.searchParams.get("functionName") ?? "";
        try {
          registeredFunction(name);
        } catch {
          return reply(404);
        }
        const kind = req.headers["aeg-event-type"];
        const parsed = JSON.parse(body.toString("utf8")) as unknown;
        if (kind === "SubscriptionValidation") {
          const first = (Array.isArray(parsed) ? parsed[0] : parsed) as { data?: { validationCode?: string } };
          return reply(200, { validationResponse: first?.data?.validationCode });
        }
        if (kind !== "Notification") return reply(400, { error: "aeg-event-type header missing" });
        await deliverEvents(parsed, o, name);
        return reply(202);
      }
      const name = httpFunctionFor(url.pathname.replace(/^\/api\//, ""));
      if (!name) return reply(404);
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : String(v)]));
      const out = await callHttp(name, { method: req.method ?? "GET", url: url.toString(), headers, body }, o);
      res.writeHead(out.status, out.headers);
      res.end(out.body);
    } catch (e) {
      log(`function host: invocation failed: ${(e as Error).message}`);
      return reply(500, { error: (e as Error).name });
    }
  });
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  const addr = server.address() as { port: number };
  return { url: `http://127.0.0.1:${addr.port}`, close: () => new Promise((r) => server.close(() => r())) };
}
