// The real Secrets Store CSI driver (v1.6.x) and Azure provider (v1.8.x), run here with the kubelet stand-in: each
// test pins one upstream behaviour the pusher relies on (docs/test-environment.md lists them with these tests).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setTimeout as sleep } from "node:timers/promises";
import { randomUUID } from "node:crypto";
import { setHeaderOptions } from "@kubernetes/client-node";
import { handleDelivery } from "../../shared/entry/event-delivery.js";
import { closeRuntime } from "../../shared/pipeline/runtime.js";
import type { RealDriver } from "../env/real-driver/test-driver.js";
import {
  createNamespace,
  createSpc,
  keyVaultEvent,
  secretData,
  setRequiresRepublish,
  startWorld,
  uniqueName,
  type ClusterHandles,
  type World,
} from "../support/world.js";

let w: World;
beforeAll(async () => {
  w = await startWorld();
});
afterAll(async () => {
  await w?.stop();
});

const GATE_MS = 2000;
const merge = setHeaderOptions("Content-Type", "application/merge-patch+json");

/** The pusher's nudge: a pod annotation change (any value). */
async function nudge(c: ClusterHandles, ns: string, pod: string): Promise<void> {
  await c.core.patchNamespacedPod(
    { namespace: ns, name: pod, body: { metadata: { annotations: { "test/nudge": uniqueName("n") } } } },
    merge,
  );
}

interface Spcps {
  metadata: { name: string; resourceVersion: string; labels: Record<string, string>; ownerReferences?: { kind: string; name: string }[] };
  status: {
    podName: string;
    secretProviderClassName: string;
    mounted: boolean;
    targetPath: string;
    objects: { id: string; version: string }[];
  };
}
async function spcps(c: ClusterHandles, ns: string, pod: string, spc: string): Promise<Spcps> {
  return (await c.custom.getNamespacedCustomObject({
    group: "secrets-store.csi.x-k8s.io",
    version: "v1",
    namespace: ns,
    plural: "secretproviderclasspodstatuses",
    name: `${pod}-${ns}-${spc}`,
  })) as Spcps;
}

/** Waits until the driver's refetch gate is open for the pod: mtime(target) + rotation-poll-interval has passed. */
async function gateOpen(d: RealDriver, ns: string, pod: string, intervalMs = GATE_MS): Promise<void> {
  const uid = (await w.clusters[0]!.core.readNamespacedPod({ namespace: ns, name: pod })).metadata!.uid!;
  const wait = d.node.targetMtimeMs(uid, "secrets") + intervalMs + 100 - Date.now();
  if (wait > 0) await sleep(wait);
}

/** The driver's patcher (every 5 s) makes the SPCPS the synced Secret's owner when the pod has no owners. */
async function ownedBySpcps(c: ClusterHandles, ns: string, secret: string) {
  return until(
    "owner reference from the driver's patcher",
    () => c.core.readNamespacedSecret({ namespace: ns, name: secret }),
    (s) => (s.metadata?.ownerReferences ?? []).some((o) => o.kind === "SecretProviderClassPodStatus"),
  );
}

const reads = (name: string) => w.emulator.stats.readsOf("kv-alpha", "secrets", name);

