// One runtime per function instance: built on first use from app settings, reused while the instance is warm.
import { loadConfig } from "../config/config.js";
import { createRuntime, type Runtime } from "./runtime.js";

let current: Runtime | undefined;

export function getRuntime(): Runtime {
  current ??= createRuntime(loadConfig(process.env));
  return current;
}

/** Tests and the demo inject a runtime built for the local environment. */
export function setRuntime(rt: Runtime | undefined): void {
  current = rt;
}
