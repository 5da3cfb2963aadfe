// The HTTP triggers end to end: requests through the handlers registered with app.http (rotate, plan, drift), real
// API server (restricted token), the Key Vault emulator, the real Secrets Store CSI driver v1.6 + Azure provider
// (kubelet stand-in). Also the reconcile timer registration.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callHttp, fireTimer, loadFunctionApp, registered } from "../support/functions-host.js";
import { setRuntime } from "../../shared/pipeline/instance.js";
import type { Report } from "../../shared/report/report.js";
import { MAX_REQUEST_BYTES } from "../../shared/signal/rotate-request.js";
import {
  createNamespace,
  createSpc,
  createWorkload,
  driver,
  generation,
  secretData,
  setRequiresRepublish,
  startWorld,
  uniqueName,
  type ClusterHandles,
  type RealDriver,
  type World,
} from "../support/world.js";

let w: World;
let c: ClusterHandles;
let ns: string;
let d: RealDriver;
const secretName = uniqueName("http-db");
const logs: string[] = [];
const VALUES = ["http-value-1", "http-value-2", "http-value-3"];
let v1Created: number;

beforeAll(async () => {
  w = await startWorld();
  await loadFunctionApp();
  c = w.clusters[0]!;
  await setRequiresRepublish(c, true);
  ns = await createNamespace(c, "http");
  // Only this file's namespace: drift must not read objects other test files left in the shared cluster.
  setRuntime(w.runtime({ namespacesInclude: [ns] }, ["c1"]));
  v1Created = (await w.secrets("kv-alpha").setSecret(secretName, VALUES[0]!)).properties.createdOn!.getTime();
  d = await driver(w, c, [ns], "v1.6");
  await createSpc(c, ns, {
    name: "app",
    vault: "kv-alpha",
    objects: [{ objectName: secretName, objectType: "secret" }],
    secretObjects: [{ secretName: "app-creds", type: "Opaque", data: [{ objectName: secretName, key: "password" }] }],
  });
  await d.mount(ns, "api-0", "app");
  await d.ownersSettled(); // the driver's own later writes (owner references) would move resourceVersions below
  await createWorkload(c, ns, "Deployment", "api", { env: ["app-creds"], spc: "app" });
});
afterAll(async () => {
  await d?.stop();
  setRuntime(undefined);
  await w?.stop();
});

interface Call {
  method?: string;
  query?: string;
  body?: string;
  headers?: Record<string, string>;
}

interface Res {
  status: number;
  headers: Record<string, string>;
  jsonBody: Record<string, unknown>;
}

/** A request as the host hands it to the worker, through @azure/functions' programming model, and its response. */
async function call(name: "rotate" | "plan" | "drift", o: Call = {}): Promise<Res> {
  const method = o.method ?? (name === "rotate" ? "POST" : "GET");
  const headers = o.headers ?? (o.body !== undefined ? { "content-type": "application/json" } : {});
  const out = await callHttp(
    name,
    {
      method,
      url: `http://localhost:7071/api/${name}${o.query ? "?" + o.query : ""}`,
      headers,
      ...(o.body !== undefined ? { body: o.body } : {}),
    },
    { invocationId: `inv-${uniqueName("h")}`, log: (l) => logs.push(l) },
  );
  // jsonBody went through the library's response conversion: JSON bytes with a JSON content type.
  expect(out.headers["content-type"]).toMatch(/^application\/json/);
  const res: Res = { status: out.status, headers: out.headers, jsonBody: out.json<Record<string, unknown>>() };
  // Never a value, never a stack trace, in any response.
  const text = out.body.toString("utf8");
  for (const v of VALUES) {
    expect(text).not.toContain(v);
    expect(text).not.toContain(Buffer.from(v).toString("base64"));
  }
  expect(text).not.toMatch(/\n\s+at |\.ts:\d+/);
  return res;
}

async function expectError(res: Res, status: number, message: RegExp, field?: string) {
  expect(res.status, JSON.stringify(res.jsonBody)).toBe(status);
  const err = res.jsonBody.error as { status: number; message: string; field?: string };
  expect(err.status).toBe(status);
  expect(err.message).toMatch(message);
  if (field !== undefined) expect(err.field).toBe(field);
  expect(res.jsonBody.invocationId).toMatch(/^inv-/);
}

