// Builds long-lived clients from configuration: one per cluster and per vault, reused across warm invocations, and
// what a warm instance remembers (proof renderings, negative reads, read rotation).
import type { TokenCredential } from "@azure/core-auth";
import { DefaultAzureCredential } from "@azure/identity";
import { AKS_SCOPE, type ClusterConfig, type Config } from "../config/config.js";
import { EventRecorder } from "../apply/event-recorder.js";
import { InventoryCaches } from "../inventory/inventory-caches.js";
import { freshSpcs, type SpcSource } from "../inventory/source.js";
import { SpcCache } from "../inventory/spc-cache.js";
import { ClusterApi } from "../kube/cluster-api.js";
import { KeyedDigest } from "../lib/digest.js";
import type { Renderer } from "../plan/plan.js";
import { VaultClients, type VaultClientOptions } from "../vault/reader.js";
import { KnownRenderings } from "./known-renderings.js";
import { NegativeCache } from "./negative-cache.js";
import { providerRenderer } from "./renderer.js";
import { VersionAges } from "./version-ages.js";

/** What a warm instance keeps between invocations. None of it is a source of truth; all of it is bounded. */
export interface InstanceState {
  digest: KeyedDigest;
  known: KnownRenderings;
  negative: NegativeCache;
  /** When each object was last read by a drift run (objects are read least-recently-read first under a budget). */
  lastRead: Map<string, number>;
  /** When Key Vault created the versions seen (orders what objects hold against what was just read). */
  ages: VersionAges;
}

export interface Runtime {
  config: Config;
  /** The function's identity (DefaultAzureCredential unless injected), created on first use. */
  credential: TokenCredential;
  clusters: ClusterApi[];
  vaults: VaultClients;
  spcSource: SpcSource;
  /** Warm caches of pod mounts, workloads, the CSIDriver and SecretSyncs; absent in one-shot runs (fresh lists). */
  caches?: InventoryCaches;
  /** Kubernetes Events recorded in the background after each invocation; absent in one-shot runs (recorded inline). */
  events?: EventRecorder;
  render: Renderer;
  instance: InstanceState;
}

export type LogFn = (msg: string, fields: Record<string, unknown>) => void;

function pem(caData: string | undefined): string | undefined {
  if (!caData) return undefined;
  return caData.includes("-----BEGIN") ? caData : Buffer.from(caData, "base64").toString("utf8");
}

/** Entra ID token for AKS, from the managed identity; @azure/identity caches it and refreshes before expiry. */
function azureToken(credential: TokenCredential, scope: string): () => Promise<string> {
  return async () => {
    const t = await credential.getToken(scope);
    if (!t) throw new Error(`no Entra ID token for ${scope}: check the function app's managed identity`);
    return t.token;
  };
}

export function clusterApi(c: ClusterConfig, credential: () => TokenCredential): ClusterApi {
  switch (c.auth.type) {
    case "token": {
      const token = c.auth.token;
      return ClusterApi.withToken(c.name, c.server!, pem(c.caData), async () => token);
    }
    case "azure":
      return ClusterApi.withToken(c.name, c.server!, pem(c.caData), azureToken(credential(), c.auth.scope ?? AKS_SCOPE));
    case "kubeconfig":
      return ClusterApi.fromKubeConfig(c.name, {
        ...(c.auth.path ? { path: c.auth.path } : {}),
        ...(c.auth.context ? { context: c.auth.context } : {}),
      });
  }
}

export function instanceState(config: Config): InstanceState {
  const digest = new KeyedDigest(config.digestKey);
  return {
    digest,
    known: new KnownRenderings(digest, config.proofVersions),
    negative: new NegativeCache(),
    lastRead: new Map(),
    ages: new VersionAges(),
  };
}

export interface RuntimeOptions {
  credential?: TokenCredential;
  vault?: VaultClientOptions;
  spcSource?: SpcSource;
  log?: LogFn;
  /**
   * A one-shot run (the CLI): fresh lists instead of watch caches, Events recorded before returning (nothing runs
   * after the process exits). Default: a function instance, warm between invocations.
   */
  oneShot?: boolean;
}

export function createRuntime(config: Config, opts: RuntimeOptions = {}): Runtime {
  let cred = opts.credential;
  const credential = () => (cred ??= new DefaultAzureCredential());
  const lazy: TokenCredential = { getToken: (scopes, o) => credential().getToken(scopes, o) };
  const cacheOpts = opts.log ? { log: opts.log } : {};
  return {
    config,
    credential: lazy,
    clusters: config.clusters.map((c) => clusterApi(c, credential)),
    vaults: new VaultClients(lazy, { ...(config.keyVaultApiVersion ? { serviceVersion: config.keyVaultApiVersion } : {}), ...opts.vault }),
    // Warm instances keep SecretProviderClasses, mounts, workloads and SecretSyncs in watch caches (inventory/reflector.ts).
    spcSource: opts.spcSource ?? (opts.oneShot ? freshSpcs : new SpcCache(cacheOpts)),
    ...(opts.oneShot ? {} : { caches: new InventoryCaches(cacheOpts), events: new EventRecorder(config.concurrency) }),
    render: providerRenderer,
    instance: instanceState(config),
  };
}

/** Stops the runtime's background work (watches) and closes its keep-alive sockets; queued Events are dropped. */
export function closeRuntime(rt: Runtime): void {
  rt.spcSource.close?.();
  rt.caches?.close();
  for (const c of rt.clusters) c.close();
}

/** Waits (at most `ms`) for the Events queued in the background, then closes the runtime. */
export async function shutdownRuntime(rt: Runtime, ms = 10_000): Promise<void> {
  if (rt.events) await Promise.race([rt.events.drain(), new Promise((r) => setTimeout(r, ms).unref())]);
  closeRuntime(rt);
}
