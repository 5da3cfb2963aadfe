// Every Key Vault failure class (shared/vault/failures.ts, docs/keyvault-failures.md) through every entry point, on
// the real environment: the Event Grid trigger, the reconcile timer, the HTTP triggers (rotate, drift) as registered
// with @azure/functions, the Functions host's Event Grid endpoint (the status Event Grid sees), and the built CLI.
// Failures are Key Vault's own answers, produced on the wire by the emulator (status, error code, inner error code,
// headers, empty bodies, resets, stalls) or by the real state (a disabled newest version, a deleted secret).
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { RedeliveryNeeded } from "../../shared/entry/event-delivery.js";
import { setRuntime } from "../../shared/pipeline/instance.js";
import { closeRuntime, createRuntime, type Runtime } from "../../shared/pipeline/runtime.js";
import type { Failure, Report } from "../../shared/model/index.js";
import { KeyVaultReadError, type KeyVaultFailure } from "../../shared/vault/errors.js";
import { VaultReader } from "../../shared/vault/reader.js";
import type { FaultAction, FaultHandle } from "../env/keyvault-emulator.js";
import { staticCredential, vaultClientOptions } from "../env/keyvault-emulator.js";
import type { RealDriver } from "../env/real-driver/test-driver.js";
import { buildCliIfStale, cliMainJs } from "../support/built-cli.js";
import { pusherKubeconfig } from "../support/cli-env.js";
import { callHttp, deliverEvents, fireTimer, loadFunctionApp, serveFunctions, type InvokeOptions } from "../support/functions-host.js";
import { localConfig } from "../support/local-runtime.js";
import {
  createNamespace,
  createSpc,
  createWorkload,
  driver,
  generation,
  keyVaultEvent,
  setRequiresRepublish,
  startWorld,
  uniqueName,
  type ClusterHandles,
  type World,
} from "../support/world.js";

const READ_DEADLINE_MS = 3000;
const CHALLENGE = (tenant: string) =>
  `Bearer authorization="https://login.microsoftonline.com/${tenant}", resource="https://vault.azure.net", error="invalid_token"`;

interface Expect {
  rule: string;
  /** An answer: the object is skipped as unavailable, nothing fails. */
  outcome?: "disabled" | "gone";
  kind?: KeyVaultFailure["kind"];
  status?: number;
  code?: string;
  innerCode?: string;
  retryAfterSeconds?: number;
  /** Words of the cause or the fix that must reach the operator. */
  says: RegExp;
}

interface Scenario extends Expect {
  name: string;
  /** Makes Key Vault fail this way for `object`; the returned function undoes it. */
  arrange(object: string): Promise<() => void>;
  /** The CLI runs with the SDK's default retries and the 30 s read deadline: too slow for a stall. */
  cli?: boolean;
}

let w: World;
let c: ClusterHandles;
let ns: string;
let d: RealDriver;
let rt: Runtime;
let dir: string;
let cliEnv: NodeJS.ProcessEnv;
let host: { url: string; close(): Promise<void> };
const logs: string[] = [];
const values: string[] = [];

function fault(object: string, action: FaultAction, times = 1000): () => void {
  const h: FaultHandle = w.emulator.injectFaults({ vault: "kv-alpha", operation: "getSecret", name: object, times, action });
  return () => h.cancel();
}

