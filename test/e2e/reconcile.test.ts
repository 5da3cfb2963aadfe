// The timer's pull fallback on the real environment: the real Secrets Store CSI driver v1.6 + Azure provider (kubelet
// stand-in); the v1.5 case on the real legacy driver v1.5.6.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reconcile } from "../../shared/pipeline/reconcile.js";
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
  type World,
} from "../support/world.js";

let w: World;
beforeAll(async () => {
  w = await startWorld();
});
afterAll(async () => {
  await w?.stop();
});

describe("reconcile (timer)", () => {
  it("pushes a rotation whose event never arrived, once, with one Key Vault read per distinct object", async () => {
    const c = w.clusters[0]!;
    await setRequiresRepublish(c, true);
    const a = uniqueName("lost-a");
    const b = uniqueName("lost-b");
    await w.secrets("kv-alpha").setSecret(a, "a1");
    await w.secrets("kv-alpha").setSecret(b, "b1");
    const namespaces = [await createNamespace(c, "rec-1"), await createNamespace(c, "rec-2"), await createNamespace(c, "rec-3")];
    const d = await driver(w, c, namespaces, "v1.6");
    try {
      for (const ns of namespaces) {
        await createSpc(c, ns, {
          name: "s",
          vault: "kv-alpha",
          objects: [
            { objectName: a, objectType: "secret" },
            { objectName: b, objectType: "secret" },
          ],
          secretObjects: [
            {
              secretName: "s",
              type: "Opaque",
              data: [
                { objectName: a, key: "a" },
                { objectName: b, key: "b" },
              ],
            },
          ],
        });
        await d.mount(ns, "p-0", "s");
        await d.mount(ns, "p-1", "s");
        await createWorkload(c, ns, "Deployment", "env-user", { env: ["s"] });
      }
      const gen0 = await generation(c, namespaces[0]!, "Deployment", "env-user");
      await d.gateOpen(); // the driver's refetch gate: mounts older than --rotation-poll-interval
      await w.secrets("kv-alpha").setSecret(a, "a2"); // no event delivered
      const rt = w.runtime({}, ["c1"]);
      rt.config.driftGraceSeconds = 0;
      const rep = await reconcile(rt);
      expect(rep.retry).toBe(false);
      // only the objects this test references are guaranteed; other tests' SPCs may exist in the cluster too
      expect(rep.vaultReads - rep.proofReads).toBe(rep.drift!.objectsChecked);
      for (const ns of namespaces) expect(await secretData(c, ns, "s")).toEqual({ a: "a2", b: "b1" });
      expect(rep.counts.secretsPatched).toBeGreaterThanOrEqual(3);
      expect(await generation(c, namespaces[0]!, "Deployment", "env-user")).toBe(gen0 + 1);
      await d.idle();
      expect(d.republishes).toBe(6);
      for (const ns of namespaces) for (const p of ["p-0", "p-1"]) expect(d.files(ns, p)).toEqual({ [a]: "a2", [b]: "b1" });

      const again = await reconcile(rt);
      const mine = (x: typeof again) =>
        x.clusters
          .flatMap((cl) => cl.actions)
          .filter((act) => namespaces.some((ns) => act.target.includes(`${ns}/`)) && act.status === "applied");
      expect(mine(again)).toEqual([]);
      expect(await generation(c, namespaces[0]!, "Deployment", "env-user")).toBe(gen0 + 1);
    } finally {
      await d.stop();
    }
  });

  it("v1.5 driver (real legacy driver v1.5.6): reports stale mounts, and with mount refresh `restart` restarts the mounting workload once", async () => {
    const c = w.clusters[0]!;
    await setRequiresRepublish(c, false);
    try {
      const name = uniqueName("stale");
      await w.secrets("kv-beta").setSecret(name, "s1");
      const ns = await createNamespace(c, "rec-v15");
      const d = await driver(w, c, [ns], "v1.5");
      await createSpc(c, ns, { name: "m", vault: "kv-beta", objects: [{ objectName: name, objectType: "secret" }] });
      await d.mount(ns, "m-0", "m");
      await createWorkload(c, ns, "Deployment", "mounter", { spc: "m" });
      const gen0 = await generation(c, ns, "Deployment", "mounter");
      await w.secrets("kv-beta").setSecret(name, "s2");

      const report = w.runtime({}, ["c1"]);
      report.config.driftGraceSeconds = 0;
      const r1 = await reconcile(report);
      const stale = r1.clusters[0]!.actions.filter((x) => x.target === `Pod ${ns}/m-0`);
      expect(stale.map((x) => x.reason.code)).toEqual(["driver-no-republish"]);
      expect(await generation(c, ns, "Deployment", "mounter")).toBe(gen0);

      const restart = w.runtime({ mountRefresh: "restart" }, ["c1"]);
      restart.config.driftGraceSeconds = 0;
      await reconcile(restart);
      expect(await generation(c, ns, "Deployment", "mounter")).toBe(gen0 + 1);
      await reconcile(restart);
      expect(await generation(c, ns, "Deployment", "mounter")).toBe(gen0 + 1);

      // within the grace period nothing is restarted
      const graceful = w.runtime({ mountRefresh: "restart" }, ["c1"]);
      graceful.config.driftGraceSeconds = 3600;
      await w.secrets("kv-beta").setSecret(name, "s3");
      const r3 = await reconcile(graceful);
      expect(r3.clusters[0]!.actions.filter((x) => x.target === `Pod ${ns}/m-0`).map((x) => x.reason.code)).toEqual(["within-grace"]);
      expect(await generation(c, ns, "Deployment", "mounter")).toBe(gen0 + 1);
      await d.stop();
    } finally {
      await setRequiresRepublish(c, true);
    }
  });
});
