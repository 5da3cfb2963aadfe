// Builds the deployable package: stage directory + zip. The CLI is main.ts; the package test calls this directly.
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bundleApp } from "./bundle.js";
import { funcIgnore } from "./funcignore.js";
import { MAIN_GLOB, packagePaths, TRIGGER_MODULES } from "./layout.js";
import { productionManifest } from "./manifest.js";
import { zipFiles } from "./zip.js";

export interface PackageResult {
  zip: string;
  zipBytes: number;
  stage: string;
  files: string[];
  unpackedBytes: number;
  /** JavaScript parsed at start vs all of it (the rest is imported on first use). */
  startBytes: number;
  jsBytes: number;
}

export async function buildPackage(paths = packagePaths()): Promise<PackageResult> {
  const { root, tscOut, stage, zip } = paths;
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  const bundle = await bundleApp(root, tscOut, stage);
  copyFileSync(join(root, "host.json"), join(stage, "host.json"));
  copyFileSync(join(root, ".funcignore"), join(stage, ".funcignore"));
  const manifest = productionManifest(JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as never);
  writeFileSync(join(stage, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);

  const ignored = funcIgnore(join(stage, ".funcignore"));
  const files = ["host.json", "package.json", ".funcignore", ...bundle.files].filter((f) => !ignored(f)).sort();
  const missing = TRIGGER_MODULES.map((m) => MAIN_GLOB.replace("*", m)).filter((f) => !files.includes(f));
  if (missing.length) throw new Error(`the package lacks ${missing.join(", ")} (excluded by .funcignore or not bundled)`);
  const data = zipFiles(stage, files);
  writeFileSync(zip, data);
  const unpackedBytes = files.reduce((n, f) => n + readFileSync(join(stage, f)).length, 0);
  return { zip, zipBytes: data.length, stage, files, unpackedBytes, startBytes: bundle.startBytes, jsBytes: bundle.totalBytes };
}
