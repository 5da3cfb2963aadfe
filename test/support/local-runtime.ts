// The pusher's runtime on the local environment (restricted pusher token, Key Vault emulator trust). No test-runner
// imports: world.ts (vitest), the demo and the benchmark all build their runtimes here.
import type { Config, Policy } from "../../shared/config/config.js";
import type { SpcSource } from "../../shared/inventory/source.js";
import { createRuntime, type Runtime } from "../../shared/pipeline/runtime.js";
import type { VaultConfig } from "../../shared/model/index.js";
import type { ClusterInfo } from "../env/environment.js";
import { staticCredential, vaultClientOptions } from "../env/keyvault-emulator.js";

export function localConfig(
  clusters: Pick<ClusterInfo, "name" | "url" | "caPem" | "tokens">[],
  vaults: Map<string, VaultConfig>,
  policy: Partial<Policy> = {},
  over: Partial<Omit<Config, "clusters" | "vaults" | "policy">> = {},
): Config {
  return {
    clusters: clusters.map((c) => ({
      name: c.name,
      server: c.url,
      caData: c.caPem,
      auth: { type: "token" as const, token: c.tokens.pusher },
    })),
    vaults,
    policy: { restart: "env", mountRefresh: "nudge", namespacesInclude: [], namespacesExclude: [], ...policy },
    dryRun: false,
    reconcileSchedule: "0 */5 * * * *",
    concurrency: 8,
    driftGraceSeconds: 180,
    namespaceReadBudget: 50,
    proofVersions: 3,
    ...over,
  };
}

/** A runtime as a function instance builds it, trusting the emulator's CA. */
export function localRuntime(config: Config, vaultCaPem: string, opts: { spcSource?: SpcSource } = {}): Runtime {
  return createRuntime(config, {
    credential: staticCredential(),
    vault: { clientOptions: vaultClientOptions(vaultCaPem) as unknown as Record<string, unknown> },
    ...(opts.spcSource ? { spcSource: opts.spcSource } : {}),
  });
}
