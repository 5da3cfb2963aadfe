// shared/verify/rollout.ts against kubectl's own `rollout status` rules: k8s.io/kubectl's StatusViewer, built from the
// Go module proxy (test/rollout-oracle/build.sh; cached per version; KVRP_ROLLOUT_ORACLE overrides), run on generated
// Deployments, StatefulSets and DaemonSets shaped as the API server serves them (defaults applied). kubectl's error
// ("exceeded its progress deadline", "only available for RollingUpdate") is our "failed"; done is "done"; else waiting.
import { spawnSync } from "node:child_process";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { toRollout } from "../../../shared/kube/translate.js";
import { rolloutProgress } from "../../../shared/verify/index.js";

const root = new URL("../../../", import.meta.url).pathname;
let oracle = "";

beforeAll(() => {
  const r = spawnSync("bash", [`${root}test/rollout-oracle/build.sh`], { encoding: "utf8", timeout: 900_000 });
  if (r.status !== 0) throw new Error(`the rollout-status oracle did not build (exit ${r.status}):\n${(r.stderr ?? "").slice(-3000)}`);
  oracle = r.stdout.trim().split("\n").pop()!;
}, 900_000);

type Kind = "Deployment" | "StatefulSet" | "DaemonSet";
const count = fc.integer({ min: 0, max: 4 });
const gen = fc.integer({ min: 1, max: 4 });

const deployment = fc.record({
  generation: gen,
  replicas: count,
  observedGeneration: fc.integer({ min: 0, max: 5 }),
  status: fc.record({ replicas: count, updatedReplicas: count, availableReplicas: count }),
  progressing: fc.constantFrom(undefined, "NewReplicaSetAvailable", "ReplicaSetUpdated", "ProgressDeadlineExceeded"),
  deadline: fc.constantFrom(undefined, 60, 600),
});
const statefulSet = fc.record({
  generation: gen,
  replicas: count,
  observedGeneration: fc.integer({ min: 0, max: 5 }),
  strategy: fc.constantFrom("RollingUpdate", "OnDelete"),
  partition: fc.integer({ min: 0, max: 4 }),
  status: fc.record({ readyReplicas: count, updatedReplicas: count, currentReplicas: count }),
  revisions: fc.constantFrom(["a", "a"], ["a", "b"]),
});
const daemonSet = fc.record({
  generation: gen,
  observedGeneration: fc.integer({ min: 0, max: 5 }),
  strategy: fc.constantFrom("RollingUpdate", "OnDelete"),
  status: fc.record({ desiredNumberScheduled: count, updatedNumberScheduled: count, numberAvailable: count }),
});

const meta = (name: string, generation: number) => ({ name, namespace: "ns", generation });
const template = { metadata: { labels: { app: "x" } }, spec: { containers: [{ name: "app", image: "app:1" }] } };

function object(kind: Kind, c: Record<string, unknown>): Record<string, unknown> {
  const base = { apiVersion: "apps/v1", kind, metadata: meta("w", c.generation as number) };
  const selector = { matchLabels: { app: "x" } };
  if (kind === "Deployment") {
    const d = c as {
      replicas: number;
      observedGeneration: number;
      status: Record<string, number>;
      progressing?: string;
      deadline?: number;
    };
    return {
      ...base,
      spec: { replicas: d.replicas, selector, template, ...(d.deadline ? { progressDeadlineSeconds: d.deadline } : {}) },
      status: {
        observedGeneration: d.observedGeneration,
        ...d.status,
        ...(d.progressing
          ? {
              conditions: [
                { type: "Progressing", status: d.progressing === "ProgressDeadlineExceeded" ? "False" : "True", reason: d.progressing },
              ],
            }
          : {}),
      },
    };
  }
  if (kind === "StatefulSet") {
    const s = c as {
      replicas: number;
      observedGeneration: number;
      strategy: string;
      partition: number;
      status: Record<string, number>;
      revisions: string[];
    };
    return {
      ...base,
      spec: {
        replicas: s.replicas,
        selector,
        template,
        serviceName: "w",
        // The API server defaults rollingUpdate.partition to 0 for RollingUpdate.
        updateStrategy:
          s.strategy === "RollingUpdate" ? { type: "RollingUpdate", rollingUpdate: { partition: s.partition } } : { type: "OnDelete" },
      },
      status: { observedGeneration: s.observedGeneration, ...s.status, currentRevision: s.revisions[0], updateRevision: s.revisions[1] },
    };
  }
  const ds = c as { observedGeneration: number; strategy: string; status: Record<string, number> };
  return {
    ...base,
    spec: {
      selector,
      template,
      updateStrategy:
        ds.strategy === "RollingUpdate" ? { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1 } } : { type: "OnDelete" },
    },
    status: { observedGeneration: ds.observedGeneration, currentNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0, ...ds.status },
  };
}

function kubectl(objects: Record<string, unknown>[]): { done: boolean; err?: string; msg: string }[] {
  const r = spawnSync(oracle, [], { input: JSON.stringify(objects), encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`oracle failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as { done: boolean; err?: string; msg: string }[];
}

describe("rollout status: ours == kubectl's on generated workloads", () => {
  it.each([
    ["Deployment", deployment],
    ["StatefulSet", statefulSet],
    ["DaemonSet", daemonSet],
  ] as const)("%s (1,000 generated cases, every verdict seen)", (kind, arb) => {
    const cases = fc.sample(arb as fc.Arbitrary<Record<string, unknown>>, { numRuns: 1000, seed: 15 }).map((c) => object(kind, c));
    const theirs = kubectl(cases);
    const seen = new Set<string>();
    const mismatches: string[] = [];
    cases.forEach((obj, i) => {
      const t = theirs[i]!;
      const want = t.err ? "failed" : t.done ? "done" : "waiting";
      const ours = rolloutProgress(kind, toRollout(obj as never));
      seen.add(want);
      if (ours.state !== want)
        mismatches.push(
          `${JSON.stringify(obj.spec)} ${JSON.stringify(obj.status)}: kubectl ${want} (${t.err ?? t.msg.trim()}), ours ${ours.state} (${ours.message})`,
        );
    });
    expect(mismatches.slice(0, 5)).toEqual([]);
    expect([...seen].sort()).toEqual(["done", "failed", "waiting"]);
  });
});