const SCENARIOS: Scenario[] = [
  {
    name: "the newest version is disabled",
    rule: "secret-disabled",
    outcome: "disabled",
    says: /the newest version is disabled/,
    async arrange(object) {
      const v = await w.secrets("kv-alpha").setSecret(object, secretValue());
      await w.secrets("kv-alpha").updateSecretProperties(object, v.properties.version!, { enabled: false });
      return () => undefined;
    },
  },
  {
    name: "the secret was deleted",
    rule: "not-found",
    outcome: "gone",
    says: /not found: deleted, or never created/,
    async arrange(object) {
      await (await w.secrets("kv-alpha").beginDeleteSecret(object, { intervalInMs: 10 })).pollUntilDone();
      return () => undefined;
    },
  },
  ...(
    [
      ["ForbiddenByConnection", "forbidden-by-connection", /public network access is disabled.*VNet integration.*private endpoint/],
      ["ForbiddenByFirewall", "forbidden-by-firewall", /firewall does not allow.*VNet integration/],
      ["ForbiddenByPolicy", "forbidden-by-policy", /access policies.*Key Vault Secrets User/],
      ["ForbiddenByRbac", "forbidden-by-rbac", /role assignment.*Key Vault Secrets User/],
      ["AccessDenied", "access-denied", /denied.*Key Vault Secrets User/],
    ] as const
  ).map(([innerCode, rule, says]): Scenario => ({
    name: `403 ${innerCode}`,
    rule,
    kind: "access",
    status: 403,
    code: "Forbidden",
    innerCode,
    says,
    arrange: async (object) => fault(object, { type: "status", status: 403, innerCode, message: `Injected 403 ${innerCode}.` }),
  })),
  {
    name: "403 without an inner code",
    rule: "forbidden",
    kind: "access",
    status: 403,
    code: "Forbidden",
    says: /network rules or the permissions.*private endpoint.*Key Vault Secrets User/,
    arrange: async (object) => fault(object, { type: "status", status: 403, message: "Operation is not allowed." }),
  },
  {
    name: "401 invalid_token, every time",
    rule: "unauthenticated",
    kind: "identity",
    status: 401,
    code: "Unauthorized",
    says: /did not accept the function app's token.*managed identity/,
    arrange: async (object) =>
      fault(object, {
        type: "status",
        status: 401,
        message: "AKV10022: Invalid audience. Expected https://vault.azure.net, found: https://management.azure.com/.",
        headers: { "WWW-Authenticate": CHALLENGE("72f988bf-86f1-41af-91ab-2d7cd011db47") },
      }),
  },
  {
    name: "400 BadParameter",
    rule: "bad-request",
    kind: "access",
    status: 400,
    code: "BadParameter",
    says: /rejected the request itself.*KVRP_KEYVAULT_API_VERSION/,
    arrange: async (object) =>
      fault(object, { type: "status", status: 400, code: "BadParameter", message: "The specified version (9.9) is not recognized." }),
  },
  {
    name: "429 Retry-After 3600 s (beyond the read deadline: fails at once with the wait)",
    rule: "throttled",
    kind: "transient",
    status: 429,
    code: "Throttled",
    retryAfterSeconds: 3600,
    says: /throttled/,
    arrange: async (object) => fault(object, { type: "status", status: 429, retryAfterSeconds: 3600 }),
  },
  {
    name: "429 Retry-After 1 s, every time (honoured by the SDK, then given up)",
    rule: "throttled",
    kind: "transient",
    status: 429,
    code: "Throttled",
    retryAfterSeconds: 1,
    says: /throttled/,
    arrange: async (object) => fault(object, { type: "status", status: 429, retryAfterSeconds: 1 }),
  },
  {
    name: "503 with an empty body",
    rule: "server-error",
    kind: "transient",
    status: 503,
    says: /failed or was unavailable/,
    arrange: async (object) => fault(object, { type: "status", status: 503, body: "empty" }),
  },
  {
    name: "500 InternalServerError",
    rule: "server-error",
    kind: "transient",
    status: 500,
    code: "InternalServerError",
    says: /failed or was unavailable/,
    arrange: async (object) => fault(object, { type: "status", status: 500 }),
  },
  {
    name: "connection reset",
    rule: "no-answer",
    kind: "transient",
    code: "ECONNRESET",
    says: /no answer from Key Vault/,
    arrange: async (object) => fault(object, { type: "reset" }),
  },
  {
    name: "no answer within the read deadline",
    rule: "no-answer",
    kind: "transient",
    says: /no answer within 3000 ms/,
    cli: false,
    arrange: async (object) => fault(object, { type: "delay", ms: READ_DEADLINE_MS + 2000 }),
  },
];

function secretValue(): string {
  const v = `kvf-${randomBytes(12).toString("hex")}`;
  values.push(v);
  return v;
}

/** No secret value, nor its base64, in any output. */
function valueFree(text: string): void {
  for (const v of values) {
    expect(text).not.toContain(v);
    expect(text).not.toContain(Buffer.from(v).toString("base64"));
  }
}

interface Target {
  object: string;
  spc: string;
  secret: string;
  workload: string;
  version: string;
}

