// The Key Vault failure table: every class by status + error code + inner error code, never by message text.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { classifyKeyVaultFailure, KEY_VAULT_FAILURES, retryAfterSeconds, type FailureFacts } from "../../../shared/vault/failures.js";
import { worstFailure } from "../../../shared/model/index.js";
import type { KeyVaultFailure } from "../../../shared/vault/errors.js";
import { errorCodesOf, RetryAfterBeyondDeadline } from "../../../shared/vault/read-policy.js";
import { errorFacts } from "../../../shared/vault/sdk-error.js";

const verdict = (f: FailureFacts) => classifyKeyVaultFailure(f);

describe("classifyKeyVaultFailure", () => {
  it.each([
    [{ status: 403, code: "Forbidden", innerCode: "SecretDisabled" }, "secret-disabled", { outcome: "disabled" }],
    [{ status: 403, code: "Forbidden", innerCode: "KeyDisabled" }, "key-disabled", { outcome: "disabled" }],
    [{ status: 403, code: "Forbidden", innerCode: "ForbiddenByConnection" }, "forbidden-by-connection", { kind: "access" }],
    [{ status: 403, code: "Forbidden", innerCode: "ForbiddenByFirewall" }, "forbidden-by-firewall", { kind: "access" }],
    [{ status: 403, code: "Forbidden", innerCode: "ForbiddenByPolicy" }, "forbidden-by-policy", { kind: "access" }],
    [{ status: 403, code: "Forbidden", innerCode: "ForbiddenByRbac" }, "forbidden-by-rbac", { kind: "access" }],
    [{ status: 403, code: "AccessDenied" }, "access-denied", { kind: "access" }],
    [{ status: 403, code: "Forbidden", innerCode: "AccessDenied" }, "access-denied", { kind: "access" }],
    [{ status: 403, code: "Forbidden" }, "forbidden", { kind: "access" }],
    [{ status: 403, code: "Forbidden", innerCode: "SomethingNew" }, "forbidden", { kind: "access" }],
    [{ status: 403 }, "forbidden", { kind: "access" }],
    [{ status: 401, code: "Unauthorized" }, "unauthenticated", { kind: "identity" }],
    [{ status: 404, code: "SecretNotFound" }, "not-found", { outcome: "gone" }],
    [{ status: 404, code: "CertificateNotFound" }, "not-found", { outcome: "gone" }],
    [{ status: 429, code: "Throttled" }, "throttled", { kind: "transient" }],
    [{ status: 408 }, "request-timeout", { kind: "transient" }],
    [{ status: 409, code: "Conflict" }, "conflict", { kind: "transient" }],
    [{ status: 500, code: "InternalServerError" }, "server-error", { kind: "transient" }],
    [{ status: 503 }, "server-error", { kind: "transient" }],
    [{ status: 504 }, "server-error", { kind: "transient" }],
    [{ status: 400, code: "BadParameter" }, "bad-request", { kind: "access" }],
    [{ networkCode: "ECONNRESET" }, "no-answer", { kind: "transient" }],
    [{ deadline: true }, "no-answer", { kind: "transient" }],
    [{ status: 302 }, "unexpected-status", { kind: "transient" }],
  ] as const)("%j → %s", (facts, rule, expected) => {
    const v = verdict(facts);
    expect(v.rule).toBe(rule);
    expect(v).toMatchObject(expected);
    if ("kind" in v) expect(v.fix.length).toBeGreaterThan(10);
  });

  it("never looks at the message: a 403 saying 'disabled' without the inner code is an access failure", () => {
    // The reader used to match /disabled/i on the message; a firewall's message may say anything.
    expect(verdict({ status: 403, code: "Forbidden" })).toMatchObject({ kind: "access" });
  });

  it("names the cause and the fix for network and permission failures", () => {
    const conn = verdict({ status: 403, innerCode: "ForbiddenByConnection" });
    expect(conn).toMatchObject({ cause: expect.stringMatching(/public network access is disabled/) });
    expect("fix" in conn && conn.fix).toMatch(/VNet integration.*private endpoint/);
    const rbac = verdict({ status: 403, innerCode: "ForbiddenByRbac" });
    expect("fix" in rbac && rbac.fix).toMatch(/Key Vault Secrets User/);
    const generic = verdict({ status: 403 });
    expect("fix" in generic && generic.fix).toMatch(/private endpoint.*Key Vault Secrets User/);
  });

  it("every rule is reachable (no rule shadows a later one)", () => {
    const reached = new Set<string>();
    for (const r of KEY_VAULT_FAILURES) {
      const status =
        r.match.status === "4xx" ? 418 : r.match.status === "5xx" ? 502 : r.match.status === "none" ? undefined : r.match.status;
      const facts: FailureFacts = { ...(status !== undefined ? { status } : {}), ...(r.match.code ? { innerCode: r.match.code } : {}) };
      reached.add(verdict(facts).rule);
    }
    expect([...reached].sort()).toEqual(KEY_VAULT_FAILURES.map((r) => r.rule).sort());
  });

  it("the table is the one in the README's troubleshooting (every rule, its status and code)", () => {
    const doc = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");
    for (const r of KEY_VAULT_FAILURES) {
      const row = doc.split("\n").find((l) => l.startsWith("|") && l.includes(`\`${r.rule}\``));
      expect(row, `docs row for ${r.rule}`).toBeDefined();
      expect(row).toContain(String(r.match.status));
      if (r.match.code) expect(row).toContain(r.match.code);
      expect(row).toContain("outcome" in r.verdict ? r.verdict.outcome : r.verdict.kind);
    }
  });
});

