// Key Vault faults, injected for real by the emulator on the wire: 429 with Retry-After (short and absurdly long),
// 503, slow responses and connection resets. A few are absorbed by the SDK's retries (the push then succeeds), more
// than the retries allow — or longer than the read deadline — fail the invocation for redelivery. The synced Secret is
// never touched by a failed read (same resourceVersion, never an error body), and every rotation ends in exactly one
// rollout.
import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { handleDelivery, RedeliveryNeeded } from "../../shared/entry/event-delivery.js";
import { templateKey } from "../../shared/lib/annotations.js";
import { closeRuntime, createRuntime, type Runtime } from "../../shared/pipeline/runtime.js";
import type { FaultAction } from "../env/keyvault-emulator.js";
import { staticCredential, vaultClientOptions } from "../env/keyvault-emulator.js";
import { localConfig } from "../support/local-runtime.js";
import {
  createNamespace,
  createSpc,
  createWorkload,
  driver,
  generation,
  keyVaultEvent,
  startWorld,
  uniqueName,
  type World,
} from "../support/world.js";
import { Ledger } from "./support/ledger.js";
import { LeakGuard } from "./support/leaks.js";

const ledger = new Ledger("faults-keyvault");
const leaks = new LeakGuard();
const READ_DEADLINE_MS = 4000;
let w: World;
let rt: Runtime;

beforeAll(async () => {
  w = await startWorld();
  // The instance as the product builds it (SDK default retries: 3, exponential from 1 s, Retry-After honoured),
  // with a shorter read deadline than the default 30 s so the test stays quick.
  rt = createRuntime(localConfig(inject("kubeEnv").clusters, w.vaults), {
    credential: staticCredential(),
    vault: {
      clientOptions: vaultClientOptions(w.caPem) as unknown as Record<string, unknown>,
      readTimeoutMs: READ_DEADLINE_MS,
    },
  });
});
afterAll(async () => {
  ledger.flush();
  if (rt) closeRuntime(rt);
  await w?.stop();
});

interface Case {
  name: string;
  action: FaultAction;
  times: number;
  /** true: the SDK's retries absorb it and the push succeeds in the same invocation. */
  absorbed: boolean;
  /** attempts the emulator must have seen (first try + retries), when known */
  attempts?: number;
  maxSeconds: number;
}

const CASES: Case[] = [
  {
    name: "429 Retry-After 1 s, twice",
    action: { type: "status", status: 429, retryAfterSeconds: 1 },
    times: 2,
    absorbed: true,
    attempts: 2,
    maxSeconds: 6,
  },
  {
    name: "429 Retry-After 1 s, always",
    action: { type: "status", status: 429, retryAfterSeconds: 1 },
    times: 99,
    absorbed: false,
    attempts: 4,
    maxSeconds: 8,
  },
  {
    name: "429 Retry-After 3600 s",
    action: { type: "status", status: 429, retryAfterSeconds: 3600 },
    times: 1,
    absorbed: false,
    attempts: 1,
    maxSeconds: 8,
  },
  { name: "503, twice", action: { type: "status", status: 503 }, times: 2, absorbed: true, attempts: 2, maxSeconds: 10 },
  { name: "503, always", action: { type: "status", status: 503 }, times: 99, absorbed: false, maxSeconds: 10 },
  { name: "slow answer (1.5 s)", action: { type: "delay", ms: 1500 }, times: 1, absorbed: true, attempts: 1, maxSeconds: 6 },
  { name: "stalled answer (20 s)", action: { type: "delay", ms: 20_000 }, times: 1, absorbed: false, attempts: 1, maxSeconds: 8 },
  { name: "connection reset, twice", action: { type: "reset" }, times: 2, absorbed: true, attempts: 2, maxSeconds: 10 },
  { name: "connection reset, always", action: { type: "reset" }, times: 99, absorbed: false, maxSeconds: 10 },
];

