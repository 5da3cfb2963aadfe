// A restart whose resourceVersion precondition fails (409: the workload changed since it was read, e.g. by a cache
// that had not seen the change yet) is re-planned from the workload as it is now: written again, skipped when nothing
// is left to do, reported gone — and after a bounded number of conflicts it fails for redelivery as before.
import { describe, expect, it } from "vitest";
import { applyActions } from "../../../shared/apply/apply.js";
import type { ClusterApi } from "../../../shared/kube/cluster-api.js";
import type { Action, RestartWorkload } from "../../../shared/model/index.js";

const restart = (resourceVersion: string): RestartWorkload => ({
  type: "restartWorkload",
  namespace: "ns",
  kind: "Deployment",
  name: "env",
  annotations: { "kv-rotation-pusher.io/v-x": "kv/x@2" },
  reason: { code: "env-consumer", detail: "reads Secret creds as env" },
  resourceVersion,
  expected: { "kv-rotation-pusher.io/v-x": "kv/x@1" },
});

/**
 * A fake API server: the workload is at `current`; a patch with another resourceVersion gets 409. Its template holds
 * another value of our annotation than the plan saw (another instance restarted it): the plain conditional retry
 * (apply's re-read) does not apply, the re-plan decides.
 */
function apiAt(current: { rv: string }) {
  const patches: string[] = [];
  const api = {
    getWorkload: async () => ({ resourceVersion: current.rv, templateAnnotations: { "kv-rotation-pusher.io/v-x": "kv/x@9" } }),
    patchWorkloadTemplateAnnotations: async (_k: string, _ns: string, _n: string, _a: unknown, rv?: string) => {
      patches.push(rv ?? "");
      if (rv !== current.rv) throw Object.assign(new Error("Conflict"), { statusCode: 409 });
      return "patched" as const;
    },
  } as unknown as ClusterApi;
  return { api, patches };
}

const opts = { concurrency: 2, dryRun: false, receivedAt: Date.now() };

describe("restart conflicts", () => {
  it("re-plans from the workload as it is now and writes with its resourceVersion", async () => {
    const { api, patches } = apiAt({ rv: "7" });
    const out = await applyActions(api, [restart("5")], { ...opts, replanRestart: async () => restart("7") });
    expect(out.results.map((r) => r.status)).toEqual(["applied"]);
    expect(patches).toEqual(["5", "7"]);
    expect(out.retryable).toBeUndefined();
  });

  it("reports the re-plan's skip (another instance already restarted it) and a vanished workload as gone", async () => {
    const skip: Action = {
      type: "skip",
      namespace: "ns",
      target: "Deployment ns/env",
      reason: { code: "already-restarted", detail: "newer" },
    };
    const a = await applyActions(apiAt({ rv: "7" }).api, [restart("5")], { ...opts, replanRestart: async () => skip });
    expect(a.results).toEqual([{ action: skip, status: "skipped" }]);
    const b = await applyActions(apiAt({ rv: "7" }).api, [restart("5")], { ...opts, replanRestart: async () => null });
    expect(b.results.map((r) => r.status)).toEqual(["gone"]);
  });

  it("fails for redelivery after repeated conflicts, and without a re-planner at once", async () => {
    const endless = apiAt({ rv: "never" });
    const out = await applyActions(endless.api, [restart("5")], { ...opts, replanRestart: async () => restart("6") });
    expect(out.results.map((r) => r.status)).toEqual(["failed"]);
    expect(endless.patches).toEqual(["5", "6", "6"]);
    expect(out.retryable?.kind).toBe("transient");
    const plain = apiAt({ rv: "7" });
    const none = await applyActions(plain.api, [restart("5")], opts);
    expect(none.results.map((r) => r.status)).toEqual(["failed"]);
    expect(plain.patches).toEqual(["5"]);
  });
});
