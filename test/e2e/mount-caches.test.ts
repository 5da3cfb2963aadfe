// The warm mount and workload caches (shared/inventory/mount-caches.ts) on a real API server with the pusher's RBAC:
// once live, an event costs no list, and a new mount, a new env consumer or a template restarted by another instance
// reach them before the next push; an older read never moves a Secret or a template back; without the `watch` verb
// every push lists fresh (never stale, never failing).
import { PatchStrategy, RbacAuthorizationV1Api, setHeaderOptions } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { servesSecretSync } from "../../shared/kube/secretsync-api.js";
import { templateKey, templateValue } from "../../shared/lib/annotations.js";
import { runClusterPass } from "../../shared/pipeline/cluster-run.js";
import { push } from "../../shared/pipeline/push.js";
import { shutdownRuntime, type Runtime } from "../../shared/pipeline/runtime.js";
import type { ObjectState, RotationSignal } from "../../shared/model/index.js";
import { VaultReader } from "../../shared/vault/reader.js";
import { kubeConfigFor } from "../env/environment.js";
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
  type World,
} from "../support/world.js";

let w: World;
let c: ClusterHandles;
const runtimes: Runtime[] = [];

beforeAll(async () => {
  w = await startWorld();
  c = w.clusters[0]!;
  await setRequiresRepublish(c, true);
});
afterAll(async () => {
  for (const rt of runtimes) await shutdownRuntime(rt, 2_000);
  await w?.stop();
});

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 10_000, state?: () => unknown): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}${state ? `: ${JSON.stringify(state())}` : ""}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const signal = (objectName: string): RotationSignal => ({
  vault: "kv-alpha",
  objectType: "secret",
  objectName,
  eventTime: new Date().toISOString(),
  source: "http",
});

/** A namespace whose synced Secret the driver stand-in (v1.6) keeps, mounted by app-0, read as env by Deployment env. */
async function scene(tag: string) {
  const object = uniqueName(`mc-${tag}`);
  await w.secrets("kv-alpha").setSecret(object, `${tag}-1`);
  const ns = await createNamespace(c, `mc-${tag}`);
  await createSpc(c, ns, {
    name: "app",
    vault: "kv-alpha",
    objects: [{ objectName: object, objectType: "secret" }],
    secretObjects: [{ secretName: "creds", type: "Opaque", data: [{ objectName: object, key: "password" }] }],
  });
  const d = await driver(w, c, [ns], "v1.6");
  await d.mount(ns, "app-0", "app");
  await createWorkload(c, ns, "Deployment", "env", { env: ["creds"], spc: "app" });
  return { object, ns, d };
}

/** Lists of what the caches hold (SecretSyncs, where another file installed their API, are not cached: listed per push). */
const CACHED = [
  "secretproviderclasses",
  "secretproviderclasspodstatuses",
  "deployments",
  "statefulsets",
  "daemonsets",
  "rollouts",
  "csidrivers",
];
const lists = (rt: Runtime) =>
  [...rt.clusters[0]!.stats.counts].filter(([k]) => CACHED.some((r) => k === `list ${r}`)).reduce((n, [, v]) => n + v, 0);
/** Applied writes other than nudges. */
const writesBut = (r: { actions: { type: string; status: string; target: string }[] }) =>
  r.actions.filter((a) => a.status === "applied" && a.type !== "nudgePod").map((a) => `${a.type} ${a.target}`);
/** Nudges of mounts that already held `version`. */
const nudgesOfNewer = (r: { actions: { type: string; status: string; target: string; reason: { detail: string } }[] }, version: string) =>
  r.actions.filter((a) => a.type === "nudgePod" && a.reason.detail.includes(`@${version.slice(0, 8)}`)).map((a) => a.target);
const applied = (rep: Awaited<ReturnType<typeof push>>, type: string) =>
  rep.clusters[0]!.actions.filter((a) => a.type === type && a.status === "applied").map((a) => a.target.split(" ")[1]!);

