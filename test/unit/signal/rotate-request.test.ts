import { describe, expect, it } from "vitest";
import {
  MAX_REQUEST_BYTES,
  parseRotateQuery,
  parseRotateRequest,
  type RotateRequestResult,
} from "../../../shared/signal/rotate-request.js";
import { VAULTS } from "./fixtures.js";

const CTX = { vaults: VAULTS, clusterNames: ["aks-weu", "aks-neu"] as const };
const req = (input: unknown) => parseRotateRequest(input, CTX);
function err(r: RotateRequestResult) {
  if (r.ok) throw new Error(`expected an error, got ${JSON.stringify(r.value)}`);
  expect(r.message.length).toBeGreaterThan(0);
  return r;
}

describe("parseRotateRequest", () => {
  it("minimal request: objectType defaults to secret, dryRun false, no scoping", () => {
    expect(req({ vault: "kv-prod", objectName: "db-password" })).toEqual({
      ok: true,
      value: {
        vault: "kv-prod",
        objectName: "db-password",
        objectType: "secret",
        dryRun: false,
      },
    });
  });
  it("full request; vault lower-cased, objectType case-insensitive, lists deduplicated", () => {
    const r = req({
      vault: "KV-Prod",
      objectName: "tls-cert",
      objectType: "Certificate",
      clusters: ["aks-neu", "aks-neu"],
      namespaces: ["default", "apps", "default"],
      dryRun: true,
    });
    expect(r).toEqual({
      ok: true,
      value: {
        vault: "kv-prod",
        objectName: "tls-cert",
        objectType: "certificate",
        clusters: ["aks-neu"],
        namespaces: ["default", "apps"],
        dryRun: true,
      },
    });
  });
  it("raw string / bytes body: size cap → 413, bad JSON → 400", () => {
    expect(MAX_REQUEST_BYTES).toBe(65536);
    expect(req(JSON.stringify({ vault: "kv-prod", objectName: "x" })).ok).toBe(true);
    expect(req(new TextEncoder().encode(JSON.stringify({ vault: "kv-prod", objectName: "x" }))).ok).toBe(true);
    const big = JSON.stringify({
      vault: "kv-prod",
      objectName: "x",
      pad: "y".repeat(MAX_REQUEST_BYTES),
    });
    expect(err(req(big))).toMatchObject({
      status: 413,
      message: expect.stringMatching(/at most 65536 bytes/),
    });
    expect(err(req(new Uint8Array(MAX_REQUEST_BYTES + 1)))).toMatchObject({
      status: 413,
    });
    expect(err(req("€".repeat(22_000)))).toMatchObject({ status: 413 }); // 66,000 bytes in UTF-8
    expect(err(req("{vault:"))).toMatchObject({
      status: 400,
      message: expect.stringMatching(/^request body is not valid JSON/),
    });
  });
  it.each([null, [], '"x"', 5, true])("not an object: %j → 400", (input) => {
    expect(err(req(input))).toMatchObject({
      status: 400,
      message: expect.stringMatching(/must be a JSON object/),
    });
  });
  it("unknown fields are named", () => {
    const r = err(req({ vault: "kv-prod", objectName: "x", namespace: "a", force: true }));
    expect(r).toMatchObject({ status: 400, field: "namespace" });
    expect(r.message).toBe('unknown fields "namespace", "force"; allowed: vault, objectName, objectType, clusters, namespaces, dryRun');
    // Named as sent even when the name is an Object.prototype member (a fuzz counterexample).
    expect(err(req({ valueOf: {} }))).toMatchObject({
      status: 400,
      field: "valueOf",
      message: expect.stringMatching(/^unknown field "valueOf"/),
    });
  });
  it.each([
    [{ objectName: "x" }, "vault", /vault is required/],
    [{ vault: 1, objectName: "x" }, "vault", /vault must be a string, got number/],
    [{ vault: "kv--x", objectName: "x" }, "vault", /vault "kv--x" is not a valid Key Vault name; expected 3-24/],
    [{ vault: "kv-prod" }, "objectName", /objectName is required/],
    [{ vault: "kv-prod", objectName: null }, "objectName", /objectName must be a string, got null/],
    [
      { vault: "kv-prod", objectName: "../etc" },
      "objectName",
      /objectName "\.\.\/etc" is not a valid Key Vault object name; expected 1-127/,
    ],
    [{ vault: "kv-prod", objectName: "a\u0000b" }, "objectName", /"a\\u0000b"/],
    [{ vault: "kv-prod", objectName: "x", objectType: "cert" }, "objectType", /objectType "cert" is not one of secret\|certificate\|key/],
    [{ vault: "kv-prod", objectName: "x", objectType: 2 }, "objectType", /must be a string \(secret\|certificate\|key\), got number/],
    [{ vault: "kv-prod", objectName: "x", clusters: "aks-weu" }, "clusters", /clusters must be an array of cluster names, got string/],
    [{ vault: "kv-prod", objectName: "x", clusters: [] }, "clusters", /must not be empty; omit it to mean all/],
    [{ vault: "kv-prod", objectName: "x", clusters: ["aks-weu", 3] }, "clusters", /clusters\[1\] must be a string, got number/],
    [{ vault: "kv-prod", objectName: "x", clusters: ["aks-x"] }, "clusters", /unknown cluster "aks-x"; configured: "aks-weu", "aks-neu"/],
    [{ vault: "kv-prod", objectName: "x", namespaces: ["Default"] }, "namespaces", /"Default" is not a DNS-1123 label/],
    [{ vault: "kv-prod", objectName: "x", namespaces: ["a".repeat(64)] }, "namespaces", /is not a DNS-1123 label/],
    [{ vault: "kv-prod", objectName: "x", namespaces: ["../kube-system"] }, "namespaces", /is not a DNS-1123/],
    [{ vault: "kv-prod", objectName: "x", dryRun: "true" }, "dryRun", /dryRun must be a boolean \(true\|false\), got string/],
  ])("%j → 400 on %s", (input, field, re) => {
    const r = err(req(input));
    expect(r).toMatchObject({ status: 400, field });
    expect(r.message).toMatch(re);
  });
  it("vault not in the allow-list → 403 (after all 400 checks)", () => {
    expect(err(req({ vault: "kv-other", objectName: "x" }))).toMatchObject({
      status: 403,
      field: "vault",
      message: 'vault "kv-other" is not in this app\'s vault allow-list',
    });
    expect(err(req({ vault: "kv-other", objectName: "../x" }))).toMatchObject({
      status: 400,
    });
  });
  it("echoes at most ~100 characters of input", () => {
    const r = err(req({ vault: "kv-prod", objectName: `${"z".repeat(5000)}\n` }));
    expect(r.message).not.toContain("z".repeat(101));
  });
});

