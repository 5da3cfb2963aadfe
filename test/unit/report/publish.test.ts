// The RotationPushed event goes through the real @azure/eventgrid client to an HTTPS endpoint (a local server).
import { createServer } from "node:https";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publishReport, ROTATION_PUSHED } from "../../../shared/report/publish.js";
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
