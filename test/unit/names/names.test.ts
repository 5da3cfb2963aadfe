import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isValidObjectName, isValidVaultName, parseVaultResourceId, vaultResourceId } from "../../../shared/names/keyvault.js";
import { globMatch as namespaceMatchesGlob } from "../../../shared/model/index.js";
import { isDns1123Label, isDns1123Subdomain, isNamespaceGlob } from "../../../shared/names/kubernetes.js";
import { quoteForLog, sanitizeForLog } from "../../../shared/names/untrusted.js";

describe("name validators", () => {
  it.each(["abc", "kv-prod", "Sample-KV", "a12", "a".repeat(24), "a-b-c"])("vault name ok: %s", (n) => {
    expect(isValidVaultName(n)).toBe(true);
  });
  it.each(["ab", "a".repeat(25), "1kv", "-kv", "kv-", "kv--prod", "kv_prod", "kv.prod", "../kv", "kv prod", "", 5, null])(
    "vault name bad: %j",
    (n) => {
      expect(isValidVaultName(n)).toBe(false);
    },
  );
  it.each(["a", "db-password", "A1-b2", "-x-", "1", "a".repeat(127)])("object name ok: %s", (n) => {
    expect(isValidObjectName(n)).toBe(true);
  });
  it.each(["", "a".repeat(128), "../x", "a/b", "a.b", "a_b", "a b", "a\n", "ü", 3])("object name bad: %j", (n) => {
    expect(isValidObjectName(n)).toBe(false);
  });
  it("DNS-1123 labels and subdomains", () => {
    for (const ok of ["default", "kube-system", "a", "0", "a".repeat(63)]) expect(isDns1123Label(ok)).toBe(true);
    for (const bad of ["", "A", "-a", "a-", "a.b", "a".repeat(64), "a_b", "..", 1]) expect(isDns1123Label(bad)).toBe(false);
    for (const ok of ["a.b", "secrets-store.csi.k8s.io", "a"]) expect(isDns1123Subdomain(ok)).toBe(true);
    for (const bad of ["", "a..b", ".a", "a.", `${"a".repeat(64)}.b`, "a".repeat(254), "A.b"]) expect(isDns1123Subdomain(bad)).toBe(false);
  });
});

describe("sanitizeForLog", () => {
  it("escapes control, bidi and separator characters", () => {
    expect(sanitizeForLog("a\nb\rc\td\u0000e\u001bf\u2028g\u202eh\u200bi")).toBe("a\\nb\\rc\\td\\u0000e\\u001bf\\u2028g\\u202eh\\u200bi");
  });
  it("truncates to max code units with an ellipsis, never splitting surrogate pairs or escapes", () => {
    expect(sanitizeForLog("x".repeat(500))).toBe(`${"x".repeat(99)}…`);
    expect(sanitizeForLog("x".repeat(100))).toBe("x".repeat(100));
    expect(sanitizeForLog("abcdef", 4)).toBe("abc…");
    expect(sanitizeForLog("\n\n\n", 5)).toBe("\\n\\n…");
    const emoji = sanitizeForLog("😀".repeat(100), 5);
    expect(emoji).toBe("😀😀…");
    expect(sanitizeForLog("a\ud800b")).toBe("a\\ufffdb");
  });
  it("describes non-strings without serialising them", () => {
    expect(sanitizeForLog({ secret: "x".repeat(1000) })).toBe("<object>");
    expect(sanitizeForLog([1, 2])).toBe("<array of 2>");
    expect(sanitizeForLog(null)).toBe("<null>");
    expect(sanitizeForLog(undefined)).toBe("<undefined>");
    expect(sanitizeForLog(1.5)).toBe("<number 1.5>");
    expect(quoteForLog("a")).toBe('"a"');
    expect(quoteForLog(1)).toBe("<number 1>");
  });
});

describe("namespace globs", () => {
  it.each(["team-a", "team-a-*", "*-prod", "*", "a*b*c", "0"])("valid: %s", (g) => {
    expect(isNamespaceGlob(g)).toBe(true);
  });
  it.each(["", "Team-a", "team_a", "-team*", "team-*-", "a.b", "a/b", "a".repeat(64), "*".repeat(64), " team", 3, null])(
    "invalid: %j",
    (g) => {
      expect(isNamespaceGlob(g)).toBe(false);
    },
  );
  it.each([
    ["team-a", "team-a", true],
    ["team-a", "team-ab", false],
    ["team-a-*", "team-a-", true],
    ["team-a-*", "team-a-prod", true],
    ["team-a-*", "team-b-prod", false],
    ["*-prod", "payments-prod", true],
    ["*-prod", "payments-prod-2", false],
    ["*", "kube-system", true],
    ["a*b*c", "abc", true],
    ["a*b*c", "axxbyyc", true],
    ["a*b*c", "acb", false],
    ["a*a", "a", false],
    ["ab*ba", "aba", false],
    ["a**b", "ab", true],
  ])("%s matches %s: %s", (glob, ns, want) => {
    expect(namespaceMatchesGlob(glob, ns)).toBe(want);
  });
  it("matches exactly as the equivalent regular expression would", () => {
    const glob = fc.stringMatching(/^[ab*-]{1,8}$/);
    const ns = fc.stringMatching(/^[ab-]{0,10}$/);
    fc.assert(
      fc.property(glob, ns, (g, n) => {
        const re = new RegExp(`^${g.split("*").join(".*")}$`);
        expect(namespaceMatchesGlob(g, n)).toBe(re.test(n));
      }),
      { numRuns: 3000 },
    );
  });
});

describe("vault resource ids", () => {
  const id = "/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/resourceGroups/rg-secrets/providers/Microsoft.KeyVault/vaults/kv-prod";
  it("parse and build are inverses; case-insensitive as ARM ids are", () => {
    const parts = parseVaultResourceId(id);
    expect(parts).toEqual({ subscription: "0b1f6471-1bf0-4dda-aec3-cb9272f09590", resourceGroup: "rg-secrets", vault: "kv-prod" });
    expect(vaultResourceId(parts!)).toBe(id);
    expect(parseVaultResourceId(id.toUpperCase())?.vault).toBe("KV-PROD");
  });
  it.each([
    id.replace("Microsoft.KeyVault/vaults", "Microsoft.Storage/storageAccounts"),
    id + "/",
    id + "/secrets/x",
    id.replace("/subscriptions/", "/subscriptions//"),
    id.replace("resourceGroups/rg-secrets", "resourceGroups/"),
    `${id.slice(0, id.indexOf("/vaults/") + 8)}${"k".repeat(1024)}`,
    "kv-prod",
    42,
  ])("not a vault id: %j", (s) => {
    expect(parseVaultResourceId(s)).toBeUndefined();
  });
});
