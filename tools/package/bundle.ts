// The function app as one tree-shaken, minified ES module graph: one entry file per trigger module, shared chunks,
// every production dependency inlined. Loading it is one read per file instead of ~2,000 node_modules files.
import { join, relative } from "node:path";
import { build, type Metafile } from "esbuild";
import { APP_DIR, TRIGGER_MODULES } from "./layout.js";

/**
 * Left out of the bundle: `@azure/functions-core` is not an npm package but the worker's built-in module, which
 * @azure/functions require()s at registration (the worker intercepts that require).
 */
export const EXTERNAL = ["@azure/functions-core"];

// CommonJS dependencies (node-forge, @azure/functions, ws, …) call require() for Node built-ins and for
// @azure/functions-core; an ES module has no `require`, so each output file gets one bound to itself. It resolves
// through Module.prototype.require, which is what the worker hooks to provide @azure/functions-core.
const REQUIRE_SHIM =
  'import { createRequire as __kvrpCreateRequire } from "node:module"; const require = __kvrpCreateRequire(import.meta.url);';

export interface BundleResult {
  /** Output files relative to the stage directory. */
  files: string[];
  /** Bytes of JavaScript the entry files load at start (static imports); the rest loads on first use. */
  startBytes: number;
  totalBytes: number;
  /** Input files (repository-relative) that ended up in the bundle. */
  inputs: string[];
  metafile: Metafile;
}

/** Bundles tsc's output of the trigger modules (`tscOut/functions/*.js`) into `stage/app/`. */
export async function bundleApp(root: string, tscOut: string, stage: string): Promise<BundleResult> {
  const entryPoints = TRIGGER_MODULES.map((m) => join(tscOut, "functions", `${m}.js`));
  const result = await build({
    absWorkingDir: root,
    entryPoints,
    outdir: join(stage, APP_DIR),
    entryNames: "functions/[name]",
    chunkNames: "chunks/[name]-[hash]",
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node22",
    minify: true,
    // Error and class names stay readable in logs and stack traces (errors are matched by name in places).
    keepNames: true,
    treeShaking: true,
    external: EXTERNAL,
    banner: { js: REQUIRE_SHIM },
    metafile: true,
    logLevel: "silent",
  });
  for (const w of result.warnings) process.stderr.write(`[package] esbuild warning: ${w.text} (${w.location?.file ?? "?"})\n`);
  const inputs = Object.keys(result.metafile.inputs);
  // The app must not pull in test code or the packaging tool itself.
  const stray = inputs.filter((i) => /^(build\/tsc\/)?(test|tools)\//.test(i));
  if (stray.length) throw new Error(`the function app bundle includes non-app files: ${stray.join(", ")}; remove those imports`);
  const outputs = result.metafile.outputs;
  const files = Object.keys(outputs).map((o) => relative(stage, join(root, o)));
  return { files, inputs, metafile: result.metafile, ...loadedAtStart(outputs, new Set(entryPoints.map((e) => relative(root, e)))) };
}

/**
 * Follows static imports from the entry files: what a worker parses before the first invocation. (esbuild marks
 * dynamically imported chunks as entry points too, so the real entries are passed in.)
 */
export function loadedAtStart(outputs: Metafile["outputs"], entries: Set<string>): { startBytes: number; totalBytes: number } {
  const seen = new Set<string>();
  const todo = Object.keys(outputs).filter((o) => entries.has(outputs[o]!.entryPoint ?? ""));
  while (todo.length) {
    const o = todo.pop()!;
    if (seen.has(o)) continue;
    seen.add(o);
    for (const i of outputs[o]!.imports) if (i.kind === "import-statement" && !i.external && outputs[i.path]) todo.push(i.path);
  }
  const bytes = (os: Iterable<string>) => [...os].reduce((n, o) => n + outputs[o]!.bytes, 0);
  return { startBytes: bytes(seen), totalBytes: bytes(Object.keys(outputs)) };
}