async function target(i: number): Promise<Target> {
  const t = { object: uniqueName(`kvf${i}`), spc: `spc-${i}`, secret: `creds-${i}`, workload: `app-${i}` };
  const v = await w.secrets("kv-alpha").setSecret(t.object, secretValue());
  await createSpc(c, ns, {
    name: t.spc,
    vault: "kv-alpha",
    objects: [{ objectName: t.object, objectType: "secret" }],
    secretObjects: [{ secretName: t.secret, type: "Opaque", data: [{ objectName: t.object, key: "password" }] }],
  });
  await d.mount(ns, `${t.workload}-0`, t.spc);
  await createWorkload(c, ns, "Deployment", t.workload, { env: [t.secret], spc: t.spc });
  return { ...t, version: v.properties.version! };
}

/** What the pusher could have changed: the synced Secret's data and the workload's rollouts. (Not the Secret's
 * resourceVersion: the real driver's patcher keeps adding owner references to it on its own.) */
async function state(t: Target) {
  const s = await c.core.readNamespacedSecret({ namespace: ns, name: t.secret });
  return { data: s.data, gen: await generation(c, ns, "Deployment", t.workload) };
}

function summary(kind: "push summary" | "reconcile summary"): Report {
  const line = [...logs].reverse().find((l) => l.includes(`"${kind}"`));
  expect(line, `a ${kind} was logged`).toBeDefined();
  return JSON.parse(line!) as Report;
}

/** Invocation options: every user log line of the invocation is kept (as the host forwards them). */
const invocation = (): InvokeOptions => ({ invocationId: `inv-${uniqueName("kvf")}`, log: (line) => logs.push(line) });

/** An HTTP trigger invoked as the host invokes it; the response as the host writes it. */
async function http(
  name: "rotate" | "drift",
  body?: unknown,
): Promise<{ status: number; headers: Record<string, string>; jsonBody: unknown }> {
  const res = await callHttp(
    name,
    {
      method: name === "rotate" ? "POST" : "GET",
      url: `http://localhost:7071/api/${name}`,
      ...(body !== undefined ? { body: JSON.stringify(body), headers: { "content-type": "application/json" } } : {}),
    },
    invocation(),
  );
  const jsonBody = res.json();
  valueFree(JSON.stringify(jsonBody));
  return { status: res.status, headers: res.headers, jsonBody };
}

function cli(args: string[], stdin = ""): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [cliMainJs, ...args], { env: cliEnv, cwd: dir, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
    p.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    p.on("error", reject);
    p.on("close", (code) => {
      valueFree(stdout + stderr);
      expect(stderr).not.toMatch(/\n\s+at /);
      resolve({ code, stdout, stderr });
    });
    p.stdin.end(stdin);
  });
}

function expectFailure(f: Failure | undefined, s: Scenario): void {
  expect(f, "report.vaultFailure").toBeDefined();
  expect(f!.kind).toBe(s.kind);
  if (s.status !== undefined) expect(f!.status).toBe(s.status);
  else expect(f!.status).toBeUndefined();
  if (s.code !== undefined) expect(f!.code).toBe(s.code);
  if (s.innerCode !== undefined) expect(f!.innerCode).toBe(s.innerCode);
  if (s.retryAfterSeconds !== undefined) expect(f!.retryAfterSeconds).toBe(s.retryAfterSeconds);
  expect(`${f!.message} ${f!.fix}`).toMatch(s.says);
}

/** The skip reason an outcome becomes (a typed code the report counts). */
const OUTCOME_CODE = { disabled: "object-disabled", gone: "object-not-found" } as const;

/** An outcome is no failure: nothing to retry, one more skip with the outcome's own reason. */
function expectOutcome(r: Report, s: Scenario): void {
  expect(r.vaultFailure).toBeUndefined();
  expect(r.retry).toBe(false);
  expect(r.skipsByReason[OUTCOME_CODE[s.outcome!]]).toBeGreaterThanOrEqual(1);
}

/** The skip of this scenario's object and its reason: Key Vault's answer, in words. */
function expectSkip(
  skips: Array<{ target: string; reason: { code: string; detail: string } | string; detail?: string }>,
  t: Target,
  s: Scenario,
): void {
  const skip = skips.find((a) => a.target.includes(`${ns}/${t.spc} object`));
  const code = typeof skip?.reason === "string" ? skip.reason : skip?.reason.code;
  const detail = typeof skip?.reason === "string" ? skip.detail : skip?.reason.detail;
  expect(code, JSON.stringify(skips)).toBe(OUTCOME_CODE[s.outcome!]);
  expect(detail).toMatch(s.says);
}

