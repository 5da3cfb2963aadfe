// Builds long-lived clients from configuration: one per cluster and per vault, reused across warm invocations.
import type { TokenCredential } from "@azure/core-auth";
import { DefaultAzureCredential } from "@azure/identity";
import { KubeConfig } from "@kubernetes/client-node";
import { AKS_SCOPE, type ClusterConfig, type Config } from "../config/config.js";
import type { SpcSource } from "../inventory/collect.js";
import { SpcCache } from "../inventory/spc-cache.js";
import { ClusterApi } from "../kube/cluster-api.js";
import { VaultClients, type VaultClientOptions } from "../vault/reader.js";

export interface Runtime {
  config: Config;
  /** The function's identity (DefaultAzureCredential unless injected), created on first use. */
  credential: TokenCredential;
  clusters: ClusterApi[];
  vaults: VaultClients;
  spcSource: SpcSource;
}

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
    case "kubeconfig": {
      const kc = new KubeConfig();
      if (c.auth.path) kc.loadFromFile(c.auth.path);
      else kc.loadFromDefault();
      if (c.auth.context) kc.setCurrentContext(c.auth.context);
      return ClusterApi.fromKubeConfig(c.name, kc);
    }
  }
}

export function createRuntime(
  config: Config,
  opts: { credential?: TokenCredential; vault?: VaultClientOptions; spcSource?: SpcSource } = {},
): Runtime {
  let cred = opts.credential;
  const credential = () => (cred ??= new DefaultAzureCredential());
  const lazy: TokenCredential = { getToken: (scopes, o) => credential().getToken(scopes, o) };
  return {
    config,
    credential: lazy,
    clusters: config.clusters.map((c) => clusterApi(c, credential)),
    vaults: new VaultClients(lazy, { ...(config.keyVaultApiVersion ? { serviceVersion: config.keyVaultApiVersion } : {}), ...opts.vault }),
    // Warm instances keep SecretProviderClasses indexed, current through a watch (see spc-cache.ts).
    spcSource: opts.spcSource ?? new SpcCache(),
  };
}

/** Stops the runtime's background work (SPC watches) and closes its keep-alive sockets. */
export function closeRuntime(rt: Runtime): void {
  rt.spcSource.close?.();
  for (const c of rt.clusters) c.close();
}