describe("retryAfterSeconds", () => {
  const h = (m: Record<string, string>) => (n: string) => m[n];
  it("reads retry-after-ms, x-ms-retry-after-ms, Retry-After seconds and dates, as the SDK does", () => {
    expect(retryAfterSeconds(h({ "retry-after-ms": "1500" }), 0)).toBe(1.5);
    expect(retryAfterSeconds(h({ "x-ms-retry-after-ms": "250", "retry-after": "9" }), 0)).toBe(0.25);
    expect(retryAfterSeconds(h({ "retry-after": "7" }), 0)).toBe(7);
    expect(retryAfterSeconds(h({ "retry-after": new Date(60_000).toUTCString() }), 0)).toBe(60);
    expect(retryAfterSeconds(h({ "retry-after": new Date(0).toUTCString() }), 5000)).toBe(0);
    expect(retryAfterSeconds(h({}), 0)).toBeUndefined();
    expect(retryAfterSeconds(h({ "retry-after": "soon" }), 0)).toBeUndefined();
    expect(retryAfterSeconds(h({ "retry-after": "-3" }), 0)).toBeUndefined();
  });
});

describe("errorFacts (the SDK's error, faked at the boundary)", () => {
  it("takes status, code and innererror.code from a RestError's parsed body", () => {
    const e = Object.assign(new Error("Operation get is not allowed on a disabled secret."), {
      name: "RestError",
      statusCode: 403,
      code: "Forbidden",
      details: {
        error: { code: "Forbidden", message: "Operation get is not allowed on a disabled secret.", innerError: { code: "SecretDisabled" } },
      },
    });
    expect(errorFacts(e, undefined, { deadline: false })).toEqual({
      status: 403,
      code: "Forbidden",
      innerCode: "SecretDisabled",
      message: "Operation get is not allowed on a disabled secret.",
      fromService: true,
    });
  });

  it("fills the inner code the paging helper dropped from the policy's last answer, and keeps the first line only", () => {
    const e = Object.assign(
      new Error("Client address is not authorized and caller is not a trusted service.\r\nClient address: 203.0.113.9"),
      {
        name: "RestError",
        statusCode: 403,
        code: "Forbidden",
      },
    );
    expect(errorFacts(e, { status: 403, code: "Forbidden", innerCode: "ForbiddenByFirewall" }, { deadline: false })).toEqual({
      status: 403,
      code: "Forbidden",
      innerCode: "ForbiddenByFirewall",
      message: "Client address is not authorized and caller is not a trusted service.",
    });
  });

  it("an SDK TypeError after an empty-body answer is classified by that answer", () => {
    const e = new TypeError("Cannot read properties of undefined (reading 'error')");
    expect(errorFacts(e, { status: 503 }, { deadline: false })).toEqual({ status: 503 });
  });

  it("network errors, deadlines and Retry-After beyond the deadline", () => {
    const reset = Object.assign(new Error("read ECONNRESET"), { name: "RestError", code: "ECONNRESET" });
    expect(errorFacts(reset, undefined, { deadline: false })).toEqual({ networkCode: "ECONNRESET", message: "read ECONNRESET" });
    expect(errorFacts(new Error("aborted"), { status: 503 }, { deadline: true })).toEqual({
      deadline: true,
      message: "last answer HTTP 503",
    });
    const beyond = new RetryAfterBeyondDeadline({ status: 429, code: "Throttled", retryAfterSeconds: 3600 });
    expect(errorFacts(beyond, undefined, { deadline: false })).toMatchObject({ status: 429, code: "Throttled", retryAfterSeconds: 3600 });
  });

  it("parses Key Vault's error body, and nothing else", () => {
    expect(errorCodesOf('{"error":{"code":"Forbidden","message":"m","innererror":{"code":"ForbiddenByPolicy"}}}')).toEqual({
      code: "Forbidden",
      innerCode: "ForbiddenByPolicy",
    });
    expect(errorCodesOf("")).toEqual({});
    expect(errorCodesOf("<html>bad gateway</html>")).toEqual({});
    expect(errorCodesOf('{"error":"x"}')).toEqual({});
  });
});

describe("worstFailure", () => {
  const f = (kind: KeyVaultFailure["kind"], retryAfterSeconds?: number): KeyVaultFailure => ({
    kind,
    message: kind,
    fix: "-",
    ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
  });
  it("identity > access > transient; the longest wait among transient ones", () => {
    expect(worstFailure(f("transient"), f("access")).kind).toBe("access");
    expect(worstFailure(f("identity"), f("access")).kind).toBe("identity");
    expect(worstFailure(f("transient", 5), f("transient", 60)).retryAfterSeconds).toBe(60);
    expect(worstFailure(undefined, f("transient", 1)).retryAfterSeconds).toBe(1);
  });
});
