// The deployable package (`npm run package`): built by its npm script, unpacked into an empty directory, and started
// in a fresh Node process the way the Functions worker starts an app (package.json "main" glob, @azure/functions-core
// provided by the worker stand-in). The functions must register exactly as deployed — through the @azure/functions
// inlined in the bundle — and answer one invocation per trigger type through its programming model.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { funcIgnore } from "../../../tools/package/funcignore.js";
import { MAIN_GLOB, packagePaths, ZIP_BUDGET_BYTES } from "../../../tools/package/layout.js";
import { readZip } from "../../../tools/package/zip.js";
import type { LoadAppResult } from "../../support/load-app.js";

const root = new URL("../../../", import.meta.url).pathname;
const node = join(root, "node_modules/.bin/node");
const loadAppJs = join(root, "dist/test/support/load-app.js");
const paths = packagePaths(root);

let out = "";
let unpacked = "";
let entries: Map<string, Uint8Array>;

function newestTs(dir: string): number {
  let m = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) m = Math.max(m, newestTs(p));
    else if (e.name.endsWith(".ts")) m = Math.max(m, statSync(p).mtimeMs);
  }
  return m;
}

function run(cmd: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(cmd, args, {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, PATH: `${join(root, "node_modules/.bin")}:${process.env.PATH}` },
  });
}

