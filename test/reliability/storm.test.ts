// Delivery storm: 50 Key Vault secrets rotated 8 times while ≥1,000 event deliveries (every event 2–4 times, older
// versions after newer ones, Event Grid and CloudEvents schemas, single events and batches) hit 4 simulated function
// instances (separate runtimes, restricted RBAC token) concurrently, against the real Secrets Store CSI driver v1.6
// and Azure provider (kubelet stand-in; --rotation-poll-interval 2s, kubelet --sync-frequency 5s so mounts whose
// nudge the driver's gate skipped catch up quickly). Afterwards every synced Secret holds exactly the latest bytes
// with all its keys, every mount holds the latest version, every env consumer rolled out once per distinct version
// set and never went back, and no Secret was created or deleted. Every write to a synced Secret during the storm is
// watched: a key going back to an older round's bytes is a flip-back.
import { randomBytes, randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { Watch, type KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleDelivery, RedeliveryNeeded } from "../../shared/entry/event-delivery.js";
import { templateKey } from "../../shared/lib/annotations.js";
import { shutdownRuntime, type Runtime } from "../../shared/pipeline/runtime.js";
import {
  createNamespace,
  createSpc,
  createWorkload,
  driver,
  keyVaultEvent,
  setRequiresRepublish,
  startWorld,
  uniqueName,
  type World,
} from "../support/world.js";
import { Ledger } from "./support/ledger.js";
import { LeakGuard } from "./support/leaks.js";
import { prng, toCloudEvent, trackRollouts } from "./support/storm.js";

const OBJECTS = 50;
const ROUNDS = 8;
const NAMESPACES = 10;
const INSTANCES = 4;
const PER_INSTANCE = 2;
const SEED = Number(process.env.KVRP_STORM_SEED ?? Date.now() % 1_000_000);

const ledger = new Ledger("storm");
const leaks = new LeakGuard();
let w: World;

beforeAll(async () => {
  w = await startWorld();
});
afterAll(async () => {
  ledger.flush();
  await w?.stop();
});

/** Watches synced Secrets; a key whose bytes go back to an older round than already seen is recorded with its writer. */
async function trackFlipBacks(kc: KubeConfig, namespaces: string[], roundOfValue: Map<string, number>) {
  const newest = new Map<string, number>();
  const flips: string[] = [];
  const errors: string[] = [];
  let stopped = false;
  const abort = await new Watch(kc).watch(
    "/api/v1/secrets",
    { labelSelector: "secrets-store.csi.k8s.io/managed=true" },
    (
      type: string,
      obj: {
        metadata?: { namespace?: string; name?: string; managedFields?: { manager?: string; fieldsV1?: Record<string, unknown> }[] };
        data?: Record<string, string>;
      },
    ) => {
      const ns = obj.metadata?.namespace ?? "";
      if ((type !== "ADDED" && type !== "MODIFIED") || !namespaces.includes(ns)) return;
      // the writer of a key is the manager that owns the field (server-side field ownership moves to the last writer)
      const owner = (k: string) =>
        (obj.metadata?.managedFields ?? []).find((m) => (m.fieldsV1?.["f:data"] as Record<string, unknown> | undefined)?.[`f:${k}`])
          ?.manager;
      for (const [k, v] of Object.entries(obj.data ?? {})) {
        const writer = owner(k);
        const round = roundOfValue.get(Buffer.from(v, "base64").toString("utf8"));
        if (round === undefined) continue;
        const key = `${ns}/${obj.metadata?.name} key ${k}`;
        const seen = newest.get(key) ?? -1;
        if (round < seen) flips.push(`${key}: round ${seen} → ${round} (written by ${writer})`);
        else newest.set(key, round);
      }
    },
    (err: unknown) => {
      if (!stopped && err) errors.push(`secret watch ended: ${String((err as Error)?.message ?? err)}`);
    },
  );
  return {
    flips,
    errors,
    stop() {
      stopped = true;
      abort.abort();
    },
  };
}

interface Delivery {
  obj: number;
  round: number;
  event: ReturnType<typeof keyVaultEvent>;
  attempt: number;
}

describe("delivery storm", () => {
  it(`≥1,000 duplicated, reordered deliveries on ${INSTANCES} instances converge: latest bytes, one rollout per version set`, async () => {
    const rnd = prng(SEED);
    ledger.note(`storm seed ${SEED} (replay with KVRP_STORM_SEED=${SEED})`);
    const c = w.clusters[0]!;
    await setRequiresRepublish(c, true);
    const kv = w.secrets("kv-alpha");
    const prefix = uniqueName("storm");
    const names = Array.from({ length: OBJECTS }, (_, i) => `${prefix}-o${i}`);
    const staticName = `${prefix}-static`;
    /** latest[obj] = {round, version, value} as written to Key Vault. */
    const latest: { round: number; version: string; value: string }[] = [];
    const roundOf = new Map<string, number>(); // version → round
    const roundOfValue = new Map<string, number>(); // bytes → round
    const newValue = (i: number, r: number) => leaks.secret(`storm-value-${i}-r${r}-${randomBytes(12).toString("hex")}`);

    const limit = async <T>(items: T[], n: number, f: (x: T) => Promise<void>) => {
      const queue = [...items];
      await Promise.all(
        Array.from({ length: n }, async () => {
          for (let x = queue.shift(); x !== undefined; x = queue.shift()) await f(x);
        }),
      );
    };
    const rotate = async (i: number, r: number) => {
      const value = newValue(i, r);
      const s = await kv.setSecret(names[i]!, value);
      latest[i] = { round: r, version: s.properties.version!, value };
      roundOf.set(s.properties.version!, r);
      roundOfValue.set(value, r);
      return s.properties.version!;
    };
    await limit([...names.keys()], 8, async (i) => void (await rotate(i, 0)));
    const staticValue = leaks.secret(`storm-static-${randomBytes(12).toString("hex")}`);
    await kv.setSecret(staticName, staticValue);

    // Namespace k: one SPC with objects 5k..5k+4 and (5k+5) mod 50 (each object in two namespaces) plus a static one;
    // Secret creds-a = o0, o1, o2 (+ a second key from o0) + static; creds-b = o3, o4, o5.
    const namespaces: string[] = [];
    const layout: { ns: string; objs: number[] }[] = [];
    for (let k = 0; k < NAMESPACES; k++) namespaces.push(await createNamespace(c, `storm-${k}`));
    const d = await driver(w, c, namespaces, "v1.6", { rotationPollInterval: "2s", syncFrequencyMs: 5000 });
    const rollouts = await trackRollouts(c.admin, namespaces);
    const flipBacks = await trackFlipBacks(c.admin, namespaces, roundOfValue);
    try {
      for (let k = 0; k < NAMESPACES; k++) {
        const ns = namespaces[k]!;
        const objs = [0, 1, 2, 3, 4, 5].map((j) => (5 * k + j) % OBJECTS);
        layout.push({ ns, objs });
        await createSpc(c, ns, {
          name: "app",
          vault: "kv-alpha",
          objects: [
            ...objs.map((o) => ({ objectName: names[o]!, objectType: "secret" })),
            { objectName: staticName, objectType: "secret", objectAlias: "static" },
          ],
          secretObjects: [
            {
              secretName: "creds-a",
              type: "Opaque",
              data: [
                { objectName: names[objs[0]!]!, key: "o0" },
                { objectName: names[objs[0]!]!, key: "o0-copy" },
                { objectName: names[objs[1]!]!, key: "o1" },
                { objectName: names[objs[2]!]!, key: "o2" },
                { objectName: "static", key: "static" },
              ],
            },
            {
              secretName: "creds-b",
              type: "Opaque",
              data: [
                { objectName: names[objs[3]!]!, key: "o3" },
                { objectName: names[objs[4]!]!, key: "o4" },
                { objectName: names[objs[5]!]!, key: "o5" },
              ],
            },
          ],
        });
        await d.mount(ns, "app-0", "app");
        if (k % 2 === 0) await d.mount(ns, "app-1", "app");
        await createWorkload(c, ns, "Deployment", "env-a", { env: ["creds-a"] });
        await createWorkload(c, ns, "StatefulSet", "envfrom-b", { envFrom: ["creds-b"] });
        await createWorkload(c, ns, "DaemonSet", "both", { env: ["creds-a"], envFrom: ["creds-b"] });
        await createWorkload(c, ns, "Deployment", "files-only", { spc: "app", secretVolume: "creds-a" });
      }
      const secretNames = async () =>
        (
          await Promise.all(
            namespaces.map(async (ns) =>
              (await c.core.listNamespacedSecret({ namespace: ns })).items.map((s) => `${ns}/${s.metadata?.name}`),
            ),
          )
        )
          .flat()
          .sort();
      const secretsBefore = await secretNames();
      const clusterSecretsBefore = (await c.core.listSecretForAllNamespaces()).items.length;
      expect(secretsBefore).toHaveLength(2 * NAMESPACES);

      // --- the storm
      const instances: Runtime[] = Array.from({ length: INSTANCES }, () => w.runtime({}, ["c1"]));
      ledger.max("instances", INSTANCES);
      const queue: Delivery[] = [];
      const late: Delivery[] = [];
      const newestDelivered = new Map<number, number>(); // obj → newest round whose event began delivery
      let producing = true;
      let inflight = 0;
      const unexpected: string[] = [];
      const insert = (dl: Delivery) => queue.splice(rnd.int(0, queue.length), 0, dl);

      const deliver = async (rt: Runtime, batch: Delivery[], inst: number) => {
        for (const b of batch) {
          ledger.add("eventsDelivered");
          const newest = newestDelivered.get(b.obj) ?? -1;
          if (b.round < newest) ledger.add("reorders");
          newestDelivered.set(b.obj, Math.max(newest, b.round));
        }
        const cloud = batch.length === 1 && rnd.next() < 0.25;
        const body = cloud ? toCloudEvent(batch[0]!.event) : batch.map((b) => b.event);
        const invocationId = randomUUID();
        try {
          await handleDelivery(rt, body, { invocationId, log: leaks.sink(`instance ${inst} log`) });
        } catch (e) {
          leaks.error(`instance ${inst} error`, e);
          if (!(e instanceof RedeliveryNeeded)) unexpected.push(`${(e as Error).name}: ${(e as Error).message}`.slice(0, 300));
          // Event Grid redelivers a failed invocation's events (exponential backoff; here a short pause).
          ledger.add("redeliveries");
          setTimeout(() => batch.forEach((b) => insert({ ...b, attempt: b.attempt + 1 })), 50 + rnd.int(0, 200));
          inflight++;
          setTimeout(() => inflight--, 300);
        }
      };
      const worker = async (rt: Runtime, inst: number) => {
        for (;;) {
          if (queue.length === 0) {
            if (!producing && inflight === 0) return;
            await new Promise((r) => setTimeout(r, 5));
            continue;
          }
          // Mostly one event per invocation (the Functions Event Grid trigger); sometimes a batch of 2–3.
          const n = rnd.next() < 0.15 ? rnd.int(2, 3) : 1;
          const batch = queue.splice(0, n);
          inflight++;
          try {
            await deliver(rt, batch, inst);
          } finally {
            inflight--;
          }
        }
      };
      const producer = async () => {
        for (let r = 1; r <= ROUNDS; r++) {
          // some held-back copies of older versions arrive now, after newer ones
          for (const dl of late.splice(0, Math.ceil(late.length / 2))) insert(dl);
          await limit([...names.keys()], 6, async (i) => {
            const version = await rotate(i, r);
            const event = keyVaultEvent(w, "kv-alpha", "Secret", names[i]!, version, new Date());
            const copies = 1 + rnd.int(1, 3);
            ledger.add("duplicates", copies - 1);
            for (let k = 0; k < copies; k++) {
              const dl = { obj: i, round: r, event, attempt: 0 };
              if (k > 0 && rnd.next() < 0.35) late.push(dl);
              else insert(dl);
            }
          });
          await new Promise((res) => setTimeout(res, rnd.int(100, 400)));
        }
        rnd.shuffle(late);
        for (const dl of late.splice(0)) insert(dl);
        producing = false;
      };
      const t0 = Date.now();
      await Promise.all([producer(), ...instances.flatMap((rt, i) => Array.from({ length: PER_INSTANCE }, () => worker(rt, i)))]);
      const stormSeconds = (Date.now() - t0) / 1000;
      // Their Kubernetes Events (recorded in the background) are sent before they close: the leak scan reads them.
      await Promise.all(instances.map((i) => shutdownRuntime(i)));
      await d.idle();
      const settledSeconds = (Date.now() - t0) / 1000;
      // Nudges that arrived while a mount had changed within the interval were skipped by the driver; kubelet's
      // periodic sync republishes them once the gate opens.
      const staleMountCount = async () => {
        const spcps = (await Promise.all(
          namespaces.map((ns) =>
            c.custom.listNamespacedCustomObject({
              group: "secrets-store.csi.x-k8s.io",
              version: "v1",
              namespace: ns,
              plural: "secretproviderclasspodstatuses",
            }),
          ),
        )) as { items: { metadata: { namespace: string }; status: { podName: string; objects: { id: string; version: string }[] } }[] }[];
        let stale = 0;
        for (const list of spcps)
          for (const p of list.items) {
            const objs = layout.find((l) => l.ns === p.metadata.namespace)!.objs;
            for (const o of objs) if (p.status.objects.find((x) => x.id === `secret/${names[o]}`)?.version !== latest[o]!.version) stale++;
          }
        return stale;
      };
      const staleAtSettle = await staleMountCount();
      for (const deadline = Date.now() + 60_000; (await staleMountCount()) > 0 && Date.now() < deadline;) await sleep(500);
      await d.idle();
      const convergedSeconds = (Date.now() - t0) / 1000;
      expect(unexpected, "only RedeliveryNeeded may escape an invocation").toEqual([]);
      expect(ledger.f.eventsDelivered).toBeGreaterThanOrEqual(1000);
      const k = d.node.kubelet.totals;
      ledger.note(
        `${ledger.f.eventsDelivered} deliveries of ${OBJECTS * ROUNDS} new versions in ${stormSeconds.toFixed(1)} s on ${INSTANCES} instances × ${PER_INSTANCE}; real driver ${d.node.versions.driver}: kubelet remounts ${k.republishes} on nudges + ${k.resyncs} periodic, ${staleAtSettle} mount objects behind when nudges settled (${settledSeconds.toFixed(1)} s), all latest at ${convergedSeconds.toFixed(1)} s; flip-backs seen: ${flipBacks.flips.length}`,
      );

      // --- verification: bytes, keys, mounts
      const check = async (when: string) => {
        let lost = 0;
        const problems: string[] = [];
        for (const { ns, objs } of layout) {
          const a = (await c.core.readNamespacedSecret({ namespace: ns, name: "creds-a" })).data ?? {};
          const b = (await c.core.readNamespacedSecret({ namespace: ns, name: "creds-b" })).data ?? {};
          const want: [Record<string, string>, string, number | "static"][] = [
            [a, "o0", objs[0]!],
            [a, "o0-copy", objs[0]!],
            [a, "o1", objs[1]!],
            [a, "o2", objs[2]!],
            [a, "static", "static"],
            [b, "o3", objs[3]!],
            [b, "o4", objs[4]!],
            [b, "o5", objs[5]!],
          ];
          expect(Object.keys(a).sort(), `${ns}/creds-a keys (${when})`).toEqual(["o0", "o0-copy", "o1", "o2", "static"]);
          expect(Object.keys(b).sort(), `${ns}/creds-b keys (${when})`).toEqual(["o3", "o4", "o5"]);
          for (const [data, key, o] of want) {
            const expected = o === "static" ? staticValue : latest[o]!.value;
            if (Buffer.from(data[key] ?? "", "base64").toString("utf8") !== expected) {
              lost++;
              problems.push(`${ns} key ${key} is not the latest (${when})`);
            }
          }
        }
        return { lost, problems };
      };
      const after = await check("after the storm");
      const staleMounts = await staleMountCount();
      // the driver's periodic requeue (forced by a restart) rebuilds Secrets from the mounts: nothing may flip back
      await d.requeue();
      const afterPoll = await check("after the driver's requeue");
      flipBacks.stop();

      // --- rollouts
      let dupRollouts = 0;
      let totalRollouts = 0;
      const rolloutProblems: string[] = [];
      for (const { ns, objs } of layout) {
        const consumers = [
          { key: `Deployment ${ns}/env-a`, objs: objs.slice(0, 3) },
          { key: `StatefulSet ${ns}/envfrom-b`, objs: objs.slice(3, 6) },
          { key: `DaemonSet ${ns}/both`, objs },
        ];
        for (const w0 of consumers) {
          const an = rollouts.analyse(w0.key);
          totalRollouts += an.rollouts;
          dupRollouts += an.duplicates;
          if (an.duplicates) rolloutProblems.push(`${w0.key}: ${an.rollouts} rollouts for ${an.distinct} distinct version sets`);
          const last = JSON.parse(an.snapshots[an.snapshots.length - 1]?.ours ?? "{}") as Record<string, string>;
          for (const o of w0.objs) {
            const want = `kv-alpha/${names[o]}@${latest[o]!.version}`;
            if (last[templateKey("kv-alpha", names[o]!)] !== want)
              rolloutProblems.push(`${w0.key}: template does not carry ${names[o]}@latest`);
          }
          // never back to an older version of any object
          let prev: Record<string, number> = {};
          for (const s of an.snapshots) {
            const cur: Record<string, number> = {};
            for (const [k, v] of Object.entries(JSON.parse(s.ours) as Record<string, string>))
              cur[k] = roundOf.get(v.split("@")[1] ?? "") ?? -1;
            for (const [k, r] of Object.entries(cur))
              if (prev[k] !== undefined && r < prev[k]!)
                rolloutProblems.push(`${w0.key}: went back from round ${prev[k]} to ${r} (gen ${s.generation})`);
            prev = cur;
          }
        }
        const files = rollouts.analyse(`Deployment ${ns}/files-only`);
        if (files.rollouts !== 0) rolloutProblems.push(`Deployment ${ns}/files-only (no env use) rolled out ${files.rollouts} times`);
      }
      rollouts.stop();
      ledger.add("rollouts", totalRollouts);
      ledger.add("duplicateRollouts", dupRollouts);
      ledger.add("lostRotations", Math.max(after.lost, afterPoll.lost));
      if (flipBacks.flips.length) ledger.note(`transient flip-backs by the real driver: ${flipBacks.flips.slice(0, 5).join("; ")}`);
      ledger.add("secretsChecked", 2 * NAMESPACES);

      // --- nothing created or deleted
      const secretsAfter = await secretNames();
      const clusterSecretsAfter = (await c.core.listSecretForAllNamespaces()).items.length;
      ledger.add(
        "secretsCreated",
        secretsAfter.filter((s) => !secretsBefore.includes(s)).length + Math.max(0, clusterSecretsAfter - clusterSecretsBefore),
      );
      ledger.add(
        "secretsDeleted",
        secretsBefore.filter((s) => !secretsAfter.includes(s)).length + Math.max(0, clusterSecretsBefore - clusterSecretsAfter),
      );

      // --- leaks: logs, errors, Kubernetes Events
      await leaks.captureEvents(c.core, namespaces);
      leaks.capture("CSI driver log", d.node.driverLog()); // the real parts' logs must not carry values either
      const found = leaks.scan();
      ledger.add("leakedValues", found.length);
      ledger.add("valuesChecked", leaks.valueCount);
      ledger.add("charsScanned", leaks.charsCaptured);

      expect(rollouts.errors).toEqual([]);
      expect(flipBacks.errors).toEqual([]);
      // The real driver does flip pushed bytes back for a moment: it rebuilds a synced Secret from one pod's mount
      // whenever that pod's SPCPS changes, and a fetch that started before the pusher's newer version (or a mount
      // the gate kept behind) carries older bytes. Never the pusher, and never for good: the checks above found
      // every key at the latest bytes once the mounts converged, and after the requeue.
      expect(
        flipBacks.flips.filter((f) => !f.endsWith("(written by csi-secrets-store)")),
        "flip-backs written by anyone but the driver",
      ).toEqual([]);
      expect(after.problems).toEqual([]);
      expect(afterPoll.problems).toEqual([]);
      expect(staleMounts, "mounts behind Key Vault").toBe(0);
      expect(rolloutProblems).toEqual([]);
      expect(secretsAfter).toEqual(secretsBefore);
      expect(clusterSecretsAfter).toBe(clusterSecretsBefore);
      expect(found).toEqual([]);
    } finally {
      rollouts.stop();
      flipBacks.stop();
      await d.stop();
    }
  });
});
