// The verification stage's decisions (pure): kubectl's rollout-status rules and Argo's phase rule, kubelet's failing
// waiting reasons, the verdict on one workload, records (shape, signature, idempotent start) and the fold per rotation.
import { describe, expect, it } from "vitest";
import { templateKey, templateValue, VERIFY_LABEL } from "../../../shared/lib/annotations.js";
import { toRollout, toSpc, toWorkload } from "../../../shared/kube/translate.js";
import type { PodObservation, RotationRecord, SpcpsState, Workload } from "../../../shared/model/index.js";
import {
  decodeRecord,
  encodeRecord,
  foldOutcomes,
  judge,
  notReady,
  podFailure,
  recordKey,
  recordsOf,
  recordsPatch,
  recordsToStart,
  rolloutProgress,
} from "../../../shared/verify/index.js";
import { objectsYaml } from "../../support/fixtures.js";

const V1 = "11111111111111111111111111111111";
const V2 = "22222222222222222222222222222222";
const rollout = (spec: Record<string, unknown>, status: Record<string, unknown>, generation = 2) =>
  toRollout({ metadata: { generation }, spec, status } as never);

describe("rolloutProgress: kubectl rollout status (Deployment, StatefulSet, DaemonSet) and Argo GetRolloutPhase", () => {
  it.each([
    ["not observed", { replicas: 2 }, { observedGeneration: 1 }, "waiting", /observe the new template/],
    [
      "deadline",
      { replicas: 2 },
      { observedGeneration: 2, conditions: [{ type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded" }] },
      "failed",
      /exceeded its progress deadline \(600 s\)/,
    ],
    ["updating", { replicas: 2 }, { observedGeneration: 2, updatedReplicas: 1, replicas: 3 }, "waiting", /1 of 2 new replicas updated/],
    [
      "old pending",
      { replicas: 2 },
      { observedGeneration: 2, updatedReplicas: 2, replicas: 3 },
      "waiting",
      /1 old replica\(s\) pending termination/,
    ],
    [
      "not available",
      { replicas: 2 },
      { observedGeneration: 2, updatedReplicas: 2, replicas: 2, availableReplicas: 1 },
      "waiting",
      /1 of 2 updated replicas available/,
    ],
    ["done", { replicas: 2 }, { observedGeneration: 2, updatedReplicas: 2, replicas: 2, availableReplicas: 2 }, "done", /rolled out/],
    [
      "observed ahead",
      { replicas: 1 },
      { observedGeneration: 3, updatedReplicas: 1, replicas: 1, availableReplicas: 1 },
      "done",
      /rolled out/,
    ],
  ])("Deployment: %s", (_n, spec, status, state, msg) => {
    const r = rolloutProgress("Deployment", rollout(spec, status));
    expect(r.state).toBe(state);
    expect(r.message).toMatch(msg);
  });

  it.each([
    ["observedGeneration 0", { replicas: 1, updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 0 } } }, {}, "waiting"],
    [
      "not ready",
      { replicas: 2, updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 0 } } },
      { observedGeneration: 2, readyReplicas: 1 },
      "waiting",
    ],
    [
      "partition",
      { replicas: 3, updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 1 } } },
      { observedGeneration: 2, readyReplicas: 3, updatedReplicas: 1 },
      "waiting",
    ],
    [
      "partition done",
      { replicas: 3, updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 1 } } },
      { observedGeneration: 2, readyReplicas: 3, updatedReplicas: 2 },
      "done",
    ],
    [
      "revisions differ",
      { replicas: 1, updateStrategy: { type: "RollingUpdate" } },
      { observedGeneration: 2, readyReplicas: 1, updateRevision: "b", currentRevision: "a" },
      "waiting",
    ],
    [
      "revisions equal",
      { replicas: 1, updateStrategy: { type: "RollingUpdate" } },
      { observedGeneration: 2, readyReplicas: 1, updateRevision: "b", currentRevision: "b" },
      "done",
    ],
    ["OnDelete", { replicas: 1, updateStrategy: { type: "OnDelete" } }, { observedGeneration: 2 }, "failed"],
  ])("StatefulSet: %s", (_n, spec, status, state) => {
    expect(rolloutProgress("StatefulSet", rollout(spec, status)).state).toBe(state);
  });

  it.each([
    [
      "updating",
      { updateStrategy: { type: "RollingUpdate" } },
      { observedGeneration: 2, desiredNumberScheduled: 3, updatedNumberScheduled: 2 },
      "waiting",
    ],
    [
      "not available",
      { updateStrategy: { type: "RollingUpdate" } },
      { observedGeneration: 2, desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 2 },
      "waiting",
    ],
    [
      "done",
      { updateStrategy: { type: "RollingUpdate" } },
      { observedGeneration: 2, desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 3 },
      "done",
    ],
    ["OnDelete", { updateStrategy: { type: "OnDelete" } }, { observedGeneration: 2 }, "failed"],
  ])("DaemonSet: %s", (_n, spec, status, state) => {
    expect(rolloutProgress("DaemonSet", rollout(spec, status)).state).toBe(state);
  });

  it.each([
    ["not observed (string)", { observedGeneration: "1", phase: "Healthy" }, "waiting"],
    ["v0.9 hash counts as observed", { observedGeneration: "7d9f8c", phase: "Healthy" }, "done"],
    ["unpausing", { observedGeneration: "2", controllerPause: true, phase: "Paused" }, "waiting"],
    ["Healthy", { observedGeneration: "2", phase: "Healthy" }, "done"],
    ["Degraded", { observedGeneration: "2", phase: "Degraded", message: "ProgressDeadlineExceeded: timed out" }, "failed"],
    ["Paused", { observedGeneration: "2", phase: "Paused", pauseConditions: [{ reason: "CanaryPauseStep" }] }, "waiting"],
  ])("Argo Rollout: %s", (_n, status, state) => {
    expect(rolloutProgress("Rollout", rollout({ replicas: 1 }, status)).state).toBe(state);
  });
});

