// The world changes between plan and apply: a Secret, pod or workload deleted, a Secret or workload edited by
// someone else, a Secret made immutable, a namespace being deleted, a newer rotation pushed by another instance.
// planPass / applyActions are called directly (restricted token) to get in between. Nothing crashes, nothing deleted
// comes back, other writers' changes survive, and nothing is left behind an older version.
import { randomBytes, randomUUID } from "node:crypto";
import { setHeaderOptions } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyActions, type ApplyOutcome } from "../../shared/apply/apply.js";
import { handleDelivery } from "../../shared/entry/event-delivery.js";
import { spcsForSignal } from "../../shared/inventory/source.js";
import { planPass } from "../../shared/pipeline/cluster-run.js";
import { readObject, typesUsed } from "../../shared/pipeline/objects.js";
import { templateKey } from "../../shared/lib/annotations.js";
import type { Action } from "../../shared/model/index.js";
import { closeRuntime, type Runtime } from "../../shared/pipeline/runtime.js";
import { reconcile } from "../../shared/pipeline/reconcile.js";
import { toReportAction } from "../../shared/report/report.js";
import type { RotationSignal } from "../../shared/model/index.js";
import { VaultReader } from "../../shared/vault/reader.js";
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
  type World,
} from "../support/world.js";
import { Ledger } from "./support/ledger.js";
import { LeakGuard } from "./support/leaks.js";

const ledger = new Ledger("faults-plan-apply");
const leaks = new LeakGuard();
const mergePatch = setHeaderOptions("Content-Type", "application/merge-patch+json");
let w: World;
let rt: Runtime;
const namespaces: string[] = [];

beforeAll(async () => {
  w = await startWorld();
  rt = w.runtime({}, ["c1"]);
  await setRequiresRepublish(w.clusters[0]!, true);
});
afterAll(async () => {
  ledger.flush();
  if (rt) closeRuntime(rt);
  await w?.stop();
});

const value = (tag: string) => leaks.secret(`pa-${tag}-${randomBytes(16).toString("hex")}`);

/** One namespace: SPC → synced Secret "creds" (password from the object, static from another), a mounted pod, an env Deployment. */
async function scene(tag: string, opts: { driver?: "v1.5" | "v1.6" } = {}) {
  const c = w.clusters[0]!;
  const object = uniqueName(`pa-${tag}`);
  await w.secrets("kv-alpha").setSecret(object, value(`${tag}-old`));
  const staticValue = value(`${tag}-static`);
  await w.secrets("kv-alpha").setSecret(`${object}-static`, staticValue);
  const ns = await createNamespace(c, `pa-${tag}`);
  namespaces.push(ns);
  await createSpc(c, ns, {
    name: "app",
    vault: "kv-alpha",
    objects: [
      { objectName: object, objectType: "secret" },
      { objectName: `${object}-static`, objectType: "secret", objectAlias: "static" },
    ],
    secretObjects: [
      {
        secretName: "creds",
        type: "Opaque",
        data: [
          { objectName: object, key: "password" },
          { objectName: "static", key: "static" },
        ],
      },
    ],
  });
  const d = await driver(w, c, [ns], opts.driver ?? "v1.5");
  await d.mount(ns, "app-0", "app");
  await createWorkload(c, ns, "Deployment", "env", { env: ["creds"] });
  const fresh = value(`${tag}-new`);
  const v = await w.secrets("kv-alpha").setSecret(object, fresh);
  const signal: RotationSignal = {
    vault: "kv-alpha",
    objectType: "secret",
    objectName: object,
    version: v.properties.version!,
    eventTime: new Date().toISOString(),
    source: "eventgrid",
  };
  return { c, ns, object, fresh, staticValue, version: v.properties.version!, signal, d };
}

/** Inventory + one Key Vault read + proofs + plan, exactly as push() does it for one cluster. */
async function planNow(signal: RotationSignal): Promise<Action[]> {
  const api = rt.clusters[0]!;
  const spcs = spcsForSignal(await api.listSpcs(), signal);
  const reader = new VaultReader(rt.vaults);
  return planPass(rt, api, {
    spcs,
    objectNames: [signal.objectName],
    objects: async () => [await readObject(reader, rt.config.vaults, signal, typesUsed(spcs, signal))],
    ctx: { policy: rt.config.policy, trigger: "event", now: new Date() },
    dryRun: false,
    receivedAt: Date.now(),
    reader,
  });
}

