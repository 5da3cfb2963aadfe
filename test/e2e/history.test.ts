// objectVersionHistory > 1: the provider mounts `<file>/0..N` (newest first) and the driver syncs Secrets from those
// files. A rotation moves every versioned key; the driver's own republish then agrees (no flip back).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleDelivery } from "../../shared/entry/event-delivery.js";
import { closeRuntime, type Runtime } from "../../shared/pipeline/runtime.js";
import {
  createNamespace,
  createSpc,
  driver,
  keyVaultEvent,
  secretData,
  setRequiresRepublish,
  startWorld,
  uniqueName,
  type World,
} from "../support/world.js";

let w: World;
let rt: Runtime;

beforeAll(async () => {
  w = await startWorld();
  await setRequiresRepublish(w.clusters[0]!, true);
  rt = w.runtime({}, ["c1"]);
});
afterAll(async () => {
  if (rt) closeRuntime(rt);
  await w?.stop();
});

describe("version history", () => {
  it("pushes the versioned files' keys in the provider's order, proven by the driver's previous sync", async () => {
    const c = w.clusters[0]!;
    const name = uniqueName("hist");
    const kv = w.secrets("kv-alpha");
    // Key Vault's creation times have one-second resolution and the provider orders by them (ties: Go's unstable
    // sort, reproduced by the renderer): versions a second apart, as real rotations are.
    const tick = () => new Promise((r) => setTimeout(r, 1100));
    for (const v of ["h-1", "h-2", "h-3"]) {
      await kv.setSecret(name, v);
      await tick();
    }
    const ns = await createNamespace(c, "hist");
    const d = await driver(w, c, [ns], "v1.6");
    try {
      await createSpc(c, ns, {
        name: "app",
        vault: "kv-alpha",
        objects: [{ objectName: name, objectType: "secret", objectVersionHistory: 2 }],
        secretObjects: [
          {
            secretName: "versions",
            type: "Opaque",
            data: [
              { objectName: `${name}/0`, key: "current" },
              { objectName: `${name}/1`, key: "previous" },
            ],
          },
        ],
      });
      await d.mount(ns, "app-0", "app");
      expect(await secretData(c, ns, "versions")).toEqual({ current: "h-3", previous: "h-2" });

      // The driver skips a republish within --rotation-poll-interval of the mount's last content change (and its
      // requeue would then write the stale mount back): nudge only once its gate is open, as in production.
      await d.gateOpen();
      const v4 = await kv.setSecret(name, "h-4");
      const out = await handleDelivery(rt, [keyVaultEvent(w, "kv-alpha", "Secret", name, v4.properties.version!)], {
        invocationId: "history",
        log: () => {},
      });
      const patched = out.report!.clusters[0]!.actions.filter((a) => a.type === "patchSecret");
      expect(patched.map((a) => `${a.status} ${a.target} ${a.keys?.join(",")}`)).toEqual([
        `applied Secret ${ns}/versions current,previous`,
      ]);
      expect(await secretData(c, ns, "versions")).toEqual({ current: "h-4", previous: "h-3" });
      // The nudged pod's republish renders the same files: the Secret stays as pushed.
      await d.idle();
      await d.requeue();
      expect(await secretData(c, ns, "versions")).toEqual({ current: "h-4", previous: "h-3" });
    } finally {
      await d.stop();
    }
  });
});
