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
