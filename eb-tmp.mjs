import * as esbuild from "esbuild";
const pure = { name: "pure", setup(b) { b.onResolve({ filter: /^@kubernetes\/client-node$/ }, async (a) => { if (a.pluginData) return; const r = await b.resolve(a.path, { kind: a.kind, resolveDir: a.resolveDir, pluginData: 1 }); return { path: r.path, sideEffects: false }; }); } };
const r = await esbuild.build({
  entryPoints: ["functions/onKeyVaultEvent.ts", "functions/rotate.ts", "functions/reconcile.ts"],
  bundle: true, platform: "node", format: "esm", target: "node22", splitting: true,
  outdir: "/tmp/ebout/dist/functions", chunkNames: "../chunks/[name]-[hash]",
  external: ["@azure/functions-core"], metafile: true, minify: process.argv.includes("min"), plugins: process.argv.includes("pure") ? [pure] : [],
  banner: { js: 'import { createRequire as __kvrpCreateRequire } from "node:module"; const require = __kvrpCreateRequire(import.meta.url);' },
  logLevel: "warning",
});
const text = await esbuild.analyzeMetafile(r.metafile, { verbose: false });
console.log(text.split("\n").slice(0, 25).join("\n"));
