// Starts the real control plane once for the e2e project (kube-apiserver ×2 on one etcd, RBAC on).
import type { TestProject } from "vitest/node";
import { startKubeEnv, type KubeEnv, type KubeEnvInfo } from "../env/environment.js";

declare module "vitest" {
  export interface ProvidedContext {
    kubeEnv: KubeEnvInfo;
  }
}

let env: KubeEnv | undefined;

export async function setup(project: TestProject): Promise<void> {
  const t0 = Date.now();
  env = await startKubeEnv({ clusters: ["c1"] });
  project.provide("kubeEnv", env.info);
  console.log(
    `[e2e env] kube-apiserver ${env.info.versions.kubeApiserver}, etcd ${env.info.versions.etcd}: binaries ${env.info.timings.binariesSeconds.toFixed(1)} s, start ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
}

export async function teardown(): Promise<void> {
  await env?.stop();
}
