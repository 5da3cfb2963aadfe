// The RotationPushed event goes through the real @azure/eventgrid client to an HTTPS endpoint (a local server).
import { createServer } from "node:https";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publishOutcomes, publishReport, ROTATION_FAILED, ROTATION_PUSHED, ROTATION_VERIFIED } from "../../../shared/report/publish.js";
import type { RotationOutcome } from "../../../shared/model/index.js";
import type { Report } from "../../../shared/report/report.js";
import { createCa, issueServerCert } from "../../env/tls.js";

const ca = createCa();
const tls = issueServerCert(ca, {});
const received: { auth?: string; body: unknown[] }[] = [];
let status = 200;
const server = createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
  let body = "";
  req.on("data", (c: Buffer) => (body += c.toString()));
  req.on("end", () => {
    received.push({ auth: req.headers.authorization, body: JSON.parse(body) as unknown[] });
    res.writeHead(status).end();
  });
});
let endpoint = "";
beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  endpoint = `https://127.0.0.1:${(server.address() as { port: number }).port}/api/events`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const credential = { getToken: async () => ({ token: "topic-token", expiresOnTimestamp: Date.now() + 3_600_000 }) };
const report: Report = {
  invocationId: "inv-1",
  trigger: "event",
  dryRun: false,
  receivedAt: new Date().toISOString(),
  durationMs: 42,
  signals: [{ vault: "kv-a", objectType: "secret", objectName: "db", eventTime: new Date().toISOString(), source: "eventgrid" }],
  vaultReads: 1,
  proofReads: 0,
  clusters: [
    {
      cluster: "c1",
      ok: true,
      durationMs: 40,
      actions: [
        {
          type: "patchSecret",
          target: "Secret ns/s",
          status: "applied",
          reason: { code: "secret-behind", detail: "r" },
          keys: ["password"],
          digest: "abc",
        },
      ],
    },
  ],
  counts: { secretsPatched: 1, podsNudged: 0, workloadsRestarted: 0, skipped: 0, failed: 0, planned: 0 },
  skipsByReason: {},
  timings: { receiptToSecretsMs: 30 },
  retry: false,
};

describe("publishReport", () => {
  it("sends one RotationPushed event in the Event Grid schema with a bearer token, carrying no values", async () => {
    const err = await publishReport(endpoint, credential, report, { tlsOptions: { ca: ca.certPem } });
    expect(err).toBeUndefined();
    const last = received.at(-1)!;
    expect(last.auth).toBe("Bearer topic-token");
    const [ev] = last.body as { eventType: string; subject: string; data: { counts: unknown; clusters: { changed: unknown[] }[] } }[];
    expect(ev!.eventType).toBe(ROTATION_PUSHED);
    expect(ev!.subject).toBe("vaults/kv-a/secrets/db");
    expect(ev!.data.clusters[0]!.changed).toEqual([{ type: "patchSecret", target: "Secret ns/s", keys: ["password"], digest: "abc" }]);
  });

  it("returns the failure instead of throwing", async () => {
    status = 403;
    const err = await publishReport(endpoint, credential, report, { tlsOptions: { ca: ca.certPem }, retryOptions: { maxRetries: 0 } });
    status = 200;
    expect(err).toMatch(/RotationPushed not published/);
  });
});

describe("publishOutcomes", () => {
  const outcome = (state: "verified" | "failed"): RotationOutcome => ({
    cluster: "c1",
    vault: "kv-a",
    objectName: "db",
    version: "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
    eventTime: "2026-06-01T12:00:00.000Z",
    state,
    eventToDoneMs: 31_000,
    workloads: [
      {
        target: "Deployment ns/api",
        state,
        problems: state === "failed" ? [{ pod: "api-7d9f-x", reason: "CrashLoopBackOff", detail: "pod api-7d9f-x: CrashLoopBackOff" }] : [],
      },
    ],
  });

  it("sends RotationVerified and RotationFailed beside RotationPushed, naming the workloads, pods and reasons", async () => {
    const err = await publishOutcomes(endpoint, credential, [outcome("verified"), outcome("failed")], { tlsOptions: { ca: ca.certPem } });
    expect(err).toBeUndefined();
    const events = received.at(-1)!.body as { eventType: string; subject: string; data: Record<string, unknown> }[];
    expect(events.map((e) => e.eventType)).toEqual([ROTATION_VERIFIED, ROTATION_FAILED]);
    expect(ROTATION_FAILED).toBe("KvRotationPusher.RotationFailed");
    expect(events[1]!.subject).toBe("vaults/kv-a/objects/db/versions/0a1b2c3d4e5f60718293a4b5c6d7e8f9");
    expect(events[1]!.data).toMatchObject({
      cluster: "c1",
      state: "failed",
      eventToDoneMs: 31_000,
      workloads: [{ target: "Deployment ns/api", problems: [{ pod: "api-7d9f-x", reason: "CrashLoopBackOff" }] }],
    });
  });

  it("sends nothing for no outcome", async () => {
    const n = received.length;
    expect(await publishOutcomes(endpoint, credential, [], { tlsOptions: { ca: ca.certPem } })).toBeUndefined();
    expect(received.length).toBe(n);
  });
});