describe("Key Vault faults on the event path", () => {
  it("retries within bounds, then fails for redelivery; never patches a Secret from a failed read", async () => {
    const c = w.clusters[0]!;
    const object = uniqueName("kvf");
    const kv = w.secrets("kv-alpha");
    const value = (tag: string) => leaks.secret(`kvf-${tag}-${randomBytes(16).toString("hex")}`);
    await kv.setSecret(object, value("v0"));
    const ns = await createNamespace(c, "kvf");
    await createSpc(c, ns, {
      name: "app",
      vault: "kv-alpha",
      objects: [{ objectName: object, objectType: "secret" }],
      secretObjects: [{ secretName: "creds", type: "Opaque", data: [{ objectName: object, key: "password" }] }],
    });
    const d = await driver(w, c, [], "v1.5");
    await d.mount(ns, "app-0", "app");
    await d.ownersSettled(); // the real driver's patcher adds owner references to the Secret within 5 s
    await createWorkload(c, ns, "Deployment", "env", { env: ["creds"] });
    const gen0 = await generation(c, ns, "Deployment", "env");
    const secret = async () => {
      const s = await c.core.readNamespacedSecret({ namespace: ns, name: "creds" });
      return { rv: s.metadata?.resourceVersion, value: Buffer.from(s.data?.password ?? "", "base64").toString("utf8") };
    };
    const deliver = async (event: unknown) => {
      ledger.add("eventsDelivered");
      try {
        await handleDelivery(rt, [event], { invocationId: randomUUID(), log: leaks.sink("kv-fault log") });
        return undefined;
      } catch (e) {
        leaks.error("kv-fault error", e);
        if (!(e instanceof RedeliveryNeeded)) ledger.add("crashes");
        return e;
      }
    };
    const rows: string[] = [];
    const allValues: string[] = [];
    for (const k of CASES) {
      const fresh = value(k.name.replace(/\W+/g, "-"));
      allValues.push(fresh);
      const v = await kv.setSecret(object, fresh);
      const event = keyVaultEvent(w, "kv-alpha", "Secret", object, v.properties.version!);
      const before = await secret();
      const fault = w.emulator.injectFaults({ vault: "kv-alpha", operation: "getSecret", name: object, times: k.times, action: k.action });
      ledger.fault(
        `keyvault ${k.action.type === "status" ? `${k.action.status}${k.action.retryAfterSeconds ? " Retry-After" : ""}` : k.action.type}`,
      );
      const t0 = Date.now();
      const err = await deliver(event);
      const seconds = (Date.now() - t0) / 1000;
      const hits = fault.hits;
      fault.cancel();
      const after = await secret();
      rows.push(`${k.name}: ${hits} faulted attempt(s), ${err ? "failed for redelivery" : "pushed"} after ${seconds.toFixed(1)} s`);
      expect(seconds, `${k.name}: bounded`).toBeLessThan(k.maxSeconds);
      if (k.attempts !== undefined) expect(hits, `${k.name}: attempts`).toBe(k.attempts);
      if (k.absorbed) {
        expect(err, `${k.name}: absorbed by the SDK's retries`).toBeUndefined();
        expect(after.value).toBe(fresh);
      } else {
        expect(err, `${k.name}: fails the invocation`).toBeInstanceOf(RedeliveryNeeded);
        expect((err as RedeliveryNeeded).report.clusters[0]!.failure?.message).toMatch(/Key Vault kv-alpha: read secret/);
        expect(after, `${k.name}: Secret untouched`).toEqual(before);
        ledger.add("redeliveries");
        const again = await deliver(event); // Event Grid's redelivery, the vault healthy again
        expect(again).toBeUndefined();
        expect((await secret()).value).toBe(fresh);
      }
    }
    // the Secret only ever held values that were written to Key Vault, never an error body
    const final = await secret();
    expect(allValues).toContain(final.value);
    expect(final.value).not.toMatch(/Injected|Throttled|ServiceUnavailable|error/i);
    const dep = await c.apps.readNamespacedDeployment({ namespace: ns, name: "env" });
    const rollouts = (await generation(c, ns, "Deployment", "env")) - gen0;
    expect(rollouts, "one rollout per rotation").toBe(CASES.length);
    expect(dep.spec?.template?.metadata?.annotations?.[templateKey("kv-alpha", object)]).toMatch(
      new RegExp(`@${(await kv.getSecret(object)).properties.version}$`),
    );
    ledger.add("rollouts", rollouts);
    ledger.add("secretsChecked", CASES.length);
    for (const r of rows) ledger.note(r);
    await rt.events?.drain(); // Events are recorded in the background after each invocation
    await leaks.captureEvents(c.core, [ns]);
  });
});

describe("nothing leaked", () => {
  it("no secret value nor its base64 in logs, errors or Kubernetes Events", () => {
    const found = leaks.scan();
    ledger.add("leakedValues", found.length);
    ledger.add("valuesChecked", leaks.valueCount);
    ledger.add("charsScanned", leaks.charsCaptured);
    expect(found).toEqual([]);
  });
});
