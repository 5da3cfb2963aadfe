// Entra ID auth path for AKS (token from the credential, for the AKS scope) and Argo Rollouts when the CRD exists.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiextensionsV1Api } from "@kubernetes/client-node";
import type { TokenCredential } from "@azure/core-auth";
import { AKS_SCOPE, type Config } from "../../shared/config/config.js";
import { push } from "../../shared/pipeline/push.js";
import { createRuntime } from "../../shared/pipeline/runtime.js";
import { templateKey } from "../../shared/lib/annotations.js";
import { staticCredential, vaultClientOptions } from "../env/keyvault-emulator.js";
import { podTemplate } from "../support/fixtures.js";
import { createNamespace, createSpc, driver, startWorld, uniqueName, type World } from "../support/world.js";

let w: World;
beforeAll(async () => {
  w = await startWorld();
});
afterAll(async () => {
  await w?.stop();
});

describe("auth: azure", () => {
  it("asks the credential for the AKS scope and uses that token as the bearer (restricted user)", async () => {
    const c = w.clusters[0]!;
    const scopes: string[] = [];
    const vaultCred = staticCredential();
    const credential: TokenCredential = {
      async getToken(s) {
        const scope = Array.isArray(s) ? s[0]! : (s as string);
        scopes.push(scope);
        if (scope === AKS_SCOPE) return { token: c.info.tokens.pusher, expiresOnTimestamp: Date.now() + 3_600_000 };
        return vaultCred.getToken(s);
      },
    };
    const config: Config = {
      clusters: [{ name: "aks", server: c.info.url, caData: Buffer.from(c.info.caPem).toString("base64"), auth: { type: "azure" } }],
      vaults: w.vaults,
      policy: { restart: "env", mountRefresh: "nudge", namespacesInclude: [], namespacesExclude: [] },
      dryRun: false,
      reconcileSchedule: "0 */5 * * * *",
      concurrency: 4,
      driftGraceSeconds: 180,
      namespaceReadBudget: 50,
      proofVersions: 3,
    };
    const rt = createRuntime(config, {
      credential,
      vault: { clientOptions: vaultClientOptions(w.caPem) as unknown as Record<string, unknown> },
    });
    const name = uniqueName("aad");
    await w.secrets("kv-alpha").setSecret(name, "a1");
    const ns = await createNamespace(c, "aad");
    const d = await driver(w, c, [ns], "v1.6");
    try {
      await createSpc(c, ns, {
        name: "s",
        vault: "kv-alpha",
        objects: [{ objectName: name, objectType: "secret" }],
        secretObjects: [{ secretName: "s", type: "Opaque", data: [{ objectName: name, key: "v" }] }],
      });
      await d.mount(ns, "p", "s");
      await w.secrets("kv-alpha").setSecret(name, "a2");
      const rep = await push(rt, [
        { vault: "kv-alpha", objectType: "secret", objectName: name, eventTime: new Date().toISOString(), source: "cli" },
      ]);
      expect(rep.counts.secretsPatched).toBe(1);
      expect(scopes).toContain(AKS_SCOPE);
    } finally {
      await d.stop();
    }
  });
});

describe("Argo Rollouts", () => {
  it("restarts a Rollout that reads the Secret by env once its CRD exists", async () => {
    const c = w.clusters[0]!;
    const ext = c.admin.makeApiClient(ApiextensionsV1Api);
    await ext
      .createCustomResourceDefinition({
        body: {
          metadata: { name: "rollouts.argoproj.io" },
          spec: {
            group: "argoproj.io",
            names: { kind: "Rollout", plural: "rollouts", singular: "rollout", listKind: "RolloutList" },
            scope: "Namespaced",
            versions: [
              {
                name: "v1alpha1",
                served: true,
                storage: true,
                schema: { openAPIV3Schema: { type: "object", x_kubernetes_preserve_unknown_fields: true } },
              },
            ],
          },
        },
      })
      .catch((e: { code?: number }) => {
        if (e.code !== 409) throw e;
      });
    const name = uniqueName("ro");
    await w.secrets("kv-beta").setSecret(name, "r1");
    const ns = await createNamespace(c, "ro");
    const d = await driver(w, c, [ns], "v1.6");
    try {
      await createSpc(c, ns, {
        name: "s",
        vault: "kv-beta",
        objects: [{ objectName: name, objectType: "secret" }],
        secretObjects: [{ secretName: "ro", type: "Opaque", data: [{ objectName: name, key: "password" }] }],
      });
      await d.mount(ns, "p", "s");
      // CRDs take a moment to serve
      for (let i = 0; i < 50; i++) {
        try {
          await c.custom.createNamespacedCustomObject({
            group: "argoproj.io",
            version: "v1alpha1",
            namespace: ns,
            plural: "rollouts",
            body: {
              apiVersion: "argoproj.io/v1alpha1",
              kind: "Rollout",
              metadata: { name: "canary", namespace: ns },
              spec: { selector: { matchLabels: { app: "canary" } }, template: podTemplate("canary", { env: ["ro"] }) },
            },
          });
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      const v2 = await w.secrets("kv-beta").setSecret(name, "r2");
      const rep = await push(w.runtime({}, ["c1"]), [
        { vault: "kv-beta", objectType: "secret", objectName: name, eventTime: new Date().toISOString(), source: "cli" },
      ]);
      expect(rep.counts.workloadsRestarted).toBe(1);
      const ro = (await c.custom.getNamespacedCustomObject({
        group: "argoproj.io",
        version: "v1alpha1",
        namespace: ns,
        plural: "rollouts",
        name: "canary",
      })) as {
        spec: { template: { metadata: { annotations: Record<string, string> } } };
      };
      expect(ro.spec.template.metadata.annotations[templateKey("kv-beta", name)]).toBe(`kv-beta/${name}@${v2.properties.version}`);
    } finally {
      await d.stop();
    }
  });
});
