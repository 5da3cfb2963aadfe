import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, parseClusters, parseVaults, SETTINGS } from "../../../shared/config/config.js";
import { parseObjects } from "../../../shared/kube/spc-objects.js";
import { isValidVaultName } from "../../../shared/names/keyvault.js";
import { parseKeyVaultEvent } from "../../../shared/signal/keyvault-event.js";

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
    expect(c.namespaceReadBudget).toBe(50);
    expect(c.proofVersions).toBe(3);
    expect(c).not.toHaveProperty("digestKey");
    expect(c.vaults.get("contoso-prod")).not.toHaveProperty("namespaces");
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
    [{ KVRP_NAMESPACE_READ_BUDGET: "0" }, "KVRP_NAMESPACE_READ_BUDGET"],
    [{ KVRP_NAMESPACE_READ_BUDGET: "10001" }, "KVRP_NAMESPACE_READ_BUDGET"],
    [{ KVRP_NAMESPACE_READ_BUDGET: "5e1" }, "KVRP_NAMESPACE_READ_BUDGET"],
    [{ KVRP_PROOF_VERSIONS: "0" }, "KVRP_PROOF_VERSIONS"],
    [{ KVRP_PROOF_VERSIONS: "26" }, "KVRP_PROOF_VERSIONS"],
    [{ KVRP_DIGEST_KEY: "k".repeat(31) }, "KVRP_DIGEST_KEY"],
    [{ KVRP_CLUSTERS: '[{"name":"a","server":"https://a"},{"name":"a","server":"https://b"}]' }, "KVRP_CLUSTERS[1].name"],
    [{ KVRP_CLUSTERS: '[{"name":"a","server":"https://a","auth":"token"}]' }, "KVRP_CLUSTERS[0].token"],
    [{ KVRP_CLUSTERS: '[{"name":"a","auth":"kubeconfig","contxt":"x"}]' }, "KVRP_CLUSTERS[0].contxt"],
  ])("rejects %j naming %s", (over, setting) => {
    expect(() => loadConfig(env(over))).toThrow(ConfigError);
    try {
      loadConfig(env(over));
    } catch (e) {
      expect((e as ConfigError).setting).toBe(setting);
      expect((e as Error).message).toContain(setting);
    }
  });

  it("messages say what is expected", () => {
    const message = (over: Record<string, string>) => {
      try {
        loadConfig(env(over));
      } catch (e) {
        return (e as Error).message;
      }
      throw new Error("expected a ConfigError");
    };
    expect(message({ KVRP_NAMESPACE_READ_BUDGET: "0" })).toBe(
      'configuration: KVRP_NAMESPACE_READ_BUDGET: "0" must be a whole number from 1 to 10000',
    );
    expect(message({ KVRP_PROOF_VERSIONS: "99" })).toBe('configuration: KVRP_PROOF_VERSIONS: "99" must be a whole number from 1 to 25');
    expect(message({ KVRP_RESTART_POLICY: "always" })).toBe(
      'configuration: KVRP_RESTART_POLICY: "always" is not one of env | annotated | off',
    );
    expect(message({ KVRP_CLUSTERS: '[{"name":"a","server":"http://insecure"}]' })).toBe(
      "configuration: KVRP_CLUSTERS[0].server: must be the API server's https:// URL",
    );
    expect(message({ KVRP_CLUSTERS: "[]" })).toBe("configuration: KVRP_CLUSTERS: must be a non-empty JSON array");
    expect(message({ KVRP_CLUSTERS: "  " })).toMatch(/^configuration: KVRP_CLUSTERS: is required: a JSON array of clusters, e.g. \[/);
    expect(message({ KVRP_CLUSTERS: '[{"server":"https://a"}]' })).toMatch(/^configuration: KVRP_CLUSTERS\[0\]\.name: is required/);
    expect(message({ KVRP_CLUSTERS: '[{"name":"a","auth":"kubeconfig","contxt":"x"}]' })).toBe(
      "configuration: KVRP_CLUSTERS[0].contxt: is not a known field; expected one of name, server, caData, auth, token, kubeconfig, context",
    );
    expect(message({ KVRP_VAULTS: "[1]" })).toMatch(/^configuration: KVRP_VAULTS\[0\]: must be an object/);
  });

  it("never echoes a credential: a JSON syntax error loses the input V8 quotes, the digest key is never shown", () => {
    for (const raw of [
      '[{"name":"a","auth":"token","token":"sekrit-token-value',
      "sekrit-token-value",
      '[{"token": sekrit-token-value}]',
    ]) {
      let msg = "";
      try {
        parseClusters(raw);
      } catch (e) {
        msg = (e as Error).message;
      }
      expect(msg).toMatch(/^configuration: KVRP_CLUSTERS: is not valid JSON \(/);
      expect(msg).not.toContain("sekrit");
    }
    const key = "short-but-secret-key-value";
    expect(() => loadConfig(env({ KVRP_DIGEST_KEY: key }))).toThrow(
      /KVRP_DIGEST_KEY: is too short: use a random key of at least 32 characters/,
    );
    expect(() => loadConfig(env({ KVRP_DIGEST_KEY: key }))).not.toThrow(new RegExp(key));
    const reference = "@Microsoft.KeyVault(SecretUri=https://contoso-ops.vault.azure.net/secrets/kvrp-digest-key)";
    expect(() => loadConfig(env({ KVRP_DIGEST_KEY: reference }))).toThrow(
      /KVRP_DIGEST_KEY: is a Key Vault reference the platform could not resolve/,
    );
    expect(() => loadConfig(env({ KVRP_DIGEST_KEY: reference }))).not.toThrow(/contoso-ops/);
  });

  it("reads the trust settings", () => {
    const key = " 0123456789abcdef0123456789abcdef ";
    const c = loadConfig(env({ KVRP_NAMESPACE_READ_BUDGET: "10000", KVRP_PROOF_VERSIONS: " 25 ", KVRP_DIGEST_KEY: key }));
    expect(c.namespaceReadBudget).toBe(10000);
    expect(c.proofVersions).toBe(25);
    expect(c.digestKey).toBe(key); // exactly as given: a key is not trimmed
    expect(loadConfig(env({ KVRP_DIGEST_KEY: "   " }))).not.toHaveProperty("digestKey");
  });
});