async function applyNow(actions: Action[]): Promise<ApplyOutcome> {
  try {
    const out = await applyActions(rt.clusters[0]!, actions, { concurrency: 8, dryRun: false, receivedAt: Date.now() });
    leaks.capture(
      "apply results (as reported)",
      out.results.map((r) => toReportAction(r, false)),
    );
    return out;
  } catch (e) {
    ledger.add("crashes");
    throw e;
  }
}

const status = (out: ApplyOutcome, type: Action["type"]) => out.results.filter((r) => r.action.type === type).map((r) => r.status);
const secretOf = async (ns: string) => {
  const s = await w.clusters[0]!.core.readNamespacedSecret({ namespace: ns, name: "creds" });
  return Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]));
};

describe("deleted between plan and apply", () => {
  it("a deleted Secret, pod and workload are reported gone and stay deleted (merge patches never create)", async () => {
    const s = await scene("deleted");
    const actions = await planNow(s.signal);
    expect(actions.map((a) => a.type).sort()).toEqual(["nudgePod", "patchSecret", "restartWorkload"]);
    await s.c.core.deleteNamespacedSecret({ namespace: s.ns, name: "creds" });
    await s.c.core.deleteNamespacedPod({ namespace: s.ns, name: "app-0", gracePeriodSeconds: 0 });
    await s.c.apps.deleteNamespacedDeployment({ namespace: s.ns, name: "env" });
    ledger.fault("deleted between plan and apply", 3);
    const out = await applyNow(actions);
    expect(out.retryable?.message).toBeUndefined();
    expect(out.results.map((r) => `${r.action.type}:${r.status}`).sort()).toEqual([
      "nudgePod:gone",
      "patchSecret:gone",
      "restartWorkload:gone",
    ]);
    await expect(s.c.core.readNamespacedSecret({ namespace: s.ns, name: "creds" })).rejects.toMatchObject({ code: 404 });
    await expect(s.c.core.readNamespacedPod({ namespace: s.ns, name: "app-0" })).rejects.toMatchObject({ code: 404 });
    await expect(s.c.apps.readNamespacedDeployment({ namespace: s.ns, name: "env" })).rejects.toMatchObject({ code: 404 });
    ledger.add("secretsDeleted", 0);
  });
});