function loadApp(dir: string, probe = false): LoadAppResult {
  // Configuration deliberately absent: the probe invocations must reach the app's own configuration check.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("KVRP_")));
  const r = spawnSync(node, [loadAppJs, dir, ...(probe ? ["--probe"] : [])], { cwd: dir, encoding: "utf8", env });
  if (r.status !== 0) throw new Error(`load-app exited ${r.status}:\n${r.stderr.slice(-3000)}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as LoadAppResult;
}

beforeAll(() => {
  const r = run("npm", ["run", "package"]);
  out = r.stdout + r.stderr;
  expect(r.status, `npm run package failed:\n${out.slice(-3000)}`).toBe(0);
  // The loader runs compiled (a fresh `node`, no test runner): rebuild it when the sources are newer.
  if (!existsSync(loadAppJs) || statSync(loadAppJs).mtimeMs < newestTs(join(root, "test/support"))) {
    const b = run(node, [join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"]);
    expect(b.status, `tsc failed:\n${b.stdout}${b.stderr}`).toBe(0);
  }
  entries = readZip(readFileSync(paths.zip));
  unpacked = mkdtempSync(join(tmpdir(), "kvrp-package-"));
  expect(readdirSync(unpacked)).toEqual([]);
  for (const [name, bytes] of entries) {
    mkdirSync(dirname(join(unpacked, name)), { recursive: true });
    writeFileSync(join(unpacked, name), bytes);
  }
}, 240_000);

afterAll(() => {
  if (unpacked) rmSync(unpacked, { recursive: true, force: true });
});

describe("npm run package", () => {
  it("prints the zip size against the budget and stays within it", () => {
    const size = statSync(paths.zip).size;
    expect(out).toMatch(/\d+ files, [\d.]+ MB unpacked, [\d.]+ MB zipped \(budget 25\.00 MB\)/);
    expect(out).toContain(`${(size / 1_000_000).toFixed(2)} MB zipped`);
    expect(size).toBeLessThanOrEqual(ZIP_BUDGET_BYTES);
    // report publishing (@azure/eventgrid) is imported on first use, not parsed at start
    const [, start, later] = /JavaScript: ([\d.]+) MB loaded at start, ([\d.]+) MB on first use/.exec(out) ?? [];
    expect(Number(start)).toBeGreaterThan(0);
    expect(Number(later)).toBeGreaterThan(0.1);
  });

  it("holds host.json, a production package.json and the bundled app — no node_modules, sources, tests or maps", () => {
    const names = [...entries.keys()].sort();
    for (const n of names)
      expect(n).toMatch(
        /^(host\.json|package\.json|app\/functions\/(onKeyVaultEvent|reconcile|rotate|verify)\.js|app\/chunks\/[\w-]+\.js)$/,
      );
    expect(names).toEqual(
      expect.arrayContaining([
        "host.json",
        "package.json",
        "app/functions/onKeyVaultEvent.js",
        "app/functions/reconcile.js",
        "app/functions/rotate.js",
        "app/functions/verify.js",
      ]),
    );
    expect(Buffer.from(entries.get("host.json")!).toString()).toBe(readFileSync(join(root, "host.json"), "utf8"));
    const pkg = JSON.parse(Buffer.from(entries.get("package.json")!).toString()) as Record<string, unknown>;
    const src = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as Record<string, unknown>;
    expect(pkg).toEqual({
      name: src.name,
      version: src.version,
      description: src.description,
      license: src.license,
      type: "module",
      main: MAIN_GLOB,
      engines: src.engines,
      dependencies: {},
    });
  });

  it(".funcignore agrees: nothing staged is excluded but itself; the development tree at the root is", () => {
    const ignored = funcIgnore(join(root, ".funcignore"));
    const staged: string[] = [];
    const walk = (d: string, rel = "") => {
      for (const e of readdirSync(d, { withFileTypes: true }))
        if (e.isDirectory()) walk(join(d, e.name), `${rel}${e.name}/`);
        else staged.push(`${rel}${e.name}`);
    };
    walk(paths.stage);
    expect(staged.filter((f) => !ignored(f)).sort()).toEqual([...entries.keys()].sort());
    expect(staged.filter((f) => ignored(f))).toEqual([".funcignore"]);
    for (const dev of [
      "node_modules/",
      "test/",
      "dist/",
      "shared/",
      "functions/",
      "tools/",
      "infra/",
      "local.settings.json",
      "functions/rotate.ts",
    ])
      expect(ignored(dev), dev).toBe(true);
  });
});

describe("the unpacked package, started as the Functions worker starts it", () => {
  let app: LoadAppResult;
  beforeAll(() => {
    app = loadApp(unpacked, true);
  }, 60_000);

  it("registers exactly the expected functions through @azure/functions' programming model", () => {
    expect(app.model.name).toBe("@azure/functions");
    expect(Object.keys(app.functions).sort()).toEqual(["drift", "onKeyVaultEvent", "plan", "reconcile", "rotate", "status", "verify"]);
    const trigger = (name: string) => {
      const t = app.functions[name]!.filter((b) => b.direction === "in");
      expect(t, `${name}: one input binding, the trigger`).toHaveLength(1);
      return t[0]!;
    };
    expect(trigger("onKeyVaultEvent")).toMatchObject({ type: "eventGridTrigger" });
    expect(app.functions.onKeyVaultEvent!.filter((b) => b.direction === "out")).toEqual([]);
    const timer = trigger("reconcile");
    expect(timer).toMatchObject({ type: "timerTrigger", schedule: "0 */5 * * * *", runOnStartup: false, useMonitor: true });
    // Verified rotations: a short timer that looks once at what is pending (never waits).
    expect(trigger("verify")).toMatchObject({ type: "timerTrigger", schedule: "*/30 * * * * *", runOnStartup: false, useMonitor: false });
    for (const [name, method] of [
      ["rotate", "POST"],
      ["plan", "GET"],
      ["drift", "GET"],
      ["status", "GET"],
    ] as const) {
      expect(trigger(name), name).toMatchObject({ type: "httpTrigger", route: name, methods: [method], authLevel: "function" });
      // the HTTP response goes back through the `$return` http output binding
      expect(
        app.functions[name]!.filter((b) => b.direction === "out"),
        name,
      ).toEqual([{ name: "$return", type: "http", direction: "out" }]);
    }
  });

  it("answers one invocation per trigger type through the inlined library (configuration absent → named)", () => {
    expect(app.probe!.http.status).toBe(500);
    expect(JSON.stringify(app.probe!.http.body)).toMatch(/configuration is invalid \(setting KVRP_CLUSTERS\)/);
    expect(app.probe!.eventGrid.status).toBe("failure");
    expect(app.probe!.eventGrid.error).toMatch(/KVRP_CLUSTERS/);
    expect(app.probe!.timer.status).toBe("failure");
    expect(app.probe!.timer.error).toMatch(/KVRP_CLUSTERS/);
  });
});
