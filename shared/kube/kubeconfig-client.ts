// Clusters reached through a kubeconfig (local use: the CLI, `npm run env:up`): client-node's generated APIs and its
// Watch, with whatever auth the kubeconfig has (certificates, exec plugins, tokens). Loaded only when such a cluster is
// configured: the function app (token-authenticated clusters) never loads client-node.
import {
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  StorageV1Api,
  Watch,
  setHeaderOptions,
  type CoreV1Event,
} from "@kubernetes/client-node";
import type { Backend, ListPage, WatchHandle } from "./backend.js";

export interface KubeconfigSource {
  /** The kubeconfig file; absent: KUBECONFIG or ~/.kube/config. */
  path?: string;
  context?: string;
}

export interface KubeconfigClient {
  backend: Backend;
  watch(
    path: string,
    query: Record<string, string>,
    onEvent: (type: string, object: unknown) => void,
    onDone: (err: unknown) => void,
  ): Promise<WatchHandle>;
}

const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

export function kubeconfigClient(src: KubeconfigSource): KubeconfigClient {
  const kc = new KubeConfig();
  if (src.path) kc.loadFromFile(src.path);
  else kc.loadFromDefault();
  if (src.context) kc.setCurrentContext(src.context);
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const storage = kc.makeApiClient(StorageV1Api);
  const backend: Backend = {
    getSecret: (namespace, name) => core.readNamespacedSecret({ namespace, name }),
    async patch(r, namespace, name, body) {
      if (r.group === "" && r.plural === "secrets") await core.patchNamespacedSecret({ namespace, name, body }, mergePatch);
      else if (r.group === "" && r.plural === "pods") await core.patchNamespacedPod({ namespace, name, body }, mergePatch);
      else
        await custom.patchNamespacedCustomObject(
          { group: r.group, version: r.version, namespace, plural: r.plural, name, body },
          mergePatch,
        );
    },
    async list(r, q) {
      if (r.group === "" && (r.plural === "pods" || r.plural === "events")) {
        const o = {
          namespace: q.namespace ?? "",
          ...(q.limit ? { limit: q.limit } : {}),
          ...(q.continue ? { _continue: q.continue } : {}),
          ...(q.fieldSelector ? { fieldSelector: q.fieldSelector } : {}),
          ...(q.labelSelector ? { labelSelector: q.labelSelector } : {}),
        };
        // Plain objects again (the same shape restBackend answers with): the callers translate them.
        const page = r.plural === "pods" ? await core.listNamespacedPod(o) : await core.listNamespacedEvent(o);
        const plain = JSON.parse(JSON.stringify(page)) as ListPage & { metadata?: { _continue?: string } };
        if (plain.metadata?._continue) plain.metadata.continue = plain.metadata._continue;
        return plain;
      }
      const common = {
        group: r.group,
        version: r.version,
        plural: r.plural,
        ...(q.limit ? { limit: q.limit } : {}),
        ...(q.continue ? { _continue: q.continue } : {}),
        ...(q.fieldSelector ? { fieldSelector: q.fieldSelector } : {}),
        ...(q.labelSelector ? { labelSelector: q.labelSelector } : {}),
      };
      return (await (q.namespace
        ? custom.listNamespacedCustomObject({ ...common, namespace: q.namespace })
        : custom.listClusterCustomObject(common))) as ListPage;
    },
    getCsiDriver: (name) => storage.readCSIDriver({ name }),
    async createEvent(namespace, body) {
      await core.createNamespacedEvent({ namespace, body: body as CoreV1Event });
    },
    apiResources: (group, version) => custom.getAPIResources({ group, version }),
  };
  return {
    backend,
    async watch(path, query, onEvent, onDone) {
      const controller = await new Watch(kc).watch(path, query, onEvent, onDone);
      return { abort: () => controller.abort() };
    },
  };
}
