// `npm run package`: the zip Azure Functions deploys (host.json, package.json, the bundled app; no node_modules).
// Prints its size and fails when it exceeds the budget. Run after `tsc -p tsconfig.build.json` (the npm script does).
import { buildPackage } from "./build.js";
import { ZIP_BUDGET_BYTES } from "./layout.js";

const mb = (n: number) => `${(n / 1_000_000).toFixed(2)} MB`;

async function main(): Promise<void> {
  const r = await buildPackage();
  console.log(`package: ${r.zip}`);
  console.log(`  ${r.files.length} files, ${mb(r.unpackedBytes)} unpacked, ${mb(r.zipBytes)} zipped (budget ${mb(ZIP_BUDGET_BYTES)})`);
  console.log(`  JavaScript: ${mb(r.startBytes)} loaded at start, ${mb(r.jsBytes - r.startBytes)} on first use`);
  for (const f of r.files) console.log(`  ${f}`);
  if (r.zipBytes > ZIP_BUDGET_BYTES) {
    console.error(`package: ${mb(r.zipBytes)} zipped exceeds the ${mb(ZIP_BUDGET_BYTES)} budget; find what grew with esbuild's metafile`);
    process.exitCode = 1;
  }
}

main().catch((e: unknown) => {
  console.error(`package failed: ${(e as Error).message}`);
  process.exit(1);
});
