import { describe, expect, it } from "vitest";
import { mergeSecretPatches, mergeWorkloadRestarts } from "../../../shared/pipeline/reconcile.js";
import type { Action } from "../../../shared/plan/plan.js";

describe("timer merges", () => {
  it("one patch per Secret with every drifted key, and one restart per workload with every object's annotation", () => {
    const actions: Action[] = [
      { type: "patchSecret", namespace: "ns", name: "s", data: { a: "QQ==" }, keys: ["a"], digest: "d1", reason: "a behind" },
      { type: "skip", target: "x", reason: "up-to-date", detail: "" },
      { type: "patchSecret", namespace: "ns", name: "s", data: { b: "Qg==" }, keys: ["b"], digest: "d2", reason: "b behind" },
      { type: "patchSecret", namespace: "other", name: "s", data: { a: "QQ==" }, keys: ["a"], digest: "d3", reason: "a behind" },
      { type: "restartWorkload", namespace: "ns", kind: "Deployment", name: "w", annotations: { "k/a": "1" }, reason: "env" },
      { type: "restartWorkload", namespace: "ns", kind: "Deployment", name: "w", annotations: { "k/b": "2" }, reason: "env" },
      { type: "restartWorkload", namespace: "ns", kind: "StatefulSet", name: "w", annotations: { "k/a": "1" }, reason: "env" },
    ];
    const before = JSON.stringify(actions);
    const merged = mergeWorkloadRestarts(mergeSecretPatches(actions));
    expect(JSON.stringify(actions)).toBe(before); // inputs untouched
    const patches = merged.filter((a) => a.type === "patchSecret");
    expect(patches).toHaveLength(2);
    expect(patches[0]).toMatchObject({ namespace: "ns", data: { a: "QQ==", b: "Qg==" }, keys: ["a", "b"], reason: "a behind; b behind" });
    const restarts = merged.filter((a) => a.type === "restartWorkload");
    expect(restarts).toHaveLength(2);
    expect(restarts[0]).toMatchObject({ kind: "Deployment", annotations: { "k/a": "1", "k/b": "2" }, reason: "env" });
    expect(merged.filter((a) => a.type === "skip")).toHaveLength(1);
  });
});
