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
  /** Input files (repository-relative) that ended up in the bundle. */
  inputs: string[];
  metafile: Metafile;
}

/** Bundles tsc's output of the trigger modules (`tscOut/functions/*.js`) into `stage/app/`. */
export async function bundleApp(root: string, tscOut: string, stage: string): Promise<BundleResult> {
  const result = await build({
    absWorkingDir: root,
    entryPoints: TRIGGER_MODULES.map((m) => join(tscOut, "functions", `${m}.js`)),
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
  const files = Object.keys(result.metafile.outputs).map((o) => relative(stage, join(root, o)));
  return { files, inputs, metafile: result.metafile };
}
