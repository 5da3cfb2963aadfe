import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, SETTINGS } from "../../../shared/config/config.js";
import { parseObjects } from "../../../shared/kube/spc-objects.js";

const env = (over: Record<string, string> = {}) => ({
  KVRP_CLUSTERS: '[{"name":"aks-1","server":"https://aks-1.hcp.westeurope.azmk8s.io:443","auth":"azure"}]',
  KVRP_VAULTS:
    '[{"name":"Contoso-Prod","resourceId":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/contoso-prod","url":"https://contoso-prod.vault.azure.net/"}]',
  ...over,
});

describe("loadConfig", () => {
  it("applies documented defaults", () => {
    const c = loadConfig(env());
    expect(c.policy).toEqual({ restart: "env", mountRefresh: "nudge", namespacesInclude: [], namespacesExclude: [] });
    expect(c.reconcileSchedule).toBe("0 */5 * * * *");
    expect(c.concurrency).toBe(8);
    expect(c.driftGraceSeconds).toBe(180);
    expect(c.vaults.get("contoso-prod")?.url).toBe("https://contoso-prod.vault.azure.net");
    expect(c.clusters[0]!.auth).toEqual({ type: "azure" });
  });

  it.each([
    [{ KVRP_CLUSTERS: "" }, "KVRP_CLUSTERS"],
    [{ KVRP_CLUSTERS: "{not json" }, "KVRP_CLUSTERS"],
    [{ KVRP_CLUSTERS: '[{"name":"Bad_Name","server":"https://x"}]' }, "KVRP_CLUSTERS[0].name"],
    [{ KVRP_CLUSTERS: '[{"name":"a","server":"http://insecure"}]' }, "KVRP_CLUSTERS[0].server"],
    [
      {
        KVRP_VAULTS:
          '[{"name":"contoso-prod","resourceId":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/other","url":"https://x"}]',
      },
      "KVRP_VAULTS[0].resourceId",
    ],
    [{ KVRP_RESTART_POLICY: "always" }, "KVRP_RESTART_POLICY"],
    [{ KVRP_MOUNT_REFRESH: "kick" }, "KVRP_MOUNT_REFRESH"],
    [{ KVRP_RECONCILE_SCHEDULE: "*/5 * * * *" }, "KVRP_RECONCILE_SCHEDULE"],
    [{ KVRP_CONCURRENCY: "0" }, "KVRP_CONCURRENCY"],
    [{ KVRP_NAMESPACES_EXCLUDE: "ok,Not_OK" }, "KVRP_NAMESPACES_EXCLUDE"],
    [{ KVRP_DRY_RUN: "maybe" }, "KVRP_DRY_RUN"],
  ])("rejects %j naming %s", (over, setting) => {
    expect(() => loadConfig(env(over))).toThrow(ConfigError);
    try {
      loadConfig(env(over));
    } catch (e) {
      expect((e as ConfigError).setting).toBe(setting);
      expect((e as Error).message).toContain(setting);
    }
  });

  it("lists every setting in local.settings.sample.json", async () => {
    const { readFileSync } = await import("node:fs");
    const sample = JSON.parse(readFileSync(new URL("../../../local.settings.sample.json", import.meta.url), "utf8")) as {
      Values: Record<string, string>;
    };
    for (const k of Object.keys(SETTINGS)) expect(Object.keys(sample.Values)).toContain(k);
    expect(() => loadConfig(sample.Values)).not.toThrow();
  });
});

describe("parseObjects (the provider's objects format)", () => {
  it("reads the YAML string of YAML strings, trims values, keeps aliases, versions and encodings", () => {
    const text =
      "array:\n  - |\n    objectName: db \n    objectType: secret\n    objectAlias: db.txt\n    objectEncoding: base64\n  - |\n    objectName: tls\n    objectType: cert\n    objectVersion: abc\n    objectVersionHistory: 2\n";
    expect(parseObjects(text)).toEqual([
      { objectName: "db", objectType: "secret", objectAlias: "db.txt", objectEncoding: "base64" },
      { objectName: "tls", objectType: "cert", objectVersion: "abc", objectVersionHistory: 2 },
    ]);
  });
  it("rejects what the provider rejects, with the reason", () => {
    expect(() => parseObjects("array:\n  - |\n    objectName: x\n    objectType: Secret\n")).toThrow(/objectType "Secret"/);
    expect(() => parseObjects("objects: []")).toThrow(/array/);
  });
});