describe("mount and workload caches on a real API server", () => {
  it("once live, a push lists nothing; new mounts and consumers reach the caches before the next push", async () => {
    const { object, ns, d } = await scene("warm");
    try {
      const rt = w.runtime({ namespacesInclude: [ns] }, ["c1"]);
      runtimes.push(rt);
      const api = rt.clusters[0]!;
      // Argo Rollouts too where another test file installed its CRD (the cluster is shared).
      const kinds = ["DaemonSet", "Deployment", "StatefulSet", "csidrivers", "secretproviderclasspodstatuses"]
        .concat((await api.hasRollouts()) ? ["Rollout"] : [])
        .concat((await servesSecretSync(api)) ? ["secretsyncs"] : [])
        .sort();
      await w.secrets("kv-alpha").setSecret(object, "warm-2");
      // Cold: fresh per-namespace lists; the caches seed afterwards.
      let rep = await push(rt, [signal(object)]);
      expect(applied(rep, "patchSecret")).toEqual([`${ns}/creds`]);
      await d.idle();
      await until(
        "caches live",
        () => {
          const st = Object.values(rt.caches!.status(api));
          return st.length === kinds.length && st.every((s) => s.live);
        },
        10_000,
        () => rt.caches!.status(api),
      );
      expect(Object.keys(rt.caches!.status(api)).sort()).toEqual(kinds);

      // Changes after the caches went live: a second mount, a second env consumer.
      await d.mount(ns, "app-1", "app");
      await createWorkload(c, ns, "Deployment", "env-2", { envFrom: ["creds"] });
      await until("app-1 and env-2 cached", async () => {
        const pods = rt.caches!.spcpsNow(api, [`${ns}/app`]) ?? [];
        const ws = (await rt.caches!.workloads(api, [ns])) ?? [];
        return pods.some((p) => p.podName === "app-1") && ws.some((x) => x.name === "env-2");
      });
      const lists0 = lists(rt);
      await w.secrets("kv-alpha").setSecret(object, "warm-3");
      rep = await push(rt, [signal(object)]);
      expect(rep.clusters[0]!.ok).toBe(true);
      expect(applied(rep, "patchSecret")).toEqual([`${ns}/creds`]);
      expect(applied(rep, "nudgePod").sort()).toEqual([`${ns}/app-0`, `${ns}/app-1`]);
      expect(applied(rep, "restartWorkload").sort()).toEqual([`${ns}/env`, `${ns}/env-2`]);
      expect(
        lists(rt) - lists0,
        `no list of a cached resource on a warm push: ${JSON.stringify(Object.fromEntries(rt.clusters[0]!.stats.counts))}`,
      ).toBe(0);
      // Proof from memory: the only Key Vault read is the latest version.
      expect(rep.vaultReads - rep.proofReads).toBe(1);
      expect((await secretData(c, ns, "creds")).password).toBe("warm-3");
      await d.idle();
    } finally {
      d.stop();
    }
  });

  it("an older read leaves a Secret and a template that hold a newer version alone, however warm the caches", async () => {
    const { object, ns, d } = await scene("older");
    try {
      const rt = w.runtime({ namespacesInclude: [ns] }, ["c1"]);
      runtimes.push(rt);
      const api = rt.clusters[0]!;
      const v2 = await w.secrets("kv-alpha").setSecret(object, "older-2");
      // This instance reads v2 now (its "event"), but acts only after another instance pushed v3 everywhere.
      const vault = rt.config.vaults.get("kv-alpha")!;
      const oldRead = await new VaultReader(rt.vaults).read(vault, "secret", object);
      expect("data" in oldRead && oldRead.data.version).toBe(v2.properties.version);
      await w.secrets("kv-alpha").setSecret(object, "older-3");
      const other = w.runtime({ namespacesInclude: [ns] }, ["c1"]);
      runtimes.push(other);
      await push(other, [signal(object)]);
      await d.idle();
      await push(rt, [signal(object)]); // warms this instance's caches (nothing left to do)
      const rollouts = ((await api.hasRollouts()) ? 1 : 0) + ((await servesSecretSync(api)) ? 1 : 0);
      await until(
        "caches live",
        () => {
          const st = Object.values(rt.caches!.status(api));
          return st.length === 5 + rollouts && st.every((s) => s.live);
        },
        10_000,
        () => rt.caches!.status(api),
      );
      const v3 = (await w.secrets("kv-alpha").getSecret(object)).properties.version!;
      const tpl = () => c.apps.readNamespacedDeployment({ namespace: ns, name: "env" });
      expect((await tpl()).spec?.template?.metadata?.annotations?.[templateKey("kv-alpha", object)]).toBe(
        templateValue("kv-alpha", object, v3),
      );
      const gen = await generation(c, ns, "Deployment", "env");
      const rv = (await c.core.readNamespacedSecret({ namespace: ns, name: "creds" })).metadata?.resourceVersion;

      const state: ObjectState = { vault: "kv-alpha", objectName: object, byType: { secret: oldRead } };
      const spcs = (await rt.spcSource.list(api)).filter((s) => s.namespace === ns);
      const stalePass = async () =>
        (
          await runClusterPass(rt, api, {
            spcs,
            objectNames: [object],
            objects: async () => [{ signal: signal(object), state }],
            ctx: { policy: rt.config.policy, trigger: "event", now: new Date() },
            dryRun: false,
            receivedAt: Date.now(),
            reader: new VaultReader(rt.vaults),
          })
        ).report;
      const why = (r: Awaited<ReturnType<typeof stalePass>>) =>
        Object.fromEntries(r.actions.map((a) => [a.target, `${a.reason.code}: ${a.reason.detail}`]));

      // The Secret holds v3: not moved back, so nothing restarts for it. A mount already on v3 is not nudged (one the
      // driver has not refreshed yet — a nudge within its rotation-poll-interval is skipped — may be).
      let report = await stalePass();
      expect(report.ok, report.failure?.message).toBe(true);
      expect(writesBut(report)).toEqual([]);
      expect(nudgesOfNewer(report, v3)).toEqual([]);
      expect(why(report)[`Secret ${ns}/creds`]).toMatch(/^up-to-date: .*newer than this read/);
      expect((await c.core.readNamespacedSecret({ namespace: ns, name: "creds" })).metadata?.resourceVersion).toBe(rv);
      expect((await secretData(c, ns, "creds")).password).toBe("older-3");

      // The Secret back on v2 (a stale mount's sync), the template on v3: the template keeps v3, no second rollout.
      await c.core.patchNamespacedSecret(
        { namespace: ns, name: "creds", body: { data: { password: Buffer.from("older-2").toString("base64") } } },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      );
      report = await stalePass();
      expect(report.ok, report.failure?.message).toBe(true);
      expect(writesBut(report)).toEqual([]);
      expect(nudgesOfNewer(report, v3)).toEqual([]);
      expect(why(report)[`Deployment ${ns}/env`]).toMatch(/^already-restarted: .*newer than this read/);
      expect(await generation(c, ns, "Deployment", "env")).toBe(gen);
      expect((await tpl()).spec?.template?.metadata?.annotations?.[templateKey("kv-alpha", object)]).toBe(
        templateValue("kv-alpha", object, v3),
      );
    } finally {
      d.stop();
    }
  });

  it("without the watch verb every push lists fresh and is still right", async () => {
    const rbac = kubeConfigFor(c.info, c.info.tokens.admin, "admin").makeApiClient(RbacAuthorizationV1Api);
    const role = await rbac.readClusterRole({ name: "kv-rotation-pusher" });
    const noWatch = role.rules!.map((r) =>
      r.resources?.some((x) => ["secretproviderclasspodstatuses", "deployments"].includes(x))
        ? { ...r, verbs: r.verbs.filter((v) => v !== "watch") }
        : r,
    );
    await rbac.replaceClusterRole({ name: "kv-rotation-pusher", body: { ...role, rules: noWatch } });
    const { object, ns, d } = await scene("nowatch");
    try {
      const rt = w.runtime({ namespacesInclude: [ns] }, ["c1"]);
      runtimes.push(rt);
      const api = rt.clusters[0]!;
      await w.secrets("kv-alpha").setSecret(object, "nowatch-2");
      await push(rt, [signal(object)]);
      await d.idle();
      await until("watch forbidden", () => (rt.caches!.status(api).secretproviderclasspodstatuses?.lastWatchError ?? "").startsWith("403"));
      await d.mount(ns, "app-1", "app");
      await w.secrets("kv-alpha").setSecret(object, "nowatch-3");
      const lists0 = api.stats.counts.get("list secretproviderclasspodstatuses") ?? 0;
      const rep = await push(rt, [signal(object)]);
      expect(rep.clusters[0]!.ok, rep.clusters[0]!.failure?.message).toBe(true);
      expect(applied(rep, "nudgePod").sort()).toEqual([`${ns}/app-0`, `${ns}/app-1`]);
      expect(applied(rep, "restartWorkload")).toEqual([`${ns}/env`]);
      expect((api.stats.counts.get("list secretproviderclasspodstatuses") ?? 0) - lists0).toBe(1);
      expect(rt.caches!.status(api).secretproviderclasspodstatuses?.live).toBe(false);
      await d.idle();
    } finally {
      d.stop();
      await rbac.replaceClusterRole({
        name: "kv-rotation-pusher",
        body: { ...role, metadata: { ...role.metadata, resourceVersion: undefined } },
      });
    }
  });
});