async function versions(): Promise<{ secret: string; deployment: string; data: string }> {
  const s = await c.core.readNamespacedSecret({ namespace: ns, name: "app-creds" });
  const dep = await c.apps.readNamespacedDeployment({ namespace: ns, name: "api" });
  return {
    secret: s.metadata!.resourceVersion!,
    deployment: dep.metadata!.resourceVersion!,
    data: (await secretData(c, ns, "app-creds")).password!,
  };
}

describe("registrations", () => {
  it("rotate/plan/drift are HTTP triggers with function keys; reconcile is a timer on the default schedule", () => {
    const expectHttp = (name: string, method: string) => {
      const b = registered(name).bindings.find((x) => x.type === "httpTrigger")!;
      expect(b).toMatchObject({ direction: "in", authLevel: "function", route: name, methods: [method] });
    };
    expectHttp("rotate", "POST");
    expectHttp("plan", "GET");
    expectHttp("drift", "GET");
    const t = registered("reconcile").bindings.find((x) => x.type === "timerTrigger")!;
    expect(t.schedule).toBe("0 */5 * * * *");
  });
});

describe("POST /api/rotate: bad requests change nothing", () => {
  const body = (o: Record<string, unknown>) => JSON.stringify(o);
  it.each([
    ["invalid JSON", "{vault: kv-alpha", /not valid JSON/, undefined],
    ["not an object", "[1,2]", /must be a JSON object/, undefined],
    ["unknown field", body({ vault: "kv-alpha", objectName: "x", force: true }), /unknown field "force"/, "force"],
    ["missing vault", body({ objectName: "x" }), /vault is required/, "vault"],
    ["vault not a string", body({ vault: 7, objectName: "x" }), /vault must be a string, got number/, "vault"],
    ["invalid vault name", body({ vault: "kv_alpha!", objectName: "x" }), /not a valid Key Vault name/, "vault"],
    ["missing objectName", body({ vault: "kv-alpha" }), /objectName is required/, "objectName"],
    ["invalid objectName", body({ vault: "kv-alpha", objectName: "../etc/passwd" }), /not a valid Key Vault object name/, "objectName"],
    ["unknown objectType", body({ vault: "kv-alpha", objectName: "x", objectType: "blob" }), /secret\|certificate\|key/, "objectType"],
    ["clusters not an array", body({ vault: "kv-alpha", objectName: "x", clusters: "c1" }), /clusters must be an array/, "clusters"],
    [
      "unknown cluster",
      body({ vault: "kv-alpha", objectName: "x", clusters: ["c9"] }),
      /unknown cluster "c9"; configured: "c1"/,
      "clusters",
    ],
    ["invalid namespace", body({ vault: "kv-alpha", objectName: "x", namespaces: ["Not_A_Label"] }), /DNS-1123/, "namespaces"],
    ["empty namespaces", body({ vault: "kv-alpha", objectName: "x", namespaces: [] }), /must not be empty/, "namespaces"],
    ["dryRun not a boolean", body({ vault: "kv-alpha", objectName: "x", dryRun: "yes" }), /dryRun must be a boolean/, "dryRun"],
  ])("%s → 400", async (_what, b, message, field) => {
    await expectError(await call("rotate", { body: b }), 400, message, field);
  });

  it("empty body → 400; vault outside the allow-list → 403; wrong content-type → 415; oversized → 413", async () => {
    await expectError(await call("rotate", { body: "" }), 400, /body is empty/);
    await expectError(
      await call("rotate", { body: JSON.stringify({ vault: "kv-gamma", objectName: secretName }) }),
      403,
      /"kv-gamma" is not in this app's vault allow-list/,
      "vault",
    );
    await expectError(
      await call("rotate", {
        body: JSON.stringify({ vault: "kv-alpha", objectName: secretName }),
        headers: { "content-type": "text/plain" },
      }),
      415,
      /application\/json/,
    );
    const big = JSON.stringify({
      vault: "kv-alpha",
      objectName: secretName,
      namespaces: Array.from({ length: 8000 }, (_, i) => `ns-${i}`),
    });
    expect(big.length).toBeGreaterThan(MAX_REQUEST_BYTES);
    await expectError(await call("rotate", { body: big }), 413, new RegExp(`at most ${MAX_REQUEST_BYTES} bytes`));
    await expectError(
      await call("rotate", {
        body: "{}",
        headers: { "content-type": "application/json", "content-length": String(MAX_REQUEST_BYTES + 1) },
      }),
      413,
      /bytes/,
    );
  });
});

