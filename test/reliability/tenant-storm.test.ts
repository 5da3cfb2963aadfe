// A tenant storm: 10,000 SecretProviderClasses in one namespace, naming 10,000 made-up objects of an allow-listed
// vault. Drift runs (the timer, HTTP drift, CLI drift all run reconcile) must not spend Key Vault reads without
// bound: at most the namespace's budget per run, each made-up object read once per negative-cache period, the
// namespace named in the report — while a legitimate namespace's rotation is still pushed in the same runs.
import { randomBytes } from "node:crypto";
import pLimit from "p-limit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reconcile } from "../../shared/pipeline/reconcile.js";
import { closeRuntime, type Runtime } from "../../shared/pipeline/runtime.js";
import { createNamespace, createSpc, secretData, startWorld, uniqueName, type World } from "../support/world.js";
import { objectsYaml } from "../support/fixtures.js";
import { Ledger } from "./support/ledger.js";

const STORM = 10_000;
const BUDGET = 50;
const ledger = new Ledger("tenant-storm");
let w: World;
let rt: Runtime;
let stormNs: string;

const madeUpReads = () => w.emulator.stats.count({ vault: "kv-alpha", operation: "getSecret", status: 404 });

beforeAll(async () => {
  w = await startWorld();
  rt = w.runtime({}, ["c1"]);
  rt.config.namespaceReadBudget = BUDGET;
  rt.config.driftGraceSeconds = 0;
});

afterAll(async () => {
  ledger.flush();
  // Other suites list every SPC: leave no storm behind (no controllers run here, so delete the objects themselves).
  if (stormNs)
    await w.clusters[0]!.custom.deleteCollectionNamespacedCustomObject({
      group: "secrets-store.csi.x-k8s.io",
      version: "v1",
      namespace: stormNs,
      plural: "secretproviderclasses",
    });
  if (rt) closeRuntime(rt);
  await w?.stop();
});

describe("tenant storm of made-up objects", () => {
  it(`${STORM} SPCs naming ${STORM} made-up objects cost at most the namespace's budget of ${BUDGET} reads per run`, async () => {
    const c = w.clusters[0]!;
    // A legitimate team whose rotation must still go through.
    const legitNs = await createNamespace(c, "legit");
    const legit = uniqueName("legit-db");
    await w.secrets("kv-alpha").setSecret(legit, "l-1");
    await createSpc(c, legitNs, {
      name: "app",
      vault: "kv-alpha",
      objects: [{ objectName: legit, objectType: "secret" }],
      secretObjects: [{ secretName: "app", type: "Opaque", data: [{ objectName: legit, key: "password" }] }],
    });
    await c.core.createNamespacedSecret({
      namespace: legitNs,
      body: { metadata: { name: "app" }, data: { password: Buffer.from("l-1").toString("base64") } },
    });

    stormNs = await createNamespace(c, "storm");
    const tag = randomBytes(3).toString("hex");
    const limit = pLimit(32);
    const t0 = Date.now();
    await Promise.all(
      Array.from({ length: STORM }, (_, i) =>
        limit(() =>
          c.custom.createNamespacedCustomObject({
            group: "secrets-store.csi.x-k8s.io",
            version: "v1",
            namespace: stormNs,
            plural: "secretproviderclasses",
            body: {
              apiVersion: "secrets-store.csi.x-k8s.io/v1",
              kind: "SecretProviderClass",
              metadata: { name: `s-${i}` },
              spec: {
                provider: "azure",
                parameters: {
                  keyvaultName: "kv-alpha",
                  objects: objectsYaml([{ objectName: `made-up-${tag}-${i}`, objectType: "secret" }]),
                },
              },
            },
          }),
        ),
      ),
    );
    const seeded = (Date.now() - t0) / 1000;

    // Only these two namespaces: drift must not read objects other test files left (or deleted) in the shared cluster,
    // which would count as "made-up" 404 reads here.
    rt.config.policy = { ...rt.config.policy, namespacesInclude: [legitNs, stormNs] };
    await w.secrets("kv-alpha").setSecret(legit, "l-2"); // a rotation whose event never arrived
    const runs: { reads: number; ms: number }[] = [];
    for (let run = 0; run < 3; run++) {
      const before = madeUpReads();
      const started = Date.now();
      const rep = await reconcile(rt);
      runs.push({ reads: madeUpReads() - before, ms: Date.now() - started });
      expect(rep.overBudget).toContainEqual({ namespace: stormNs, objects: STORM, budget: BUDGET });
      expect(runs[run]!.reads, `run ${run}: made-up objects read`).toBeLessThanOrEqual(BUDGET);
      if (run === 0) expect((await secretData(c, legitNs, "app")).password, "the legitimate rotation is pushed").toBe("l-2");
    }
    // Least recently read first: successive runs move through the namespace instead of re-reading the same objects.
    expect(runs[0]!.reads).toBe(BUDGET);
    expect(runs[1]!.reads).toBe(BUDGET);
    ledger.fault("tenant storm SPCs", STORM);
    console.log(
      `[tenant storm] ${STORM} SPCs seeded in ${seeded.toFixed(1)} s; made-up objects read per run: ${runs.map((r) => r.reads).join(", ")} ` +
        `(budget ${BUDGET}); run time ${runs.map((r) => r.ms).join(", ")} ms`,
    );
  });
});