/** A whole report (HTTP, CLI): the outcome and the skip. */
function expectSkipped(r: Report, t: Target, s: Scenario): void {
  expectOutcome(r, s);
  expectSkip(
    r.clusters.flatMap((k) => k.actions),
    t,
    s,
  );
}

/** The event path's per-cluster "push result" log line has the skips (the summary line only counts them). */
function expectLoggedSkip(t: Target, s: Scenario): void {
  const line = [...logs].reverse().find((l) => l.includes('"push result"') && l.includes(`${ns}/${t.spc} object`));
  expect(line, "a push result naming the object").toBeDefined();
  expectSkip((JSON.parse(line!) as { skips: Array<{ target: string; reason: string; detail: string }> }).skips, t, s);
}

beforeAll(async () => {
  buildCliIfStale();
  w = await startWorld();
  await loadFunctionApp();
  c = w.clusters[0]!;
  await setRequiresRepublish(c, true);
  ns = await createNamespace(c, "kvf");
  d = await driver(w, c, [ns], "v1.6");
  // The instance as the product builds it, with quick SDK retries and a short read deadline (the CLI below keeps
  // the defaults: 3 retries, 30 s).
  const clusters = inject("kubeEnv").clusters.filter((k) => k.name === "c1");
  rt = createRuntime(localConfig(clusters, w.vaults, { namespacesInclude: [ns] }), {
    credential: staticCredential(),
    vault: {
      clientOptions: { ...vaultClientOptions(w.caPem), retryOptions: { maxRetries: 1, retryDelayInMs: 20, maxRetryDelayInMs: 50 } },
      readTimeoutMs: READ_DEADLINE_MS,
    },
  });
  rt.config.driftGraceSeconds = 0;
  setRuntime(rt);
  host = await serveFunctions(0, (l) => logs.push(l));

  dir = mkdtempSync(join(tmpdir(), "kvrp-kvf-"));
  writeFileSync(join(dir, "vault-ca.pem"), w.caPem);
  writeFileSync(join(dir, "kubeconfig"), pusherKubeconfig(c), { mode: 0o600 });
  cliEnv = {
    PATH: process.env.PATH,
    HOME: dir,
    KUBECONFIG: join(dir, "kubeconfig"),
    KVRP_VAULTS: JSON.stringify([...w.vaults.values()]),
    KVRP_KEYVAULT_CA_FILE: join(dir, "vault-ca.pem"),
    KVRP_KEYVAULT_STATIC_TOKEN: "emulator",
    KVRP_NAMESPACES_INCLUDE: ns,
  };
}, 240_000);

afterAll(async () => {
  setRuntime(undefined);
  await host?.close();
  if (rt) closeRuntime(rt);
  await d?.stop();
  await w?.stop();
});

