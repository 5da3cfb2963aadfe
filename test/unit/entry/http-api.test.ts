// The checks handleHttpRequest makes before it needs a runtime (the runtime thunk throws if touched), and the 500 path.
import { describe, expect, it } from "vitest";
import { handleHttpRequest, type HttpApiRequest } from "../../../shared/entry/http-api.js";
import { ConfigError } from "../../../shared/config/config.js";
import { MAX_REQUEST_BYTES } from "../../../shared/signal/rotate-request.js";

const untouchable = () => {
  throw new Error("runtime must not be built");
};
const base = (over: Partial<HttpApiRequest>): HttpApiRequest => ({
  route: "rotate",
  method: "POST",
  url: "http://localhost/api/rotate",
  bodyText: '{"vault":"kv-alpha","objectName":"x"}',
  contentType: "application/json",
  invocationId: "inv-1",
  log: () => {},
  ...over,
});

describe("handleHttpRequest before the pipeline", () => {
  it("405 / 413 (header and body) / 415 / empty body", async () => {
    expect(await handleHttpRequest(untouchable, base({ method: "GET" }))).toMatchObject({ status: 405, headers: { Allow: "POST" } });
    expect(await handleHttpRequest(untouchable, base({ route: "plan", method: "POST" }))).toMatchObject({
      status: 405,
      headers: { Allow: "GET" },
    });
    expect(await handleHttpRequest(untouchable, base({ contentLength: String(MAX_REQUEST_BYTES + 1) }))).toMatchObject({ status: 413 });
    expect(await handleHttpRequest(untouchable, base({ bodyText: "é".repeat(MAX_REQUEST_BYTES / 2 + 1) }))).toMatchObject({ status: 413 });
    const ct = await handleHttpRequest(untouchable, base({ contentType: "text/plain" }));
    expect(ct).toMatchObject({ status: 415, jsonBody: { error: { field: "content-type" }, invocationId: "inv-1" } });
    expect(await handleHttpRequest(untouchable, base({ bodyText: "  " }))).toMatchObject({
      status: 400,
      jsonBody: { error: { message: expect.stringMatching(/body is empty/) } },
    });
  });

  it("unexpected failures: 500 with a generic message, no exception text; bad settings name the setting only", async () => {
    const logs: string[] = [];
    const boom = await handleHttpRequest(
      () => {
        throw new TypeError("secret-value-in-message");
      },
      base({ log: (_l, line) => logs.push(line) }),
    );
    expect(boom.status).toBe(500);
    expect(JSON.stringify(boom.jsonBody)).not.toContain("secret-value-in-message");
    expect(boom.jsonBody).toEqual({
      error: { status: 500, message: "internal error; see the function log for invocation inv-1" },
      invocationId: "inv-1",
    });
    const cfg = await handleHttpRequest(() => {
      throw new ConfigError("KVRP_CLUSTERS", 'is not valid JSON (Unexpected token, "[{"token":"abc" is not valid JSON)');
    }, base({}));
    expect(cfg.status).toBe(500);
    expect(JSON.stringify(cfg.jsonBody)).toContain("KVRP_CLUSTERS");
    expect(JSON.stringify(cfg.jsonBody)).not.toContain("abc");
  });
});
