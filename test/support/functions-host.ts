// A stand-in for the Functions host's worker API (`@azure/functions-core`), so the real `@azure/functions`
// registrations run (app.eventGrid/app.http/app.timer) and tests invoke handlers exactly as registered.
import { createRequire } from "node:module";

export interface Registration {
  metadata: { name: string; bindings: Record<string, { type: string; direction: string; [k: string]: unknown }> };
  handler: (...args: unknown[]) => Promise<unknown>;
}

export const registrations = new Map<string, Registration>();

const fakeCore = {
  version: "4.0.0",
  registerFunction(metadata: Registration["metadata"], handler: Registration["handler"]) {
    registrations.set(metadata.name, { metadata, handler });
    return { dispose() {} };
  },
  registerHook() {
    return { dispose() {} };
  },
  setProgrammingModel() {},
  getProgrammingModel() {
    return undefined;
  },
  log() {},
};

const require = createRequire(import.meta.url);
const Module = require("node:module") as { _load: (req: string, ...rest: unknown[]) => unknown };
const originalLoad = Module._load;
Module._load = function (request: string, ...rest: unknown[]) {
  if (request === "@azure/functions-core") return fakeCore;
  return originalLoad.call(this, request, ...rest);
};

/** Imports the function app's trigger modules (as the host does from package.json "main"). */
export async function loadFunctionApp(): Promise<Map<string, Registration>> {
  await import("../../functions/onKeyVaultEvent.js");
  await import("../../functions/rotate.js");
  await import("../../functions/reconcile.js");
  return registrations;
}

export function registered(name: string): Registration {
  const r = registrations.get(name);
  if (!r) throw new Error(`function ${name} is not registered (registered: ${[...registrations.keys()].join(", ") || "none"})`);
  return r;
}

/**
 * A minimal local host for the registered functions, speaking the Functions host's HTTP contract:
 * `POST /runtime/webhooks/eventgrid?functionName=X` with `aeg-event-type: Notification` (202 on success, 500 when
 * the handler throws so Event Grid would redeliver; SubscriptionValidation answered with the validation code),
 * and `/api/<route>` for HTTP triggers. For the demo and for people without Core Tools; `func start` is the real one.
 */
export async function serveFunctions(
  port = 0,
  log: (line: string) => void = () => undefined,
): Promise<{ url: string; close(): Promise<void> }> {
  const { createServer } = await import("node:http");
  const { HttpRequest, InvocationContext } = require("@azure/functions") as typeof import("@azure/functions");
  const { randomUUID } = await import("node:crypto");
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    const url = new URL(req.url ?? "/", "http://localhost");
    const reply = (status: number, json?: unknown) => {
      res.writeHead(status, json === undefined ? {} : { "content-type": "application/json" });
      res.end(json === undefined ? undefined : JSON.stringify(json));
    };
    try {
      if (url.pathname === "/runtime/webhooks/eventgrid") {
        const fn = registrations.get(url.searchParams.get("functionName") ?? "");
        if (!fn) return reply(404);
        const kind = req.headers["aeg-event-type"];
        const parsed = JSON.parse(body) as unknown;
        if (kind === "SubscriptionValidation") {
          const first = (Array.isArray(parsed) ? parsed[0] : parsed) as { data?: { validationCode?: string } };
          return reply(200, { validationResponse: first?.data?.validationCode });
        }
        if (kind !== "Notification") return reply(400, { error: "aeg-event-type header missing" });
        // The Event Grid extension dispatches each event of a batch to its own invocation.
        for (const ev of Array.isArray(parsed) ? parsed : [parsed])
          await fn.handler(
            ev,
            new InvocationContext({
              invocationId: randomUUID(),
              functionName: fn.metadata.name,
              logHandler: (_level, ...args) => log(args.map(String).join(" ")),
            }),
          );
        return reply(202);
      }
      const route = url.pathname.replace(/^\/api\//, "");
      const fn = [...registrations.values()].find((r) =>
        Object.values(r.metadata.bindings).some((b) => b.type === "httpTrigger" && b.route === route),
      );
      if (!fn) return reply(404);
      const request = new HttpRequest({
        method: req.method ?? "GET",
        url: url.toString(),
        headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
        body: { string: body },
      });
      const out = (await fn.handler(
        request,
        new InvocationContext({
          invocationId: randomUUID(),
          functionName: fn.metadata.name,
          logHandler: (_level, ...args) => log(args.map(String).join(" ")),
        }),
      )) as {
        status?: number;
        jsonBody?: unknown;
      };
      return reply(out?.status ?? 200, out?.jsonBody);
    } catch (e) {
      log(`function host: handler failed: ${(e as Error).message}`);
      return reply(500, { error: (e as Error).name });
    }
  });
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  const addr = server.address() as { port: number };
  return { url: `http://127.0.0.1:${addr.port}`, close: () => new Promise((r) => server.close(() => r())) };
}
