// The spawned CLI runs from dist/: tests compile it when it is missing or older than the sources (npm test builds
// first anyway, so this only matters when a test file is run on its own).
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const root = new URL("../../", import.meta.url).pathname;
export const cliMainJs = join(root, "dist/shared/cli/main.js");

function newestSource(dir: string): number {
  let m = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) m = Math.max(m, newestSource(p));
    else if (e.name.endsWith(".ts")) m = Math.max(m, statSync(p).mtimeMs);
  }
  return m;
}

export function buildCliIfStale(): void {
  if (existsSync(cliMainJs) && statSync(cliMainJs).mtimeMs >= newestSource(join(root, "shared"))) return;
  const r = spawnSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", join(root, "tsconfig.json")], {
    encoding: "utf8",
    cwd: root,
  });
  if (r.status !== 0) throw new Error(`tsc failed (this test runs the built CLI):\n${r.stdout}${r.stderr}`);
}