describe("parseRotateQuery (GET /api/plan)", () => {
  const q = (s: string) => parseRotateQuery(new URLSearchParams(s), CTX);
  it("builds the same request with dryRun true; namespace/cluster repeat or comma-separate; code ignored", () => {
    expect(q("vault=kv-prod&objectName=db&objectType=key&namespace=a&namespace=b,c&cluster=aks-weu&code=secretkey")).toEqual({
      ok: true,
      value: {
        vault: "kv-prod",
        objectName: "db",
        objectType: "key",
        namespaces: ["a", "b", "c"],
        clusters: ["aks-weu"],
        dryRun: true,
      },
    });
    expect(q("vault=kv-prod&objectName=db")).toEqual({
      ok: true,
      value: {
        vault: "kv-prod",
        objectName: "db",
        objectType: "secret",
        dryRun: true,
      },
    });
  });
  it("errors", () => {
    expect(err(q("vault=kv-prod&objectName=db&dryRun=false"))).toMatchObject({
      status: 400,
      field: "dryRun",
      message: expect.stringMatching(/unknown query parameter "dryRun".*always a dry run/),
    });
    expect(err(q("vault=kv-prod&vault=kv-x&objectName=db"))).toMatchObject({
      status: 400,
      field: "vault",
      message: expect.stringMatching(/given 2 times/),
    });
    expect(err(q("objectName=db"))).toMatchObject({
      status: 400,
      field: "vault",
    });
    expect(err(q("vault=kv-prod&objectName=db&namespace=Bad_NS"))).toMatchObject({ status: 400, field: "namespace" });
    expect(err(q("vault=kv-prod&objectName=db&namespace="))).toMatchObject({
      status: 400,
      field: "namespace",
    });
    expect(err(q("vault=kv-prod&objectName=db&cluster=nope"))).toMatchObject({
      status: 400,
      field: "cluster",
    });
    expect(err(q("vault=kv-nope&objectName=db"))).toMatchObject({
      status: 403,
    });
  });
});