describe("GET /api/plan and /api/drift: bad queries", () => {
  it.each([
    ["missing vault", `objectName=${"x"}`, 400, /vault is required/, "vault"],
    ["missing objectName", "vault=kv-alpha", 400, /objectName is required/, "objectName"],
    ["unknown parameter", "vault=kv-alpha&objectName=x&force=1", 400, /unknown query parameter "force"/, "force"],
    ["dryRun is implicit", "vault=kv-alpha&objectName=x&dryRun=false", 400, /always a dry run/, "dryRun"],
    ["repeated vault", "vault=kv-alpha&vault=kv-beta&objectName=x", 400, /given 2 times/, "vault"],
    ["invalid namespace", "vault=kv-alpha&objectName=x&namespace=UPPER", 400, /DNS-1123/, "namespace"],
    ["unknown cluster", "vault=kv-alpha&objectName=x&cluster=c9", 400, /unknown cluster/, "cluster"],
    ["vault outside the allow-list", "vault=kv-gamma&objectName=x", 403, /allow-list/, "vault"],
  ])("plan: %s → %i", async (_what, query, status, message, field) => {
    await expectError(await call("plan", { query }), status, message, field);
  });

  it("drift: unknown parameter or cluster → 400; wrong method → 405", async () => {
    await expectError(await call("drift", { query: "vault=kv-alpha" }), 400, /unknown query parameter "vault"/, "vault");
    await expectError(await call("drift", { query: "cluster=c9" }), 400, /unknown cluster "c9"/, "cluster");
    await expectError(await call("plan", { method: "POST", body: "{}" }), 405, /use GET/);
  });
});