describe.each(SCENARIOS.map((s, i) => [s.name, s, i] as const))("Key Vault answers: %s", (_label, s, i) => {
  let t: Target;
  let undo: () => void = () => undefined;
  let before: Awaited<ReturnType<typeof state>>;
  beforeAll(async () => {
    t = await target(i);
    before = await state(t);
    undo = await s.arrange(t.object);
  });
  afterAll(() => undo());

  it("event: a failure fails the invocation (Event Grid redelivers, then dead-letters); an outcome is acknowledged with the reason", async () => {
    const event = keyVaultEvent(w, "kv-alpha", "Secret", t.object, t.version);
    const run = deliverEvents(event, invocation());
    if (s.outcome) {
      await expect(run).resolves.toBeUndefined();
      expectOutcome(summary("push summary"), s);
      expectLoggedSkip(t, s);
    } else {
      const err = await run.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(RedeliveryNeeded);
      const r = (err as RedeliveryNeeded).report;
      expectFailure(r.vaultFailure, s);
      expect(r.retry, "every Key Vault failure fails the invocation (transient, access and identity alike)").toBe(true);
      const cl = r.clusters.find((k) => k.cluster === "c1")!;
      expect(cl.ok).toBe(false);
      expect(cl.failure).toMatchObject({ kind: s.kind, source: "keyvault" });
      expect(cl.failure?.fix).toBeTruthy();
      expect((err as Error).message).toMatch(s.says);
      expect(summary("push summary").vaultFailure).toEqual(r.vaultFailure);
    }
    valueFree(logs.join("\n"));
    // Through the Functions host's Event Grid endpoint: what Event Grid sees (500 = retry, 202 = delivered).
    const res = await fetch(`${host.url}/runtime/webhooks/eventgrid?functionName=onKeyVaultEvent`, {
      method: "POST",
      headers: { "content-type": "application/json", "aeg-event-type": "Notification" },
      body: JSON.stringify([event]),
    });
    expect(res.status).toBe(s.outcome ? 202 : 500);
    expect(await state(t)).toEqual(before); // the synced Secret untouched, no rollout
  });

  it("timer: a failure fails the run with the reason and the fix; an outcome is a reported skip", async () => {
    const timer = { isPastDue: false, schedule: { adjustForDST: true }, scheduleStatus: { last: "", next: "", lastUpdated: "" } };
    const run = fireTimer("reconcile", timer, invocation());
    if (s.outcome) {
      await expect(run).resolves.toBeUndefined();
      // The timer's log counts skips; the same run's per-object reasons are checked through GET /api/drift below.
      expectOutcome(summary("reconcile summary"), s);
    } else {
      await expect(run).rejects.toThrow(/reconcile incomplete/);
      await run.catch((e: Error) => {
        expect(e.message).toMatch(s.says);
        expect(e.message).toContain("fix: ");
      });
      const r = summary("reconcile summary");
      expectFailure(r.vaultFailure, s);
      expect(r.retry).toBe(true);
    }
    expect(await state(t)).toEqual(before);
  });

  it("HTTP: 503 + Retry-After for transient, 502 with the reason for access/identity, 200 with the skip for an outcome", async () => {
    for (const [route, body] of [
      ["rotate", { vault: "kv-alpha", objectName: t.object, objectType: "secret", clusters: ["c1"], namespaces: [ns] }],
      ["drift", undefined],
    ] as const) {
      const res = await http(route, body);
      const r = res.jsonBody as unknown as Report;
      if (s.outcome) {
        expect(res.status, route).toBe(200);
        expectSkipped(r, t, s);
        continue;
      }
      expect(res.status, `${route}: ${JSON.stringify(r.vaultFailure)}`).toBe(s.kind === "transient" ? 503 : 502);
      expectFailure(r.vaultFailure, s);
      const retryAfter = res.headers["retry-after"];
      if (s.kind === "transient") expect(retryAfter).toBe(String(Math.max(1, Math.ceil(s.retryAfterSeconds ?? 30))));
      else expect(retryAfter).toBeUndefined();
    }
    expect(await state(t)).toEqual(before);
  });

  // (Not registered at all where the CLI's 30 s default deadline would make the test slow: never a skipped test.)
  if (s.cli !== false)
    it("CLI: exit 1 with the Key Vault failure and its fix on stderr; an outcome exits 0 with the skip", async () => {
      const push = await cli(["push", "--vault", "kv-alpha", "--name", t.object, "--namespace", ns, "-o", "json"]);
      const event = await cli(["event", "-"], JSON.stringify([keyVaultEvent(w, "kv-alpha", "Secret", t.object, t.version)]));
      if (s.outcome) {
        expect(push.code, push.stderr).toBe(0);
        expectSkipped(JSON.parse(push.stdout) as Report, t, s);
        expect(event.code, event.stderr).toBe(0);
        expect(event.stdout).toContain(OUTCOME_CODE[s.outcome]);
      } else {
        for (const r of [push, event]) {
          expect(r.code, r.stdout + r.stderr).toBe(1);
          expect(r.stderr).toMatch(new RegExp(`Key Vault ${s.kind} failure: `));
          expect(r.stderr).toMatch(/fix: /);
          expect(r.stderr.replace(/\n/g, " ")).toMatch(s.says);
        }
        expectFailure((JSON.parse(push.stdout) as Report).vaultFailure, s);
      }
      expect(await state(t)).toEqual(before);
    });
});

