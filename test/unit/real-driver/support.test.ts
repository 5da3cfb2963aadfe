// The loopback identity endpoint, the node's hosts file and Go durations (test/env/real-driver).
import { describe, expect, it } from "vitest";
import { answerTokenRequest } from "../../env/real-driver/identity-endpoint.js";
import { goDurationMs } from "../../env/real-driver/test-driver.js";
import { hostsFile, vaultHostname } from "../../env/real-driver/vault-network.js";

describe("managed-identity endpoint (App Service protocol, as MSAL's managed identity source sends it)", () => {
  const expected = { path: "/msi/token", header: "h" };
  const now = new Date("2026-12-01T05:00:00Z");
  const q = (s: string) => new URLSearchParams(s);
  it("answers a token with expires_on in Unix seconds for the resource asked", () => {
    const a = answerTokenRequest(
      { method: "GET", path: "/msi/token", query: q("api-version=2019-08-01&resource=https://vault.azure.net"), header: "h" },
      expected,
      now,
    );
    expect(a.status).toBe(200);
    expect(a.body).toMatchObject({
      resource: "https://vault.azure.net",
      token_type: "Bearer",
      expires_on: String(now.getTime() / 1000 + 3600),
    });
    expect(a.body.access_token).toMatch(/^kvrp-test-mi-[0-9a-f]{32}$/);
  });
  it("refuses a wrong header, api-version or path, and a missing resource", () => {
    const ok = { method: "GET", path: "/msi/token", query: q("api-version=2019-08-01&resource=r"), header: "h" };
    expect(answerTokenRequest({ ...ok, header: "x" }, expected, now).status).toBe(401);
    expect(answerTokenRequest({ ...ok, query: q("api-version=2018-02-01&resource=r") }, expected, now).status).toBe(400);
    expect(answerTokenRequest({ ...ok, query: q("api-version=2019-08-01") }, expected, now).status).toBe(400);
    expect(answerTokenRequest({ ...ok, path: "/other" }, expected, now).status).toBe(404);
  });
});

describe("the node's hosts file", () => {
  it("keeps the machine's entries, replaces lines for the vault names, adds one line per vault", () => {
    const base = "127.0.0.1 localhost\n10.1.2.3 kv-alpha.vault.azure.net\n::1 localhost ip6-localhost\n";
    const text = hostsFile(base, [
      { address: "127.20.30.1", hostname: vaultHostname("KV-Alpha") },
      { address: "127.20.30.2", hostname: vaultHostname("kv-beta") },
    ]);
    expect(text.split("\n").filter((l) => l && !l.startsWith("#"))).toEqual([
      "127.0.0.1 localhost",
      "::1 localhost ip6-localhost",
      "127.20.30.1 kv-alpha.vault.azure.net",
      "127.20.30.2 kv-beta.vault.azure.net",
    ]);
  });
});

describe("Go durations (the driver's flags)", () => {
  it("parses what the tests pass, refuses the rest", () => {
    expect(goDurationMs("2s")).toBe(2000);
    expect(goDurationMs("2m")).toBe(120_000);
    expect(goDurationMs("1m30s")).toBe(90_000);
    expect(goDurationMs("500ms")).toBe(500);
    expect(() => goDurationMs("2 minutes")).toThrow(/not a Go duration/);
    expect(() => goDurationMs("")).toThrow(/not a Go duration/);
  });
});
