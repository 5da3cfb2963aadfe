// The SecretSync inventory against a fake API boundary: nothing is listed where the API is not served; where it is,
// one list per namespace of the affected classes, only SecretSyncs of those classes, and the Secret each manages.
import { describe, expect, it } from "vitest";
import type { ClusterApi } from "../../../shared/kube/cluster-api.js";
import { toSpc } from "../../../shared/kube/translate.js";
import { collectSecretSyncs } from "../../../shared/inventory/secretsync.js";

function fakeApi(served: boolean | "error") {
  const calls: string[] = [];
  const items: Record<string, unknown[]> = {
    app: [
      {
        metadata: { namespace: "app", name: "db", resourceVersion: "1" },
        spec: { secretProviderClassName: "kv", serviceAccountName: "sa" },
      },
      { metadata: { namespace: "app", name: "other", resourceVersion: "2" }, spec: { secretProviderClassName: "unrelated" } },
    ],
  };
  const api = {
    name: "c1",
    customResources: {
      discover: async (group: string, version: string) => {
        calls.push(`discover ${group}/${version}`);
        if (served === "error") throw Object.assign(new Error("boom"), { code: 500 });
        if (!served) throw Object.assign(new Error("not found"), { code: 404 });
        return { resources: [{ name: "secretsyncs" }] };
      },
      list: async (_r: unknown, ns: string) => {
        calls.push(`list ${ns}`);
        return { items: items[ns] ?? [], resourceVersion: "9" };
      },
    },
    getSecret: async (ns: string, name: string) => {
      calls.push(`get secret ${ns}/${name}`);
      return { namespace: ns, name, type: "Opaque", data: {}, annotations: {}, resourceVersion: "3" };
    },
  } as unknown as ClusterApi;
  return { api, calls };
}
const spc = (ns: string, name: string) =>
  toSpc({ metadata: { namespace: ns, name }, spec: { provider: "azure", parameters: { keyvaultName: "kv" } } });
const now = <T>(f: () => Promise<T>) => f();

describe("SecretSync inventory", () => {
  it("lists nothing where the API is not served, and says so", async () => {
    const { api, calls } = fakeApi(false);
    const r = await collectSecretSyncs(api, [spc("app", "kv")], now);
    expect(r).toMatchObject({ syncController: false });
    expect(r.secretSyncs).toBeUndefined();
    expect(calls).toEqual(["discover secret-sync.x-k8s.io/v1alpha1"]);
  });

  it("lists once per namespace of the affected classes, keeps their SecretSyncs, gets each managed Secret", async () => {
    const { api, calls } = fakeApi(true);
    const r = await collectSecretSyncs(api, [spc("app", "kv"), spc("app", "kv2"), spc("empty", "kv")], now);
    expect(r.syncController).toBe(true);
    expect(r.secretSyncs?.map((s) => `${s.namespace}/${s.name}`)).toEqual(["app/db"]);
    expect([...r.secrets.keys()]).toEqual(["app/db"]);
    expect(calls.filter((c) => !c.startsWith("discover")).sort()).toEqual(["get secret app/db", "list app", "list empty"]);
  });

  it("discovery is cached per API client; a failed discovery fails the pass (retried) and is asked again", async () => {
    const ok = fakeApi(true);
    await collectSecretSyncs(ok.api, [spc("app", "kv")], now);
    await collectSecretSyncs(ok.api, [spc("app", "kv")], now);
    expect(ok.calls.filter((c) => c.startsWith("discover"))).toHaveLength(1);
    const bad = fakeApi("error");
    await expect(collectSecretSyncs(bad.api, [spc("app", "kv")], now)).rejects.toThrow("boom");
    await expect(collectSecretSyncs(bad.api, [spc("app", "kv")], now)).rejects.toThrow("boom");
    expect(bad.calls.filter((c) => c.startsWith("discover"))).toHaveLength(2);
    // With no affected class the pass only labels the report: a failed discovery is "not found", not a failure.
    expect(await collectSecretSyncs(bad.api, [], now)).toMatchObject({ syncController: false });
  });
});
