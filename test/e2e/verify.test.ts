// Verified rotations end to end: a Key Vault event delivered to the registered function (real API server, restricted
// RBAC token, Key Vault emulator through the SDK, the driver stand-in), the controllers' writes played by the test as
// kubelet and the Deployment controller would make them (test/env/controllers-standin.ts), and the verify timer fired
// through the programming model. Then the outcome is read where operators and tenants read it: Kubernetes Events on
// the workloads, the workloads' records, the function's log lines, and GET /api/status. Also: expiry events mapped to
// the workloads that use the object.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppsV1Api, type CoreV1Event } from "@kubernetes/client-node";
import { callHttp, deliverEvents, fireTimer, loadFunctionApp, registered } from "../support/functions-host.js";
import { setRuntime } from "../../shared/pipeline/instance.js";
import type { Report } from "../../shared/report/report.js";
import type { RotationOutcome } from "../../shared/model/index.js";
import { recordKey, VERIFY_LABEL } from "../../shared/lib/annotations.js";
import { controllersStandIn } from "../env/controllers-standin.js";
import { startDriverStandIn, type DriverStandIn } from "../env/driver-standin.js";
import type { RealDriver } from "../env/real-driver/test-driver.js";
import {
  createNamespace,
  createSpc,
  generation,
  keyVaultEvent,
  podTemplate,
  resourceId,
  setRequiresRepublish,
  startWorld,
  uniqueName,
  type ClusterHandles,
  type Consumption,
  type World,
} from "../support/world.js";

let w: World;
let c: ClusterHandles;
const logs: string[] = [];
const drivers: DriverStandIn[] = [];
const namespaces: string[] = [];
const VALUES: string[] = [];

beforeAll(async () => {
  w = await startWorld();
  await loadFunctionApp();
  c = w.clusters[0]!;
  await setRequiresRepublish(c, true);
});
afterAll(async () => {
  for (const d of drivers) d.stop();
  setRuntime(undefined);
  await w?.stop();
});

/**
 * One namespace with an SPC syncing `app-creds`, a driver in `mode` (the stand-in, or the real driver + provider with
 * the kubelet stand-in), and the controllers' stand-in.
 */
async function scene(prefix: string, mode: "v1.6" | "v1.5" | "real" = "v1.6") {
  const ns = await createNamespace(c, prefix);
  namespaces.push(ns);
  // The runtime sees this file's namespaces only (other files leave pending records in the shared cluster).
  setRuntime(w.runtime({ namespacesInclude: [...namespaces] }, ["c1"]));
  const name = uniqueName(`${prefix}-db`);
  await setValue(name, `${prefix}-value-1`);
  // The driver stand-in can be told to ignore nudges (a mount that never moves), which the real driver cannot.
  const d =
    mode === "real"
      ? await w.realDriver(c, { rotationPollInterval: "2s" })
      : await startDriverStandIn({ kc: c.admin, namespaces: [ns], vaults: w.vaults, reader: () => w.reader(), mode });
  if (!("kind" in d)) drivers.push(d);
  await createSpc(c, ns, {
    name: "app",
    vault: "kv-alpha",
    objects: [{ objectName: name, objectType: "secret" }],
    secretObjects: [{ secretName: "app-creds", type: "Opaque", data: [{ objectName: name, key: "password" }] }],
  });
  return { ns, name, d, ctl: controllersStandIn(c.admin, d) };
}

