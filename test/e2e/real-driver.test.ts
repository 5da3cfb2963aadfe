// The real Secrets Store CSI driver and Azure provider, run here: what they do that the pusher relies on.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNamespace, createSpc, secretData, startWorld, uniqueName, type World } from "../support/world.js";

let w: World;
beforeAll(async () => {
  w = await startWorld();
});
afterAll(async () => {
  await w?.stop();
});

describe("real driver smoke", () => {
  it("mounts the provider's files and syncs the Secret", async () => {
    const c = w.clusters[0]!;
    const name = uniqueName("smoke");
    await w.secrets("kv-alpha").setSecret(name, "smoke-1");
    const ns = await createNamespace(c, "smoke");
    const d = await w.realDriver(c, { rotationPollInterval: "2s" });
    try {
      await createSpc(c, ns, {
        name: "s",
        vault: "kv-alpha",
        objects: [{ objectName: name, objectType: "secret" }],
        secretObjects: [{ secretName: "s", type: "Opaque", data: [{ objectName: name, key: "v" }] }],
      });
      await d.mount(ns, "p-0", "s");
      expect(d.files(ns, "p-0")).toEqual({ [name]: "smoke-1" });
      expect((await secretData(c, ns, "s")).v).toBe("smoke-1");
    } finally {
      console.log(d.node.driverLog().slice(-3000));
      await d.stop();
    }
  });
});