describe("KVRP_VAULTS", () => {
  const vault = (extra: Record<string, unknown>, name = "kv-a") =>
    JSON.stringify([
      { name, resourceId: `/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/${name}`, url: "https://x", ...extra },
    ]);
  const setting = (raw: string) => {
    try {
      parseVaults(raw);
    } catch (e) {
      return [(e as ConfigError).setting, (e as Error).message];
    }
    return undefined;
  };

  it("namespaces: names or globs, deduplicated; absent means every namespace", () => {
    expect(parseVaults(vault({ namespaces: ["team-a", "team-b-*", "*-prod", "team-a"] })).get("kv-a")?.namespaces).toEqual([
      "team-a",
      "team-b-*",
      "*-prod",
    ]);
    expect(parseVaults(vault({})).get("kv-a")).toEqual({
      name: "kv-a",
      resourceId: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-a",
      url: "https://x",
    });
  });

  it.each([
    [{ namespaces: [] }, "KVRP_VAULTS[0].namespaces", /must not be empty; omit it to allow every namespace/],
    [{ namespaces: "team-a" }, "KVRP_VAULTS[0].namespaces", /must be an array of namespace names or globs/],
    [{ namespaces: ["ok", "Team_A"] }, "KVRP_VAULTS[0].namespaces[1]", /"Team_A" is not a namespace name or glob/],
    [{ namespaces: ["-x*"] }, "KVRP_VAULTS[0].namespaces[0]", /is not a namespace name or glob/],
    [{ namespaces: ["a".repeat(64)] }, "KVRP_VAULTS[0].namespaces[0]", /is not a namespace name or glob/],
    [{ namespaces: [3] }, "KVRP_VAULTS[0].namespaces[0]", /must be a string .*, got number/],
    [{ namespace: ["team-a"] }, "KVRP_VAULTS[0].namespace", /is not a known field; expected one of name, resourceId, url, namespaces/],
  ])("namespaces %j → %s", (extra, where, message) => {
    const [s, m] = setting(vault(extra)) ?? [];
    expect(s).toBe(where);
    expect(m).toMatch(message);
  });

  it("accepts exactly the vault names whose events parse (Key Vault forbids '--')", () => {
    expect(setting(vault({}, "kv--prod"))).toEqual([
      "KVRP_VAULTS[0].name",
      expect.stringMatching(/must be a Key Vault name \(3-24 characters .*no '--'\)/),
    ]);
    const name = fc.stringMatching(/^[a-zA-Z0-9-]{1,26}$/);
    fc.assert(
      fc.property(name, (n) => {
        const resourceId = `/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/${n}`;
        let vaults;
        try {
          vaults = parseVaults(JSON.stringify([{ name: n, resourceId, url: `https://${n}.vault.azure.net` }]));
        } catch {
          expect(isValidVaultName(n)).toBe(false);
          return;
        }
        expect(isValidVaultName(n)).toBe(true);
        const parsed = parseKeyVaultEvent(
          {
            id: "e1",
            topic: resourceId,
            subject: "db",
            eventType: "Microsoft.KeyVault.SecretNewVersionCreated",
            eventTime: "2026-05-01T12:00:00Z",
            data: { VaultName: n, ObjectType: "Secret", ObjectName: "db", Version: "abc" },
            dataVersion: "1",
            metadataVersion: "1",
          },
          { vaults, receivedAt: new Date() },
        );
        expect(parsed).toMatchObject({ kind: "signal", signal: { vault: n.toLowerCase(), objectName: "db" } });
      }),
      { numRuns: 2000 },
    );
  });

  it("the resource id must name the same vault (case-insensitively)", () => {
    expect(setting(vault({ resourceId: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/KV-A" }))).toBeUndefined();
    expect(setting(vault({ resourceId: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-b" }))).toEqual([
      "KVRP_VAULTS[0].resourceId",
      "configuration: KVRP_VAULTS[0].resourceId: must be the vault's ARM id ending in /providers/Microsoft.KeyVault/vaults/kv-a",
    ]);
    expect(setting(vault({ resourceId: "/subscriptions//resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-a" }))?.[0]).toBe(
      "KVRP_VAULTS[0].resourceId",
    );
  });
});

describe("JSON settings under arbitrary input", () => {
  it("parseClusters / parseVaults either parse or throw a ConfigError naming the setting; nothing else escapes", () => {
    const entry = fc.dictionary(
      fc.constantFrom(
        "name",
        "server",
        "auth",
        "token",
        "kubeconfig",
        "context",
        "caData",
        "resourceId",
        "url",
        "namespaces",
        "valueOf",
        "__proto__",
      ),
      fc.oneof(fc.jsonValue(), fc.constantFrom("kv-a", "https://x", "token", "kubeconfig", "azure")),
    );
    const raw = fc.oneof(
      fc.json(),
      fc.string(),
      fc.array(entry, { maxLength: 3 }).map((a) => JSON.stringify(a)),
    );
    fc.assert(
      fc.property(raw, (text) => {
        for (const [parse, setting] of [
          [parseClusters, "KVRP_CLUSTERS"],
          [parseVaults, "KVRP_VAULTS"],
        ] as const) {
          try {
            parse(text);
          } catch (e) {
            expect(e).toBeInstanceOf(ConfigError);
            expect((e as ConfigError).setting.startsWith(setting)).toBe(true);
            expect([...(e as Error).message].some((ch) => ch.charCodeAt(0) < 0x20)).toBe(false);
          }
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe("settings list", () => {
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
