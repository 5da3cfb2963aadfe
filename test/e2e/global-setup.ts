// Starts the real control plane once for the e2e project (kube-apiserver ×2 on one etcd, RBAC on), and provides
// the real Secrets Store CSI driver and Azure provider binaries (built on first use, then cached) before any test
// runs, so a cold build never counts against a test's timeout; each test file starts its own CSI nodes.
import type { TestProject } from "vitest/node";
import { startKubeEnv, type KubeEnv, type KubeEnvInfo } from "../env/environment.js";
import { csiAssets } from "../env/real-driver/assets.js";
import { syncAssets } from "../env/secretsync/assets.js";

declare module "vitest" {
  export interface ProvidedContext {
    kubeEnv: KubeEnvInfo;
  }
}

let env: KubeEnv | undefined;

export async function setup(project: TestProject): Promise<void> {
  const t0 = Date.now();
  const csi = await csiAssets();
  console.log(
    `[e2e env] Secrets Store CSI driver ${csi.versions.driver}, Azure provider ${csi.versions.provider}: binaries ${csi.seconds.toFixed(1)} s`,
  );
  const sync = await syncAssets();
  console.log(
    `[e2e env] sync controller: ${sync.controller.kind === "real" ? `real (${sync.controller.bin})` : `stand-in — ${sync.controller.why}`}`,
  );
  env = await startKubeEnv({ clusters: ["c1"] });
  project.provide("kubeEnv", env.info);
  console.log(
    `[e2e env] kube-apiserver ${env.info.versions.kubeApiserver}, etcd ${env.info.versions.etcd}: binaries ${env.info.timings.binariesSeconds.toFixed(1)} s, start ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
}

export async function teardown(): Promise<void> {
  await env?.stop();
}
