// SecretSync targets end to end: a Key Vault event delivered to the registered Event Grid function, the real API
// server (the pusher's restricted RBAC), the Key Vault emulator, the real Azure provider v1.8.2 (on a test node) and a
// Secrets Store Sync Controller calling that provider over its socket (the real controller when build-sync.sh can
// provide one; today the stand-in, because the Go module proxy refuses the module — see docs/secretsync.md).
// The pusher only sets spec.forceSynchronization; the controller writes the Secret; env consumers restart once.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiextensionsV1Api, CustomObjectsApi } from "@kubernetes/client-node";
import { formatTable } from "../../shared/report/format.js";
import { join } from "node:path";
import { templateKey, templateValue } from "../../shared/lib/annotations.js";
import { setRuntime } from "../../shared/pipeline/instance.js";
import { push } from "../../shared/pipeline/push.js";
import { reconcile } from "../../shared/pipeline/reconcile.js";
import type { RotationSignal } from "../../shared/model/index.js";
import type { Report } from "../../shared/report/report.js";
import { deliverEvents, loadFunctionApp } from "../support/functions-host.js";
import { startSyncController, type SyncController } from "../env/secretsync/controller.js";
import {
  createNamespace,
  createSpc,
  createWorkload,
  generation,
  keyVaultEvent,
  secretData,
  startWorld,
  uniqueName,
  type ClusterHandles,
  type RealDriver,
  type World,
} from "../support/world.js";

let w: World;
let c: ClusterHandles;
let node: RealDriver;
let ctl: SyncController;
const logs: string[] = [];

beforeAll(async () => {
  w = await startWorld();
  c = w.clusters[0]!;
  await loadFunctionApp();
  // The node's real Azure provider serves the controller (its socket dir is the controller's --provider-volume).
  node = await w.realDriver(c);
  ctl = await startSyncController({
    cluster: { name: c.info.name, url: c.info.url, caPem: c.info.caPem, adminToken: c.info.tokens.admin },
    providerDir: join(node.node.dir, "providers"),
    dir: node.node.dir,
    // The controller's poll is never what moves a Secret in these tests (the extension's default is 1 h).
    pollIntervalMs: 3_600_000,
    audiences: ["api://AzureADTokenExchange"],
  });
});
afterAll(async () => {
  setRuntime(undefined);
  await ctl?.stop();
  await w?.stop();
});

const ssApi = () => c.admin.makeApiClient(CustomObjectsApi);
const getSs = async (ns: string, name: string) =>
  (await ssApi().getNamespacedCustomObject({
    group: "secret-sync.x-k8s.io",
    version: "v1alpha1",
    plural: "secretsyncs",
    namespace: ns,
    name,
  })) as {
    spec: { forceSynchronization?: string };
    status?: { lastSuccessfulSyncTime?: string; syncHash?: string; conditions?: { type: string; status: string; reason: string }[] };
  };

async function waitFor<T>(what: string, f: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${ms} ms; controller log: ${ctl.logFile}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A namespace with an SPC naming one Key Vault secret, a SecretSync for it, and an env consumer of its Secret. */
async function setUp(prefix: string, companion?: string) {
  const ns = await createNamespace(c, prefix);
  const object = uniqueName("db-pass");
  const v1 = await w.secrets("kv-alpha").setSecret(object, "first-password");
  if (companion) await w.secrets("kv-alpha").setSecret(`${object}-${companion}`, "companion-value");
  await c.core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: "app" } } });
  await createSpc(c, ns, {
    name: "kv",
    vault: "kv-alpha",
    objects: [
      { objectName: object, objectType: "secret" },
      ...(companion ? [{ objectName: `${object}-${companion}`, objectType: "secret" }] : []),
    ],
  });
  await ssApi().createNamespacedCustomObject({
    group: "secret-sync.x-k8s.io",
    version: "v1alpha1",
    plural: "secretsyncs",
    namespace: ns,
    body: {
      apiVersion: "secret-sync.x-k8s.io/v1alpha1",
      kind: "SecretSync",
      metadata: { name: "db-creds" },
      spec: {
        secretProviderClassName: "kv",
        serviceAccountName: "app",
        secretObject: { type: "Opaque", data: [{ sourcePath: object, targetKey: "password" }] },
      },
    },
  });
  // The controller creates the Secret from the provider's fetch.
  await waitFor("the controller's first sync", async () =>
    (await secretData(c, ns, "db-creds")).password === "first-password" ? true : undefined,
  );
  await createWorkload(c, ns, "Deployment", "api", { env: ["db-creds"] });
  return { ns, object, v1: v1.properties.version! };
}