describe("dry runs change nothing; POST pushes for real", () => {
  it("rotate dryRun, GET plan and GET drift report the would-be actions; resourceVersions unchanged; then POST pushes", async () => {
    await d.gateOpen(); // the push's nudge must reach the driver outside its --rotation-poll-interval after the mount
    const v2 = await w.secrets("kv-alpha").setSecret(secretName, VALUES[1]!);
    const before = await versions();
    const gen0 = await generation(c, ns, "Deployment", "api");
    expect(before.data).toBe(VALUES[0]);

    const dry = await call("rotate", { body: JSON.stringify({ vault: "kv-alpha", objectName: secretName, dryRun: true }) });
    expect(dry.status).toBe(200);
    const dryRep = dry.jsonBody as unknown as Report;
    expect(dryRep.dryRun).toBe(true);
    expect(dryRep.counts).toMatchObject({ secretsPatched: 0, podsNudged: 0, workloadsRestarted: 0, failed: 0 });
    expect(dryRep.counts.planned).toBeGreaterThanOrEqual(2); // the Secret patch, the pod nudge, the env consumer's restart
    expect(dryRep.clusters[0]!.actions.map((a) => a.type)).toEqual(expect.arrayContaining(["patchSecret", "restartWorkload"]));

    const plan = await call("plan", { query: `vault=kv-alpha&objectName=${secretName}&namespace=${ns}&cluster=c1&code=function-key` });
    expect(plan.status).toBe(200);
    const planRep = plan.jsonBody as unknown as Report;
    expect(planRep.dryRun).toBe(true);
    expect(planRep.counts.planned).toBe(dryRep.counts.planned);
    expect(planRep.signals[0]).toMatchObject({ vault: "kv-alpha", objectType: "secret", objectName: secretName, source: "http" });

    const drift = await call("drift", { query: "cluster=c1" });
    expect(drift.status).toBe(200);
    const driftRep = drift.jsonBody as unknown as Report;
    expect(driftRep.dryRun).toBe(true);
    expect(driftRep.trigger).toBe("drift");
    expect(driftRep.drift?.driftFound).toBeGreaterThanOrEqual(1);
    expect(driftRep.counts.planned).toBeGreaterThanOrEqual(1);

    expect(await versions()).toEqual(before);
    expect(await generation(c, ns, "Deployment", "api")).toBe(gen0);

    const real = await call("rotate", { body: JSON.stringify({ vault: "kv-alpha", objectName: secretName, namespaces: [ns] }) });
    expect(real.status, JSON.stringify(real.jsonBody)).toBe(200);
    const rep = real.jsonBody as unknown as Report;
    expect(rep.dryRun).toBe(false);
    expect(rep.counts).toMatchObject({ secretsPatched: 1, workloadsRestarted: 1, failed: 0 });
    // The dry runs above already read and rendered the version the Secret holds: the warm instance proves it without a
    // read — unless both versions were created in the same second (Key Vault's resolution): one re-read of the latest
    // then orders them.
    const sameSecond = v2.properties.createdOn!.getTime() === v1Created;
    expect(rep).toMatchObject({ vaultReads: sameSecond ? 2 : 1, proofReads: sameSecond ? 1 : 0 });
    expect((await secretData(c, ns, "app-creds")).password).toBe(VALUES[1]);
    expect(await generation(c, ns, "Deployment", "api")).toBe(gen0 + 1);
    await d.idle();

    // Converged: drift finds nothing, a second push changes nothing.
    const after = await call("drift");
    expect((after.jsonBody as unknown as Report).drift?.driftFound).toBe(0);
    const again = await call("rotate", { body: JSON.stringify({ vault: "kv-alpha", objectName: secretName }) });
    expect((again.jsonBody as unknown as Report).counts).toMatchObject({ secretsPatched: 0, workloadsRestarted: 0 });
    expect(v2.properties.version).toBeTruthy();
    for (const l of logs) for (const v of VALUES) expect(l).not.toContain(v);
  });

  it("a cluster that cannot be reached → 503 with the report and Retry-After; other clusters still pushed", async () => {
    setRuntime(
      w.runtime(
        { namespacesInclude: [ns] },
        ["c1", "gone"],
        [{ name: "gone", url: "https://127.0.0.1:1", caPem: c.info.caPem, tokens: c.info.tokens }],
      ),
    );
    try {
      await w.secrets("kv-alpha").setSecret(secretName, VALUES[2]!);
      const res = await call("rotate", { body: JSON.stringify({ vault: "kv-alpha", objectName: secretName }) });
      expect(res.status).toBe(503);
      expect(res.headers).toMatchObject({ "retry-after": "30" }); // the library's Headers lower-case names
      const rep = res.jsonBody as unknown as Report;
      expect(rep.retry).toBe(true);
      expect(rep.clusters.find((k) => k.cluster === "gone")).toMatchObject({ ok: false });
      expect(rep.clusters.find((k) => k.cluster === "c1")).toMatchObject({ ok: true });
      expect((await secretData(c, ns, "app-creds")).password).toBe(VALUES[2]);
    } finally {
      setRuntime(w.runtime({ namespacesInclude: [ns] }, ["c1"]));
    }
  });
});

describe("reconcile timer", () => {
  it("logs a summary; warns when the run is past due; fails the run (throws) when a cluster is unreachable", async () => {
    await d.idle();
    expect(registered("reconcile").bindings.find((b) => b.direction === "in")?.type).toBe("timerTrigger");
    const lines: string[] = [];
    const o = { log: (l: string) => lines.push(l) };
    // The host sends TimerInfo PascalCase ({"IsPastDue":…}); the library camel-cases it into the handler's Timer.
    await fireTimer("reconcile", { isPastDue: false }, o);
    const summary = JSON.parse(lines.find((l) => l.includes('"reconcile summary"'))!) as { retry: boolean; drift: unknown };
    expect(summary.retry).toBe(false);
    expect(summary.drift).toBeDefined();
    expect(lines.some((l) => l.includes("reconcile ran late"))).toBe(false);
    await fireTimer("reconcile", { isPastDue: true }, o);
    expect(lines.some((l) => l.includes("reconcile ran late"))).toBe(true);
    setRuntime(
      w.runtime(
        { namespacesInclude: [ns] },
        ["gone"],
        [{ name: "gone", url: "https://127.0.0.1:1", caPem: c.info.caPem, tokens: c.info.tokens }],
      ),
    );
    try {
      await expect(fireTimer("reconcile", {}, o)).rejects.toThrow(/reconcile incomplete.*gone/);
    } finally {
      setRuntime(w.runtime({ namespacesInclude: [ns] }, ["c1"]));
    }
  });
});
