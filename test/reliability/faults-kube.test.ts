// Kubernetes-side faults, injected for real: an API server killed in the middle of a large apply and started again,
// etcd killed under a dedicated API server and restarted, and one of two clusters unreachable (process frozen, then
// stopped). Each time the invocation fails so Event Grid redelivers, no Secret is left half-written, no workload
// rolls out before its Secret has the new bytes, the healthy cluster is fully served, and redelivery converges with
// exactly one rollout per workload.
import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleDelivery, RedeliveryNeeded, type DeliveryOutcome } from "../../shared/entry/event-delivery.js";
import { shutdownRuntime, type Runtime } from "../../shared/pipeline/runtime.js";
import {
  createNamespace,
  driver,
  generation,
  keyVaultEvent,
  startWorld,
  uniqueName,
  type ClusterHandles,
  type World,
} from "../support/world.js";
import { fleetState, seedFleet, startDedicatedCluster, until, type Fleet } from "./support/fleet.js";
import { Ledger } from "./support/ledger.js";
import { LeakGuard } from "./support/leaks.js";

const ledger = new Ledger("faults-kube");
const leaks = new LeakGuard();
let w: World;
const touched: { c: ClusterHandles; namespaces: string[] }[] = [];

beforeAll(async () => {
  w = await startWorld();
});
afterAll(async () => {
  ledger.flush();
  await w?.stop();
});

const value = (tag: string) => leaks.secret(`${tag}-${randomBytes(16).toString("hex")}`);

async function rotation(prefix: string) {
  const object = uniqueName(prefix);
  const staticObject = `${object}-static`;
  const old = value(`${prefix}-old`);
  const staticValue = value(`${prefix}-static`);
  await w.secrets("kv-alpha").setSecret(object, old);
  await w.secrets("kv-alpha").setSecret(staticObject, staticValue);
  return { object, staticObject, old, staticValue };
}

/** One Event Grid delivery to one instance; the outcome or the RedeliveryNeeded it threw. */
async function deliver(rt: Runtime, event: unknown, tag: string): Promise<DeliveryOutcome | RedeliveryNeeded> {
  ledger.add("eventsDelivered");
  try {
    return await handleDelivery(rt, [event], { invocationId: randomUUID(), log: leaks.sink(`${tag} log`) });
  } catch (e) {
    leaks.error(`${tag} error`, e);
    if (e instanceof RedeliveryNeeded) {
      ledger.add("redeliveries"); // every failed invocation is delivered again below
      return e;
    }
    ledger.add("crashes");
    throw e;
  }
}

/** Event Grid's retry: deliver again (with a pause) until the invocation succeeds. */
async function redeliverUntilDone(
  rt: Runtime,
  event: unknown,
  tag: string,
  maxAttempts: number,
  pauseMs: number,
): Promise<{ attempts: number; outcome: DeliveryOutcome }> {
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const out = await deliver(rt, event, tag);
    if (!(out instanceof RedeliveryNeeded)) return { attempts: attempt, outcome: out };
    await new Promise((r) => setTimeout(r, pauseMs));
  }
  throw new Error(`${tag}: still failing after ${maxAttempts} redeliveries`);
}

function expectConverged(st: Awaited<ReturnType<typeof fleetState>>, fleet: Fleet) {
  expect(st.broken).toEqual([]);
  expect(st.fresh.length).toBe(fleet.namespaces.length);
  expect(st.rolled.length).toBe(fleet.namespaces.length);
  expect(st.extraRollouts).toBe(0);
}

