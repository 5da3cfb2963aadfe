// A stand-in for the Azure Functions Node.js worker: the process the Functions host starts, which provides
// `@azure/functions-core`, loads the app's package.json "main" glob, and runs each invocation through the programming
// model @azure/functions registered (setProgrammingModel) — the model's own conversion of the worker's invocation data
// into handler arguments and of the result into the invocation response. Mirrors the worker's setupCoreModule.ts,
// startApp.ts, coreApi/registerFunction.ts and eventHandlers/InvocationHandler.ts (Azure/azure-functions-nodejs-worker).
// No test-runner imports: the e2e tests, the package test, the demo and the benchmark all use it.
import { randomUUID } from "node:crypto";
import { readFile, glob } from "node:fs/promises";
import Module from "node:module";
import { basename, dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import type {
  CoreInvocationContext,
  FunctionCallback,
  FunctionMetadata,
  HookCallback,
  HookName,
  InvocationState,
  ProgrammingModel,
  RpcFunctionMetadata,
  RpcInvocationRequest,
  RpcInvocationResponse,
  RpcLogCategory,
  RpcLogLevel,
} from "./functions-core.js";

export interface RegisteredFunction {
  metadata: RpcFunctionMetadata & { name: string; functionId: string; rawBindings: string[] };
  callback: FunctionCallback;
}

/** The capabilities the worker announces to the host (eventHandlers/getWorkerCapabilities.ts); the host shapes the
 * invocation data by them (host-requests.ts follows: HTTP body as bytes, nullable header/query maps, no HTTP trigger
 * metadata). The programming model may add to them. */
export const WORKER_CAPABILITIES: Readonly<Record<string, string>> = {
  RawHttpBodyBytes: "true",
  RpcHttpTriggerMetadataRemoved: "true",
  RpcHttpBodyOnly: "true",
  IgnoreEmptyValuedRpcHttpHeaders: "true",
  UseNullableValueDictionaryForHttp: "true",
  WorkerStatus: "true",
  TypedDataCollection: "true",
  HandlesWorkerTerminateMessage: "true",
};

export type WorkerLog = (entry: { level: RpcLogLevel; category: RpcLogCategory; message: string; invocationId?: string }) => void;

const functions = new Map<string, RegisteredFunction>();
const hooks = new Map<HookName, HookCallback[]>();
let programmingModel: ProgrammingModel | undefined;
let indexingLocked = false;
let currentEntryPoint: string | undefined;
let capabilities: Record<string, string> | undefined;
let workerLog: WorkerLog = () => undefined;

class Disposable {
  constructor(private readonly onDispose: () => void) {}
  static from(...items: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => items.forEach((i) => i.dispose()));
  }
  dispose(): void {
    this.onDispose();
  }
}

function registerFunction(metadata: FunctionMetadata, callback: FunctionCallback): Disposable {
  if (indexingLocked) throw new Error("A function can only be registered during app startup.");
  const functionId = metadata.functionId || metadata.name;
  if (functions.has(functionId)) throw new Error(`A function with id "${functionId}" has already been registered.`);
  // The host reads rawBindings (each binding as JSON with its name); the programming model reads bindings.
  const rawBindings = Object.entries(metadata.bindings).map(([name, b]) => JSON.stringify({ ...b, name }));
  functions.set(functionId, {
    metadata: {
      ...metadata,
      functionId,
      rawBindings,
      scriptFile: currentEntryPoint ? basename(currentEntryPoint) : "unknown",
      ...(currentEntryPoint ? { directory: dirname(currentEntryPoint) } : {}),
    },
    callback,
  });
  return new Disposable(() => {
    if (indexingLocked) throw new Error("A function can only be disposed during app startup.");
    functions.delete(functionId);
  });
}

function registerHook(name: HookName, callback: HookCallback): Disposable {
  const list = hooks.get(name) ?? [];
  list.push(callback);
  hooks.set(name, list);
  return new Disposable(() => list.splice(list.indexOf(callback), 1));
}

const coreApi = {
  version: "kvrp-worker-stand-in",
  hostVersion: "4.x",
  registerFunction,
  registerHook,
  setProgrammingModel: (m: ProgrammingModel) => {
    programmingModel = m;
  },
  getProgrammingModel: () => programmingModel,
  log: (level: RpcLogLevel, category: RpcLogCategory, message: string) => workerLog({ level, category, message }),
  Disposable,
};

let installed = false;
/**
 * Makes `require("@azure/functions-core")` return the stand-in's API, the way the worker does: a proxy on
 * Module.prototype.require (so it also reaches a bundle's createRequire()-made require). Call before the app loads.
 */
export function installFunctionsCore(log?: WorkerLog): void {
  if (log) workerLog = log;
  if (installed) return;
  installed = true;
  const proto = Module.prototype as unknown as { require: (id: string) => unknown };
  proto.require = new Proxy(proto.require, {
    apply(target, thisArg, args: [string]) {
      return args[0] === "@azure/functions-core" ? coreApi : Reflect.apply(target, thisArg, args);
    },
  });
}

/** Imports entry point files as the worker does (ES modules through import(), by file URL), one after another. */
export async function loadEntryPoints(files: readonly string[]): Promise<void> {
  installFunctionsCore();
  for (const file of files) {
    currentEntryPoint = file;
    try {
      await import(pathToFileURL(file).href);
    } catch (e) {
      throw new Error(`Worker was unable to load entry point "${file}": ${(e as Error).message}`, { cause: e });
    } finally {
      currentEntryPoint = undefined;
    }
  }
}