const pod = (name: string, over: Partial<PodObservation> = {}): PodObservation => ({
  namespace: "ns",
  name,
  phase: "Running",
  terminating: false,
  annotations: {},
  ready: true,
  containers: [{ name: "app", ready: true, restartCount: 0 }],
  initContainers: [],
  ...over,
});

describe("pods: kubelet's reasons", () => {
  it("fails at once on CrashLoopBackOff, image and config errors (init containers too); not on ContainerCreating", () => {
    const crash = pod("p1", {
      ready: false,
      containers: [
        {
          name: "app",
          ready: false,
          restartCount: 3,
          waiting: { reason: "CrashLoopBackOff" },
          lastTerminated: { reason: "Error", exitCode: 1 },
        },
      ],
    });
    expect(podFailure(crash)).toEqual({
      pod: "p1",
      reason: "CrashLoopBackOff",
      detail: "pod p1: CrashLoopBackOff: container app, 3 restart(s), last exit code 1 (Error)",
    });
    for (const reason of ["ImagePullBackOff", "ErrImagePull", "CreateContainerConfigError", "InvalidImageName"])
      expect(
        podFailure(pod("p", { initContainers: [{ name: "init", ready: false, restartCount: 0, waiting: { reason, message: "x" } }] }))
          ?.reason,
      ).toBe(reason);
    expect(podFailure(pod("p", { phase: "Failed" }))?.reason).toBe("PodFailed");
    const creating = pod("p2", {
      ready: false,
      phase: "Pending",
      containers: [{ name: "app", ready: false, restartCount: 0, waiting: { reason: "ContainerCreating" } }],
    });
    expect(podFailure(creating)).toBeUndefined();
    expect(notReady({ ...creating, warnings: ["FailedMount: MountVolume.SetUp failed"] })).toEqual({
      pod: "p2",
      reason: "FailedMount",
      detail: "pod p2 not ready: ContainerCreating; FailedMount: MountVolume.SetUp failed",
    });
  });
});

const spc = toSpc({
  metadata: { namespace: "ns", name: "app" },
  spec: {
    provider: "azure",
    parameters: { keyvaultName: "kv-a", objects: objectsYaml([{ objectName: "db", objectType: "secret" }]) },
    secretObjects: [{ secretName: "creds", type: "Opaque", data: [{ objectName: "db", key: "password" }] }],
  },
});

function workload(
  opts: { env?: boolean; mount?: boolean; version?: string; status?: Record<string, unknown>; annotations?: Record<string, string> } = {},
): Workload {
  return toWorkload("Deployment", {
    metadata: { namespace: "ns", name: "api", generation: 2, annotations: opts.annotations ?? {} },
    spec: {
      replicas: 1,
      progressDeadlineSeconds: 60,
      selector: { matchLabels: { app: "api" } },
      template: {
        metadata: { annotations: opts.version ? { [templateKey("kv-a", "db")]: templateValue("kv-a", "db", opts.version) } : {} },
        spec: {
          containers: [{ env: opts.env ? [{ valueFrom: { secretKeyRef: { name: "creds" } } }] : [] }],
          volumes: opts.mount ? [{ csi: { driver: "secrets-store.csi.k8s.io", volumeAttributes: { secretProviderClass: "app" } } }] : [],
        },
      },
    },
    status: opts.status ?? { observedGeneration: 2, replicas: 1, updatedReplicas: 1, availableReplicas: 1 },
  });
}

