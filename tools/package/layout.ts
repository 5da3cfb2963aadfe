// Where the deployable package is staged and what it must look like. One place for the paths the packaging tool,
// its test and the benchmark share.
import { join } from "node:path";

/** The repository root, from this module's place in the source tree or in a build output (build/tsc, dist). */
export function repoRoot(): string {
  const here = new URL(".", import.meta.url).pathname;
  return here.replace(/\/(build\/tsc|dist)\/tools\/package\/?$/, "").replace(/\/tools\/package\/?$/, "");
}

/** The function app's directory inside the package: the bundle's entry files and its shared chunks. */
export const APP_DIR = "app";
/** package.json "main": the glob the Functions worker imports (one file per trigger module). */
export const MAIN_GLOB = `${APP_DIR}/functions/*.js`;
/** The trigger modules, by file name, each registering its functions with @azure/functions at load. */
export const TRIGGER_MODULES = ["onKeyVaultEvent", "reconcile", "rotate", "verify"] as const;
/** The zip Functions deploys may not grow past this (issue 15: ≤ 25 MB zipped). */
export const ZIP_BUDGET_BYTES = 25_000_000;

export interface PackagePaths {
  root: string;
  /** tsc output of tsconfig.build.json (the app without the tests). */
  tscOut: string;
  /** The staged package: what `func azure functionapp publish` would upload when run there. */
  stage: string;
  /** The zip of the stage. */
  zip: string;
}

export function packagePaths(root = repoRoot()): PackagePaths {
  return {
    root,
    tscOut: join(root, "build", "tsc"),
    stage: join(root, "build", "package"),
    zip: join(root, "build", "kv-rotation-pusher.zip"),
  };
}