/** The files package.json "main" matches in an app directory (the worker uses globby; same patterns here). */
export async function entryPointFiles(appDir: string): Promise<string[]> {
  const pkg = JSON.parse(await readFile(join(appDir, "package.json"), "utf8")) as { main?: string; type?: string };
  if (!pkg.main) throw new Error(`${appDir}/package.json has no "main": the worker would load no functions`);
  if (pkg.type !== "module") throw new Error(`${appDir}/package.json is not "type": "module"; this app ships ES modules`);
  const files: string[] = [];
  for await (const f of glob(pkg.main, { cwd: appDir })) files.push(join(appDir, f));
  if (files.length === 0) throw new Error(`Found zero files matching the supplied pattern "${pkg.main}" in ${appDir}`);
  return files.sort();
}

/** Starts an app as the worker does: load the entry points, lock indexing, run appStart hooks, negotiate capabilities. */
export async function startApp(appDir: string): Promise<void> {
  await loadEntryPoints(await entryPointFiles(appDir));
  await finishStartup(appDir);
}

/** After the entry points loaded: no more registrations; appStart hooks; the programming model's capabilities. */
export async function finishStartup(appDir: string): Promise<void> {
  indexingLocked = true;
  await runHooks("appStart", { functionAppDirectory: appDir, hookData: {}, appHookData: {} });
  const model = requireModel();
  capabilities = { ...WORKER_CAPABILITIES, ...((await model.getCapabilities?.({ ...WORKER_CAPABILITIES })) ?? {}) };
  // HTTP streaming moves requests to a proxy the host would run; the host-shaped requests here are the gRPC ones.
  if (capabilities.HttpUri)
    throw new Error("the app enabled HTTP streaming (app.setup({enableHttpStream})), which this stand-in does not proxy");
}

function requireModel(): ProgrammingModel {
  if (!programmingModel) throw new Error("no programming model registered: did the app load @azure/functions and register a function?");
  return programmingModel;
}

export function registeredFunctions(): ReadonlyMap<string, RegisteredFunction> {
  return functions;
}

export function registeredFunction(name: string): RegisteredFunction {
  const f = functions.get(name);
  if (!f) throw new Error(`function ${name} is not registered (registered: ${[...functions.keys()].join(", ") || "none"})`);
  return f;
}

/** The bindings as the host reads them (rawBindings), parsed. */
export function hostBindings(name: string): ({ name: string; type: string; direction: string } & Record<string, unknown>)[] {
  return registeredFunction(name).metadata.rawBindings.map((b) => JSON.parse(b) as never);
}

export function programmingModelInfo(): { name: string; version: string } {
  const m = requireModel();
  return { name: m.name, version: m.version };
}

async function runHooks(name: HookName, context: Record<string, unknown>): Promise<void> {
  for (const h of hooks.get(name) ?? []) await h(context);
}

export interface InvocationOutcome {
  /** What the worker sends back to the host (returnValue, outputData, result). */
  response: RpcInvocationResponse;
  /** The handler's error when it failed (the host only sees `response.result.exception`). */
  error?: unknown;
}

/**
 * One invocation as the worker runs it (InvocationHandler.handleEvent): the programming model's invocation model
 * converts `request` (inputData, triggerMetadata) into the handler's arguments, pre/post invocation hooks run, and
 * getResponse converts the result. A thrown handler becomes a failed invocation, as in the worker.
 */
export async function invoke(
  functionName: string,
  request: Omit<RpcInvocationRequest, "functionId">,
  log: WorkerLog = workerLog,
): Promise<InvocationOutcome> {
  const fn = registeredFunction(functionName);
  const invocationId = request.invocationId ?? randomUUID();
  const coreCtx: CoreInvocationContext = {
    invocationId,
    request: { ...request, invocationId, functionId: fn.metadata.functionId },
    metadata: fn.metadata,
    state: undefined as InvocationState | undefined,
    log: (level, category, message) => log({ level, category, message, invocationId }),
  };
  try {
    const model = await requireModel().getInvocationModel(coreCtx);
    const { context, inputs: initialInputs } = await model.getArguments();
    const pre = { hookData: {}, appHookData: {}, invocationContext: context, functionCallback: fn.callback, inputs: initialInputs };
    coreCtx.state = "preInvocationHooks";
    await runHooks("preInvocation", pre);
    const post = {
      hookData: pre.hookData,
      appHookData: {},
      invocationContext: context,
      inputs: pre.inputs,
      result: null as unknown,
      error: null as unknown,
    };
    coreCtx.state = "invocation";
    try {
      post.result = await model.invokeFunction(context, pre.inputs, pre.functionCallback);
    } catch (e) {
      post.error = e;
    }
    coreCtx.state = "postInvocationHooks";
    await runHooks("postInvocation", post);
    coreCtx.state = undefined;
    if (post.error) throw post.error;
    const response = await model.getResponse(context, post.result);
    return { response: { ...response, result: { status: "success" } } };
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    return {
      response: {
        invocationId,
        result: { status: "failure", exception: { message: err.message, stackTrace: err.stack ?? null, source: err.name } },
      },
      error: e,
    };
  }
}
