// CLI configuration: the function app's settings (loadConfig, same validation) with clusters and vaults chosen by
// flags. Clusters: --kubeconfig/--context → that one context (auth "kubeconfig", named after the context); else
// KVRP_CLUSTERS when set; else the current context of the default kubeconfig. Vaults (the allow-list, always
// explicit): --vault-url NAME=URL flags (a synthetic ARM resource id is recorded, which is why `event` refuses them:
// events are verified against the real resource id), else KVRP_VAULTS.
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { loadConfig, parseClusters, parseVaults, type ClusterConfig, type Config } from "../config/config.js";
import { keyVaultClientSettings } from "../config/keyvault-client.js";
import { vaultResourceId } from "../names/keyvault.js";
import { createRuntime, type Runtime } from "../pipeline/runtime.js";
import type { VaultConfig } from "../model/index.js";
import { UsageError, type Command, type CommonOptions } from "./args.js";

/** Recorded for --vault-url vaults: they have no known ARM id (only used to verify events). */
export const SYNTHETIC_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000";

const syntheticResourceId = (vault: string) => vaultResourceId({ subscription: SYNTHETIC_SUBSCRIPTION, resourceGroup: "cli", vault });

const PLACEHOLDER_CLUSTERS = JSON.stringify([{ name: "placeholder", auth: "kubeconfig" }]);
const PLACEHOLDER_VAULTS = JSON.stringify([
  { name: "placeholder", resourceId: syntheticResourceId("placeholder"), url: "https://placeholder.vault.azure.net" },
]);

export function vaultsFromFlags(flags: CommonOptions["vaultUrls"]): Map<string, VaultConfig> {
  const json = JSON.stringify(flags.map((f) => ({ name: f.name, url: f.url, resourceId: syntheticResourceId(f.name.toLowerCase()) })));
  return parseVaults(json, "--vault-url");
}

function defaultKubeconfigExists(env: NodeJS.ProcessEnv): boolean {
  const fromEnv = (env.KUBECONFIG ?? "").split(delimiter).filter(Boolean);
  if (fromEnv.length) return fromEnv.some((p) => existsSync(p));
  return existsSync(join(env.HOME ?? homedir(), ".kube", "config"));
}

/** One cluster from a kubeconfig context (checked to exist, so a typo is a usage error, not a connection error). */
export function kubeconfigCluster(opts: { kubeconfig?: string; context?: string }, command?: Command["command"]): ClusterConfig {
  const kc = new KubeConfig();
  try {
    if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig);
    else kc.loadFromDefault();
  } catch (e) {
    throw new UsageError(
      `cannot load kubeconfig${opts.kubeconfig ? ` "${opts.kubeconfig}"` : ""}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      command === "help" ? undefined : command,
    );
  }
  const context = opts.context ?? kc.getCurrentContext();
  if (!context || !kc.getContextObject(context)) {
    const names = kc.getContexts().map((c) => c.name);
    throw new UsageError(
      context
        ? `context "${context}" is not in the kubeconfig; contexts: ${names.join(", ") || "(none)"}`
        : `the kubeconfig has no current context; pass --context (contexts: ${names.join(", ") || "(none)"})`,
      command === "help" ? undefined : command,
    );
  }
  return { name: context, auth: { type: "kubeconfig", ...(opts.kubeconfig ? { path: opts.kubeconfig } : {}), context } };
}

type RunCommand = Exclude<Command, { command: "help" }>;

/** The configuration for one CLI run. Throws ConfigError (bad settings) or UsageError (bad flags); both exit 2. */
export function cliConfig(cmd: RunCommand, env: NodeJS.ProcessEnv): Config {
  const c = cmd.common;
  if (cmd.command === "event" && c.vaultUrls.length)
    throw new UsageError(
      "--vault-url cannot be used with event: events are verified against the vaults' resource ids, set KVRP_VAULTS",
      "event",
    );
  // Every other setting exactly as the function app reads it; clusters and vaults are replaced below.
  const base = loadConfig({ ...env, KVRP_CLUSTERS: PLACEHOLDER_CLUSTERS, KVRP_VAULTS: PLACEHOLDER_VAULTS, KVRP_RECONCILE_SCHEDULE: "" });
  const vaults = c.vaultUrls.length ? vaultsFromFlags(c.vaultUrls) : parseVaults(env.KVRP_VAULTS);
  let clusters: ClusterConfig[];
  if (c.kubeconfig !== undefined || c.context !== undefined) clusters = [kubeconfigCluster(c, cmd.command)];
  else if ((env.KVRP_CLUSTERS ?? "").trim()) clusters = parseClusters(env.KVRP_CLUSTERS);
  else if (defaultKubeconfigExists(env)) clusters = [kubeconfigCluster({}, cmd.command)];
  else
    throw new UsageError("no cluster: pass --kubeconfig/--context, set KUBECONFIG (or ~/.kube/config), or set KVRP_CLUSTERS", cmd.command);
  const names = clusters.map((k) => k.name);
  const unknown = c.clusters.filter((n) => !names.includes(n));
  if (unknown.length)
    throw new UsageError(
      `--cluster: unknown cluster${unknown.length > 1 ? "s" : ""} ${unknown.map((n) => `"${n}"`).join(", ")}; available: ${names.map((n) => `"${n}"`).join(", ")}`,
      cmd.command,
    );
  return { ...base, clusters, vaults };
}

export function cliRuntime(config: Config, env: NodeJS.ProcessEnv): Runtime {
  const kv = keyVaultClientSettings(env);
  // One-shot: fresh lists per run, no watch to keep warm, Events recorded before the process exits.
  return createRuntime(config, { vault: kv.vault, oneShot: true, ...(kv.credential ? { credential: kv.credential } : {}) });
}