const now = new Date("2026-06-01T12:00:30Z");
const record: RotationRecord = {
  vault: "kv-a",
  objectName: "db",
  version: V2,
  eventTime: "2026-06-01T11:59:59Z",
  since: "2026-06-01T12:00:00Z",
  state: "pending",
};
const spcps = (podName: string, version: string): SpcpsState => ({
  namespace: "ns",
  name: `${podName}-ns-app`,
  podName,
  spcName: "app",
  versions: { "secret/db": version },
});
const newPod = (name: string, over: Partial<PodObservation> = {}) =>
  pod(name, { annotations: { [templateKey("kv-a", "db")]: templateValue("kv-a", "db", V2) }, ...over });

describe("judge: one workload's verdict", () => {
  const base = { spcs: [spc], secretHolds: new Map([["ns/creds", true]]), latestVersion: V2, now };

  it("verified: Secret holds it, mounts report it, rollout complete, new pods ready", () => {
    const v = judge(record, {
      ...base,
      workload: workload({ env: true, mount: true, version: V2 }),
      pods: [newPod("api-b")],
      spcps: [spcps("api-b", V2)],
    });
    expect(v).toMatchObject({ state: "verified", problems: [] });
    expect("checked" in v && v.checked).toBe(
      "Secret creds, 1/1 pod mount(s) on the new version, rollout complete (1 updated replica(s) available)",
    );
  });

  it("pending while the rollout runs or a mount lags; failed at the deadline with what was outstanding", () => {
    const w = workload({ mount: true, env: true, version: V2, status: { observedGeneration: 1 } });
    const input = { ...base, workload: w, pods: [pod("api-a")], spcps: [spcps("api-a", V1)] };
    const v = judge(record, input);
    expect(v).toMatchObject({ state: "pending" });
    expect("problems" in v && v.problems.map((p) => p.reason)).toEqual(["MountBehind", "RolloutInProgress"]);
    const late = judge(record, { ...input, now: new Date(Date.parse(record.since) + 61_000) });
    expect(late).toMatchObject({ state: "failed" });
    expect("problems" in late && late.problems.map((p) => p.reason)).toEqual(["MountBehind", "RolloutInProgress", "DeadlineExceeded"]);
    expect("problems" in late && late.problems[0]!.detail).toBe(`pod api-a mount of app holds secret/db@${V1.slice(0, 8)}`);
  });

  it("failed at once when a new pod crash-loops (old pods are not judged after a restart)", () => {
    const crash = newPod("api-b", {
      ready: false,
      containers: [{ name: "app", ready: false, restartCount: 2, waiting: { reason: "CrashLoopBackOff" } }],
    });
    const oldCrash = pod("api-a", {
      ready: false,
      containers: [{ name: "app", ready: false, restartCount: 9, waiting: { reason: "CrashLoopBackOff" } }],
    });
    const v = judge(record, {
      ...base,
      workload: workload({ env: true, version: V2, status: { observedGeneration: 2, replicas: 2, updatedReplicas: 1 } }),
      pods: [oldCrash, crash],
      spcps: [],
    });
    expect(v).toMatchObject({ state: "failed" });
    expect("problems" in v && v.problems.map((p) => p.pod)).toEqual(["api-b"]);
  });

  it("a Secret that does not hold the version keeps it pending", () => {
    const v = judge(record, {
      ...base,
      secretHolds: new Map([["ns/creds", false]]),
      workload: workload({ env: true, version: V2 }),
      pods: [newPod("api-b")],
      spcps: [],
    });
    expect("problems" in v && v.problems).toEqual([
      { reason: "SecretBehind", detail: `Secret creds does not hold kv-a/db@${V2.slice(0, 8)}` },
    ]);
  });

  it("superseded: a newer version in Key Vault, a template recording another version, no longer used", () => {
    expect(judge(record, { ...base, latestVersion: V1, workload: workload({ env: true }), pods: [], spcps: [] })).toHaveProperty(
      "superseded",
    );
    expect(judge(record, { ...base, workload: workload({ env: true, version: V1 }), pods: [], spcps: [] })).toHaveProperty("superseded");
    expect(judge(record, { ...base, workload: workload({}), pods: [], spcps: [] })).toEqual({
      superseded: "it no longer mounts or reads the object",
    });
  });
});