/** The signal an Event Grid delivery of this version becomes (the pipeline's own entry, for the report's action lines). */
const signal = (objectName: string, version: string): RotationSignal => ({
  vault: "kv-alpha",
  objectType: "secret",
  objectName,
  version,
  eventTime: new Date().toISOString(),
  source: "eventgrid",
});

async function deliver(event: unknown): Promise<Report> {
  const before = logs.length;
  await deliverEvents(event, { log: (l) => logs.push(l) });
  const line = logs
    .slice(before)
    .reverse()
    .find((l) => l.includes('"push summary"'));
  expect(line, "a push summary was logged").toBeDefined();
  return JSON.parse(line!) as Report;
}

describe("SecretSync targets", () => {
  it("runs a sync controller: the real one when it can be had, else the stand-in, and says why", () => {
    // Printed into the test output so a run shows which controller served it.
    console.log(`sync controller: ${ctl.kind} (${ctl.source})`);
    expect(ctl.kind === "real" || ctl.source.length > 0).toBe(true);
  });

  it("a rotation reaches the SecretSync-managed Secret through a forceSynchronization nudge, and its env consumer restarts once", async () => {
    const { ns, object } = await setUp("ss-push");
    const rt = w.runtime({}, ["c1"]);
    rt.config.secretSyncWaitSeconds = 20;
    setRuntime(rt);
    const gen0 = await generation(c, ns, "Deployment", "api");
    const { lastSuccessfulSyncTime: synced0, syncHash: hash0 } = (await getSs(ns, "db-creds")).status ?? {};

    const v2 = (await w.secrets("kv-alpha").setSecret(object, "second-password")).properties.version!;
    const rep = await deliver(keyVaultEvent(w, "kv-alpha", "Secret", object, v2));

    // The summary line says what the cluster runs and what the pass did.
    expect(rep.clusters[0]).toMatchObject({ ok: true, found: { csiDriver: true, syncController: true } });
    expect(rep.counts).toMatchObject({ secretSyncsNudged: 1, secretsPatched: 0, workloadsRestarted: 1, failed: 0 });
    // The controller wrote within the pass's wait, before the rollout.
    expect(rep.timings.receiptToSecretSyncsMs).toBeGreaterThan(0);
    expect(rep.timings.receiptToSecretSyncsMs).toBeLessThanOrEqual(rep.timings.receiptToRolloutsMs!);
    // The pusher wrote no Secret: the controller did (its field manager), from the provider's fetch of the new version.
    expect(await secretData(c, ns, "db-creds")).toEqual({ password: "second-password" });
    const secret = await c.core.readNamespacedSecret({ namespace: ns, name: "db-creds" });
    const dataManagers = (secret.metadata?.managedFields ?? []).filter((f) => JSON.stringify(f.fieldsV1 ?? {}).includes('"f:data"'));
    expect(dataManagers.map((f) => f.manager)).toEqual([expect.stringMatching(/secrets-store-sync-controller$/)]);
    const ss = await getSs(ns, "db-creds");
    expect(ss.spec.forceSynchronization).toBe(`kvrp-${v2}`);
    // A new write by the controller (its hash covers the data and the forceSynchronization value; the time has whole
    // seconds and may equal the first sync's).
    expect(ss.status?.syncHash).not.toBe(hash0);
    expect(Date.parse(ss.status!.lastSuccessfulSyncTime!)).toBeGreaterThanOrEqual(Date.parse(synced0!));
    expect(ss.status?.conditions?.find((x) => x.type === "Update")).toMatchObject({
      status: "True",
      reason: "UpdateValueChangeOrForceUpdateSucceeded",
    });
    // The env consumer restarted in the same pass, once, recording the version.
    const dep = await c.apps.readNamespacedDeployment({ namespace: ns, name: "api" });
    expect(dep.spec?.template.metadata?.annotations?.[templateKey("kv-alpha", object)]).toBe(templateValue("kv-alpha", object, v2));
    expect(await generation(c, ns, "Deployment", "api")).toBe(gen0 + 1);
    const events = await c.core.listNamespacedEvent({ namespace: ns });
    expect(
      events.items
        .filter((e) => e.source?.component === "kv-rotation-pusher")
        .map((e) => `${e.involvedObject.kind}/${e.reason}`)
        .sort(),
    ).toEqual(["Deployment/RolloutTriggered", "SecretSync/SyncRequested"]);

    // Redelivery: nothing new — no nudge (same value), no second restart.
    const again = await deliver(keyVaultEvent(w, "kv-alpha", "Secret", object, v2));
    expect(again.counts).toMatchObject({ secretSyncsNudged: 0, workloadsRestarted: 0, failed: 0 });
    expect(again.skipsByReason).toEqual({ "already-restarted": 1, "up-to-date": 1 });
    expect(await generation(c, ns, "Deployment", "api")).toBe(gen0 + 1);
  });

  it("when the controller is slower than the pass's wait, the timer's next run restarts the consumer exactly once", async () => {
    const { ns, object } = await setUp("ss-timer");
    const rt = w.runtime({}, ["c1"]);
    rt.config.secretSyncWaitSeconds = 0; // the pass does not wait: the controller writes after it
    rt.config.driftGraceSeconds = 0;
    setRuntime(rt);
    const gen0 = await generation(c, ns, "Deployment", "api");
    const v2 = (await w.secrets("kv-alpha").setSecret(object, "rotated-password")).properties.version!;
    const rep = await push(rt, [signal(object, v2)]);
    const codes = rep.clusters[0]!.actions.map((a) => `${a.type}:${a.reason.code}`);
    expect(codes).toContain("nudgeSecretSync:sync-behind");
    expect(codes).toContain("skip:sync-pending");
    expect(codes.some((x) => x.startsWith("restartWorkload"))).toBe(false);
    // The controller writes asynchronously.
    await waitFor("the controller's sync", async () =>
      (await secretData(c, ns, "db-creds")).password === "rotated-password" ? true : undefined,
    );
    await ctl.idle();
    expect(await generation(c, ns, "Deployment", "api")).toBe(gen0);

    const timer = await reconcile(rt);
    const restarts = timer.clusters[0]!.actions.filter((a) => a.type === "restartWorkload");
    expect(restarts).toMatchObject([{ target: `Deployment ${ns}/api`, status: "applied" }]);
    expect(timer.clusters[0]!.actions.some((a) => a.type === "nudgeSecretSync")).toBe(false);
    expect(await generation(c, ns, "Deployment", "api")).toBe(gen0 + 1);
    const quiet = await reconcile(rt);
    expect(quiet.clusters[0]!.actions.filter((a) => a.type !== "skip" && a.target.includes(ns))).toEqual([]);
    expect(await generation(c, ns, "Deployment", "api")).toBe(gen0 + 1);
  });

  it("timer drift: a Secret whose last successful sync is older than the newest version is nudged, without an event", async () => {
    const { ns, object } = await setUp("ss-drift");
    const rt = w.runtime({}, ["c1"]);
    rt.config.secretSyncWaitSeconds = 20;
    rt.config.driftGraceSeconds = 0;
    setRuntime(rt);
    const gen0 = await generation(c, ns, "Deployment", "api");
    await w.secrets("kv-alpha").setSecret(object, "missed-event-password");
    const rep = await reconcile(rt);
    const mine = rep.clusters[0]!.actions.filter((a) => a.target.includes(ns));
    expect(mine.map((a) => `${a.type}:${a.reason.code}:${a.status}`).sort()).toEqual([
      "nudgeSecretSync:sync-behind:applied",
      "restartWorkload:env-consumer:applied",
    ]);
    expect(rep.drift?.driftFound).toBeGreaterThanOrEqual(1);
    expect(await secretData(c, ns, "db-creds")).toEqual({ password: "missed-event-password" });
    expect(await generation(c, ns, "Deployment", "api")).toBe(gen0 + 1);
  });

  it("a failed sync is reported with the controller's reason (RotationFailed Event), and nothing restarts", async () => {
    const { ns, object } = await setUp("ss-fail", "companion");
    const rt = w.runtime({}, ["c1"]);
    rt.config.secretSyncWaitSeconds = 20;
    setRuntime(rt);
    const gen0 = await generation(c, ns, "Deployment", "api");
    // The class's other object disappears from Key Vault: the provider's Mount (all objects of the class) fails, so
    // the controller reports ProviderError — while the pusher's own read of the rotated object succeeds.
    await (await w.secrets("kv-alpha").beginDeleteSecret(`${object}-companion`)).pollUntilDone();
    const v2 = (await w.secrets("kv-alpha").setSecret(object, "never-fetched")).properties.version!;
    const rep = await push(rt, [signal(object, v2)]);
    const codes = rep.clusters[0]!.actions.map((a) => `${a.type}:${a.reason.code}`);
    expect(codes).toEqual(expect.arrayContaining(["nudgeSecretSync:sync-behind", "skip:sync-failed"]));
    const failed = rep.clusters[0]!.actions.find((a) => a.reason.code === "sync-failed")!;
    expect(failed.reason.detail).toMatch(/Update=ProviderError/);
    expect(codes.some((x) => x.startsWith("restartWorkload"))).toBe(false);
    expect(await secretData(c, ns, "db-creds")).toEqual({ password: "first-password" });
    expect(await generation(c, ns, "Deployment", "api")).toBe(gen0);
    const events = await c.core.listNamespacedEvent({ namespace: ns });
    expect(events.items.filter((e) => e.reason === "RotationFailed").map((e) => e.involvedObject.kind)).toEqual(["SecretSync"]);
    for (const e of events.items) expect(e.message ?? "").not.toContain("never-fetched");
  });

  it("works with only the driver, only the sync controller, or both, and says which it found", async () => {
    // Two more API servers (own etcd prefixes): one without the SecretSync API, one without the CSI driver (no
    // CSIDriver object, no SecretProviderClassPodStatus CRD — the sync controller ships the SPC CRD only).
    const driverOnly = await w.startExtraCluster("driver-only");
    const syncOnly = await w.startExtraCluster("sync-only");
    const ext = (h: ClusterHandles) => h.admin.makeApiClient(ApiextensionsV1Api);
    await ext(driverOnly.handles).deleteCustomResourceDefinition({ name: "secretsyncs.secret-sync.x-k8s.io" });
    await ext(syncOnly.handles).deleteCustomResourceDefinition({ name: "secretproviderclasspodstatuses.secrets-store.csi.x-k8s.io" });
    await syncOnly.handles.storage.deleteCSIDriver({ name: "secrets-store.csi.k8s.io" });
    const object = uniqueName("both-paths");
    const v1 = (await w.secrets("kv-alpha").setSecret(object, "one")).properties.version!;
    for (const h of [c, driverOnly.handles, syncOnly.handles]) {
      const ns = await createNamespace(h, "found");
      await createSpc(h, ns, { name: "kv", vault: "kv-alpha", objects: [{ objectName: object, objectType: "secret" }] });
      if (h !== driverOnly.handles)
        await h.custom.createNamespacedCustomObject({
          group: "secret-sync.x-k8s.io",
          version: "v1alpha1",
          plural: "secretsyncs",
          namespace: ns,
          body: {
            apiVersion: "secret-sync.x-k8s.io/v1alpha1",
            kind: "SecretSync",
            metadata: { name: "creds" },
            spec: {
              secretProviderClassName: "kv",
              serviceAccountName: "app",
              secretObject: { data: [{ sourcePath: object, targetKey: "k" }] },
            },
          },
        });
    }
    // Wait until the deleted APIs stop being served (CRD deletion is asynchronous).
    await waitFor(
      "the SecretSync API gone from driver-only",
      async () =>
        await driverOnly.handles.custom
          .listClusterCustomObject({ group: "secret-sync.x-k8s.io", version: "v1alpha1", plural: "secretsyncs" })
          .then(() => undefined)
          .catch((e: { code?: number }) => (e.code === 404 ? true : undefined)),
    );
    await waitFor(
      "the SPCPS API gone from sync-only",
      async () =>
        await syncOnly.handles.custom
          .listClusterCustomObject({ group: "secrets-store.csi.x-k8s.io", version: "v1", plural: "secretproviderclasspodstatuses" })
          .then(() => undefined)
          .catch((e: { code?: number }) => (e.code === 404 ? true : undefined)),
    );
    const rt = w.runtime({}, ["c1", "driver-only", "sync-only"], [driverOnly.handles.info, syncOnly.handles.info]);
    const rep = await push(rt, [signal(object, v1)], { dryRun: true });
    const by = Object.fromEntries(rep.clusters.map((x) => [x.cluster, x]));
    expect(by.c1).toMatchObject({ ok: true, found: { csiDriver: true, syncController: true } });
    expect(by["driver-only"]).toMatchObject({ ok: true, found: { csiDriver: true, syncController: false } });
    expect(by["sync-only"]).toMatchObject({ ok: true, found: { csiDriver: false, syncController: true } });
    // The dry run plans the nudge where a SecretSync exists (its Secret does not: nobody synced it) and writes nothing.
    for (const name of ["c1", "sync-only"])
      expect(by[name]!.actions.map((a) => `${a.type}:${a.status}:${a.reason.code}`)).toEqual(["nudgeSecretSync:planned:sync-behind"]);
    expect(by["driver-only"]!.actions).toEqual([]);
    expect(formatTable(rep)).toMatch(/cluster sync-only: ok .*— sync controller found \(no CSI driver\)/);
    expect(formatTable(rep)).toMatch(/cluster driver-only: ok .*— CSI driver found \(no SecretSync API\)/);
  });
});
