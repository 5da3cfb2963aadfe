// Key Vault client settings from the environment: TLS trust and credential overrides for Key Vault emulators.
// The CLI uses this; the function app may too (e.g. `func start` against the local emulator).
//
// Settings (all optional; none is needed against real Azure Key Vault):
//   KVRP_KEYVAULT_API_VERSION   Key Vault REST API version to pin (read by loadConfig → Config.keyVaultApiVersion),
//                               e.g. for a sovereign cloud or an emulator that lags behind. Empty = the SDKs'
//                               defaults, which is what the end-to-end suite runs against.
//   KVRP_KEYVAULT_CA_FILE       Path of a PEM file with the CA certificate(s) to trust for TLS to Key Vault, passed
//                               to the @azure/keyvault-* clients as `tlsOptions.ca` (VaultClientOptions.clientOptions).
//                               It REPLACES the default trust store for Key Vault connections only (Kubernetes
//                               connections are unaffected). For an emulator with its own CA.
//   KVRP_KEYVAULT_STATIC_TOKEN  EMULATORS ONLY. A fixed bearer token used instead of DefaultAzureCredential (for Key
//                               Vault and for any "azure"-auth cluster), and the SDK's check that the auth
//                               challenge's resource matches the vault's domain is turned off (an emulator listens on
//                               127.0.0.1, which does not end in ".vault.azure.net"). Never set it against real Key
//                               Vault: real tokens expire, and the check keeps a look-alike URL from obtaining a token
//                               for https://vault.azure.net (docs/keyvault-failures.md, "Authentication").
import { readFileSync } from "node:fs";
import type { TokenCredential } from "@azure/core-auth";
import type { VaultClientOptions } from "../vault/reader.js";
import { ConfigError } from "./config.js";

export interface KeyVaultClientSettings {
  /** Set only with KVRP_KEYVAULT_STATIC_TOKEN; otherwise the runtime's DefaultAzureCredential is used. */
  credential?: TokenCredential;
  /** Extra SDK client options (merged by createRuntime with the pinned API version). */
  vault: VaultClientOptions;
}

export function staticTokenCredential(token: string): TokenCredential {
  return { getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3_600_000 }) };
}

export function keyVaultClientSettings(env: NodeJS.ProcessEnv = process.env): KeyVaultClientSettings {
  const clientOptions: Record<string, unknown> = {};
  const caFile = (env.KVRP_KEYVAULT_CA_FILE ?? "").trim();
  if (caFile) {
    let pem: string;
    try {
      pem = readFileSync(caFile, "utf8");
    } catch (e) {
      throw new ConfigError(
        "KVRP_KEYVAULT_CA_FILE",
        `cannot read "${caFile}": ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
    if (!pem.includes("-----BEGIN CERTIFICATE-----"))
      throw new ConfigError("KVRP_KEYVAULT_CA_FILE", `"${caFile}" holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
    clientOptions.tlsOptions = { ca: pem };
  }
  const token = (env.KVRP_KEYVAULT_STATIC_TOKEN ?? "").trim();
  const out: KeyVaultClientSettings = { vault: {} };
  if (token) {
    out.credential = staticTokenCredential(token);
    clientOptions.disableChallengeResourceVerification = true;
  }
  if (Object.keys(clientOptions).length) out.vault.clientOptions = clientOptions;
  return out;
}