describe("API server killed mid-apply", () => {
  it("fails the invocation, leaves no half-written Secret, and redelivery converges", async () => {
    const extra = await w.startExtraCluster("midapply");
    const c = extra.handles;
    const r = await rotation("mid");
    const d = await driver(w, c, [], "v1.5"); // mounts only
    const fleet = await seedFleet(c, d, { prefix: "mid", size: 40, ...r });
    touched.push({ c, namespaces: fleet.namespaces });
    const fresh = value("mid-new");
    const v2 = await w.secrets("kv-alpha").setSecret(r.object, fresh);
    const event = keyVaultEvent(w, "kv-alpha", "Secret", r.object, v2.properties.version!);
    const rt = w.runtime({}, ["midapply"], [c.info]);
    try {
      const api = rt.clusters[0]!;
      const pending = deliver(rt, event, "midapply");
      // kill -9 once the Secret stage is under way
      await until(() => (api.stats.counts.get("patch secrets") ?? 0) >= 24, 60_000, 1);
      const patchesBeforeKill = api.stats.counts.get("patch secrets") ?? 0;
      await extra.server.proc.stop("SIGKILL");
      ledger.fault("apiserver killed mid-apply");
      const out = await pending;
      expect(out).toBeInstanceOf(RedeliveryNeeded);
      const failed = (out as RedeliveryNeeded).report;
      expect(failed.retry).toBe(true);
      expect(failed.clusters[0]!.ok).toBe(false);
      await extra.server.restart();

      const mid = await fleetState(c, fleet, { old: r.old, fresh, version: v2.properties.version! });
      expect(mid.broken, "half-written Secrets").toEqual([]);
      expect(mid.rolledEarly, "rollouts before their Secret had the new bytes").toEqual([]);
      expect(mid.fresh.length + mid.old.length).toBe(fleet.namespaces.length);
      ledger.note(
        `API server killed after ${patchesBeforeKill} Secret patches were sent: ${mid.fresh.length}/${fleet.namespaces.length} Secrets new, ${mid.old.length} old, 0 half-written, ${mid.rolled.length} rollouts done; redelivery finished the rest`,
      );

      const { attempts } = await redeliverUntilDone(rt, event, "midapply", 10, 1000);
      const end = await fleetState(c, fleet, { old: r.old, fresh, version: v2.properties.version! });
      expectConverged(end, fleet);
      ledger.add("secretsChecked", fleet.namespaces.length);
      ledger.add("rollouts", end.rolled.length);
      ledger.add("duplicateRollouts", end.extraRollouts);
      ledger.add("lostRotations", fleet.namespaces.length - end.fresh.length);
      expect(attempts).toBeLessThanOrEqual(2);
    } finally {
      await shutdownRuntime(rt, 3_000);
    }
  });
});

describe("etcd restarted under the API server", () => {
  it("fails the invocation within the request deadline, and redelivery converges once etcd is back", async () => {
    const ded = await startDedicatedCluster("etcd-restart");
    const c = ded.handles;
    try {
      const r = await rotation("etcd");
      const d = await driver(w, c, [], "v1.5");
      const fleet = await seedFleet(c, d, { prefix: "etcd", size: 20, ...r });
      touched.push({ c, namespaces: fleet.namespaces });
      const fresh = value("etcd-new");
      const v2 = await w.secrets("kv-alpha").setSecret(r.object, fresh);
      const event = keyVaultEvent(w, "kv-alpha", "Secret", r.object, v2.properties.version!);
      const rt = w.runtime({}, ["etcd-restart"], [c.info]);
      try {
        const api = rt.clusters[0]!;
        api.requestTimeoutMs = 4000;
        const t0 = Date.now();
        const pending = deliver(rt, event, "etcd");
        await until(() => (api.stats.counts.get("patch secrets") ?? 0) >= 4, 60_000, 1);
        await ded.etcd.proc.stop("SIGKILL");
        ledger.fault("etcd killed mid-apply");
        const out = await pending;
        const failedAfter = (Date.now() - t0) / 1000;
        expect(out).toBeInstanceOf(RedeliveryNeeded);
        // a hung API server (etcd gone) costs a few request deadlines (4 s each here), not the host's 10-minute timeout
        expect(failedAfter).toBeLessThan(30);
        await ded.etcd.restart();
        ledger.fault("etcd restarted");
        const t1 = Date.now();
        const { attempts } = await redeliverUntilDone(rt, event, "etcd", 40, 2000);
        const end = await fleetState(c, fleet, { old: r.old, fresh, version: v2.properties.version! });
        expectConverged(end, fleet);
        expect(end.rolledEarly).toEqual([]);
        ledger.add("secretsChecked", fleet.namespaces.length);
        ledger.add("rollouts", end.rolled.length);
        ledger.add("duplicateRollouts", end.extraRollouts);
        ledger.add("lostRotations", fleet.namespaces.length - end.fresh.length);
        ledger.note(
          `etcd killed mid-apply: invocation failed after ${failedAfter.toFixed(1)} s; after etcd restart the API server recovered and redelivery #${attempts} converged ${((Date.now() - t1) / 1000).toFixed(1)} s later`,
        );
      } finally {
        await shutdownRuntime(rt, 3_000);
      }
    } finally {
      await ded.stop();
    }
  });
});