describe("records", () => {
  const w = workload({ env: true });
  it("round-trip; forged (signature), misplaced (key) and malformed records are ignored", () => {
    const sign = (t: string) => `sig:${t.length}`;
    const text = encodeRecord(w, record, sign);
    expect(decodeRecord(w, text, sign)).toEqual(record);
    const failed = {
      ...record,
      state: "failed" as const,
      finishedAt: record.since,
      eventToDoneMs: 31_000,
      problems: [{ pod: "api-b", reason: "CrashLoopBackOff", detail: "pod api-b: CrashLoopBackOff" }],
    };
    expect(decodeRecord(w, encodeRecord(w, failed, sign), sign)).toEqual(failed);
    expect(decodeRecord(w, text.replace(/"sig":"[^"]+"/, '"sig":"forged"'), sign)).toBeNull();
    expect(decodeRecord({ ...w, name: "other" }, text, sign)).toBeNull();
    expect(decodeRecord(w, encodeRecord(w, record, undefined), sign)).toBeNull();
    for (const bad of ["{", "null", JSON.stringify({ ...record, version: "../x" }), JSON.stringify({ ...record, state: "done" })])
      expect(decodeRecord(w, bad, undefined), bad).toBeNull();
    const onW = { ...w, annotations: { [recordKey("kv-a", "db")]: text, [recordKey("kv-a", "other")]: text } };
    expect([...recordsOf(onW, sign).keys()]).toEqual([recordKey("kv-a", "db")]);
  });

  it("the label says pending while any record is, done after, and goes with the last record", () => {
    const p = recordsPatch(w, new Map([[recordKey("kv-a", "db"), record]]), undefined);
    expect(p.labels).toEqual({ [VERIFY_LABEL]: "pending" });
    const withIt = { ...w, annotations: { [recordKey("kv-a", "db")]: encodeRecord(w, record, undefined) } };
    expect(recordsPatch(withIt, new Map([[recordKey("kv-a", "db"), { ...record, state: "verified" as const }]]), undefined).labels).toEqual(
      { [VERIFY_LABEL]: "done" },
    );
    expect(recordsPatch(withIt, new Map([[recordKey("kv-a", "db"), null]]), undefined)).toEqual({
      labels: { [VERIFY_LABEL]: null },
      annotations: { [recordKey("kv-a", "db")]: null },
    });
  });

  it("a push starts records on the workloads that use the object, once per version", () => {
    const rot = [{ vault: "kv-a", objectName: "db", version: V2, eventTime: record.eventTime }];
    const users = [workload({ env: true }), { ...workload({ mount: true }), name: "files" }, { ...workload({}), name: "other" }];
    const writes = recordsToStart(rot, [spc], users, new Date(record.since), undefined);
    expect(writes.map((x) => x.workload.name)).toEqual(["api", "files"]);
    const again = users.map((u, i) =>
      i === 0 ? { ...u, annotations: { [recordKey("kv-a", "db")]: encodeRecord(u, { ...record, state: "verified" }, undefined) } } : u,
    );
    expect(recordsToStart(rot, [spc], again, new Date(), undefined).map((x) => x.workload.name)).toEqual(["files"]);
  });

  it("fold: failed if any failed, pending while any is; verified counts to the last workload", () => {
    const e = (name: string, r: Partial<RotationRecord>) => ({
      cluster: "c1",
      kind: "Deployment" as const,
      namespace: "ns",
      name,
      record: { ...record, ...r },
    });
    expect(
      foldOutcomes([e("a", { state: "verified", eventToDoneMs: 5000 }), e("b", { state: "verified", eventToDoneMs: 9000 })])[0],
    ).toMatchObject({ state: "verified", eventToDoneMs: 9000 });
    expect(foldOutcomes([e("a", { state: "verified", eventToDoneMs: 5000 }), e("b", { state: "pending" })])[0]!.state).toBe("pending");
    expect(
      foldOutcomes([
        e("a", {
          state: "failed",
          eventToDoneMs: 7000,
          problems: [{ pod: "x", reason: "CrashLoopBackOff", detail: "pod x: CrashLoopBackOff" }],
        }),
        e("b", { state: "pending" }),
      ])[0],
    ).toMatchObject({ state: "failed", eventToDoneMs: 7000 });
    expect(foldOutcomes([e("a", {}), e("b", { version: V1 })])).toHaveLength(2);
  });
});
