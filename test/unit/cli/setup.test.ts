import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseCli, UsageError } from "../../../shared/cli/args.js";
import { cliConfig, kubeconfigCluster, vaultsFromFlags } from "../../../shared/cli/setup.js";
import { ConfigError } from "../../../shared/config/config.js";
import { keyVaultClientSettings } from "../../../shared/config/keyvault-client.js";

const dir = mkdtempSync(join(tmpdir(), "kvrp-cli-unit-"));
const kubeconfig = join(dir, "kubeconfig");
writeFileSync(
  kubeconfig,
  `apiVersion: v1
kind: Config
clusters:
- name: one
  cluster: {server: "https://127.0.0.1:1"}
users:
- name: u
  user: {token: t}
contexts:
- name: first-ctx
  context: {cluster: one, user: u}
- name: user@other
  context: {cluster: one, user: u}
current-context: first-ctx
`,
);
const VAULTS = JSON.stringify([
  {
    name: "kv-alpha",
    resourceId: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-alpha",
    url: "https://kv-alpha.vault.azure.net",
  },
]);
const run = (argv: string[]) => {
  const c = parseCli(argv);
  if (c.command === "help") throw new Error("help");
  return c;
};

describe("CLI configuration", () => {
  it("--kubeconfig/--context → one kubeconfig cluster named after the context", () => {
    expect(kubeconfigCluster({ kubeconfig })).toEqual({
      name: "first-ctx",
      auth: { type: "kubeconfig", path: kubeconfig, context: "first-ctx" },
    });
    expect(kubeconfigCluster({ kubeconfig, context: "user@other" }).name).toBe("user@other");
    expect(() => kubeconfigCluster({ kubeconfig, context: "nope" })).toThrow(
      /context "nope" is not in the kubeconfig; contexts: first-ctx, user@other/,
    );
    expect(() => kubeconfigCluster({ kubeconfig: join(dir, "missing") })).toThrow(UsageError);
  });

  it("vaults from KVRP_VAULTS or --vault-url (explicit either way), other settings as the function app", () => {
    const cfg = cliConfig(run(["plan", "--vault", "kv-alpha", "--name", "x", "--kubeconfig", kubeconfig]), {
      KVRP_VAULTS: VAULTS,
      KVRP_RESTART_POLICY: "off",
      KVRP_RECONCILE_SCHEDULE: "bad",
    });
    expect([...cfg.vaults.keys()]).toEqual(["kv-alpha"]);
    expect(cfg.clusters.map((c) => c.name)).toEqual(["first-ctx"]);
    expect(cfg.policy.restart).toBe("off");
    const flags = cliConfig(
      run(["plan", "--vault", "kv-b", "--name", "x", "--kubeconfig", kubeconfig, "--vault-url", "kv-beta=https://127.0.0.1:9443"]),
      { KVRP_VAULTS: VAULTS },
    );
    expect([...flags.vaults.values()]).toEqual([
      { name: "kv-beta", url: "https://127.0.0.1:9443", resourceId: expect.stringMatching(/\/vaults\/kv-beta$/) },
    ]);
    expect(() => cliConfig(run(["drift", "--kubeconfig", kubeconfig]), {})).toThrow(/KVRP_VAULTS: is required/);
    expect(() => vaultsFromFlags([{ name: "kv-beta", url: "http://plain" }])).toThrow(/--vault-url\[0\]\.url/);
    expect(() => cliConfig(run(["drift", "--kubeconfig", kubeconfig]), { KVRP_VAULTS: VAULTS, KVRP_CONCURRENCY: "0" })).toThrow(
      ConfigError,
    );
  });

  it("KVRP_CLUSTERS when no kubeconfig flag; --cluster must name a known cluster; event refuses --vault-url", () => {
    const env = { KVRP_VAULTS: VAULTS, KVRP_CLUSTERS: JSON.stringify([{ name: "aks-a", server: "https://a", auth: "token", token: "x" }]) };
    expect(cliConfig(run(["drift"]), env).clusters.map((c) => c.name)).toEqual(["aks-a"]);
    expect(() => cliConfig(run(["drift", "--cluster", "aks-b"]), env)).toThrow(/--cluster: unknown cluster "aks-b"; available: "aks-a"/);
    expect(() => cliConfig(run(["event", "--vault-url", "kv-a=https://a"]), env)).toThrow(/--vault-url cannot be used with event/);
  });

  it("Key Vault client settings from the environment", () => {
    expect(keyVaultClientSettings({})).toEqual({ vault: {} });
    const ca = join(dir, "ca.pem");
    writeFileSync(ca, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    const s = keyVaultClientSettings({ KVRP_KEYVAULT_CA_FILE: ca, KVRP_KEYVAULT_STATIC_TOKEN: "emu" });
    expect(s.vault.clientOptions).toEqual({
      tlsOptions: { ca: expect.stringContaining("BEGIN CERTIFICATE") },
      disableChallengeResourceVerification: true,
    });
    expect(s.credential).toBeDefined();
    expect(() => keyVaultClientSettings({ KVRP_KEYVAULT_CA_FILE: join(dir, "none.pem") })).toThrow(
      /KVRP_KEYVAULT_CA_FILE: cannot read .*ENOENT/,
    );
    expect(() => keyVaultClientSettings({ KVRP_KEYVAULT_CA_FILE: kubeconfig })).toThrow(/holds no PEM certificate/);
  });
});
