// The warm SecretProviderClass index (shared/inventory/spc-cache.ts) on a real API server: one paged list when cold,
// then every create / update / delete reaches the index through the watch before the next push; a killed watch
// never leaves answers stale (fresh lists until it is back); a watch forbidden by RBAC degrades to fresh lists.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { CustomObjectsApi, CoreV1Api, RbacAuthorizationV1Api, setHeaderOptions } from "@kubernetes/client-node";
import forge from "node-forge";
import { freshSpcs, spcsForSignals } from "../../shared/inventory/source.js";
import { SpcCache } from "../../shared/inventory/spc-cache.js";
import type { ClusterApi } from "../../shared/kube/cluster-api.js";
import { push } from "../../shared/pipeline/push.js";
import { closeRuntime, type Runtime } from "../../shared/pipeline/runtime.js";
import type { RotationSignal } from "../../shared/model/index.js";
import { newTokens, startApiServer, type ApiServer } from "../env/control-plane.js";
import { kubeConfigFor, type ClusterInfo } from "../env/environment.js";
import { issueServerCert } from "../env/tls.js";
import {
  createNamespace,
  createSpc,
  objectsYaml,
  secretData,
  startWorld,
  uniqueName,
  type ClusterHandles,
  type World,
} from "../support/world.js";

let w: World;
const runtimes: Runtime[] = [];
const servers: ApiServer[] = [];

beforeAll(async () => {
  w = await startWorld();
});
afterAll(async () => {
  for (const rt of runtimes) closeRuntime(rt);
  await Promise.allSettled(servers.map((s) => s.stop()));
  await w?.stop();
});

const GROUP = { group: "secrets-store.csi.x-k8s.io", version: "v1", plural: "secretproviderclasses" };
const mergePatch = setHeaderOptions("Content-Type", "application/merge-patch+json");

function signal(objectName: string): RotationSignal {
  return { vault: "kv-alpha", objectType: "secret", objectName, eventTime: new Date().toISOString(), source: "http" };
}

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 5_000): Promise<number> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return Date.now() - t0;
}

/** An SPC and its synced Secret as the driver leaves it: the key holds the object's current value (the pusher's proof). */
const currentValue = async (objectName: string) => (await w.secrets("kv-alpha").getSecret(objectName)).value!;

async function spcWithSecret(c: ClusterHandles, ns: string, name: string, objectName: string): Promise<void> {
  const current = await currentValue(objectName);
  await createSpc(c, ns, {
    name,
    vault: "kv-alpha",
    objects: [{ objectName, objectType: "secret" }],
    secretObjects: [{ secretName: `${name}-synced`, type: "Opaque", data: [{ objectName, key: "password" }] }],
  });
  await c.core.createNamespacedSecret({
    namespace: ns,
    body: {
      metadata: { name: `${name}-synced` },
      data: { password: Buffer.from(current).toString("base64"), other: Buffer.from("kept").toString("base64") },
    },
  });
}

function names(spcs: { namespace: string; name: string }[], ns: string): string[] {
  return spcs
    .filter((s) => s.namespace === ns)
    .map((s) => s.name)
    .sort();
}

/** The SPCs of `ns` the cache answers for an object (what the next push will act on). */
async function cachedFor(cache: SpcCache, api: ClusterApi, objectName: string, ns: string): Promise<string[]> {
  const [r] = await cache.forSignals(api, [signal(objectName)]);
  return names(r ?? [], ns);
}

function patchedSecrets(rep: Awaited<ReturnType<typeof push>>, ns: string): string[] {
  return rep.clusters
    .flatMap((c) => c.actions)
    .filter((a) => a.type === "patchSecret" && a.status === "applied" && a.target.startsWith(`Secret ${ns}/`))
    .map((a) => a.target.slice(`Secret ${ns}/`.length))
    .sort();
}

