// The package.json that ships: what the Functions worker reads (type, main) and nothing a build would act on.
import { MAIN_GLOB } from "./layout.js";

interface SourceManifest {
  name: string;
  version: string;
  description?: string;
  license?: string;
  engines?: Record<string, string>;
}

/**
 * Production fields only. `dependencies` is empty because the bundle inlines every production dependency; no
 * scripts, so a remote build (Oryx `npm install`) has nothing to do. `type: module` makes the worker import() the
 * entry files as ES modules.
 */
export function productionManifest(src: SourceManifest): Record<string, unknown> {
  return {
    name: src.name,
    version: src.version,
    ...(src.description ? { description: src.description } : {}),
    ...(src.license ? { license: src.license } : {}),
    type: "module",
    main: MAIN_GLOB,
    ...(src.engines ? { engines: src.engines } : {}),
    dependencies: {},
  };
}