describe("the table and the tests agree", () => {
  it("every rule of KEY_VAULT_FAILURES that a Key Vault answer can reach is exercised above", async () => {
    const { KEY_VAULT_FAILURES } = await import("../../shared/vault/failures.js");
    const tested = new Set(SCENARIOS.map((s) => s.rule));
    // key-disabled: Key Vault serves disabled keys on GET (docs/keyvault-failures.md); 408/409 and 3xx: covered by
    // the table's unit tests, Key Vault does not answer reads that way.
    const notReachableByRead = new Set(["key-disabled", "request-timeout", "conflict"]);
    expect(KEY_VAULT_FAILURES.map((r) => r.rule).filter((r) => !tested.has(r) && !notReachableByRead.has(r))).toEqual([]);
  });
});

describe("the reader's API: read, readVersion, listVersions — memoized, counted, classified alike", () => {
  it("lists every version (paged, enabled or not, newest first), reads one version, and memoizes each per invocation", async () => {
    const object = uniqueName("hist");
    const kv = w.secrets("kv-alpha");
    const first = await kv.setSecret(object, secretValue());
    for (let i = 0; i < 27; i++) w.emulator.seedSecret("kv-alpha", object, secretValue()); // more than one page (25)
    const newest = await kv.setSecret(object, secretValue());
    await kv.updateSecretProperties(object, first.properties.version!, { enabled: false });
    const reader = new VaultReader(rt.vaults);
    const vault = w.vaults.get("kv-alpha")!;
    w.emulator.stats.reset();
    const [a, b] = await Promise.all([reader.listVersions(vault, "secret", object), reader.listVersions(vault, "secret", object)]);
    expect(a).toBe(b);
    if (!("versions" in a!)) throw new Error("no versions");
    expect(a.versions).toHaveLength(29);
    // Newest first by creation time (Key Vault's timestamps are whole seconds: same-second versions tie).
    const created = a.versions.map((v) => v.createdOn!.getTime());
    expect(created).toEqual([...created].sort((x, y) => y - x));
    expect(a.versions.map((v) => v.version)).toContain(newest.properties.version);
    expect(a.versions.find((v) => v.version === first.properties.version)?.enabled).toBe(false);
    expect(a.versions.every((v) => v.createdOn instanceof Date)).toBe(true);
    expect(w.emulator.stats.count({ operation: "listSecretVersions", status: 200 })).toBe(2); // two pages, one listing

    const one = await reader.readVersion(vault, "secret", object, newest.properties.version!);
    expect("data" in one && one.data.kind === "secret" && one.data.version).toBe(newest.properties.version);
    expect(await reader.readVersion(vault, "secret", object, newest.properties.version!.toUpperCase())).toBe(one);
    // A disabled version, an unknown one: outcomes, like the latest.
    expect(await reader.readVersion(vault, "secret", object, first.properties.version!)).toMatchObject({ unavailable: "object-disabled" });
    expect(await reader.readVersion(vault, "secret", object, "0".repeat(32))).toMatchObject({ unavailable: "object-not-found" });
    expect("data" in (await reader.read(vault, "secret", object))).toBe(true);
    expect(reader.reads).toBe(5);
    expect(reader.readsBy).toEqual({ latest: 1, version: 3, versions: 1 });
    // An unknown name has no versions (Key Vault answers an empty list).
    expect(await reader.listVersions(vault, "key", uniqueName("none"))).toEqual({ versions: [] });
  });

  it("a listing fails like a read: Key Vault's inner code kept although the SDK's pager drops it", async () => {
    const object = uniqueName("hist-fw");
    await w.secrets("kv-alpha").setSecret(object, secretValue());
    const h = w.emulator.injectFaults({
      vault: "kv-alpha",
      operation: "listSecretVersions",
      name: object,
      action: {
        type: "status",
        status: 403,
        innerCode: "ForbiddenByFirewall",
        message: "Client address is not authorized and caller is not a trusted service.",
      },
    });
    const err = await new VaultReader(rt.vaults).listVersions(w.vaults.get("kv-alpha")!, "secret", object).then(
      () => undefined,
      (e: unknown) => e,
    );
    h.cancel();
    expect(err).toBeInstanceOf(KeyVaultReadError);
    expect((err as KeyVaultReadError).summary()).toMatchObject({
      kind: "access",
      status: 403,
      code: "Forbidden",
      innerCode: "ForbiddenByFirewall",
    });
  });
});