describe("SPC cache on a real API server", () => {
  it("lists once when cold, then sees every create / update / delete before the next push", async () => {
    const c = w.clusters[0]!;
    const ns = await createNamespace(c, "spc-cache");
    const x = uniqueName("obj-x");
    const y = uniqueName("obj-y");
    const kv = w.secrets("kv-alpha");
    await kv.setSecret(x, "x-0");
    await kv.setSecret(y, "y-1");
    await spcWithSecret(c, ns, "a", x);
    await kv.setSecret(x, "x-1");

    const rt = w.runtime({ namespacesInclude: [ns] }, ["c1"]);
    runtimes.push(rt);
    expect(rt.spcSource, "createRuntime's default source is the cache").toBeInstanceOf(SpcCache);
    const cache = rt.spcSource as SpcCache;
    const api = rt.clusters[0]!;

    // Cold: one paged list (+ one watch connection, not a request).
    let rep = await push(rt, [signal(x)]);
    expect(patchedSecrets(rep, ns)).toEqual(["a-synced"]);
    expect(api.stats.counts.get("list secretproviderclasses")).toBe(1);
    await until("watch live", () => cache.status(api).live);
    expect(api.stats.watchesByResource.get("secretproviderclasses")).toBe(1);
    const lags: number[] = [];

    // Create: b references x too.
    await spcWithSecret(c, ns, "b", x);
    lags.push(await until("b in the index", async () => (await cachedFor(cache, api, x, ns)).includes("b")));
    await kv.setSecret(x, "x-2");
    rep = await push(rt, [signal(x)]);
    expect(patchedSecrets(rep, ns)).toEqual(["a-synced", "b-synced"]);
    expect((await secretData(c, ns, "b-synced")).password).toBe("x-2");

    // Update: b now reads y instead of x.
    await c.custom.patchNamespacedCustomObject(
      {
        ...GROUP,
        namespace: ns,
        name: "b",
        body: {
          spec: {
            parameters: { objects: objectsYaml([{ objectName: y, objectType: "secret" }]) },
            secretObjects: [{ secretName: "b-synced", type: "Opaque", data: [{ objectName: y, key: "password" }] }],
          },
        },
      },
      mergePatch,
    );
    lags.push(
      await until(
        "b moved from x to y",
        async () => !(await cachedFor(cache, api, x, ns)).includes("b") && (await cachedFor(cache, api, y, ns)).includes("b"),
      ),
    );
    await kv.setSecret(x, "x-3");
    rep = await push(rt, [signal(x)]);
    expect(patchedSecrets(rep, ns)).toEqual(["a-synced"]);
    expect((await secretData(c, ns, "b-synced")).password).toBe("x-2");
    // The index routes y to b; b-synced still holds x's rendering, which proves nothing about y: not written (the
    // driver re-syncs it from b's mounts).
    rep = await push(rt, [signal(y)]);
    expect(patchedSecrets(rep, ns)).toEqual([]);
    expect(rep.clusters[0]!.actions.filter((a) => a.target === `Secret ${ns}/b-synced`).map((a) => a.reason.code)).toEqual(["no-proof"]);
    expect((await secretData(c, ns, "b-synced")).password).toBe("x-2");

    // Delete: a is gone; its Secret is left alone.
    await c.custom.deleteNamespacedCustomObject({ ...GROUP, namespace: ns, name: "a" });
    lags.push(await until("a gone from the index", async () => (await cachedFor(cache, api, x, ns)).length === 0));
    await kv.setSecret(x, "x-4");
    rep = await push(rt, [signal(x)]);
    expect(patchedSecrets(rep, ns)).toEqual([]);
    expect((await secretData(c, ns, "a-synced")).password).toBe("x-3");

    // Warm all along: no further list, still the one watch; the index answers exactly what a fresh list would.
    expect(api.stats.counts.get("list secretproviderclasses")).toBe(1);
    expect(api.stats.watchesByResource.get("secretproviderclasses")).toBe(1);
    for (const o of [x, y, "absent-object"]) {
      const [fromIndex] = await cache.forSignals(api, [signal(o)]);
      const [fromList] = await spcsForSignals(freshSpcs, api, [signal(o)]);
      expect(names(fromIndex!, ns), o).toEqual(names(fromList!, ns));
    }
    const all = await cache.list(api);
    expect(names(all, ns)).toEqual(["b"]);
    // Watch delivery: milliseconds on loopback (the window in which a just-written SPC may not be seen yet).
    expect(Math.max(...lags)).toBeLessThan(2_000);
  });

  describe("when the watch dies", () => {
    let s1: ApiServer;
    let s2: ApiServer;
    let writer: { core: CoreV1Api; custom: CustomObjectsApi };
    let info: ClusterInfo;

    beforeAll(async () => {
      // s1: the pusher's API server; s2: a second API server on the same etcd prefix, to write while s1 is down.
      const started = await w.startExtraCluster("spccache");
      s1 = started.server;
      info = started.handles.info;
      const env = inject("kubeEnv");
      const ca = {
        ...env.ca,
        cert: forge.pki.certificateFromPem(env.ca.certPem),
        key: forge.pki.privateKeyFromPem(env.ca.keyPem) as forge.pki.rsa.PrivateKey,
      };
      const t = issueServerCert(ca, { dnsNames: ["localhost"], ips: ["127.0.0.1"] });
      s2 = await startApiServer({
        name: "spccache",
        binDir: env.binDir,
        dir: mkdtempSync(join(tmpdir(), "kvrp-spccache-2-")),
        etcdUrl: env.etcdUrl,
        tls: { caPem: env.ca.certPem, certPem: t.certPem, keyPem: t.keyPem },
        tokens: newTokens(),
      });
      servers.push(s2);
      const kc = kubeConfigFor(s2, s2.tokens.admin, "admin");
      writer = { core: kc.makeApiClient(CoreV1Api), custom: kc.makeApiClient(CustomObjectsApi) };
      // CRDs come from etcd; wait until s2 serves them.
      await until(
        "s2 serves SPCs",
        async () =>
          writer.custom.listClusterCustomObject(GROUP).then(
            () => true,
            () => false,
          ),
        60_000,
      );
    }, 180_000);

    async function writeSpc(ns: string, name: string, objectName: string): Promise<void> {
      await writer.custom.createNamespacedCustomObject({
        ...GROUP,
        namespace: ns,
        body: {
          apiVersion: "secrets-store.csi.x-k8s.io/v1",
          kind: "SecretProviderClass",
          metadata: { name, namespace: ns },
          spec: {
            provider: "azure",
            parameters: { keyvaultName: "kv-alpha", tenantID: "t", objects: objectsYaml([{ objectName, objectType: "secret" }]) },
            secretObjects: [{ secretName: `${name}-synced`, type: "Opaque", data: [{ objectName, key: "password" }] }],
          },
        },
      });
      await writer.core.createNamespacedSecret({
        namespace: ns,
        // As the driver syncs it: the object's current value (what lets the pusher prove and patch it later).
        body: { metadata: { name: `${name}-synced` }, data: { password: Buffer.from(await currentValue(objectName)).toString("base64") } },
      });
    }

    it("answers from fresh lists while it is down, then is warm again", async () => {
      const x = uniqueName("obj-k");
      const kv = w.secrets("kv-alpha");
      await kv.setSecret(x, "k-0");
      const ns = uniqueName("killed");
      await writer.core.createNamespace({ body: { metadata: { name: ns } } });
      await writeSpc(ns, "first", x);
      await kv.setSecret(x, "k-1");

      const rt = w.runtime({ namespacesInclude: [ns] }, ["spccache"], [info]);
      runtimes.push(rt);
      const cache = rt.spcSource as SpcCache;
      const api = rt.clusters[0]!;
      expect(patchedSecrets(await push(rt, [signal(x)]), ns)).toEqual(["first-synced"]);
      await until("watch live", () => cache.status(api).live);

      // Kill the watch: its API server goes away. Meanwhile the cluster changes through the other server.
      await s1.stop();
      await until("watch noticed", () => !cache.status(api).live, 30_000);
      await writeSpc(ns, "second", x);
      await writer.custom.deleteNamespacedCustomObject({ ...GROUP, namespace: ns, name: "first" });
      await s1.restart();

      // The very next push, without waiting for the watch: it sees both changes.
      await kv.setSecret(x, "k-2");
      const listsBefore = api.stats.counts.get("list secretproviderclasses") ?? 0;
      const rep = await push(rt, [signal(x)]);
      expect(rep.clusters[0]!.ok, rep.clusters[0]!.failure?.message).toBe(true);
      expect(patchedSecrets(rep, ns)).toEqual(["second-synced"]);
      // It answered from a fresh list (its own, or the background relist it joined) — two requests when the restarted
      // server's watch cache still initializes: it refuses the unpaginated list (429), the paged one comes from etcd.
      expect(cache.status(api).relists).toBeGreaterThanOrEqual(2);
      expect((api.stats.counts.get("list secretproviderclasses") ?? 0) - listsBefore).toBeLessThanOrEqual(2);

      // Warm again: a new watch, changes flow in.
      await until("watch live again", () => cache.status(api).live, 30_000);
      expect(api.stats.watchesByResource.get("secretproviderclasses")).toBeGreaterThanOrEqual(2);
      await writeSpc(ns, "third", x);
      await until("third in the index", async () => (await cachedFor(cache, api, x, ns)).includes("third"));
      const lists = api.stats.counts.get("list secretproviderclasses");
      await kv.setSecret(x, "k-3");
      expect(patchedSecrets(await push(rt, [signal(x)]), ns)).toEqual(["second-synced", "third-synced"]);
      expect(api.stats.counts.get("list secretproviderclasses")).toBe(lists);
    });

    it("without RBAC watch it lists on every call (never stale, never failing)", async () => {
      const rbac = kubeConfigFor(s2, s2.tokens.admin, "admin").makeApiClient(RbacAuthorizationV1Api);
      const role = await rbac.readClusterRole({ name: "kv-rotation-pusher" });
      const rules = role.rules!.map((r) =>
        r.resources?.includes("secretproviderclasses") ? { ...r, verbs: r.verbs.filter((v) => v !== "watch") } : r,
      );
      await rbac.replaceClusterRole({ name: "kv-rotation-pusher", body: { ...role, rules } });
      try {
        const x = uniqueName("obj-f");
        await w.secrets("kv-alpha").setSecret(x, "f-0");
        const ns = uniqueName("nowatch");
        await writer.core.createNamespace({ body: { metadata: { name: ns } } });
        await writeSpc(ns, "one", x);
        await w.secrets("kv-alpha").setSecret(x, "f-1");
        const rt = w.runtime({ namespacesInclude: [ns] }, ["spccache"], [info]);
        runtimes.push(rt);
        const cache = rt.spcSource as SpcCache;
        const api = rt.clusters[0]!;
        expect(patchedSecrets(await push(rt, [signal(x)]), ns)).toEqual(["one-synced"]);
        await until("watch forbidden", () => (cache.status(api).lastWatchError ?? "").startsWith("403"), 30_000);
        await writeSpc(ns, "two", x);
        await w.secrets("kv-alpha").setSecret(x, "f-2");
        const before = api.stats.counts.get("list secretproviderclasses") ?? 0;
        expect(patchedSecrets(await push(rt, [signal(x)]), ns)).toEqual(["one-synced", "two-synced"]);
        expect(api.stats.counts.get("list secretproviderclasses")).toBe(before + 1);
        expect(cache.status(api).live).toBe(false);
      } finally {
        await rbac.replaceClusterRole({
          name: "kv-rotation-pusher",
          body: { ...role, metadata: { ...role.metadata, resourceVersion: undefined } },
        });
      }
    });
  });
});