describe("changed between plan and apply", () => {
  it("another writer's edit of other fields: the conditional write meets a 409, sees our keys unchanged, retries once; their keys, labels and template stay", async () => {
    const s = await scene("edited");
    const actions = await planNow(s.signal);
    // the driver re-syncs the static key and someone labels the Secret; a deploy changes the image
    const edited = value("edited-static");
    await s.c.core.patchNamespacedSecret(
      {
        namespace: s.ns,
        name: "creds",
        body: { metadata: { labels: { team: "payments" } }, data: { static: Buffer.from(edited).toString("base64") } },
      },
      mergePatch,
    );
    await s.c.apps.patchNamespacedDeployment(
      {
        namespace: s.ns,
        name: "env",
        body: {
          spec: {
            template: {
              metadata: { annotations: { "deploy/at": "now" } },
              spec: { containers: [{ name: "app", image: "registry.local/app:2" }] },
            },
          },
        },
      },
      setHeaderOptions("Content-Type", "application/strategic-merge-patch+json"),
    );
    ledger.fault("edited between plan and apply", 2);
    const out = await applyNow(actions);
    // What the writes decided on (the proven key, the template's annotation of this object) is unchanged: each 409 is
    // retried on the new resourceVersion in place — no redelivery needed.
    expect(out.retryable?.message).toBeUndefined();
    expect(status(out, "patchSecret")).toEqual(["applied"]);
    expect(status(out, "restartWorkload")).toEqual(["applied"]);
    expect(await secretOf(s.ns)).toEqual({ password: s.fresh, static: edited });
    expect((await s.c.core.readNamespacedSecret({ namespace: s.ns, name: "creds" })).metadata?.labels).toEqual(
      expect.objectContaining({ team: "payments" }),
    );
    const dep = await s.c.apps.readNamespacedDeployment({ namespace: s.ns, name: "env" });
    expect(dep.spec?.template?.spec?.containers[0]?.image).toBe("registry.local/app:2");
    expect(dep.spec?.template?.metadata?.annotations).toEqual(
      expect.objectContaining({ "deploy/at": "now", [templateKey("kv-alpha", s.object)]: `kv-alpha/${s.object}@${s.version}` }),
    );
    ledger.add("secretsChecked");
  });

  it("a Secret made immutable: the patch is refused, reported as failed, no rollout follows, nothing crashes", async () => {
    const s = await scene("immutable");
    const actions = await planNow(s.signal);
    const gen0 = await generation(s.c, s.ns, "Deployment", "env");
    await s.c.core.patchNamespacedSecret({ namespace: s.ns, name: "creds", body: { immutable: true } }, mergePatch);
    ledger.fault("Secret made immutable between plan and apply");
    // The 409 (changed since the plan: only `immutable`) is retried, and the retry meets the permanent 422.
    const out = await applyNow(actions);
    expect(out.retryable?.message, "immutable is permanent: no endless redelivery").toBeUndefined();
    expect(status(out, "patchSecret")).toEqual(["failed"]);
    expect(out.results.find((r) => r.action.type === "patchSecret")!.error).toMatch(/HTTP 422/);
    expect(status(out, "restartWorkload")).toEqual(["not-run"]);
    expect(await generation(s.c, s.ns, "Deployment", "env")).toBe(gen0);
    expect((await secretOf(s.ns)).password).not.toBe(s.fresh);
  });

  it("a namespace being deleted: applies or reports gone, Events refused are not failures", async () => {
    const s = await scene("terminating");
    const actions = await planNow(s.signal);
    // no namespace controller runs here: the namespace stays Terminating with its objects, like a slow finalizer
    await s.c.core.deleteNamespace({ name: s.ns });
    ledger.fault("namespace terminating between plan and apply");
    const out = await applyNow(actions);
    expect(out.retryable?.message).toBeUndefined();
    for (const r of out.results) expect(["applied", "gone", "skipped"]).toContain(r.status);
  });
});

describe("a newer rotation pushed by another instance between plan and apply", () => {
  it("the stale plan does not leave the Secret or the workload behind the newest version", async () => {
    const s = await scene("stale", { driver: "v1.6" });
    try {
      const gen0 = await generation(s.c, s.ns, "Deployment", "env");
      const stale = await planNow(s.signal); // instance A: read Key Vault (v2) and planned
      const newest = value("stale-newest");
      const v3 = await w.secrets("kv-alpha").setSecret(s.object, newest);
      // instance B handles v3's event completely
      const other = w.runtime({}, ["c1"]);
      try {
        ledger.add("eventsDelivered");
        await handleDelivery(other, [keyVaultEvent(w, "kv-alpha", "Secret", s.object, v3.properties.version!)], {
          invocationId: randomUUID(),
          log: leaks.sink("instance B log"),
        });
      } finally {
        closeRuntime(other);
      }
      await s.d.idle();
      expect((await secretOf(s.ns)).password).toBe(newest);
      ledger.fault("newer version pushed between plan and apply");
      ledger.add("reorders");
      const out = await applyNow(stale); // instance A applies its older plan
      await s.d.idle();
      const afterStale = {
        secret: (await secretOf(s.ns)).password === newest,
        template: (await s.c.apps.readNamespacedDeployment({ namespace: s.ns, name: "env" })).spec?.template?.metadata?.annotations?.[
          templateKey("kv-alpha", s.object)
        ],
      };
      // the timer's reconcile is the safety net for anything an event left behind
      const rec = w.runtime({}, ["c1"]);
      rec.config.driftGraceSeconds = 0;
      try {
        await reconcile(rec, { invocationId: randomUUID() });
      } finally {
        closeRuntime(rec);
      }
      await s.d.idle();
      const dep = await s.c.apps.readNamespacedDeployment({ namespace: s.ns, name: "env" });
      const rollouts = (await generation(s.c, s.ns, "Deployment", "env")) - gen0;
      const regressed = !afterStale.secret || afterStale.template !== `kv-alpha/${s.object}@${v3.properties.version}`;
      ledger.note(
        `stale plan applied after a newer push: ${out.results.map((r) => `${r.action.type} ${r.status}`).join(", ")}; ` +
          `right after it the Secret ${afterStale.secret ? "held the newest bytes" : "held OLDER bytes"} and the template ${afterStale.template?.endsWith(v3.properties.version!) ? "the newest version" : "an OLDER version"}; after reconcile: ${rollouts} rollout(s)`,
      );
      ledger.add("rollouts", rollouts);
      ledger.add("duplicateRollouts", Math.max(0, rollouts - 1));
      ledger.add("lostRotations", regressed ? 1 : 0);
      expect((await secretOf(s.ns)).password).toBe(newest);
      expect(dep.spec?.template?.metadata?.annotations?.[templateKey("kv-alpha", s.object)]).toBe(
        `kv-alpha/${s.object}@${v3.properties.version}`,
      );
      expect(regressed, "the stale apply moved the Secret or the template back to an older version").toBe(false);
      expect(rollouts, "B's rollout only: the stale plan rolls nothing back or again").toBe(1);
      expect(out.retryable?.message, "the stale plan's conditional write fails: 409 → redelivery").toMatch(/HTTP 409/);
    } finally {
      s.d.stop();
    }
  });
});

