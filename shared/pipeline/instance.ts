// One runtime per function instance: built on first use from app settings, reused while the instance is warm.
import { loadConfig } from "../config/config.js";
import { keyVaultClientSettings } from "../config/keyvault-client.js";
import { createRuntime, type Runtime } from "./runtime.js";

let current: Runtime | undefined;

export function getRuntime(): Runtime {
  if (!current) {
    const kv = keyVaultClientSettings(process.env); // emulator-only overrides; empty against real Key Vault
    current = createRuntime(loadConfig(process.env), { ...(kv.credential ? { credential: kv.credential } : {}), vault: kv.vault });
  }
  return current;
}

/** Tests and the demo inject a runtime built for the local environment. */
export function setRuntime(rt: Runtime | undefined): void {
  current = rt;
}