describe("one of two clusters unreachable", () => {
  it("serves the reachable cluster fully, reports the other, and redelivery finishes only the missing part", async () => {
    const c1 = w.clusters[0]!;
    const extra = await w.startExtraCluster("partitioned");
    const c2 = extra.handles;
    const r = await rotation("part");
    // c1 has a v1.6 driver (mounts follow the nudges); the partitioned cluster's driver is as unreachable as its API server
    const ns1 = [await createNamespace(c1, "part"), await createNamespace(c1, "part"), await createNamespace(c1, "part")];
    const d1 = await driver(w, c1, ns1, "v1.6");
    const d2 = await driver(w, c2, [], "v1.5");
    const f1 = await seedFleet(c1, d1, { prefix: "part", size: 3, namespaces: ns1, ...r });
    const f2 = await seedFleet(c2, d2, { prefix: "part", size: 3, ...r });
    touched.push({ c: c1, namespaces: f1.namespaces }, { c: c2, namespaces: f2.namespaces });
    const rt = w.runtime({}, ["c1", "partitioned"], [c2.info]);
    try {
      rt.clusters[1]!.requestTimeoutMs = 3000;
      for (const how of ["frozen", "stopped"] as const) {
        // the real driver skips a nudge within --rotation-poll-interval of a mount change; redelivery would nudge again
        if ("gateOpen" in d1) await d1.gateOpen();
        const fresh = value(`part-${how}`);
        const v = await w.secrets("kv-alpha").setSecret(r.object, fresh);
        const event = keyVaultEvent(w, "kv-alpha", "Secret", r.object, v.properties.version!);
        if (how === "frozen") extra.server.proc.child.kill("SIGSTOP");
        else await extra.server.stop();
        ledger.fault(`cluster unreachable (${how})`);
        const t0 = Date.now();
        let out: Awaited<ReturnType<typeof deliver>>;
        try {
          out = await deliver(rt, event, `partition ${how}`);
        } finally {
          if (how === "frozen") extra.server.proc.child.kill("SIGCONT");
          else await extra.server.restart();
        }
        expect(out).toBeInstanceOf(RedeliveryNeeded);
        expect((Date.now() - t0) / 1000, "bounded by the request deadline (3 s here), not the host timeout").toBeLessThan(30);
        const rep = (out as RedeliveryNeeded).report;
        const [r1, r2] = [rep.clusters.find((x) => x.cluster === "c1")!, rep.clusters.find((x) => x.cluster === "partitioned")!];
        expect(r1.ok).toBe(true);
        expect(r2.ok).toBe(false);
        expect(r2.failure?.message, "the failing part is reported").toBeTruthy();
        // c1 fully served in the failed invocation
        await d1.idle();
        const s1 = await fleetState(c1, f1, { old: "", fresh, version: v.properties.version! });
        expect(s1.fresh.length).toBe(f1.namespaces.length);
        expect(s1.rolled.length).toBe(f1.namespaces.length);
        // redelivery: the recovered cluster is finished, c1 is not touched again
        const before = rt.clusters[0]!.stats.snapshot();
        const { outcome } = await redeliverUntilDone(rt, event, `partition ${how}`, 20, 1000);
        const after = rt.clusters[0]!.stats.snapshot();
        const c1Writes = Object.entries(after).filter(([k, n]) => /^(patch|create|update|delete) /.test(k) && n !== (before[k] ?? 0));
        expect(c1Writes, "writes on the already-served cluster during redelivery").toEqual([]);
        expect(outcome.report!.clusters.find((x) => x.cluster === "c1")!.actions.filter((a) => a.status === "applied")).toEqual([]);
        const s2 = await fleetState(c2, f2, { old: "", fresh, version: v.properties.version! });
        expect(s2.fresh.length).toBe(f2.namespaces.length);
        expect(s2.rolled.length).toBe(f2.namespaces.length);
        ledger.add("secretsChecked", f1.namespaces.length + f2.namespaces.length);
      }
      // two rotations → exactly two rollouts per workload on both clusters
      for (const [c, f] of [
        [c1, f1],
        [c2, f2],
      ] as const)
        for (const ns of f.namespaces) {
          const g = await generation(c, ns, "Deployment", "env");
          ledger.add("rollouts", g - f.generations.get(ns)!);
          ledger.add("duplicateRollouts", Math.max(0, g - f.generations.get(ns)! - 2));
          expect(g - f.generations.get(ns)!).toBe(2);
        }
    } finally {
      await shutdownRuntime(rt, 3_000);
      d1.stop();
    }
  });
});

describe("nothing leaked", () => {
  it("no secret value nor its base64 in logs, errors or Kubernetes Events", async () => {
    for (const t of touched) await leaks.captureEvents(t.c.core, t.namespaces).catch(() => 0);
    const found = leaks.scan();
    ledger.add("leakedValues", found.length);
    ledger.add("valuesChecked", leaks.valueCount);
    ledger.add("charsScanned", leaks.charsCaptured);
    expect(found).toEqual([]);
  });
});