describe("events lost, the timer catches up", () => {
  it("two objects behind on one env-consuming workload: one merged Secret patch and ONE rollout", async () => {
    const c = w.clusters[0]!;
    const [a, b] = [uniqueName("pa-lost-a"), uniqueName("pa-lost-b")];
    await w.secrets("kv-alpha").setSecret(a, value("lost-a1"));
    await w.secrets("kv-alpha").setSecret(b, value("lost-b1"));
    const ns = await createNamespace(c, "pa-lost");
    namespaces.push(ns);
    await createSpc(c, ns, {
      name: "app",
      vault: "kv-alpha",
      objects: [
        { objectName: a, objectType: "secret" },
        { objectName: b, objectType: "secret" },
      ],
      secretObjects: [
        {
          secretName: "creds",
          type: "Opaque",
          data: [
            { objectName: a, key: "a" },
            { objectName: b, key: "b" },
          ],
        },
      ],
    });
    const d = await driver(w, c, [ns], "v1.6");
    try {
      await d.mount(ns, "app-0", "app");
      await createWorkload(c, ns, "Deployment", "env", { envFrom: ["creds"] });
      const gen0 = await generation(c, ns, "Deployment", "env");
      const [a2, b2] = [value("lost-a2"), value("lost-b2")];
      const va = await w.secrets("kv-alpha").setSecret(a, a2);
      const vb = await w.secrets("kv-alpha").setSecret(b, b2);
      ledger.fault("events lost (left to the timer)", 2);
      const rec = w.runtime({}, ["c1"]);
      rec.config.driftGraceSeconds = 0;
      try {
        const rep = await reconcile(rec, { invocationId: randomUUID() });
        leaks.capture("reconcile report", rep);
        expect(rep.retry).toBe(false);
      } finally {
        closeRuntime(rec);
      }
      await d.idle();
      expect(await secretOf(ns)).toEqual({ a: a2, b: b2 });
      const dep = await c.apps.readNamespacedDeployment({ namespace: ns, name: "env" });
      const ann = dep.spec?.template?.metadata?.annotations ?? {};
      expect(ann[templateKey("kv-alpha", a)]).toBe(`kv-alpha/${a}@${va.properties.version}`);
      expect(ann[templateKey("kv-alpha", b)]).toBe(`kv-alpha/${b}@${vb.properties.version}`);
      const rollouts = (await generation(c, ns, "Deployment", "env")) - gen0;
      ledger.add("rollouts", rollouts);
      ledger.add("duplicateRollouts", Math.max(0, rollouts - 1));
      ledger.add("secretsChecked");
      expect(rollouts, "one version set change → one rollout").toBe(1);
    } finally {
      d.stop();
    }
  });
});

describe("nothing leaked", () => {
  it("no secret value nor its base64 in apply results, logs or Kubernetes Events", async () => {
    await rt.events?.drain(); // Events are recorded in the background after each invocation
    await leaks.captureEvents(w.clusters[0]!.core, namespaces);
    const found = leaks.scan();
    ledger.add("leakedValues", found.length);
    ledger.add("valuesChecked", leaks.valueCount);
    ledger.add("charsScanned", leaks.charsCaptured);
    expect(found).toEqual([]);
  });
});
