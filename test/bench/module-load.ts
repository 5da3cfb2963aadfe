// Module load, the first part of a real cold start (issue 14): a fresh `node` per sample starts the function app as
// the Functions worker does (test/support/load-app.ts: @azure/functions-core stand-in, package.json "main" glob,
// import() of each entry file) and reports process start → every entry module loaded and its functions registered.
// Measured on the deployable package (`npm run package`, unzipped into an empty directory) and, for comparison, on
// the unbundled tsc build (dist/functions/*.js with node_modules). Samples alternate between the two so machine load
// hits both alike. Standalone: `node dist/test/bench/module-load.js` (after `npm run build && npm run package`).
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { packagePaths } from "../../tools/package/layout.js";
import { readZip } from "../../tools/package/zip.js";
import type { LoadAppResult } from "../support/load-app.js";
import { pct } from "./figures.js";

export const MODULE_LOAD_TARGET_MS = 250;

export interface ModuleLoadRow {
  build: "package (bundled)" | "dist (unbundled)";
  samples: number[];
  p50: number;
  p99: number;
  /** Files the worker imports (entry files) and the bytes of JavaScript they load. */
  detail: string;
}

const root = new URL("../../../", import.meta.url).pathname.replace(/\/dist\/?$/, "/");

function unzipPackage(): { dir: string; bytes: number; files: number } {
  const entries = readZip(readFileSync(packagePaths(root).zip));
  const dir = mkdtempSync(join(tmpdir(), "kvrp-bench-package-"));
  let bytes = 0;
  for (const [name, data] of entries) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), data);
    if (name.endsWith(".js")) bytes += data.length;
  }
  return { dir, bytes, files: entries.size };
}

function sample(appDir: string): number {
  const r = spawnSync(join(root, "node_modules/.bin/node"), ["--no-deprecation", join(root, "dist/test/support/load-app.js"), appDir], {
    cwd: appDir,
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`load-app failed for ${appDir}:\n${r.stderr.slice(-2000)}`);
  return (JSON.parse(r.stdout.trim().split("\n").pop()!) as LoadAppResult).loadedMs;
}

/** `samples` fresh processes per build, alternating; the first pair warms the OS file cache and is discarded. */
export function measureModuleLoad(samples = Number(process.env.KVRP_BENCH_MODULE_LOAD_SAMPLES ?? 30)): ModuleLoadRow[] {
  const pkg = unzipPackage();
  try {
    sample(pkg.dir);
    sample(root);
    const bundled: number[] = [];
    const unbundled: number[] = [];
    for (let i = 0; i < samples; i++) {
      bundled.push(sample(pkg.dir));
      unbundled.push(sample(root));
    }
    return [
      {
        build: "package (bundled)",
        samples: bundled,
        p50: pct(bundled, 50),
        p99: pct(bundled, 99),
        detail: `${pkg.files} files in the zip, ${(pkg.bytes / 1e6).toFixed(2)} MB of JS`,
      },
      {
        build: "dist (unbundled)",
        samples: unbundled,
        p50: pct(unbundled, 50),
        p99: pct(unbundled, 99),
        detail: "tsc output + node_modules",
      },
    ];
  } finally {
    rmSync(pkg.dir, { recursive: true, force: true });
  }
}

export function renderModuleLoad(rows: ModuleLoadRow[]): string {
  const L = [
    `## Module load (fresh process: start → function app loaded and registered)`,
    "",
    `A fresh \`node\` per sample imports the app's package.json "main" glob as the Functions worker does; target ≤ ${MODULE_LOAD_TARGET_MS} ms. A real cold start adds the worker's own start and the cold pipeline (tables above).`,
    "",
    `| build | samples | p50 ms | p99 ms | target | what loads |`,
    `|---|---:|---:|---:|---|---|`,
  ];
  for (const r of rows)
    L.push(
      `| ${r.build} | ${r.samples.length} | ${r.p50.toFixed(0)} | ${r.p99.toFixed(0)} | ${r.build.startsWith("package") ? (r.p99 <= MODULE_LOAD_TARGET_MS ? "met" : r.p50 <= MODULE_LOAD_TARGET_MS ? "p50 met, p99 not" : "not met") : "—"} | ${r.detail} |`,
    );
  return `${L.join("\n")}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = measureModuleLoad();
  process.stdout.write(renderModuleLoad(rows));
}
