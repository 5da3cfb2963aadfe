// `node dist/test/support/load-app.js <appDir> [--probe]`: a fresh process that starts a function app the way the
// Functions worker does (worker stand-in: @azure/functions-core, package.json "main" glob, ES module import) and prints
// one JSON line: the time from process start until every entry module was loaded and registered, the functions as
// the host would see them, and with --probe the result of one invocation per trigger type through the library (no
// configuration set, so each reaches the app's own configuration check). Used by the package test and the benchmark.
import { performance } from "node:perf_hooks";
import { hostBindings, installFunctionsCore, invoke, programmingModelInfo, registeredFunctions, startApp } from "./functions-worker.js";
import { eventGridInvocation, httpInvocation, httpResponseOf, timerInvocation } from "./host-requests.js";

export interface LoadAppResult {
  /** ms from process start (performance.timeOrigin) until the app's entry modules were loaded and started. */
  loadedMs: number;
  model: { name: string; version: string };
  functions: Record<string, ReturnType<typeof hostBindings>>;
  probe?: {
    http: { status: number; body: unknown };
    eventGrid: { status: string; error?: string };
    timer: { status: string; error?: string };
  };
}

async function main(): Promise<void> {
  const [appDir, flag] = process.argv.slice(2);
  if (!appDir) throw new Error("usage: load-app.js <appDir> [--probe]");
  const logs: string[] = [];
  installFunctionsCore((e) => logs.push(`${e.level} ${e.message}`));
  await startApp(appDir);
  const loadedMs = performance.now();
  const result: LoadAppResult = {
    loadedMs,
    model: programmingModelInfo(),
    functions: Object.fromEntries([...registeredFunctions().keys()].map((n) => [n, hostBindings(n)])),
  };
  if (flag === "--probe") {
    const http = httpResponseOf(
      (await invoke("plan", httpInvocation("plan", { method: "GET", url: "https://app.example/api/plan?vault=kv&objectName=x" }))).response,
    );
    const ev = await invoke(
      "onKeyVaultEvent",
      eventGridInvocation("onKeyVaultEvent", { id: "probe", eventType: "Microsoft.KeyVault.SecretNewVersionCreated" }),
    );
    const timer = await invoke("reconcile", timerInvocation("reconcile"));
    const brief = (o: typeof ev) => ({
      status: o.response.result?.status ?? "unknown",
      ...(o.response.result?.exception?.message ? { error: o.response.result.exception.message } : {}),
    });
    result.probe = { http: { status: http.status, body: http.json() }, eventGrid: brief(ev), timer: brief(timer) };
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`load-app failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
