// One runtime per function instance: built on first use from app settings, reused while the instance is warm.
import { loadConfig } from "../config/config.js";
import { keyVaultClientSettings } from "../config/keyvault-client.js";
import { createRuntime, type Runtime } from "./runtime.js";

let current: Runtime | undefined;

/**
 * Diagnostics of instance-level background work (the SPC watch), which outlives any invocation's context.log: the
 * Functions host forwards console output to Application Insights as traces. Value-free by construction.
 */
export function instanceLog(msg: string, fields: Record<string, unknown>): void {
  console.warn(JSON.stringify({ msg, ...fields }));
}

export function getRuntime(): Runtime {
  if (!current) {
    const kv = keyVaultClientSettings(process.env); // emulator-only overrides; empty against real Key Vault
    current = createRuntime(loadConfig(process.env), {
      ...(kv.credential ? { credential: kv.credential } : {}),
      vault: kv.vault,
      log: instanceLog,
    });
  }
  return current;
}

/** Tests and the demo inject a runtime built for the local environment. */
export function setRuntime(rt: Runtime | undefined): void {
  current = rt;
}
