// The kubelet stand-in's rules (test/env/real-driver/kubelet-rules.ts), each against what kubelet v1.36.3 does.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  csiVolumesToMount,
  goTime,
  nextResyncMs,
  podsDifferSemantically,
  publishContext,
  retryDelayMs,
  targetPath,
  volumeHandle,
  type PodJson,
} from "../../env/real-driver/kubelet-rules.js";

const pod = (over: Partial<PodJson["metadata"]> = {}, spec: Partial<PodJson["spec"]> = {}): PodJson => ({
  metadata: { name: "app-0", namespace: "ns", uid: "0b3f7c52-0000-4000-8000-000000000001", labels: { app: "a" }, ...over },
  spec: {
    nodeName: "node-1",
    serviceAccountName: "default",
    containers: [{ volumeMounts: [{ name: "secrets" }] }],
    volumes: [
      { name: "secrets", csi: { driver: "secrets-store.csi.k8s.io", readOnly: true, volumeAttributes: { secretProviderClass: "spc" } } },
      { name: "unused", csi: { driver: "secrets-store.csi.k8s.io", volumeAttributes: { secretProviderClass: "other" } } },
      { name: "cfg" },
    ],
    ...spec,
  },
});

describe("paths and handles", () => {
  it("target path is <root>/pods/<uid>/volumes/kubernetes.io~csi/<volume>/mount (the layout the driver's regex checks)", () => {
    expect(targetPath("/var/lib/kubelet", "uid-1", "secrets")).toBe("/var/lib/kubelet/pods/uid-1/volumes/kubernetes.io~csi/secrets/mount");
  });
  it("volume handle is csi-<sha256(podUID + volume name)>", () => {
    expect(volumeHandle("uid-1", "secrets")).toBe(`csi-${createHash("sha256").update("uid-1secrets").digest("hex")}`);
  });
});

describe("which volumes kubelet mounts", () => {
  it("only the driver's volumes that a container mounts (unused volumes are skipped)", () => {
    expect(csiVolumesToMount(pod(), "secrets-store.csi.k8s.io").map((v) => v.name)).toEqual(["secrets"]);
    const init = pod({}, { initContainers: [{ volumeMounts: [{ name: "unused" }] }] });
    expect(csiVolumesToMount(init, "secrets-store.csi.k8s.io").map((v) => v.name)).toEqual(["secrets", "unused"]);
    expect(csiVolumesToMount(pod(), "other.csi.k8s.io")).toEqual([]);
  });
});

describe("NodePublishVolume context", () => {
  const vol = pod().spec.volumes![0]!;
  it("with podInfoOnMount: the volume's attributes plus pod name, namespace, uid, service account and ephemeral", () => {
    expect(publishContext(pod(), vol, { podInfoOnMount: true }, undefined, {})).toEqual({
      volumeContext: {
        secretProviderClass: "spc",
        "csi.storage.k8s.io/pod.name": "app-0",
        "csi.storage.k8s.io/pod.namespace": "ns",
        "csi.storage.k8s.io/pod.uid": "0b3f7c52-0000-4000-8000-000000000001",
        "csi.storage.k8s.io/serviceAccount.name": "default",
        "csi.storage.k8s.io/ephemeral": "true",
      },
      secrets: {},
    });
    expect(publishContext(pod(), vol, {}, undefined, {}).volumeContext).toEqual({ secretProviderClass: "spc" });
  });
  it("service account tokens as JSON audience → {token, expirationTimestamp}, in the context or (serviceAccountTokenInSecrets) the secrets", () => {
    const tokens = { "api://AzureADTokenExchange": { token: "t", expirationTimestamp: "2026-12-01T06:00:00Z" } };
    const json = '{"api://AzureADTokenExchange":{"token":"t","expirationTimestamp":"2026-12-01T06:00:00Z"}}';
    expect(publishContext(pod(), vol, {}, tokens, {}).volumeContext["csi.storage.k8s.io/serviceAccount.tokens"]).toBe(json);
    const inSecrets = publishContext(pod(), vol, { serviceAccountTokenInSecrets: true }, tokens, { clientid: "x" });
    expect(inSecrets.secrets).toEqual({ clientid: "x", "csi.storage.k8s.io/serviceAccount.tokens": json });
    expect(inSecrets.volumeContext["csi.storage.k8s.io/serviceAccount.tokens"]).toBeUndefined();
  });
  it("metav1.Time: whole seconds, Z", () => {
    expect(goTime(new Date("2026-12-01T05:00:00.123Z"))).toBe("2026-12-01T05:00:00Z");
  });
});

describe("what makes kubelet sync a pod (and so republish with requiresRepublish)", () => {
  it("an annotation, label or spec change, or deletion, is an update", () => {
    expect(podsDifferSemantically(pod(), pod({ annotations: { "kvrp/refresh": "1" } }))).toBe(true);
    expect(podsDifferSemantically(pod(), pod({ labels: { app: "b" } }))).toBe(true);
    expect(podsDifferSemantically(pod(), pod({ deletionTimestamp: "2026-12-01T05:00:00Z" }))).toBe(true);
    expect(podsDifferSemantically(pod(), pod({}, { serviceAccountName: "other" }))).toBe(true);
  });
  it("status, resourceVersion, key order and kubelet's own annotations are not", () => {
    const a = pod({ resourceVersion: "1" });
    const b = { ...pod({ resourceVersion: "2", annotations: { "kubernetes.io/config.seen": "x" } }), status: { phase: "Running" } };
    expect(podsDifferSemantically(a, b)).toBe(false);
    const reordered = pod();
    reordered.spec = {
      volumes: reordered.spec.volumes,
      containers: reordered.spec.containers,
      serviceAccountName: "default",
      nodeName: "node-1",
    };
    expect(podsDifferSemantically(pod(), reordered)).toBe(false);
  });
});

describe("timing", () => {
  it("periodic sync: syncFrequency × [1, 1.5)", () => {
    expect(nextResyncMs(60_000, 0)).toBe(60_000);
    expect(nextResyncMs(60_000, 0.999)).toBeCloseTo(89_970);
  });
  it("mount retries: 500 ms doubling, at most 2 min 2 s", () => {
    expect([1, 2, 3, 4].map(retryDelayMs)).toEqual([500, 1000, 2000, 4000]);
    expect(retryDelayMs(20)).toBe(122_000);
  });
});