async function until<T>(what: string, f: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms (last: ${JSON.stringify(v)})`);
    await sleep(100);
  }
}

async function oneSecretSetup(c: ClusterHandles, d: RealDriver, prefix: string, extra: { alias?: string } = {}) {
  const name = uniqueName(prefix);
  const v1 = await w.secrets("kv-alpha").setSecret(name, `${prefix}-1`);
  const ns = await createNamespace(c, prefix);
  const file = extra.alias ?? name;
  await createSpc(c, ns, {
    name: "s",
    vault: "kv-alpha",
    objects: [{ objectName: name, objectType: "secret", ...(extra.alias ? { objectAlias: extra.alias } : {}) }],
    secretObjects: [{ secretName: "synced", type: "Opaque", data: [{ objectName: file, key: "value" }] }],
  });
  await d.mount(ns, "p-0", "s");
  return { name, ns, file, v1: v1.properties.version! };
}

describe("v1.6 republish (kubelet requiresRepublish + the driver's refetch gate), --rotation-poll-interval=2s", () => {
  it("a pod annotation makes kubelet republish; the driver re-fetches unless the mount changed within the interval", async () => {
    const c = w.clusters[0]!;
    const d = await w.realDriver(c, { rotationPollInterval: `${GATE_MS / 1000}s` });
    try {
      const { name, ns, file } = await oneSecretSetup(c, d, "gate");
      await gateOpen(d, ns, "p-0");

      const v2 = await w.secrets("kv-alpha").setSecret(name, "gate-2");
      let before = reads(name);
      await nudge(c, ns, "p-0");
      await d.idle();
      expect(d.republishes, "kubelet remounted on the annotation change").toBe(1);
      expect(reads(name) - before, "one Key Vault read").toBe(1);
      expect(d.files(ns, "p-0")).toEqual({ [file]: "gate-2" });
      expect((await spcps(c, ns, "p-0", "s")).status.objects).toEqual([{ id: `secret/${name}`, version: v2.properties.version }]);
      await until(
        "Secret rebuilt by the driver",
        () => secretData(c, ns, "synced"),
        (s) => s.value === "gate-2",
      );

      // Within the interval after that content change: kubelet calls, the driver skips without reading Key Vault.
      await w.secrets("kv-alpha").setSecret(name, "gate-3");
      before = reads(name);
      await nudge(c, ns, "p-0");
      await d.idle();
      expect(d.republishes).toBe(2);
      expect(reads(name) - before, "gate closed: no read").toBe(0);
      expect(d.files(ns, "p-0")).toEqual({ [file]: "gate-2" });

      // Once mtime + interval has passed, the next nudge fetches.
      await gateOpen(d, ns, "p-0");
      await nudge(c, ns, "p-0");
      await d.idle();
      expect(reads(name) - before).toBe(1);
      expect(d.files(ns, "p-0")).toEqual({ [file]: "gate-3" });
    } finally {
      await d.stop();
    }
  });

  it("the target's mtime moves only when the content changes, so a nudge after a quiet period always re-fetches", async () => {
    const c = w.clusters[0]!;
    const d = await w.realDriver(c, { rotationPollInterval: `${GATE_MS / 1000}s` });
    try {
      const { name, ns } = await oneSecretSetup(c, d, "mtime");
      const uid = (await c.core.readNamespacedPod({ namespace: ns, name: "p-0" })).metadata!.uid!;
      await gateOpen(d, ns, "p-0");
      const mtime = d.node.targetMtimeMs(uid, "secrets");
      const rv = (await spcps(c, ns, "p-0", "s")).metadata.resourceVersion;
      const secretRv = (await ownedBySpcps(c, ns, "synced")).metadata!.resourceVersion;
      const before = reads(name);
      for (let i = 0; i < 3; i++) {
        await nudge(c, ns, "p-0");
        await d.idle();
      }
      expect(reads(name) - before, "every nudge read Key Vault (the gate stayed open)").toBe(3);
      expect(d.node.targetMtimeMs(uid, "secrets"), "identical payload: the atomic writer left the directory alone").toBe(mtime);
      expect((await spcps(c, ns, "p-0", "s")).metadata.resourceVersion, "SPCPS update was a no-op").toBe(rv);
      expect((await c.core.readNamespacedSecret({ namespace: ns, name: "synced" })).metadata!.resourceVersion).toBe(secretRv);
    } finally {
      await d.stop();
    }
  });
});

describe("the driver's Secret sync (v1.6.1: data rebuilt from the mount when the SPCPS changes)", () => {
  it("replaces the Secret's data (only) on a new version, leaves hand edits alone on an unchanged republish, restores them at the requeue", async () => {
    const c = w.clusters[0]!;
    const d = await w.realDriver(c, { rotationPollInterval: `${GATE_MS / 1000}s` });
    try {
      const { name, ns } = await oneSecretSetup(c, d, "sync");
      await ownedBySpcps(c, ns, "synced");
      const handEdit = async (value: string) =>
        c.core.patchNamespacedSecret(
          {
            namespace: ns,
            name: "synced",
            body: {
              metadata: { annotations: { "test/hand": "edited" } },
              data: { value: Buffer.from(value).toString("base64"), extra: Buffer.from("x").toString("base64") },
            },
          },
          merge,
        );
      await handEdit("edited-1");
      await gateOpen(d, ns, "p-0");
      const before = reads(name);
      await nudge(c, ns, "p-0");
      await d.idle();
      expect(reads(name) - before).toBe(1);
      expect(await secretData(c, ns, "synced"), "unchanged content: no SPCPS change, no Secret rebuild").toEqual({
        value: "edited-1",
        extra: "x",
      });

      await w.secrets("kv-alpha").setSecret(name, "sync-2");
      await nudge(c, ns, "p-0");
      await d.idle();
      const rebuilt = await until(
        "Secret rebuilt",
        () => c.core.readNamespacedSecret({ namespace: ns, name: "synced" }),
        (s) => !s.data?.extra,
      );
      expect(Object.fromEntries(Object.entries(rebuilt.data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64").toString()]))).toEqual({
        value: "sync-2",
      });
      // v1.6.1 merge-patches data only (CreateTwoWayMergePatch of the Secret with new data): other metadata stays.
      expect(rebuilt.metadata?.annotations?.["test/hand"], "a data-only patch keeps foreign annotations").toBe("edited");
      expect(rebuilt.metadata?.labels?.["secrets-store.csi.k8s.io/managed"]).toBe("true");
      expect(
        rebuilt.metadata?.ownerReferences?.map((o) => o.kind),
        "and owner references",
      ).toEqual(["SecretProviderClassPodStatus"]);

      await handEdit("edited-2");
      await d.requeue();
      expect(await secretData(c, ns, "synced"), "requeue (here: driver restart) rebuilds from the mount").toEqual({ value: "sync-2" });
    } finally {
      await d.stop();
    }
  });
});

describe("SPCPS and files as the pusher reads them", () => {
  it("SPCPS: named <pod>-<ns>-<spc>, node label, owned by the pod; id <type>/<objectName> (not the alias), version = Key Vault version", async () => {
    const c = w.clusters[0]!;
    const d = await w.realDriver(c, { rotationPollInterval: `${GATE_MS / 1000}s` });
    try {
      const { name, ns, v1 } = await oneSecretSetup(c, d, "ids", { alias: "renamed.txt" });
      const s = await spcps(c, ns, "p-0", "s");
      expect(s.metadata.labels["internal.secrets-store.csi.k8s.io/node-name"]).toBe(d.node.nodeName);
      expect(s.metadata.ownerReferences?.map((o) => `${o.kind}/${o.name}`)).toEqual(["Pod/p-0"]);
      expect(s.status).toMatchObject({ podName: "p-0", secretProviderClassName: "s", mounted: true });
      expect(s.status.targetPath).toMatch(/\/pods\/[0-9a-f-]{36}\/volumes\/kubernetes\.io~csi\/secrets\/mount$/);
      expect(s.status.objects).toEqual([{ id: `secret/${name}`, version: v1 }]);
      expect(Object.keys(d.files(ns, "p-0"))).toEqual(["renamed.txt"]);
    } finally {
      await d.stop();
    }
  });

  it("one managed-identity token serves every mount (the provider's token cache is process-wide)", async () => {
    const c = w.clusters[0]!;
    const d = await w.realDriver(c, { rotationPollInterval: `${GATE_MS / 1000}s` });
    try {
      const { ns } = await oneSecretSetup(c, d, "mi");
      await d.mount(ns, "p-1", "s");
      await d.mount(ns, "p-2", "s");
      expect(d.node.identity.issued).toEqual({ "https://vault.azure.net": 1 });
      expect(d.node.identity.refused).toEqual([]);
    } finally {
      await d.stop();
    }
  });

  it("a remount that Key Vault refuses is answered as success and keeps the old files and SPCPS (kubernetes#121271 workaround)", async () => {
    const c = w.clusters[0]!;
    const d = await w.realDriver(c, { rotationPollInterval: `${GATE_MS / 1000}s` });
    try {
      const { name, ns, file, v1 } = await oneSecretSetup(c, d, "masked");
      await w.secrets("kv-alpha").setSecret(name, "masked-2");
      await gateOpen(d, ns, "p-0");
      const fault = w.emulator.injectFaults({
        vault: "kv-alpha",
        operation: "getSecret",
        name,
        times: 5,
        action: { type: "status", status: 403 },
      });
      try {
        await nudge(c, ns, "p-0");
        await d.idle();
        expect(fault.hits, "the provider asked and was refused").toBeGreaterThanOrEqual(1);
        expect(d.node.kubelet.totals.failures, "kubelet saw success").toEqual([]);
        expect(d.files(ns, "p-0")).toEqual({ [file]: "masked-1" });
        expect((await spcps(c, ns, "p-0", "s")).status.objects).toEqual([{ id: `secret/${name}`, version: v1 }]);
      } finally {
        fault.cancel();
      }
    } finally {
      await d.stop();
    }
  });

  it("pod deletion: kubelet unpublishes, the driver removes the mount; the synced Secret stays (the driver never deletes one)", async () => {
    const c = w.clusters[0]!;
    const d = await w.realDriver(c, { rotationPollInterval: `${GATE_MS / 1000}s` });
    try {
      const { ns } = await oneSecretSetup(c, d, "gone");
      const uid = (await c.core.readNamespacedPod({ namespace: ns, name: "p-0" })).metadata!.uid!;
      await c.core.deleteNamespacedPod({ namespace: ns, name: "p-0" });
      await until(
        "pod finalized by kubelet",
        () =>
          c.core.readNamespacedPod({ namespace: ns, name: "p-0" }).then(
            () => true,
            () => false,
          ),
        (exists) => !exists,
      );
      expect(d.node.kubelet.totals.unpublishes).toBe(1);
      expect(() => d.node.files(uid, "secrets")).toThrow(/ENOENT/);
      expect(await secretData(c, ns, "synced")).toEqual({ value: "gone-1" });
    } finally {
      await d.stop();
    }
  });
});

describe("the driver's default --rotation-poll-interval (2m)", () => {
  it("a nudge right after a mount is skipped: the mount keeps the old version until two minutes after its last change", async () => {
    const c = w.clusters[0]!;
    const d = await w.realDriver(c); // no --rotation-poll-interval flag
    try {
      const { name, ns, file, v1 } = await oneSecretSetup(c, d, "default");
      await w.secrets("kv-alpha").setSecret(name, "default-2");
      const before = reads(name);
      await nudge(c, ns, "p-0");
      await d.idle();
      expect(d.republishes).toBe(1);
      expect(reads(name) - before).toBe(0);
      expect(d.files(ns, "p-0")).toEqual({ [file]: "default-1" });
      expect((await spcps(c, ns, "p-0", "s")).status.objects).toEqual([{ id: `secret/${name}`, version: v1 }]);
    } finally {
      await d.stop();
    }
  });
});

describe("where the pusher's byte-identical Secret can still be flipped back", () => {
  it("a mount left behind (nudge inside the driver's interval) makes the driver's requeue write its older bytes over the pushed ones", async () => {
    const c = w.clusters[0]!;
    // 30 s: the push below lands well inside the interval after the mount, so the driver skips its nudge.
    const d = await w.realDriver(c, { rotationPollInterval: "30s" });
    try {
      const { name, ns, file } = await oneSecretSetup(c, d, "flip");
      const v2 = await w.secrets("kv-alpha").setSecret(name, "flip-2");
      const rt = w.runtime({ namespacesInclude: [ns] }, ["c1"]);
      try {
        await handleDelivery(rt, [keyVaultEvent(w, "kv-alpha", "Secret", name, v2.properties.version!)], {
          invocationId: randomUUID(),
          log: () => undefined,
        });
      } finally {
        closeRuntime(rt);
      }
      await d.idle();
      expect(d.republishes, "the pusher nudged the pod").toBe(1);
      expect(d.files(ns, "p-0"), "the driver skipped it: the mount changed within the interval").toEqual({ [file]: "flip-1" });
      expect(await secretData(c, ns, "synced"), "the pushed bytes").toEqual({ value: "flip-2" });
      await d.requeue();
      expect(await secretData(c, ns, "synced"), "the requeue rebuilt the Secret from the stale mount").toEqual({ value: "flip-1" });
    } finally {
      await d.stop();
    }
  });
});

describe("the legacy driver v1.5.6 (no republish; its rotation reconciler polls), --rotation-poll-interval=2s", () => {
  it("ignores pod annotations; each tick re-fetches, and patches the synced Secret whenever it differs from the mount (hand edits too)", async () => {
    const c = w.clusters[0]!;
    await setRequiresRepublish(c, false);
    const d = await w.realDriver(c, { driver: "v1.5", rotationPollInterval: "2s" });
    try {
      expect(d.node.versions.driver).toBe("v1.5.6");
      const { name, ns, file } = await oneSecretSetup(c, d, "legacy");
      await c.core.patchNamespacedSecret(
        { namespace: ns, name: "synced", body: { data: { value: Buffer.from("edited").toString("base64") } } },
        merge,
      );
      await until(
        "hand edit reverted by the reconciler's tick",
        () => secretData(c, ns, "synced"),
        (s) => s.value === "legacy-1",
      );
      await w.secrets("kv-alpha").setSecret(name, "legacy-2");
      await nudge(c, ns, "p-0");
      await d.idle();
      expect(d.republishes, "no requiresRepublish: kubelet does not remount").toBe(0);
      await until(
        "mount refreshed by the tick",
        async () => d.files(ns, "p-0")[file],
        (v) => v === "legacy-2",
      );
      await until(
        "Secret patched by the tick",
        () => secretData(c, ns, "synced"),
        (s) => s.value === "legacy-2",
      );
    } finally {
      await d.stop();
      await setRequiresRepublish(c, true);
    }
  });
});