/** The real driver refetches on a remount only once --rotation-poll-interval passed since the mount last changed. */
async function gateOpen(d: RealDriver, ns: string): Promise<void> {
  for (const p of (await c.core.listNamespacedPod({ namespace: ns })).items) {
    let mtime: number;
    try {
      mtime = d.node.targetMtimeMs(p.metadata!.uid!, "csi");
    } catch {
      continue; // not mounted
    }
    const wait = mtime + d.rotationPollIntervalMs + 100 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
}

async function setValue(name: string, value: string): Promise<string> {
  VALUES.push(value);
  return (await w.secrets("kv-alpha").setSecret(name, value)).properties.version!;
}

async function deployment(ns: string, name: string, use: Consumption, opts: { replicas?: number; progressDeadlineSeconds?: number } = {}) {
  await c.admin.makeApiClient(AppsV1Api).createNamespacedDeployment({
    namespace: ns,
    body: {
      metadata: { name, namespace: ns },
      spec: {
        replicas: opts.replicas ?? 1,
        selector: { matchLabels: { app: name } },
        template: podTemplate(name, use),
        ...(opts.progressDeadlineSeconds ? { progressDeadlineSeconds: opts.progressDeadlineSeconds } : {}),
      },
    },
  });
}

async function deliver(name: string, version: string, at = new Date()) {
  await deliverEvents([keyVaultEvent(w, "kv-alpha", "Secret", name, version, at)], { log: (l) => logs.push(l) });
}

async function verifyNow(): Promise<void> {
  expect(registered("verify").bindings.find((b) => b.direction === "in")?.type).toBe("timerTrigger");
  await fireTimer("verify", {}, { log: (l) => logs.push(l) });
}

function lastLog<T>(msg: string, filter: (o: T) => boolean = () => true): T | undefined {
  for (const l of [...logs].reverse()) {
    if (!l.includes(`"msg":"${msg}"`)) continue;
    const o = JSON.parse(l) as T;
    if (filter(o)) return o;
  }
  return undefined;
}

async function ourEvents(ns: string, reason?: string): Promise<CoreV1Event[]> {
  const list = await c.core.listNamespacedEvent({ namespace: ns });
  return list.items.filter((e) => e.source?.component === "kv-rotation-pusher" && (!reason || e.reason === reason));
}

async function annotations(ns: string, name: string) {
  const d = await c.apps.readNamespacedDeployment({ namespace: ns, name });
  return { labels: d.metadata?.labels ?? {}, annotations: d.metadata?.annotations ?? {} };
}

type Outcome = { line: string; eventToDoneMs: number; workloads: RotationOutcome["workloads"]; objectName: string };

describe("verified rotations", () => {
  it.each([
    ["the driver stand-in", "v1.6"],
    ["the real driver and provider (kubelet stand-in)", "real"],
  ] as const)(
    "a good rotation with %s: Secrets, mounts and the rollout converge → RotationVerified on every workload, logged with the time from the event",
    async (_driver, mode) => {
      const { ns, name, d, ctl } = await scene(mode === "real" ? "vreal" : "vok", mode);
      await deployment(ns, "api", { env: ["app-creds"], spc: "app" }, { replicas: 2 });
      await deployment(ns, "files", { spc: "app" });
      await ctl.settle(ns, "Deployment", "api", 2);
      await ctl.settle(ns, "Deployment", "files", 1);
      const gen0 = await generation(c, ns, "Deployment", "api");

      // The real driver refetches on a pod update only once --rotation-poll-interval passed since the last mount.
      if ("kind" in d) await gateOpen(d, ns);
      const v2 = await setValue(name, `${ns}-value-2`);
      const eventTime = new Date();
      await deliver(name, v2, eventTime);
      const push = lastLog<Report>("push summary")!;
      expect(push.counts.workloadsRestarted).toBe(1);
      // Both workloads carry a pending record (on the workload, not on the synced Secret the driver rebuilds).
      for (const wl of ["api", "files"]) {
        const a = await annotations(ns, wl);
        expect(a.labels[VERIFY_LABEL]).toBe("pending");
        expect(JSON.parse(a.annotations[recordKey("kv-alpha", name)]!)).toMatchObject({ objectName: name, version: v2, state: "pending" });
      }
      const secret = await c.core.readNamespacedSecret({ namespace: ns, name: "app-creds" });
      expect(Object.keys(secret.metadata?.annotations ?? {}).filter((k) => k.startsWith("kv-rotation-pusher"))).toEqual([]);

      // The nudged mounts move (driver stand-in): the files-only workload is verified; the Deployment controller has
      // not rolled the env consumer out yet, so the rotation is still in flight.
      await d.idle();
      // The real driver refetches when kubelet's remount passes its gate: look until the files-only workload got there.
      for (let i = 0; i < 30; i++) {
        await verifyNow();
        if ((await ourEvents(ns, "RotationVerified")).length) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      expect(lastLog("rotation verified", (o: Outcome) => o.objectName === name)).toBeUndefined();
      const inFlight = lastLog<{ inFlight: number }>("verify summary")!;
      expect(inFlight.inFlight).toBe(1);
      const looking = await callHttp("status", {
        method: "GET",
        url: `http://localhost:7071/api/status?vault=kv-alpha&objectName=${name}`,
      });
      expect(
        (await ourEvents(ns, "RotationVerified")).map((e) => e.involvedObject.name),
        JSON.stringify(looking.json<{ rotations: RotationOutcome[] }>().rotations[0]?.workloads),
      ).toEqual(["files"]);
      expect((await annotations(ns, "api")).labels[VERIFY_LABEL]).toBe("pending");

      // The controllers roll the new template out: new pods ready on the new version, old ones gone.
      expect(await generation(c, ns, "Deployment", "api")).toBe(gen0 + 1);
      const fresh = await ctl.rollOut(ns, "Deployment", "api", "ready");
      expect(fresh).toHaveLength(2);
      await verifyNow();
      const done = lastLog<Outcome>("rotation verified", (o) => o.objectName === name)!;
      expect(done, "a rotation verified line").toBeDefined();
      expect(done.line).toMatch(new RegExp(`c1: kv-alpha/${name}@${v2.slice(0, 8)} RotationVerified — 2 workload\\(s\\)`));
      expect(done.eventToDoneMs).toBeGreaterThan(0);
      expect(done.eventToDoneMs).toBeLessThan(Date.now() - eventTime.getTime() + 1000);
      expect(done.workloads.map((x) => [x.target, x.state])).toEqual([
        [`Deployment ${ns}/api`, "verified"],
        [`Deployment ${ns}/files`, "verified"],
      ]);

      const events = await ourEvents(ns, "RotationVerified");
      expect(events.map((e) => `${e.involvedObject.kind}/${e.involvedObject.name}/${e.type}`).sort()).toEqual([
        "Deployment/api/Normal",
        "Deployment/files/Normal",
      ]);
      const api = events.find((e) => e.involvedObject.name === "api")!;
      expect(api.message).toMatch(
        /verified [\d.]+ s after the Key Vault event: Secret app-creds, 2\/2 pod mount\(s\) on the new version, rollout complete/,
      );
      for (const wl of ["api", "files"]) {
        const a = await annotations(ns, wl);
        expect(a.labels[VERIFY_LABEL]).toBe("done");
        expect(JSON.parse(a.annotations[recordKey("kv-alpha", name)]!)).toMatchObject({ state: "verified" });
      }

      // Looking again finishes nothing twice; a redelivered event does not reopen it.
      await verifyNow();
      await deliver(name, v2, eventTime);
      expect(JSON.parse((await annotations(ns, "api")).annotations[recordKey("kv-alpha", name)]!).state).toBe("verified");
      expect(await ourEvents(ns, "RotationVerified")).toHaveLength(2);

      // GET /api/status shows the last outcome.
      const res = await callHttp("status", { method: "GET", url: `http://localhost:7071/api/status?vault=kv-alpha&objectName=${name}` });
      expect(res.status).toBe(200);
      const body = res.json<{ rotations: RotationOutcome[] }>();
      expect(body.rotations).toHaveLength(1);
      expect(body.rotations[0]).toMatchObject({ cluster: "c1", objectName: name, version: v2, state: "verified" });
      expect(body.rotations[0]!.eventToDoneMs).toBe(done.eventToDoneMs);
      const text = res.body.toString("utf8");
      for (const v of VALUES) expect(text).not.toContain(v);
    },
  );

  it("new pods crash after the rollout → RotationFailed at once, naming the pods and CrashLoopBackOff (Warning Event, log, status)", async () => {
    const { ns, name, ctl } = await scene("vcrash");
    await deployment(ns, "api", { env: ["app-creds"], spc: "app" }, { replicas: 2 });
    await ctl.settle(ns, "Deployment", "api", 2);
    const v2 = await setValue(name, "vcrash-value-2");
    await deliver(name, v2);
    const crashing = await ctl.rollOut(ns, "Deployment", "api", "crash");
    await verifyNow();
    const failed = lastLog<Outcome>("rotation failed", (o) => o.objectName === name)!;
    expect(failed, "a rotation failed line").toBeDefined();
    for (const pod of crashing)
      expect(failed.line).toContain(`pod ${pod}: CrashLoopBackOff: container app, 4 restart(s), last exit code 1 (Error)`);
    const [ev] = await ourEvents(ns, "RotationFailed");
    expect(ev).toMatchObject({ type: "Warning", involvedObject: { kind: "Deployment", name: "api" } });
    expect(ev!.message).toMatch(new RegExp(`rotation kv-alpha/${name}@${v2.slice(0, 8)} failed: pod ${crashing[0]}: CrashLoopBackOff`));
    const wl = failed.workloads[0]!;
    expect(wl.problems.map((p) => [p.pod, p.reason]).sort()).toEqual(crashing.map((p) => [p, "CrashLoopBackOff"]).sort());
    // The failure is final: the label says done, status says failed.
    expect((await annotations(ns, "api")).labels[VERIFY_LABEL]).toBe("done");
    const res = await callHttp("status", { method: "GET", url: `http://localhost:7071/api/status?vault=kv-alpha&objectName=${name}` });
    expect(res.json<{ rotations: RotationOutcome[] }>().rotations[0]).toMatchObject({ state: "failed" });
  });

  it("a mount that never moves (driver without republish) → RotationFailed at the deadline, naming the pod and the version it holds", async () => {
    const { ns, name, ctl } = await scene("vstale", "v1.5");
    await deployment(ns, "reader", { spc: "app" }, { progressDeadlineSeconds: 3 });
    const [pod] = await ctl.settle(ns, "Deployment", "reader", 1);
    const v1 = (await w.secrets("kv-alpha").getSecret(name)).properties.version!;
    const v2 = await setValue(name, "vstale-value-2");
    await deliver(name, v2);
    await verifyNow();
    expect(lastLog("rotation failed", (o: Outcome) => o.objectName === name)).toBeUndefined(); // within the deadline: waiting
    await new Promise((r) => setTimeout(r, 3500));
    await verifyNow();
    const failed = lastLog<Outcome>("rotation failed", (o) => o.objectName === name)!;
    expect(failed.line).toContain(`pod ${pod} mount of app holds secret/${name}@${v1.slice(0, 8)}`);
    expect(failed.line).toContain("not verified within 3 s of the push");
    const [ev] = await ourEvents(ns, "RotationFailed");
    expect(ev!.message).toMatch(/MountBehind|mount of app holds/);
  });

  it("new pods that never get their mount → RotationFailed at the deadline with kubelet's FailedMount Warning", async () => {
    const { ns, name, ctl } = await scene("vmount");
    await deployment(ns, "api", { env: ["app-creds"], spc: "app" }, { progressDeadlineSeconds: 3 });
    await ctl.settle(ns, "Deployment", "api", 1);
    const v2 = await setValue(name, "vmount-value-2");
    await deliver(name, v2);
    const [stuck] = await ctl.rollOut(ns, "Deployment", "api", "mount-error");
    await new Promise((r) => setTimeout(r, 3500));
    await verifyNow();
    const failed = lastLog<Outcome>("rotation failed", (o) => o.objectName === name)!;
    expect(failed.line).toContain(`pod ${stuck} not ready: ContainerCreating; FailedMount: MountVolume.SetUp failed`);
    expect(failed.workloads[0]!.problems.some((p) => p.pod === stuck && p.reason === "FailedMount")).toBe(true);
  });
});

describe("expiry on the workloads", () => {
  it("SecretNearExpiry → Warning Events on the workloads and the SecretProviderClass that use it, and the metric line", async () => {
    const { ns, name, ctl } = await scene("vexp");
    await deployment(ns, "checkout", { env: ["app-creds"] });
    await deployment(ns, "unrelated", {});
    await ctl.settle(ns, "Deployment", "checkout", 1);
    const version = (await w.secrets("kv-alpha").getSecret(name)).properties.version!;
    const exp = Math.floor(Date.now() / 1000) + 12 * 86_400 + 3600;
    const event = {
      ...keyVaultEvent(w, "kv-alpha", "Secret", name, version),
      eventType: "Microsoft.KeyVault.SecretNearExpiry",
    };
    event.data = { ...event.data, EXP: exp as never };
    await deliverEvents([event], { log: (l) => logs.push(l) });
    const warnings = await ourEvents(ns, "SecretNearExpiry");
    expect(warnings.map((e) => `${e.involvedObject.kind}/${e.involvedObject.name}`).sort()).toEqual([
      "Deployment/checkout",
      "SecretProviderClass/app",
    ]);
    for (const e of warnings) {
      expect(e.type).toBe("Warning");
      expect(e.message).toBe(
        `secret ${name} in kv-alpha expires in 12 days (${new Date(exp * 1000).toISOString().slice(0, 10)}); used by Deployment ${ns}/checkout. Rotate it in Key Vault: kv-rotation-pusher pushes the new version.`,
      );
    }
    const summary = lastLog<{ counts: { objects: number; workloads: number; events: number } }>("expiry summary")!;
    expect(summary.counts).toMatchObject({ objects: 1, workloads: 1, events: 2 });
    expect(resourceId("kv-alpha")).toBe(event.topic);
  });
});

describe("never a value", () => {
  it("no value in any log line or Event", async () => {
    const all = (await Promise.all(namespaces.map((ns) => ourEvents(ns)))).flat();
    for (const v of VALUES) {
      for (const l of logs) {
        expect(l).not.toContain(v);
        expect(l).not.toContain(Buffer.from(v).toString("base64"));
      }
      for (const e of all) expect(e.message ?? "").not.toContain(v);
    }
  });
});
